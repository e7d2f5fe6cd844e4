//! The KPIs of a run as people read them: label, display unit, scale and precision, and the
//! difference between two runs.

use serde::Serialize;
use serde_json::Value;

use crate::i18n::Lang;

/// Which way a KPI should move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Better {
    /// Less is better (cost, CO₂).
    Lower,
    /// More is better (absorption, recovered heat).
    Higher,
    /// Neither (demand, a volume).
    Neutral,
}

/// How one KPI of `summary.json` is shown.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KpiDef {
    /// Key in `summary.json`.
    pub key: &'static str,
    /// English label.
    pub en: &'static str,
    /// Chinese label.
    pub zh: &'static str,
    /// Display unit, English.
    pub unit_en: &'static str,
    /// Display unit, Chinese.
    pub unit_zh: &'static str,
    /// Display value = value × scale.
    pub scale: f64,
    /// Decimals shown.
    pub decimals: usize,
    /// Which way is better.
    pub better: Better,
    /// Shown as a card at the top of the report.
    pub card: bool,
}

impl KpiDef {
    /// The KPI of `summary.json`'s `key`, if it is one of [`KPIS`].
    pub fn by_key(key: &str) -> Option<&'static KpiDef> {
        KPIS.iter().find(|k| k.key == key)
    }

    /// The label in `lang`.
    pub fn label(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => self.en,
            Lang::Zh => self.zh,
        }
    }

    /// The unit in `lang`.
    pub fn unit(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => self.unit_en,
            Lang::Zh => self.unit_zh,
        }
    }

    /// `value` in display units, rounded and with thousands separators.
    pub fn display(&self, value: f64) -> String {
        format_number(value * self.scale, self.decimals)
    }

    /// The same KPI in the unit that suits the magnitude of `values` (the figures shown side by
    /// side, which share one unit), in `summary.json`'s units: money below 10⁶ CNY in CNY (not
    /// "18.0 10⁴ CNY"), energy below 10 MWh in kWh and from 100 GWh in GWh, power below 1 MW in
    /// kW. Other units, and figures that are not finite, keep the KPI's own.
    pub fn for_values(&self, values: &[f64]) -> KpiDef {
        let largest = values
            .iter()
            .filter(|v| v.is_finite())
            .fold(0.0, |m: f64, v| m.max(v.abs()));
        let unit = |unit_en, unit_zh, scale, decimals| KpiDef {
            unit_en,
            unit_zh,
            scale,
            decimals,
            ..*self
        };
        match self.unit_en {
            "10⁴ CNY" if largest < 1e6 => unit("CNY", "元", 1.0, 0),
            "MWh" if largest < 1e4 => unit("kWh", "kWh", 1.0, 0),
            "MWh" if largest >= 1e8 => unit("GWh", "GWh", 1e-6, 1),
            "MW" if largest < 1e3 => unit("kW", "kW", 1.0, 0),
            _ => *self,
        }
    }
}

macro_rules! kpi {
    ($key:literal, $en:literal, $zh:literal, $unit_en:literal, $unit_zh:literal, $scale:expr,
     $dec:literal, $better:ident, $card:literal) => {
        KpiDef {
            key: $key,
            en: $en,
            zh: $zh,
            unit_en: $unit_en,
            unit_zh: $unit_zh,
            scale: $scale,
            decimals: $dec,
            better: Better::$better,
            card: $card,
        }
    };
}

