//! Buses and the branches between them: lines, transformers and converters.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::Cx;
use crate::diag::{Diagnostic, FieldPath};

/// What a bus carries.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Carrier {
    /// Alternating-current electricity.
    Ac,
    /// Direct-current electricity.
    Dc,
    /// Heat in a hot-water network (supply and return temperature).
    Heat,
    /// Low-grade waste heat (e.g. a data centre's chilled-water return), usable by heat pumps.
    WasteHeat,
    /// Cooling in a chilled-water network (supply and return temperature): the energy is the heat
    /// the network takes out of the buildings, kW of cooling.
    Cold,
}

impl Carrier {
    /// All carriers.
    pub const ALL: [Carrier; 5] = [
        Carrier::Ac,
        Carrier::Dc,
        Carrier::Heat,
        Carrier::WasteHeat,
        Carrier::Cold,
    ];

    /// Electric carriers.
    pub const ELECTRIC: [Carrier; 2] = [Carrier::Ac, Carrier::Dc];

    /// The word used in the park file.
    pub fn as_str(self) -> &'static str {
        match self {
            Carrier::Ac => "ac",
            Carrier::Dc => "dc",
            Carrier::Heat => "heat",
            Carrier::WasteHeat => "waste_heat",
            Carrier::Cold => "cold",
        }
    }

    /// How the carrier is described in messages.
    pub fn describe(self) -> &'static str {
        match self {
            Carrier::Ac => "an AC bus",
            Carrier::Dc => "a DC bus",
            Carrier::Heat => "a heat bus",
            Carrier::WasteHeat => "a waste-heat bus",
            Carrier::Cold => "a chilled-water (cold) bus",
        }
    }

    /// True for AC and DC.
    pub fn is_electric(self) -> bool {
        matches!(self, Carrier::Ac | Carrier::Dc)
    }
}

/// A node of the park's networks: an electric busbar (AC or DC), a heat network, or a waste-heat
/// loop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Bus {
    /// Unique id (letters, digits, `_` and `-`).
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What the bus carries: `ac`, `dc`, `heat`, `waste_heat` or `cold`.
    pub carrier: Carrier,
    /// Nominal voltage in kV (AC line-to-line; DC pole-to-pole). Electric buses only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub v_nom_kv: Option<f64>,
    /// Lowest acceptable voltage in per unit of `v_nom_kv` (default 0.93). Electric buses only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub v_min_pu: Option<f64>,
    /// Highest acceptable voltage in per unit of `v_nom_kv` (default 1.07). Electric buses only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub v_max_pu: Option<f64>,
    /// Supply (flow) temperature in °C. Heat and cold buses only, and required there (a
    /// chilled-water network supplies at 5–7 °C).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub t_supply_c: Option<f64>,
    /// Return temperature in °C. Heat and cold buses only, and required there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub t_return_c: Option<f64>,
    /// Temperature of the waste-heat stream in °C, as the heat pumps see it. Waste-heat buses only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub t_c: Option<f64>,
}

/// Default lower voltage band (GB/T 12325: ±7 % for 10 kV and below, relaxed slightly).
pub const DEFAULT_V_MIN_PU: f64 = 0.93;
/// Default upper voltage band.
pub const DEFAULT_V_MAX_PU: f64 = 1.07;

impl Bus {
    /// Lower voltage limit in per unit (default [`DEFAULT_V_MIN_PU`]).
    pub fn v_min_pu(&self) -> f64 {
        self.v_min_pu.unwrap_or(DEFAULT_V_MIN_PU)
    }

    /// Upper voltage limit in per unit (default [`DEFAULT_V_MAX_PU`]).
    pub fn v_max_pu(&self) -> f64 {
        self.v_max_pu.unwrap_or(DEFAULT_V_MAX_PU)
    }

