//! From a run's columns to what the charts draw: flows per carrier grouped by role, the annual
//! Sankey, monthly sums, store levels, duration curves and prices.
//!
//! Everything is derived from the columns' ports (`coef·value` kW into a bus), so a new asset kind
//! shows up in every chart once its ports are declared; only its label and colour are looked up.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::run::{ColumnMeta, Run};

/// Carrier groups the dispatch and monthly charts are drawn for.
pub const CARRIER_GROUPS: &[(&str, &[&str])] = &[
    ("electricity", &["ac", "dc"]),
    ("heat", &["heat"]),
    ("waste_heat", &["waste_heat"]),
    ("cooling", &["cold"]),
];

/// Order of flow groups in stacks and legends: supplies first, then uses.
const ORDER: &[&str] = &[
    "grid_import",
    "pv",
    "wind",
    "chp",
    "waste_heat_pump",
    "ground_heat_pump",
    "air_source_heat_pump",
    "electric_boiler",
    "gas_boiler",
    "electric_chiller",
    "absorption_chiller",
    "battery_discharge",
    "thermal_store_discharge",
    "cold_store_discharge",
    "converter",
    "unserved",
    "electric_load",
    "data_centre",
    "ev_charging",
    "flexible_load",
    "heat_load",
    "cooling_load",
    "battery_charge",
    "thermal_store_charge",
    "cold_store_charge",
    "grid_export",
    "conversion_losses",
    "heat_dump",
    "waste_heat_rejected",
];

/// The flow group of a column on `carrier`: its kind, split by direction where one element both
/// supplies and uses the same carrier (grid, stores, converters), named after the quantity for
/// bus slacks, and a thermal store on a cold bus named a cold store.
pub fn group_key(c: &ColumnMeta, net_coef: f64, carrier: &str) -> String {
    match (c.kind.as_str(), c.quantity.as_str()) {
        ("grid", "import_kw") => "grid_import".into(),
        ("grid", "export_kw") => "grid_export".into(),
        ("thermal_store", q) if carrier == "cold" => {
            format!("cold_store_{}", q.trim_end_matches("_kw"))
        }
        (k @ ("battery" | "thermal_store"), q) => {
            format!("{k}_{}", q.trim_end_matches("_kw"))
        }
        ("bus", "unserved_kw") => "unserved".into(),
        (_, "dumped_kw") => "heat_dump".into(),
        ("bus", "rejected_kw") => "waste_heat_rejected".into(),
        ("converter", _) if net_coef < 0.0 => "conversion_losses".into(),
        (k, _) => k.to_string(),
    }
}

fn rank(key: &str) -> usize {
    ORDER.iter().position(|k| *k == key).unwrap_or(ORDER.len())
}

/// One stacked series: power of a flow group into (positive) or out of (negative) a carrier, kW.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flow {
    /// Group key (`pv`, `grid_import`…), also the label key.
    pub key: String,
    /// +1 for supplies, −1 for uses.
    pub sign: i8,
    /// kW each step, signed.
    pub values: Vec<f64>,
}

/// The flows of the columns touching the buses of `carriers`, by group, in [`ORDER`].
/// Transfers inside the group (lines, transformers) cancel and are left out.
pub fn carrier_flows(run: &Run, carriers: &[&str]) -> Vec<Flow> {
    let n = run.times.len();
    let mut groups: BTreeMap<(usize, String, i8), Vec<f64>> = BTreeMap::new();
    for (c, values) in run.meta.columns.iter().zip(&run.values) {
        let inside: Vec<(&str, f64)> = c
            .ports
            .iter()
            .filter_map(|p| {
                let k = run.carrier(&p.bus)?;
                carriers.contains(&k).then_some((k, p.coef))
            })
            .collect();
        let Some(&(carrier, _)) = inside.first() else {
            continue;
        };
        let net: f64 = inside.iter().map(|(_, k)| k).sum();
        if net.abs() < 1e-12 {
            continue;
        }
        let key = group_key(c, net, carrier);
        let sign = if net > 0.0 { 1 } else { -1 };
        let acc = groups
            .entry((rank(&key), key, sign))
            .or_insert_with(|| vec![0.0; n]);
        for (a, v) in acc.iter_mut().zip(values) {
            *a += net * v;
        }
    }
    groups
        .into_iter()
        // Shown to 0.1 kW: a group that never reaches it is solver noise.
        .filter(|(_, v)| v.iter().any(|x| x.abs() >= 0.05))
        .map(|((_, key, sign), values)| Flow { key, sign, values })
        .collect()
}

