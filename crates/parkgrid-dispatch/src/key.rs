//! Typed keys of result series: which kind of element a series belongs to, and what it measures.
//! Their text forms (`as_str`) are the words of `timeseries.csv` and `meta.json`.

use std::fmt;

use parkgrid_model::AssetKind;

/// The kind of element a series belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Element {
    /// An asset of the park.
    Asset(AssetKind),
    /// A bus (its slacks and its price).
    Bus,
    /// A line or cable.
    Line,
    /// A transformer.
    Transformer,
    /// A converter (VSC or DC/DC).
    Converter,
}

impl Element {
    /// The word in the saved files: the asset kind's table name, `bus`, `line`, `transformer` or
    /// `converter`.
    pub fn as_str(self) -> &'static str {
        match self {
            Element::Asset(k) => k.key(),
            Element::Bus => "bus",
            Element::Line => "line",
            Element::Transformer => "transformer",
            Element::Converter => "converter",
        }
    }
}

impl From<AssetKind> for Element {
    fn from(k: AssetKind) -> Self {
        Element::Asset(k)
    }
}

impl fmt::Display for Element {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! quantities {
    ($( $variant:ident => $text:literal, $doc:literal; )*) => {
        /// What a result series measures, with its unit in its name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Quantity {
            $( #[doc = $doc] $variant, )*
        }

        impl Quantity {
            /// Every quantity.
            pub const ALL: &'static [Quantity] = &[$(Quantity::$variant,)*];

            /// The column suffix in the saved files (`p_kw`, `level_kwh`, …).
            pub fn as_str(self) -> &'static str {
                match self { $( Quantity::$variant => $text, )* }
            }

            /// The quantity of a column suffix, if it is one.
            pub fn parse(text: &str) -> Option<Quantity> {
                match text { $( $text => Some(Quantity::$variant), )* _ => None }
            }
        }
    };
}

quantities! {
    PKw => "p_kw", "Electric power of a machine or load, kW (out of the bus for consumers, into it for a CHP).";
    HeatKw => "heat_kw", "Heat delivered (producers) or taken (loads, absorption chillers' drive), kW.";
    ColdKw => "cold_kw", "Cooling delivered (chillers) or taken (cooling loads), kW.";
    SourceKw => "source_kw", "Waste heat a heat pump takes from its source bus, kW.";
    WasteHeatKw => "waste_heat_kw", "Recoverable heat a data centre gives off, kW.";
    FuelKw => "fuel_kw", "Fuel burnt (lower heating value), kW.";
    ImportKw => "import_kw", "Power bought from the grid, kW.";
    ExportKw => "export_kw", "Power sold to the grid, kW.";
    OutputKw => "output_kw", "Power a PV array or wind farm delivers, kW.";
    AvailableKw => "available_kw", "Power a PV array or wind farm could deliver, kW.";
    ChargeKw => "charge_kw", "Power into a store, kW.";
    DischargeKw => "discharge_kw", "Power out of a store, kW.";
    LevelKwh => "level_kwh", "Energy in a store, kWh.";
    ForwardKw => "forward_kw", "Power a converter takes at its first bus, kW.";
    ReverseKw => "reverse_kw", "Power a converter takes at its second bus, kW.";
    FlowKw => "flow_kw", "Power along a line or transformer from its first bus, kW.";
    UnservedKw => "unserved_kw", "Demand left unserved at a bus, kW.";
    DumpedKw => "dumped_kw", "Heat a CHP vents instead of putting it into its heat bus, kW.";
    RejectedKw => "rejected_kw", "Waste heat rejected by a waste-heat bus's cooling towers, kW.";
    BaselineKw => "baseline_kw", "A flexible load's demand before shifting, kW.";
    PriceCnyPerKwh => "price_cny_per_kwh", "A bus's marginal price, CNY/kWh.";
    TariffCnyPerKwh => "tariff_cny_per_kwh", "A grid connection's import tariff, CNY/kWh.";
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_round_trip_their_words() {
        for &q in Quantity::ALL {
            assert_eq!(Quantity::parse(q.as_str()), Some(q));
        }
        assert_eq!(Quantity::parse("nonsense_kw"), None);
        assert_eq!(
            Element::from(AssetKind::ElectricChiller).as_str(),
            "electric_chiller"
        );
    }
}
