//! Assets: everything that produces, converts, stores or consumes energy, one file per kind.
//!
//! Each kind's file holds its struct (fields with units in their names and a doc comment each),
//! its defaults and its own checks. [`AssetRef`] lets other layers `match` exhaustively over the
//! kinds, so adding a kind fails the build until every layer handles it.

mod absorption_chiller;
mod air_source_heat_pump;
mod battery;
mod chp;
mod cooling_load;
mod data_centre;
mod electric_boiler;
mod electric_chiller;
mod electric_load;
mod ev_charging;
mod flexible_load;
mod gas_boiler;
mod grid;
mod ground_heat_pump;
mod heat_load;
mod pv;
mod thermal_store;
mod waste_heat_pump;
mod wind;

pub use absorption_chiller::AbsorptionChiller;
pub use air_source_heat_pump::AirSourceHeatPump;
pub use battery::Battery;
pub use chp::Chp;
pub use cooling_load::CoolingLoad;
pub use data_centre::DataCentre;
pub use electric_boiler::ElectricBoiler;
pub use electric_chiller::ElectricChiller;
pub use electric_load::ElectricLoad;
pub use ev_charging::EvCharging;
pub use flexible_load::FlexibleLoad;
pub use gas_boiler::GasBoiler;
pub use grid::Grid;
pub use ground_heat_pump::{Collector, GroundHeatPump};
pub use heat_load::HeatLoad;
pub use pv::{Pv, Tracking};
pub use thermal_store::ThermalStore;
pub use waste_heat_pump::WasteHeatPump;
pub(crate) use wind::check_curve as check_curve_pub;
pub use wind::{PowerCurve, Wind};

use crate::Park;
use crate::common::{Cx, Profile, ProfileUnit};
use crate::diag::FieldPath;
use crate::network::Carrier;

/// A connection of an asset to a bus.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Port<'a> {
    /// The park-file field naming the bus (`bus`, `heat_bus`, …).
    pub field: &'static str,
    /// The bus id.
    pub bus: &'a str,
    /// The carriers the port accepts.
    pub carriers: &'static [Carrier],
}

/// What an asset does with energy, for capacity summaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Brings energy into the park (grid import, generation).
    Supply,
    /// Turns one carrier into another (heat pumps, boilers); counted on its output.
    Conversion,
    /// Stores energy.
    Storage,
    /// Consumes energy.
    Demand,
}

/// One line of an asset's capacity summary.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Capacity {
    /// The port (field naming the bus) the capacity is counted on; its bus gives the carrier.
    pub port: &'static str,
    /// What the asset does on that carrier.
    pub role: Role,
    /// Rated (or peak) power in kW, when known without reading profiles.
    pub kw: Option<f64>,
    /// Storage capacity, or annual demand, in kWh, when known without reading profiles.
    pub kwh: Option<f64>,
}

/// Behaviour shared by every asset kind.
pub trait AssetSpec {
    /// The kind of asset.
    fn kind(&self) -> AssetKind;
    /// The asset's unique id.
    fn id(&self) -> &str;
    /// The bus connections.
    fn ports(&self) -> Vec<Port<'_>>;
    /// The tenant owning the asset, for loads.
    fn tenant(&self) -> Option<&str> {
        None
    }
    /// The CSV profile replacing the built-in model, if any.
    fn profile(&self) -> Option<&Profile> {
        None
    }
    /// Profile units this kind accepts.
    fn profile_units(&self) -> &'static [ProfileUnit] {
        &[ProfileUnit::Kw]
    }
    /// The fuel burnt, for fuel-fired assets.
    fn fuel(&self) -> Option<&str> {
        None
    }
    /// The tariff, for grid connections.
    fn tariff(&self) -> Option<&str> {
        None
    }
    /// Energy a billing meter of this asset measures, if it is a consumer.
    fn metered(&self) -> Option<crate::tenant::MeterCarrier> {
        None
    }
    /// Capacity summary lines.
    fn capacity(&self) -> Vec<Capacity>;
    /// Checks of the asset's own fields (references are checked by the park).
    fn check(&self, cx: &mut Cx, at: &FieldPath);
}