    pub(crate) fn check(&self, cx: &mut Cx, at: &FieldPath) {
        let field_for = |name: &str| -> Option<&'static [Carrier]> {
            match name {
                "v_nom_kv" | "v_min_pu" | "v_max_pu" => Some(&Carrier::ELECTRIC),
                "t_supply_c" | "t_return_c" => Some(&[Carrier::Heat, Carrier::Cold]),
                "t_c" => Some(&[Carrier::WasteHeat]),
                _ => None,
            }
        };
        let given = [
            ("v_nom_kv", self.v_nom_kv),
            ("v_min_pu", self.v_min_pu),
            ("v_max_pu", self.v_max_pu),
            ("t_supply_c", self.t_supply_c),
            ("t_return_c", self.t_return_c),
            ("t_c", self.t_c),
        ];
        for (name, value) in given {
            let Some(allowed) = field_for(name) else {
                continue;
            };
            if value.is_some() && !allowed.contains(&self.carrier) {
                cx.push(
                    Diagnostic::error(
                        at.key(name),
                        format!(
                            "{name} does not apply to bus '{}', which carries {}",
                            self.id,
                            self.carrier.as_str()
                        ),
                    )
                    .with_hint(format!(
                        "{name} belongs on {}",
                        crate::common::carriers_text(allowed)
                    )),
                );
            }
        }
        let require = |cx: &mut Cx, name: &str, v: Option<f64>| {
            if v.is_none() {
                cx.push(Diagnostic::error(
                    at.clone(),
                    format!("{} bus '{}' needs {name}", self.carrier.as_str(), self.id),
                ));
            }
        };
        match self.carrier {
            Carrier::Ac | Carrier::Dc => {
                require(cx, "v_nom_kv", self.v_nom_kv);
                cx.opt(at, "v_nom_kv", self.v_nom_kv, Cx::positive);
                cx.opt(at, "v_min_pu", self.v_min_pu, Cx::positive);
                cx.opt(at, "v_max_pu", self.v_max_pu, Cx::positive);
                if self.v_min_pu() >= self.v_max_pu() {
                    cx.error(
                        at,
                        "v_min_pu",
                        format!(
                            "voltage band is inverted: v_min_pu {} is not below v_max_pu {}",
                            self.v_min_pu(),
                            self.v_max_pu()
                        ),
                    );
                }
            }
            Carrier::Heat => {
                require(cx, "t_supply_c", self.t_supply_c);
                require(cx, "t_return_c", self.t_return_c);
                if let (Some(s), Some(r)) = (self.t_supply_c, self.t_return_c) {
                    cx.within(at, "t_supply_c", s, 0.0, 200.0, "°C");
                    cx.within(at, "t_return_c", r, 0.0, 200.0, "°C");
                    if r >= s {
                        cx.push(
                            Diagnostic::error(
                                at.key("t_return_c"),
                                format!("return temperature {r} °C is not below the supply temperature {s} °C"),
                            )
                            .with_hint("a heat network returns colder water than it supplies"),
                        );
                    }
                }
            }
            Carrier::Cold => {
                require(cx, "t_supply_c", self.t_supply_c);
                require(cx, "t_return_c", self.t_return_c);
                if let (Some(s), Some(r)) = (self.t_supply_c, self.t_return_c) {
                    cx.within(at, "t_supply_c", s, -10.0, 25.0, "°C");
                    cx.within(at, "t_return_c", r, -5.0, 30.0, "°C");
                    if r <= s {
                        cx.push(
                            Diagnostic::error(
                                at.key("t_return_c"),
                                format!("return temperature {r} °C is not above the supply temperature {s} °C"),
                            )
                            .with_hint("a chilled-water network returns warmer water than it supplies (7/12 °C is usual)"),
                        );
                    }
                }
            }
            Carrier::WasteHeat => {
                require(cx, "t_c", self.t_c);
                cx.opt(at, "t_c", self.t_c, |cx, at, f, v| {
                    cx.within(at, f, v, -30.0, 100.0, "°C")
                });
            }
        }
    }
}

/// A line or cable between two buses of the same carrier and voltage (AC or DC).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Line {
    /// Unique id.
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Bus at the sending end.
    pub from_bus: String,
    /// Bus at the receiving end.
    pub to_bus: String,
    /// Route length in km.
    pub length_km: f64,
    /// Series resistance in Ω/km (per conductor for DC).
    pub r_ohm_per_km: f64,
    /// Series reactance in Ω/km (AC only; 0 for DC).
    #[serde(default)]
    pub x_ohm_per_km: f64,
    /// Shunt susceptance in µS/km (AC only; 0 for DC).
    #[serde(default)]
    pub b_us_per_km: f64,
    /// Thermal current rating in A.
    pub i_max_a: f64,
    /// Number of parallel circuits.
    #[serde(default = "one")]
    pub parallel: u32,
    /// False to model the line as switched off.
    #[serde(default = "yes")]
    pub in_service: bool,
}