/// The month (1–12) of an RFC 3339 time stamp.
pub fn month_of(time: &str) -> usize {
    time.get(5..7)
        .and_then(|m| m.parse().ok())
        .filter(|m| (1..=12).contains(m))
        .unwrap_or(1)
}

/// Sums per month, MWh, of power series in kW.
pub fn monthly_mwh(run: &Run, values: &[f64]) -> [f64; 12] {
    let mut m = [0.0; 12];
    let dt = run.step_h();
    for (t, v) in run.times.iter().zip(values) {
        m[month_of(t) - 1] += v * dt / 1000.0;
    }
    m
}

/// A link of the annual Sankey, MWh.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Link {
    /// Node key the energy leaves.
    pub source: String,
    /// Node key it enters.
    pub target: String,
    /// MWh over the run.
    pub value: f64,
}

/// The annual energy flows: sources → carriers → conversions → carriers → uses.
///
/// Each column's energy is booked per carrier through its ports (`fuel_kw` columns draw on the
/// fuel carrier). Elements that supply and use the same carrier (grid, stores) are split by
/// direction; conversions (heat pumps, CHP, boilers, chillers, converters, the data centre) are
/// aggregated by kind and netted per carrier, their shortfall drawn from ambient heat (for an
/// electric chiller, the heat it pumps out of the cooled buildings beyond its electricity) and
/// their surplus booked as losses (an absorption chiller's rejected drive heat). Links that would close a cycle are dropped (none do for today's kinds).
pub fn sankey(run: &Run) -> Vec<Link> {
    let dt = run.step_h();
    // actor → carrier → net MWh into the carrier.
    let mut net: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    for (c, values) in run.meta.columns.iter().zip(&run.values) {
        let energy: f64 = values.iter().sum::<f64>() * dt / 1000.0;
        let mut ports: Vec<(String, f64)> = c
            .ports
            .iter()
            .filter_map(|p| Some((run.carrier(&p.bus)?.to_string(), p.coef)))
            .collect();
        if c.quantity == "fuel_kw" {
            ports.push(("fuel".into(), -1.0));
        }
        if ports.is_empty() {
            continue;
        }
        let own: f64 = ports.iter().map(|(_, k)| k).sum();
        let single = ports.iter().all(|(car, _)| *car == ports[0].0);
        let actor = if single && c.kind != "converter" {
            group_key(c, own, &ports[0].0)
        } else {
            c.kind.clone()
        };
        let entry = net.entry(actor).or_default();
        for (car, coef) in ports {
            *entry.entry(car).or_default() += coef * energy;
        }
    }
    let mut links: Vec<Link> = Vec::new();
    let mut push = |source: &str, target: &str, value: f64| {
        if value > 0.0 {
            links.push(Link {
                source: source.to_string(),
                target: target.to_string(),
                value,
            });
        }
    };
    for (actor, by_carrier) in &net {
        let inflow: f64 = by_carrier.values().filter(|v| **v < 0.0).map(|v| -v).sum();
        let outflow: f64 = by_carrier.values().filter(|v| **v > 0.0).sum();
        for (car, &v) in by_carrier {
            if v < 0.0 {
                push(car, actor, -v);
            } else {
                push(actor, car, v);
            }
        }
        if inflow > 0.0 && outflow > 0.0 {
            let gap = inflow - outflow;
            let scale = inflow.max(outflow);
            if gap > 1e-9 * scale {
                push(actor, "losses", gap);
            } else if gap < -1e-9 * scale {
                push("ambient", actor, -gap);
            }
        }
    }
    let largest = links.iter().map(|l| l.value).fold(0.0, f64::max);
    links.retain(|l| l.value > 1e-6 * largest);
    break_cycles(&mut links);
    links
}