macro_rules! asset_kinds {
    ($( $variant:ident($ty:ty) => $field:ident, $doc:literal; )*) => {
        /// The kinds of asset, named as their tables in the park file.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum AssetKind {
            $( #[doc = $doc] $variant, )*
        }

        impl AssetKind {
            /// Every kind, in park-file order.
            pub const ALL: &'static [AssetKind] = &[$(AssetKind::$variant,)*];

            /// The table name in the park file (`pv`, `battery`, …).
            pub fn key(self) -> &'static str {
                match self { $( AssetKind::$variant => stringify!($field), )* }
            }

            /// One-line description.
            pub fn describe(self) -> &'static str {
                match self { $( AssetKind::$variant => $doc, )* }
            }
        }

        /// A borrowed asset of any kind. Match on it to handle every kind.
        #[derive(Debug, Clone, Copy)]
        pub enum AssetRef<'a> {
            $( #[doc = $doc] $variant(&'a $ty), )*
        }

        impl<'a> AssetRef<'a> {
            /// The asset behind its shared behaviour.
            pub fn spec(self) -> &'a dyn AssetSpec {
                match self { $( AssetRef::$variant(a) => a, )* }
            }
        }

        impl Park {
            /// Every asset with its path in the park file, kind by kind in file order.
            pub fn assets(&self) -> impl Iterator<Item = (FieldPath, AssetRef<'_>)> + '_ {
                let mut all: Vec<(FieldPath, AssetRef<'_>)> = Vec::new();
                $(
                    for (i, a) in self.$field.iter().enumerate() {
                        all.push((FieldPath::root().key(stringify!($field)).index(i), AssetRef::$variant(a)));
                    }
                )*
                all.into_iter()
            }
        }
    };
}

asset_kinds! {
    Grid(Grid) => grid, "connection to the public grid";
    Pv(Pv) => pv, "photovoltaic array with its inverter";
    Wind(Wind) => wind, "wind farm";
    Chp(Chp) => chp, "combined heat and power plant (biogas, biomass or gas)";
    GroundHeatPump(GroundHeatPump) => ground_heat_pump, "ground-source (geothermal) heat pump";
    AirSourceHeatPump(AirSourceHeatPump) => air_source_heat_pump, "air-source (air-to-water) heat pump";
    WasteHeatPump(WasteHeatPump) => waste_heat_pump, "heat pump lifting waste heat to the heat network";
    DataCentre(DataCentre) => data_centre, "data centre: electric demand that yields waste heat";
    Battery(Battery) => battery, "battery energy storage";
    ThermalStore(ThermalStore) => thermal_store, "hot-water tank or seasonal heat store";
    GasBoiler(GasBoiler) => gas_boiler, "fuel-fired boiler";
    ElectricBoiler(ElectricBoiler) => electric_boiler, "electric (resistive or electrode) boiler";
    ElectricChiller(ElectricChiller) => electric_chiller, "electric (vapour-compression) chiller";
    AbsorptionChiller(AbsorptionChiller) => absorption_chiller, "absorption chiller driven by heat (CCHP)";
    ElectricLoad(ElectricLoad) => electric_load, "fixed electric demand";
    HeatLoad(HeatLoad) => heat_load, "space heating and hot-water demand";
    CoolingLoad(CoolingLoad) => cooling_load, "space cooling demand";
    EvCharging(EvCharging) => ev_charging, "electric-vehicle charging station";
    FlexibleLoad(FlexibleLoad) => flexible_load, "electric demand partly shiftable in time";
}

/// Serde default for `true`.
pub(crate) fn yes() -> bool {
    true
}