/// Every KPI the report shows, in order.
pub const KPIS: &[KpiDef] = &[
    kpi!(
        "total_cost_cny",
        "Total cost",
        "总成本",
        "10⁴ CNY",
        "万元",
        1e-4,
        1,
        Lower,
        true
    ),
    kpi!(
        "import_cost_cny",
        "Grid import cost",
        "购电成本",
        "10⁴ CNY",
        "万元",
        1e-4,
        1,
        Lower,
        false
    ),
    kpi!(
        "export_revenue_cny",
        "Export revenue",
        "上网收入",
        "10⁴ CNY",
        "万元",
        1e-4,
        1,
        Higher,
        false
    ),
    kpi!(
        "fuel_cost_cny",
        "Fuel cost",
        "燃料成本",
        "10⁴ CNY",
        "万元",
        1e-4,
        1,
        Lower,
        false
    ),
    kpi!(
        "carbon_cost_cny",
        "Carbon cost",
        "碳成本",
        "10⁴ CNY",
        "万元",
        1e-4,
        1,
        Lower,
        false
    ),
    kpi!(
        "grid_import_kwh",
        "Grid import",
        "电网购电量",
        "MWh",
        "MWh",
        1e-3,
        0,
        Lower,
        true
    ),
    kpi!(
        "grid_export_kwh",
        "Grid export",
        "上网电量",
        "MWh",
        "MWh",
        1e-3,
        0,
        Neutral,
        false
    ),
    kpi!(
        "peak_import_kw",
        "Peak import",
        "最大购电功率",
        "MW",
        "MW",
        1e-3,
        2,
        Lower,
        true
    ),
    kpi!(
        "network_import_kwh",
        "Import the network needs",
        "电网实际需购电量",
        "MWh",
        "MWh",
        1e-3,
        0,
        Lower,
        false
    ),
    kpi!(
        "network_losses_kwh",
        "Network losses",
        "网络损耗",
        "MWh",
        "MWh",
        1e-3,
        0,
        Lower,
        false
    ),
    kpi!(
        "pv_generation_kwh",
        "PV used",
        "光伏消纳电量",
        "MWh",
        "MWh",
        1e-3,
        0,
        Higher,
        false
    ),
    kpi!(
        "wind_generation_kwh",
        "Wind used",
        "风电消纳电量",
        "MWh",
        "MWh",
        1e-3,
        0,
        Higher,
        false
    ),
    kpi!(
        "renewable_available_kwh",
        "Renewable available",
        "可再生可用电量",
        "MWh",
        "MWh",
        1e-3,
        0,
        Neutral,
        false
    ),
    kpi!(
        "curtailment_kwh",
        "Curtailed",
        "弃风弃光电量",
        "MWh",
        "MWh",
        1e-3,
        1,
        Lower,
        true
    ),
    kpi!(
        "renewable_absorption_ratio",
        "Renewable absorption",
        "可再生能源消纳率",
        "%",
        "%",
        100.0,
        2,
        Higher,
        true
    ),
    kpi!(
        "co2_t",
        "CO₂ emitted",
        "二氧化碳排放",
        "t",
        "吨",
        1.0,
        0,
        Lower,
        true
    ),
    kpi!(
        "waste_heat_recovered_kwh",
        "Waste heat recovered",
        "余热回收量",
        "MWh",
        "MWh",
        1e-3,
        0,
        Higher,
        true
    ),
    kpi!(
        "boiler_heat_kwh",
        "Boiler heat",
        "锅炉供热量",
        "MWh",
        "MWh",
        1e-3,
        0,
        Lower,
        true
    ),
    kpi!(
        "heat_demand_kwh",
        "Heat demand",
        "热负荷",
        "MWh",
        "MWh",
        1e-3,
        0,
        Neutral,
        false
    ),
    kpi!(
        "heat_dumped_kwh",
        "Heat dumped",
        "弃热量",
        "MWh",
        "MWh",
        1e-3,
        0,
        Lower,
        false
    ),
    kpi!(
        "chp_electricity_kwh",
        "CHP electricity",
        "热电联产发电量",
        "MWh",
        "MWh",
        1e-3,
        0,
        Neutral,
        false
    ),
    kpi!(
        "chp_heat_kwh",
        "CHP heat",
        "热电联产供热量",
        "MWh",
        "MWh",
        1e-3,
        0,
        Neutral,
        false
    ),
    kpi!(
        "chp_fuel_kwh",
        "CHP fuel",
        "热电联产燃料量",
        "MWh",
        "MWh",
        1e-3,
        0,
        Lower,
        false
    ),
    kpi!(
        "heat_pump_heat_kwh",
        "Heat from heat pumps",
        "热泵供热量",
        "MWh",
        "MWh",
        1e-3,
        0,
        Neutral,
        false
    ),
    kpi!(
        "electric_boiler_heat_kwh",
        "Heat from electric boilers",
        "电锅炉供热量",
        "MWh",
        "MWh",
        1e-3,
        0,
        Neutral,
        false
    ),
    kpi!(
        "battery_cycles",
        "Battery full cycles",
        "电池等效满充放次数",
        "cycles",
        "次",
        1.0,
        1,
        Neutral,
        false
    ),
    kpi!(
        "battery_losses_kwh",
        "Battery losses",
        "电池损耗",
        "MWh",
        "MWh",
        1e-3,
        1,
        Lower,
        false
    ),
    kpi!(
        "thermal_store_losses_kwh",
        "Heat and cold store losses",
        "储热储冷损耗",
        "MWh",
        "MWh",
        1e-3,
        0,
        Lower,
        false
    ),
    kpi!(
        "cooling_demand_kwh",
        "Cooling demand",
        "冷负荷",
        "MWh",
        "MWh",
        1e-3,
        0,
        Neutral,
        false
    ),
    kpi!(
        "cooling_electric_kwh",
        "Cooling by electric chillers",
        "电制冷供冷量",
        "MWh",
        "MWh",
        1e-3,
        0,
        Neutral,
        false
    ),
    kpi!(
        "cooling_absorption_kwh",
        "Cooling by absorption chillers",
        "吸收式制冷供冷量",
        "MWh",
        "MWh",
        1e-3,
        0,
        Higher,
        false
    ),
    kpi!(
        "unserved_electric_kwh",
        "Unserved electricity",
        "未供电量",
        "MWh",
        "MWh",
        1e-3,
        2,
        Lower,
        false
    ),
    kpi!(
        "unserved_heat_kwh",
        "Unserved heat",
        "未供热量",
        "MWh",
        "MWh",
        1e-3,
        2,
        Lower,
        false
    ),
    kpi!(
        "unserved_cooling_kwh",
        "Unserved cooling",
        "未供冷量",
        "MWh",
        "MWh",
        1e-3,
        2,
        Lower,
        false
    ),
];