/// Drops the smallest link of every cycle until the links form a DAG.
fn break_cycles(links: &mut Vec<Link>) {
    loop {
        let mut indegree: HashMap<&str, usize> = HashMap::new();
        for l in links.iter() {
            indegree.entry(&l.source).or_default();
            *indegree.entry(&l.target).or_default() += 1;
        }
        let mut ready: Vec<&str> = indegree
            .iter()
            .filter(|(_, d)| **d == 0)
            .map(|(n, _)| *n)
            .collect();
        let mut done = std::collections::HashSet::new();
        while let Some(node) = ready.pop() {
            done.insert(node);
            for l in links.iter().filter(|l| l.source == node) {
                let d = indegree.get_mut(l.target.as_str()).expect("target counted");
                *d -= 1;
                if *d == 0 {
                    ready.push(&l.target);
                }
            }
        }
        if done.len() == indegree.len() {
            return;
        }
        let smallest = links
            .iter()
            .enumerate()
            .filter(|(_, l)| !done.contains(l.source.as_str()) && !done.contains(l.target.as_str()))
            .min_by(|a, b| a.1.value.total_cmp(&b.1.value))
            .map(|(i, _)| i);
        match smallest {
            Some(i) => {
                links.remove(i);
            }
            None => return,
        }
    }
}