/// Port carriers: electricity (AC or DC).
pub(crate) const ELECTRIC: &[Carrier] = &[Carrier::Ac, Carrier::Dc];
/// Port carriers: AC only.
pub(crate) const AC: &[Carrier] = &[Carrier::Ac];
/// Port carriers: heat only.
pub(crate) const HEAT: &[Carrier] = &[Carrier::Heat];
/// Port carriers: waste heat only.
pub(crate) const WASTE_HEAT: &[Carrier] = &[Carrier::WasteHeat];
/// Port carriers: cold (chilled water) only.
pub(crate) const COLD: &[Carrier] = &[Carrier::Cold];

/// Heat-pump performance: a fixed COP above 1, or a Carnot fraction in (0, 1].
pub(crate) fn check_cop(cx: &mut Cx, at: &FieldPath, cop: Option<f64>, carnot_fraction: f64) {
    check_lift(
        cx,
        at,
        "cop",
        cop,
        carnot_fraction,
        "a heat pump delivers more heat than the electricity it uses; 3–6 is typical",
    );
}

/// A machine that pumps heat (heat pump, electric chiller): a fixed ratio `field` (COP, EER)
/// above 1 and at most 12, or a Carnot fraction in (0, 1].
pub(crate) fn check_lift(
    cx: &mut Cx,
    at: &FieldPath,
    field: &str,
    ratio: Option<f64>,
    carnot_fraction: f64,
    hint: &str,
) {
    check_ratio(cx, at, field, ratio, hint);
    cx.efficiency(at, "carnot_fraction", carnot_fraction);
}

/// A fixed ratio `field` (COP, EER) of a machine that pumps heat: above 1 and at most 12.
pub(crate) fn check_ratio(
    cx: &mut Cx,
    at: &FieldPath,
    field: &str,
    ratio: Option<f64>,
    hint: &str,
) {
    if let Some(r) = ratio {
        if !(r.is_finite() && r > 1.0 && r <= 12.0) {
            cx.push(
                crate::diag::Diagnostic::error(
                    at.key(field),
                    format!("{field} must be above 1 and at most 12, got {r}"),
                )
                .with_hint(hint),
            );
        }
    }
}

/// Storage bounds: `0 <= soc_min < soc_max <= 1` and the initial state within them.
pub(crate) fn check_soc(cx: &mut Cx, at: &FieldPath, min: f64, max: f64, initial: Option<f64>) {
    cx.fraction(at, "soc_min_frac", min);
    cx.fraction(at, "soc_max_frac", max);
    cx.opt(at, "soc_initial_frac", initial, Cx::fraction);
    if min >= max {
        cx.push(
            crate::diag::Diagnostic::error(
                at.key("soc_min_frac"),
                format!("storage bounds are inverted: soc_min_frac {min} is not below soc_max_frac {max}"),
            )
            .with_hint("soc_min_frac is the lower bound, soc_max_frac the upper"),
        );
    } else if let Some(initial) = initial.filter(|i| !(min..=max).contains(i)) {
        cx.push(crate::diag::Diagnostic::error(
            at.key("soc_initial_frac"),
            format!("soc_initial_frac {initial} lies outside [{min}, {max}]"),
        ));
    }
}

/// Electric demand given by a built-in shape with `annual_kwh`, or by a profile (optionally
/// rescaled to `annual_kwh`), never a shape and a profile.
pub(crate) fn check_demand(
    cx: &mut Cx,
    at: &FieldPath,
    shape_given: bool,
    annual_kwh: Option<f64>,
    profile_given: bool,
) {
    if shape_given && profile_given {
        cx.push(
            crate::diag::Diagnostic::error(
                at.key("shape"),
                "give either shape or profile, not both",
            )
            .with_hint("a profile replaces the built-in shape; annual_kwh may rescale it"),
        );
    }
    if !profile_given && annual_kwh.is_none() {
        cx.push(
            crate::diag::Diagnostic::error(
                at.clone(),
                "the demand needs annual_kwh (or a profile)",
            )
            .with_hint("annual_kwh scales the built-in shape to the year's consumption"),
        );
    }
    cx.opt(at, "annual_kwh", annual_kwh, Cx::positive);
}