/// `v` with `decimals` decimals and a thin thousands separator (`,`), `−` for negatives.
pub fn format_number(v: f64, decimals: usize) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    let text = format!("{:.*}", decimals, v.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let negative = v < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0');
    let sign = if negative { "−" } else { "" };
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{frac}")
    }
}

/// A KPI of `summary` by key.
pub fn value(summary: &Value, key: &str) -> Option<f64> {
    summary.get(key).and_then(Value::as_f64)
}

/// One KPI of two runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KpiDiff {
    /// Key in `summary.json`.
    pub key: &'static str,
    /// Label (English).
    pub label: &'static str,
    /// Value of run A, in `summary.json`'s unit.
    pub a: f64,
    /// Value of run B.
    pub b: f64,
    /// `b − a`.
    pub diff: f64,
    /// `(b − a)/|a|`, when `a` is not zero.
    pub rel: Option<f64>,
    /// Whether B is better than A, worse, or the same (within 1e-9 relative).
    pub verdict: &'static str,
    /// The KPI as both figures are shown: in the unit their magnitude calls for
    /// ([`KpiDef::for_values`]).
    #[serde(skip)]
    pub shown: KpiDef,
}

/// Why the figures of two summaries cover different spans (`period`: start, steps, step length),
/// in words; `None` when they cover the same one or a summary does not say (older runs).
pub fn period_mismatch(a: &Value, b: &Value) -> Option<String> {
    let (pa, pb) = (a.get("period")?, b.get("period")?);
    let text = |p: &Value| {
        format!(
            "{} steps of {} min from {}",
            p["n_steps"],
            p["step_min"],
            p["start"].as_str().unwrap_or("?")
        )
    };
    (pa != pb).then(|| format!("A covers {}, B {}", text(pa), text(pb)))
}

/// The KPIs of the cooling carrier, left out of comparisons of parks without cooling.
const COOLING_KPIS: [&str; 4] = [
    "cooling_demand_kwh",
    "cooling_electric_kwh",
    "cooling_absorption_kwh",
    "unserved_cooling_kwh",
];

/// The KPIs of one kind of machine (CHP plants, heat pumps, electric boilers, batteries, heat and
/// cold stores), left out of comparisons where neither run has a figure that shows as other than
/// zero — a park without such machines, or whose machines never ran in either run.
const MACHINE_KPIS: [&str; 8] = [
    "chp_electricity_kwh",
    "chp_heat_kwh",
    "chp_fuel_kwh",
    "heat_pump_heat_kwh",
    "electric_boiler_heat_kwh",
    "battery_cycles",
    "battery_losses_kwh",
    "thermal_store_losses_kwh",
];

/// The differences of every KPI present in both summaries (see [`KpiDef::diff`]); the cooling
/// figures only where either run has a cooling demand (a park without cooling has no cooling
/// rows), a machine's figures only where either run has one that is not zero.
pub fn compare(a: &Value, b: &Value) -> Vec<KpiDiff> {
    let cooling = [a, b]
        .iter()
        .any(|s| value(s, "cooling_demand_kwh").is_some_and(|v| v > 0.0));
    KPIS.iter()
        .filter(|k| cooling || !COOLING_KPIS.contains(&k.key))
        .filter_map(|k| {
            let (a, b) = (value(a, k.key)?, value(b, k.key)?);
            let shown = k.for_values(&[a, b]);
            // A machine ran when a figure shows as other than zero (rounding noise does not).
            let nonzero = |v: f64| shown.display(v).chars().any(|c| matches!(c, '1'..='9'));
            let ran = nonzero(a) || nonzero(b);
            (ran || !MACHINE_KPIS.contains(&k.key)).then(|| shown.diff(a, b))
        })
        .collect()
}