/// A two-winding transformer between two AC buses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Transformer {
    /// Unique id.
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Bus on the high-voltage side.
    pub hv_bus: String,
    /// Bus on the low-voltage side.
    pub lv_bus: String,
    /// Rated apparent power in kVA.
    pub s_rated_kva: f64,
    /// Short-circuit voltage in % of rated voltage.
    pub vk_percent: f64,
    /// Resistive part of the short-circuit voltage in %.
    pub vkr_percent: f64,
    /// Iron (no-load) losses in kW.
    #[serde(default)]
    pub pfe_kw: f64,
    /// No-load current in % of rated current.
    #[serde(default)]
    pub i0_percent: f64,
    /// Off-nominal tap ratio in per unit (1 = nominal).
    #[serde(default = "one_f")]
    pub tap_pu: f64,
    /// Phase shift in degrees (vector group).
    #[serde(default)]
    pub shift_deg: f64,
    /// Number of identical units in parallel.
    #[serde(default = "one")]
    pub parallel: u32,
    /// False to model the transformer as switched off.
    #[serde(default = "yes")]
    pub in_service: bool,
}

/// A power-electronic converter: a VSC between an AC and a DC bus, or a DC/DC converter between
/// two DC buses. Power may flow both ways.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Converter {
    /// Unique id.
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// First bus (AC side of a VSC).
    pub from_bus: String,
    /// Second bus (DC side of a VSC).
    pub to_bus: String,
    /// Rated power in kW, each direction.
    pub p_max_kw: f64,
    /// Efficiency from `from_bus` to `to_bus` at rated power.
    #[serde(default = "default_converter_eta")]
    pub eta_forward: f64,
    /// Efficiency from `to_bus` to `from_bus` at rated power.
    #[serde(default = "default_converter_eta")]
    pub eta_reverse: f64,
    /// False to model the converter as switched off.
    #[serde(default = "yes")]
    pub in_service: bool,
}

fn one() -> u32 {
    1
}
fn one_f() -> f64 {
    1.0
}
fn yes() -> bool {
    true
}
fn default_converter_eta() -> f64 {
    0.98
}

impl Line {
    pub(crate) fn check(&self, cx: &mut Cx, at: &FieldPath) {
        cx.positive(at, "length_km", self.length_km);
        cx.non_negative(at, "r_ohm_per_km", self.r_ohm_per_km);
        cx.non_negative(at, "x_ohm_per_km", self.x_ohm_per_km);
        cx.non_negative(at, "b_us_per_km", self.b_us_per_km);
        cx.positive(at, "i_max_a", self.i_max_a);
        if self.parallel == 0 {
            cx.error(at, "parallel", "parallel must be at least 1");
        }
        if self.r_ohm_per_km == 0.0 && self.x_ohm_per_km == 0.0 {
            cx.push(
                Diagnostic::error(
                    at.key("r_ohm_per_km"),
                    format!("line '{}' has no impedance", self.id),
                )
                .with_hint("a zero-impedance connection is one bus: merge the two buses"),
            );
        }
    }
}

impl Transformer {
    pub(crate) fn check(&self, cx: &mut Cx, at: &FieldPath) {
        cx.positive(at, "s_rated_kva", self.s_rated_kva);
        cx.within(at, "vk_percent", self.vk_percent, 0.1, 50.0, "%");
        cx.non_negative(at, "vkr_percent", self.vkr_percent);
        cx.non_negative(at, "pfe_kw", self.pfe_kw);
        cx.non_negative(at, "i0_percent", self.i0_percent);
        cx.within(at, "tap_pu", self.tap_pu, 0.5, 1.5, "p.u.");
        cx.within(at, "shift_deg", self.shift_deg, -360.0, 360.0, "degrees");
        // The no-load current's apparent power holds the iron losses (|S0| ≥ P0).
        let s0_kva = self.i0_percent / 100.0 * self.s_rated_kva;
        if self.pfe_kw > s0_kva && self.pfe_kw.is_finite() && s0_kva.is_finite() {
            cx.warning(
                at,
                "pfe_kw",
                format!(
                    "pfe_kw {} exceeds the no-load apparent power i0_percent gives ({s0_kva:.3} \
                     kVA): the magnetising branch is taken as resistive only",
                    self.pfe_kw
                ),
            );
        }
        if self.vkr_percent >= self.vk_percent {
            cx.push(
                Diagnostic::error(
                    at.key("vkr_percent"),
                    format!(
                        "vkr_percent {} must be below vk_percent {}",
                        self.vkr_percent, self.vk_percent
                    ),
                )
                .with_hint(
                    "the resistive part of the short-circuit voltage is a part of vk_percent",
                ),
            );
        }
        if self.parallel == 0 {
            cx.error(at, "parallel", "parallel must be at least 1");
        }
    }
}

impl Converter {
    pub(crate) fn check(&self, cx: &mut Cx, at: &FieldPath) {
        cx.positive(at, "p_max_kw", self.p_max_kw);
        cx.efficiency(at, "eta_forward", self.eta_forward);
        cx.efficiency(at, "eta_reverse", self.eta_reverse);
    }
}
