//! The kernel side: one module per family of asset kinds. Each adds its variables (bounds, costs),
//! its own rows (named `kind.family[id,t]`), its injections into the bus balance, and its result
//! series. The doc comment of each function states the rows it adds.

pub mod boiler;
pub mod chiller;
pub mod chp;
pub mod grid;
pub mod heat_pump;
pub mod load;
pub mod network;
pub mod renewable;
pub mod storage;

use parkgrid_model::Park;

/// Fuel price per kWh of fuel at each step (heating-season prices inside the season), CNY/kWh.
pub(crate) fn fuel_price(park: &Park, fuel: &str, heating: &[bool]) -> Vec<f64> {
    match park.fuel(fuel) {
        Some(f) => heating.iter().map(|&h| f.price_cny_per_kwh(h)).collect(),
        None => vec![0.0; heating.len()],
    }
}

/// Carbon cost per kWh of fuel, CNY/kWh.
pub(crate) fn fuel_carbon(park: &Park, fuel: &str) -> f64 {
    park.fuel(fuel).map_or(0.0, |f| f.co2_kg_per_kwh) * park.economics.carbon_price_cny_per_t
        / 1000.0
}
