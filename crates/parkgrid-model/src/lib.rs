//! The park model of parkgrid: one declarative description of a park's energy internet.
//!
//! A park file (TOML) holds the site, the time axis, the weather source, the buses (AC, DC, heat,
//! waste heat, cold), the assets, the network branches (lines, transformers, converters), tariffs,
//! fuels, tenants and meters. [`load`] reads one, [`parse`] parses text, and both validate it,
//! returning every problem at once as a [`Report`] of [`Diagnostic`]s with line and column.
//!
//! Conventions: every physical field carries its unit in its name (`p_max_kw`, `t_supply_c`);
//! power is in kW and energy in kWh; power injected into a bus is positive; all series share the
//! park's [`TimeAxis`].
//!
//! This crate does no network IO and has no async runtime; [`load`] reads the park file and checks
//! that the files it names exist.

pub mod asset;
pub mod catalog;
mod common;
pub mod diag;
pub mod live;
mod load;
pub mod network;
pub mod schema;
pub mod site;
mod summary;
pub mod tariff;
pub mod tenant;
pub mod time;
mod validate;
pub mod weather;

use std::path::PathBuf;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use asset::{AssetKind, AssetRef, AssetSpec};
pub use common::{Cx, LoadShape, Profile, ProfileUnit};
pub use diag::{Diagnostic, FieldPath, Report, Severity, SourceFile};
pub use live::Live;
pub use load::{Loaded, ModelError, load, load_with, parse, read_text_file};
pub use network::{Bus, Carrier, Converter, Line, Transformer};
pub use site::Site;
pub use summary::{CarrierSummary, summarize};
pub use tariff::{Economics, Fuel, Tariff};
pub use tenant::{Meter, Tenant};
pub use time::{STEPS_MIN, TimeAxis, TimeConfig};
pub use validate::validate;
pub use weather::Weather;

/// A whole park, as written in a park file. Tables of assets are named after their kind and may
/// repeat (`[[pv]]`, `[[battery]]`, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields, title = "parkgrid park file")]
pub struct Park {
    /// Where the park is.
    pub site: Site,
    /// The time axis of every series.
    pub time: TimeConfig,
    /// Where the weather comes from (default: the synthetic Yanqing year).
    #[serde(default)]
    pub weather: Weather,
    /// Park-wide prices that are not tariffs.
    #[serde(default)]
    pub economics: Economics,
    /// How the live park's telemetry is named (MQTT topics, series names).
    #[serde(default)]
    pub live: Live,
    /// Buses: AC and DC busbars, heat networks, waste-heat loops.
    #[serde(default)]
    pub bus: Vec<Bus>,
    /// Grid connections.
    #[serde(default)]
    pub grid: Vec<asset::Grid>,
    /// PV arrays.
    #[serde(default)]
    pub pv: Vec<asset::Pv>,
    /// Wind farms.
    #[serde(default)]
    pub wind: Vec<asset::Wind>,
    /// Combined heat and power plants.
    #[serde(default)]
    pub chp: Vec<asset::Chp>,
    /// Ground-source heat pumps.
    #[serde(default)]
    pub ground_heat_pump: Vec<asset::GroundHeatPump>,
    /// Air-source heat pumps.
    #[serde(default)]
    pub air_source_heat_pump: Vec<asset::AirSourceHeatPump>,
    /// Waste-heat heat pumps.
    #[serde(default)]
    pub waste_heat_pump: Vec<asset::WasteHeatPump>,
    /// Data centres.
    #[serde(default)]
    pub data_centre: Vec<asset::DataCentre>,
    /// Batteries.
    #[serde(default)]
    pub battery: Vec<asset::Battery>,
    /// Heat stores, short-term and seasonal.
    #[serde(default)]
    pub thermal_store: Vec<asset::ThermalStore>,
    /// Fuel-fired boilers.
    #[serde(default)]
    pub gas_boiler: Vec<asset::GasBoiler>,
    /// Electric boilers.
    #[serde(default)]
    pub electric_boiler: Vec<asset::ElectricBoiler>,
    /// Electric chillers.
    #[serde(default)]
    pub electric_chiller: Vec<asset::ElectricChiller>,
    /// Absorption chillers.
    #[serde(default)]
    pub absorption_chiller: Vec<asset::AbsorptionChiller>,
    /// Fixed electric loads.
    #[serde(default)]
    pub electric_load: Vec<asset::ElectricLoad>,
    /// Heat loads.
    #[serde(default)]
    pub heat_load: Vec<asset::HeatLoad>,
    /// Cooling loads.
    #[serde(default)]
    pub cooling_load: Vec<asset::CoolingLoad>,
    /// EV charging stations.
    #[serde(default)]
    pub ev_charging: Vec<asset::EvCharging>,
    /// Shiftable electric loads.
    #[serde(default)]
    pub flexible_load: Vec<asset::FlexibleLoad>,
    /// Lines and cables.
    #[serde(default)]
    pub line: Vec<Line>,
    /// Transformers.
    #[serde(default)]
    pub transformer: Vec<Transformer>,
    /// Converters (VSC between AC and DC, DC/DC).
    #[serde(default)]
    pub converter: Vec<Converter>,
    /// Electricity tariffs.
    #[serde(default)]
    pub tariff: Vec<Tariff>,
    /// Fuels.
    #[serde(default)]
    pub fuel: Vec<Fuel>,
    /// Tenants.
    #[serde(default)]
    pub tenant: Vec<Tenant>,
    /// Billing meters.
    #[serde(default)]
    pub meter: Vec<Meter>,
    /// Directory that relative file names (profiles, weather) are resolved against: the park
    /// file's directory. Not part of the file.
    #[serde(skip)]
    pub base_dir: PathBuf,
}