impl KpiDef {
    /// How `b` differs from `a`, shown in this KPI's unit (call it on [`KpiDef::for_values`] of
    /// both to show them as a table does). A difference smaller than half the last digit shown
    /// counts as none (solver noise is not a change), and the relative change is left out when `a`
    /// shows as zero.
    pub fn diff(&self, a: f64, b: f64) -> KpiDiff {
        let diff = b - a;
        let resolution = 0.5 * 10f64.powi(-(self.decimals as i32)) / self.scale;
        let same = diff.abs() < resolution;
        let verdict = match (same, self.better, diff > 0.0) {
            (true, _, _) => "same",
            (false, Better::Neutral, _) => "changed",
            (false, Better::Lower, up) | (false, Better::Higher, up)
                if up == (self.better == Better::Higher) =>
            {
                "better"
            }
            (false, _, _) => "worse",
        };
        KpiDiff {
            key: self.key,
            label: self.en,
            shown: *self,
            a,
            b,
            diff,
            rel: (a.abs() >= resolution).then(|| if same { 0.0 } else { diff / a.abs() }),
            verdict,
        }
    }

    /// The change as the report shows it — `−21.4 %`, or the difference in display units when A
    /// shows as zero or the change is tenfold or more (`+672.1`, not `+69,905.1 %`); `None` when
    /// there is none.
    pub fn change_text(&self, d: &KpiDiff) -> Option<String> {
        match (d.verdict, d.rel) {
            ("same", _) => None,
            // B ten times A or more (r ≥ 9) reads better as a difference.
            (_, Some(r)) if r < 9.0 => Some(format!("{:+.1} %", r * 100.0).replace('-', "−")),
            _ if d.diff > 0.0 => Some(format!("+{}", self.display(d.diff))),
            _ => Some(self.display(d.diff)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_are_grouped_and_rounded() {
        assert_eq!(format_number(4_486_123.456, 1), "4,486,123.5");
        assert_eq!(format_number(999.96, 1), "1,000.0");
        assert_eq!(format_number(-1234.0, 0), "−1,234");
        assert_eq!(format_number(-0.001, 1), "0.0");
        assert_eq!(format_number(12.0, 0), "12");
        assert_eq!(format_number(f64::NAN, 1), "–");
    }

    #[test]
    fn comparison_says_which_way_is_better() {
        let a = json!({"total_cost_cny": 1e6, "renewable_absorption_ratio": 0.9, "heat_demand_kwh": 5e6});
        let b = json!({"total_cost_cny": 9e5, "renewable_absorption_ratio": 0.8, "heat_demand_kwh": 6e6});
        let d = compare(&a, &b);
        assert_eq!(d.len(), 3);
        assert_eq!((d[0].key, d[0].verdict), ("total_cost_cny", "better"));
        assert_eq!(d[0].rel, Some(-0.1));
        assert_eq!(d[1].verdict, "worse");
        assert_eq!(d[2].verdict, "changed");
        assert_eq!(compare(&a, &a)[0].verdict, "same");
        // Below the last digit shown (0.1 × 10⁴ CNY from 10⁶ CNY, 1 CNY below; 0.01 % of
        // absorption; 1 kWh below 10 MWh) is no change.
        let c = json!({"total_cost_cny": 2.0e6 + 400.0, "renewable_absorption_ratio": 0.9 + 4e-5,
                       "curtailment_kwh": 1e-3});
        let d = compare(
            &json!({"total_cost_cny": 2.0e6, "renewable_absorption_ratio": 0.9, "curtailment_kwh": 0.0}),
            &c,
        );
        assert_eq!((d[0].verdict, d[0].rel), ("same", Some(0.0)));
        let small = compare(
            &json!({"total_cost_cny": 100.0}),
            &json!({"total_cost_cny": 100.3}),
        );
        assert_eq!((small[0].verdict, small[0].shown.unit_en), ("same", "CNY"));
        assert_eq!(
            (d[1].key, d[1].verdict, d[1].rel),
            ("curtailment_kwh", "same", None)
        );
        assert_eq!(d[2].verdict, "same");
        assert_eq!(d[2].rel, Some(0.0));
    }

    /// A park without cooling has no cooling rows; one with cooling has all of them, zeros too.
    #[test]
    fn cooling_rows_only_for_parks_with_cooling() {
        let none =
            json!({"total_cost_cny": 1.0, "cooling_demand_kwh": 0.0, "unserved_cooling_kwh": 0.0});
        let keys = |d: Vec<KpiDiff>| d.iter().map(|x| x.key).collect::<Vec<_>>();
        assert_eq!(keys(compare(&none, &none)), ["total_cost_cny"]);
        let some =
            json!({"total_cost_cny": 1.0, "cooling_demand_kwh": 5.0, "unserved_cooling_kwh": 0.0});
        assert_eq!(
            keys(compare(&none, &some)),
            [
                "total_cost_cny",
                "cooling_demand_kwh",
                "unserved_cooling_kwh"
            ]
        );
    }

    /// Units follow the magnitude: a small park's cost in CNY, not "18.0 10⁴ CNY"; a 300 kW peak
    /// in kW; 250 GWh in GWh; Yanqing's figures in the units its README shows.
    #[test]
    fn units_follow_the_magnitude() {
        let k = |key: &str| *KpiDef::by_key(key).expect("a KPI");
        let cost = k("total_cost_cny");
        let small = cost.for_values(&[180_000.0, 179_600.0]);
        assert_eq!(
            (small.unit_en, small.display(180_000.0)),
            ("CNY", "180,000".to_string())
        );
        let d = small.diff(180_000.0, 179_600.0);
        assert_eq!((d.verdict, d.shown.unit_en), ("better", "CNY"));
        assert_eq!(cost.for_values(&[4.4378e7, 5.7113e7]).unit_en, "10⁴ CNY");
        let peak = k("peak_import_kw").for_values(&[300.0, 280.0]);
        assert_eq!(
            (peak.unit_en, peak.display(300.4)),
            ("kW", "300".to_string())
        );
        assert_eq!(k("peak_import_kw").for_values(&[14_710.0]).unit_en, "MW");
        let import = k("grid_import_kwh");
        let big = import.for_values(&[2.5e8]);
        assert_eq!(
            (big.unit_en, big.display(2.5e8)),
            ("GWh", "250.0".to_string())
        );
        assert_eq!(import.for_values(&[6.2195e7]).unit_en, "MWh");
        assert_eq!(import.for_values(&[0.0, 0.0]).unit_en, "kWh");
        assert_eq!(k("co2_t").for_values(&[1.0]).unit_en, "t");
        // compare() shows both runs in one unit, the larger one's.
        let d = compare(
            &json!({"total_cost_cny": 2.0e6}),
            &json!({"total_cost_cny": 9.0e5}),
        );
        assert_eq!(d[0].shown.unit_en, "10⁴ CNY");
    }

    /// A machine's rows only where a run has a figure for it other than zero.
    #[test]
    fn machine_rows_only_where_a_machine_ran() {
        let keys = |d: Vec<KpiDiff>| d.iter().map(|x| x.key).collect::<Vec<_>>();
        let idle = json!({"total_cost_cny": 1.0, "chp_heat_kwh": 0.0, "battery_cycles": 0.0});
        assert_eq!(keys(compare(&idle, &idle)), ["total_cost_cny"]);
        // Rounding noise is not running.
        let noise = json!({"total_cost_cny": 1.0, "chp_heat_kwh": 1e-5, "battery_cycles": 0.0});
        assert_eq!(keys(compare(&noise, &noise)), ["total_cost_cny"]);
        let ran = json!({"total_cost_cny": 1.0, "chp_heat_kwh": 0.0, "battery_cycles": 120.5});
        // A tenfold change or more is a difference, not a percentage.
        let d = compare(
            &json!({"battery_cycles": 1.0}),
            &json!({"battery_cycles": 673.1}),
        );
        assert_eq!(d[0].shown.change_text(&d[0]).as_deref(), Some("+672.1"));
        assert_eq!(
            keys(compare(&idle, &ran)),
            ["total_cost_cny", "battery_cycles"]
        );
    }

    /// Runs over different spans are named as such; the same span, or an older run without one,
    /// is not.
    #[test]
    fn a_year_and_a_window_are_not_the_same_period() {
        let year = json!({"period": {"start": "2025-01-01T00:00:00+08:00", "n_steps": 8760, "step_min": 60}});
        let window = json!({"period": {"start": "2025-07-01T00:00:00+08:00", "n_steps": 288, "step_min": 15}});
        let why = period_mismatch(&year, &window).expect("different");
        assert!(
            why.contains("8760 steps of 60 min") && why.contains("288 steps of 15 min"),
            "{why}"
        );
        assert_eq!(period_mismatch(&year, &year), None);
        assert_eq!(period_mismatch(&year, &json!({})), None);
    }
}