/// `values` sorted from the largest down, thinned to at most `max_points` `(hour, value)` points
/// (first and last kept).
pub fn duration_curve(values: &[f64], step_h: f64, max_points: usize) -> Vec<[f64; 2]> {
    let mut sorted = values.to_vec();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let n = sorted.len();
    if n == 0 {
        return Vec::new();
    }
    let stride = n.div_ceil(max_points.max(2)).max(1);
    let mut points: Vec<[f64; 2]> = (0..n)
        .step_by(stride)
        .map(|i| [i as f64 * step_h, sorted[i]])
        .collect();
    if (n - 1) % stride != 0 {
        points.push([(n - 1) as f64 * step_h, sorted[n - 1]]);
    }
    points
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::{BusMeta, Meta, PortMeta};
    use serde_json::json;

    fn column(id: &str, kind: &str, quantity: &str, ports: &[(&str, f64)]) -> ColumnMeta {
        ColumnMeta {
            id: id.into(),
            kind: kind.into(),
            quantity: quantity.into(),
            ports: ports
                .iter()
                .map(|(b, c)| PortMeta {
                    bus: (*b).into(),
                    coef: *c,
                })
                .collect(),
        }
    }

    /// Grid and PV feed AC; a converter takes 200 kW to DC at 95 %; the data centre uses 190 kW
    /// on DC and gives 150 kW of waste heat, which a heat pump (COP 4) lifts with 50 kW into
    /// 200 kW of heat; a battery charges 20 kW in the first step and discharges 18 kW in the second.
    fn small_run() -> Run {
        let bus = |id: &str, carrier: &str| BusMeta {
            id: id.into(),
            name: id.into(),
            carrier: carrier.into(),
            v_band_pu: None,
        };
        let columns = vec![
            column("g", "grid", "import_kw", &[("ac", 1.0)]),
            column("pv", "pv", "output_kw", &[("ac", 1.0)]),
            column(
                "c",
                "converter",
                "forward_kw",
                &[("ac", -1.0), ("dc", 0.95)],
            ),
            column("hp", "waste_heat_pump", "p_kw", &[("ac", -1.0)]),
            column("hp", "waste_heat_pump", "heat_kw", &[("h", 1.0)]),
            column("hp", "waste_heat_pump", "source_kw", &[("w", -1.0)]),
            column("dc", "data_centre", "p_kw", &[("dc", -1.0)]),
            column("dc", "data_centre", "waste_heat_kw", &[("w", 1.0)]),
            column("hl", "heat_load", "heat_kw", &[("h", -1.0)]),
            column("bat", "battery", "charge_kw", &[("ac", -1.0)]),
            column("bat", "battery", "discharge_kw", &[("ac", 1.0)]),
            column("l1", "line", "flow_kw", &[("ac", -1.0), ("ac", 1.0)]),
        ];
        let values = vec![
            vec![270.0, 232.0], // grid
            vec![0.0, 0.0],     // pv
            vec![200.0, 200.0], // converter
            vec![50.0, 50.0],   // hp p
            vec![200.0, 200.0], // hp heat
            vec![150.0, 150.0], // hp source
            vec![190.0, 190.0], // dc p
            vec![150.0, 150.0], // dc waste heat
            vec![200.0, 200.0], // heat load
            vec![20.0, 0.0],    // charge
            vec![0.0, 18.0],    // discharge
            vec![30.0, -30.0],  // line
        ];
        Run {
            summary: json!({}),
            meta: Meta {
                format: crate::run::META_FORMAT,
                site: "test".into(),
                step_min: 60,
                buses: vec![
                    bus("ac", "ac"),
                    bus("dc", "dc"),
                    bus("h", "heat"),
                    bus("w", "waste_heat"),
                ],
                stores: Vec::new(),
                columns,
            },
            times: vec![
                "2025-01-31T23:00:00+08:00".into(),
                "2025-02-01T00:00:00+08:00".into(),
            ],
            values,
            network: None,
        }
    }

    #[test]
    fn electricity_flows_group_by_role_and_cancel_internal_transfers() {
        let run = small_run();
        let flows = carrier_flows(&run, &["ac", "dc"]);
        let keys: Vec<(&str, i8)> = flows.iter().map(|f| (f.key.as_str(), f.sign)).collect();
        assert_eq!(
            keys,
            [
                ("grid_import", 1),
                ("waste_heat_pump", -1),
                ("battery_discharge", 1),
                ("data_centre", -1),
                ("battery_charge", -1),
                ("conversion_losses", -1),
            ]
        );
        let losses = &flows[5].values;
        assert!((losses[0] + 10.0).abs() < 1e-9, "{losses:?}");
        // The balance of the electricity group closes every step.
        for t in 0..2 {
            let sum: f64 = flows.iter().map(|f| f.values[t]).sum();
            assert!(sum.abs() < 1e-9, "step {t}: {sum}");
        }
        let m = monthly_mwh(&run, &flows[0].values);
        assert_eq!((m[0], m[1]), (0.27, 0.232));
    }

    #[test]
    fn sankey_books_conversions_losses_and_ambient_heat() {
        let links = sankey(&small_run());
        let get = |s: &str, t: &str| {
            links
                .iter()
                .find(|l| l.source == s && l.target == t)
                .map(|l| l.value)
        };
        let close = |a: Option<f64>, b: f64| a.is_some_and(|a| (a - b).abs() < 1e-9);
        assert!(close(get("grid_import", "ac"), 0.502), "{links:?}");
        assert!(close(get("ac", "converter"), 0.4));
        assert!(close(get("converter", "dc"), 0.38));
        assert!(close(get("converter", "losses"), 0.02));
        assert!(close(get("dc", "data_centre"), 0.38));
        assert!(close(get("data_centre", "waste_heat"), 0.3));
        assert!(close(get("data_centre", "losses"), 0.08));
        assert!(close(get("waste_heat", "waste_heat_pump"), 0.3));
        assert!(close(get("ac", "waste_heat_pump"), 0.1));
        assert!(close(get("waste_heat_pump", "heat"), 0.4));
        assert!(close(get("heat", "heat_load"), 0.4));
        assert!(get("ambient", "waste_heat_pump").is_none());
        assert!(close(get("ac", "battery_charge"), 0.02));
        assert!(close(get("battery_discharge", "ac"), 0.018));
        assert!(get("pv", "ac").is_none(), "zero flows are left out");
        assert!(
            !links
                .iter()
                .any(|l| l.source == "line" || l.target == "line")
        );
    }

    #[test]
    fn cycles_are_broken_at_the_smallest_link() {
        let l = |s: &str, t: &str, v: f64| Link {
            source: s.into(),
            target: t.into(),
            value: v,
        };
        let mut links = vec![
            l("a", "b", 5.0),
            l("b", "c", 4.0),
            l("c", "a", 1.0),
            l("x", "a", 2.0),
        ];
        break_cycles(&mut links);
        assert_eq!(links.len(), 3);
        assert!(!links.iter().any(|k| k.source == "c" && k.target == "a"));
    }

    #[test]
    fn duration_curves_are_sorted_and_thinned() {
        let v: Vec<f64> = (0..10_000).map(|i| f64::from(i % 97)).collect();
        let d = duration_curve(&v, 0.25, 500);
        assert!(d.len() <= 502);
        assert_eq!(d[0], [0.0, 96.0]);
        assert_eq!(d[d.len() - 1], [9999.0 * 0.25, 0.0]);
        assert!(
            d.windows(2)
                .all(|w| w[0][1] >= w[1][1] && w[0][0] < w[1][0])
        );
    }

    /// The cold carrier: chillers supply it, the cooling load uses it, a thermal store on a cold
    /// bus is a cold store; in the Sankey an electric chiller's cooling beyond its electricity
    /// (EER − 1) is heat pumped from the cooled buildings, booked as ambient heat, and an
    /// absorption chiller's drive heat beyond its cooling is rejected (losses).
    #[test]
    fn the_cold_carrier_has_its_own_flows() {
        let columns = vec![
            column("ch", "electric_chiller", "p_kw", &[("ac", -1.0)]),
            column("ch", "electric_chiller", "cold_kw", &[("c", 1.0)]),
            column("abs", "absorption_chiller", "heat_kw", &[("h", -1.0)]),
            column("abs", "absorption_chiller", "cold_kw", &[("c", 1.0)]),
            column("tank", "thermal_store", "charge_kw", &[("c", -1.0)]),
            column("tank", "thermal_store", "discharge_kw", &[("c", 1.0)]),
            column("office", "cooling_load", "cold_kw", &[("c", -1.0)]),
        ];
        let values = vec![
            vec![100.0, 100.0], // chiller electricity
            vec![500.0, 500.0], // chiller cooling
            vec![300.0, 300.0], // absorber drive
            vec![210.0, 210.0], // absorber cooling
            vec![110.0, 0.0],   // tank charge
            vec![0.0, 90.0],    // tank discharge
            vec![600.0, 800.0], // cooling load
        ];
        let mut run = small_run();
        run.meta.buses.push(BusMeta {
            id: "c".into(),
            name: "c".into(),
            carrier: "cold".into(),
            v_band_pu: None,
        });
        run.meta.columns = columns;
        run.values = values;
        let flows = carrier_flows(&run, &["cold"]);
        let keys: Vec<(&str, i8)> = flows.iter().map(|f| (f.key.as_str(), f.sign)).collect();
        assert_eq!(
            keys,
            [
                ("electric_chiller", 1),
                ("absorption_chiller", 1),
                ("cold_store_discharge", 1),
                ("cooling_load", -1),
                ("cold_store_charge", -1),
            ]
        );
        for t in 0..2 {
            let sum: f64 = flows.iter().map(|f| f.values[t]).sum();
            assert!(sum.abs() < 1e-9, "step {t}: {sum}");
        }
        assert!(
            CARRIER_GROUPS
                .iter()
                .any(|(g, c)| *g == "cooling" && *c == ["cold"])
        );
        let links = sankey(&run);
        let get = |s: &str, t: &str| {
            links
                .iter()
                .find(|l| l.source == s && l.target == t)
                .map(|l| l.value)
        };
        let close = |a: Option<f64>, b: f64| a.is_some_and(|a| (a - b).abs() < 1e-9);
        assert!(close(get("electric_chiller", "cold"), 1.0), "{links:?}");
        assert!(close(get("ambient", "electric_chiller"), 0.8));
        assert!(close(get("absorption_chiller", "losses"), 0.18));
        assert!(close(get("cold", "cooling_load"), 1.4));
    }
}