impl Park {
    /// The park's time axis. `None` only for a park that failed validation.
    pub fn time_axis(&self) -> Option<TimeAxis> {
        TimeAxis::new(&self.time, self.site.time_zone)
    }

    /// The assets whose series follow the weather (PV and wind without a profile file, heat and
    /// cooling loads without one, ground-source heat pumps and electric chillers without a fixed
    /// COP or EER — boreholes with a given ground temperature excepted — and air-source heat
    /// pumps, whose capacity follows the outdoor air), by id.
    pub fn weather_users(&self) -> Vec<&str> {
        self.assets()
            .filter(|(_, a)| match a {
                AssetRef::Pv(p) => p.profile.is_none(),
                AssetRef::Wind(w) => w.profile.is_none(),
                AssetRef::HeatLoad(h) => h.profile.is_none(),
                AssetRef::CoolingLoad(c) => c.profile.is_none(),
                // Boreholes with a given ground temperature read no weather.
                AssetRef::GroundHeatPump(h) => {
                    h.cop.is_none()
                        && !(h.collector == asset::Collector::Borehole && h.t_ground_c.is_some())
                }
                AssetRef::AirSourceHeatPump(_) => true,
                AssetRef::ElectricChiller(c) => c.eer.is_none(),
                AssetRef::Grid(_)
                | AssetRef::Chp(_)
                | AssetRef::WasteHeatPump(_)
                | AssetRef::DataCentre(_)
                | AssetRef::Battery(_)
                | AssetRef::ThermalStore(_)
                | AssetRef::GasBoiler(_)
                | AssetRef::ElectricBoiler(_)
                | AssetRef::AbsorptionChiller(_)
                | AssetRef::ElectricLoad(_)
                | AssetRef::EvCharging(_)
                | AssetRef::FlexibleLoad(_) => false,
            })
            .map(|(_, a)| a.spec().id())
            .collect()
    }

    /// The electric island of each bus, in `bus` order (`None` for heat and waste-heat buses),
    /// and the number of islands: electric buses joined by in-service lines, transformers and
    /// converters are one island. Islands are numbered in the order of their first bus.
    pub fn electric_islands(&self) -> (Vec<Option<usize>>, usize) {
        let n = self.bus.len();
        let index: std::collections::HashMap<&str, usize> = self
            .bus
            .iter()
            .enumerate()
            .filter(|(_, b)| b.carrier.is_electric())
            .map(|(i, b)| (b.id.as_str(), i))
            .collect();
        fn root(parent: &mut [usize], mut i: usize) -> usize {
            while parent[i] != i {
                parent[i] = parent[parent[i]];
                i = parent[i];
            }
            i
        }
        let mut parent: Vec<usize> = (0..n).collect();
        let edges = self
            .line
            .iter()
            .filter(|l| l.in_service)
            .map(|l| (l.from_bus.as_str(), l.to_bus.as_str()))
            .chain(
                self.transformer
                    .iter()
                    .filter(|t| t.in_service)
                    .map(|t| (t.hv_bus.as_str(), t.lv_bus.as_str())),
            )
            .chain(
                self.converter
                    .iter()
                    .filter(|c| c.in_service)
                    .map(|c| (c.from_bus.as_str(), c.to_bus.as_str())),
            );
        for (a, b) in edges {
            if let (Some(&a), Some(&b)) = (index.get(a), index.get(b)) {
                let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
                parent[ra] = rb;
            }
        }
        let mut number: Vec<Option<usize>> = vec![None; n];
        let mut islands = vec![None; n];
        let mut count = 0;
        for (i, (bus, slot)) in self.bus.iter().zip(islands.iter_mut()).enumerate() {
            if !bus.carrier.is_electric() {
                continue;
            }
            let r = root(&mut parent, i);
            *slot = Some(*number[r].get_or_insert_with(|| {
                count += 1;
                count - 1
            }));
        }
        (islands, count)
    }

    /// The bus with id `id`.
    pub fn bus(&self, id: &str) -> Option<&Bus> {
        self.bus.iter().find(|b| b.id == id)
    }

    /// The asset with id `id`.
    pub fn asset(&self, id: &str) -> Option<AssetRef<'_>> {
        self.assets().map(|(_, a)| a).find(|a| a.spec().id() == id)
    }

    /// The tariff with id `id`.
    pub fn tariff(&self, id: &str) -> Option<&Tariff> {
        self.tariff.iter().find(|t| t.id == id)
    }

    /// The fuel with id `id`.
    pub fn fuel(&self, id: &str) -> Option<&Fuel> {
        self.fuel.iter().find(|f| f.id == id)
    }

    /// Resolves a file name from the park file against the park file's directory.
    pub fn resolve(&self, file: &std::path::Path) -> PathBuf {
        self.base_dir.join(file)
    }
}
