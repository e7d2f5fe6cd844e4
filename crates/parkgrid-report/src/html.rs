//! The page: server-side KPI cards and tables, chart data as one JSON block, the vendored ECharts
//! and the page's own script, all inline. A Content-Security-Policy forbids every fetch, so the page
//! provably works offline.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::i18n::{Lang, all, label};
use crate::kpi::{self, KPIS};
use crate::prepare::{self, CARRIER_GROUPS};
use crate::run::Run;

/// Apache ECharts 6.1.0, `dist/echarts.min.js` from npm (see `vendor/echarts/README.md`): inlined
/// into every report, and served by the live dashboard.
pub const ECHARTS: &str = include_str!("../vendor/echarts/echarts.min.js");
/// The ECharts version inlined, for the page's footer.
const ECHARTS_VERSION: &str = "6.1.0";
const SCRIPT: &str = include_str!("report.js");
const STYLE: &str = include_str!("report.css");

/// Colour of a flow group, carrier or Sankey node.
fn colour(key: &str) -> &'static str {
    match key {
        "grid_import" | "import" => "#6c7a89",
        "grid_export" => "#a3b1bf",
        "pv" => "#f4c20d",
        "wind" => "#4aa3df",
        "chp" => "#b03a2e",
        "gas_boiler" => "#7e5109",
        "electric_boiler" => "#e67e22",
        "ground_heat_pump" => "#148f77",
        "air_source_heat_pump" => "#48c9b0",
        "waste_heat_pump" => "#1abc9c",
        "data_centre" => "#8e44ad",
        "battery_charge" | "battery_discharge" => "#2e86de",
        "thermal_store_charge" | "thermal_store_discharge" => "#e59866",
        "electric_load" => "#34495e",
        "heat_load" => "#922b21",
        "electric_chiller" => "#2874a6",
        "absorption_chiller" => "#76448a",
        "cold_store_charge" | "cold_store_discharge" => "#85c1e9",
        "cooling_load" => "#1b4f72",
        "ev_charging" => "#27ae60",
        "flexible_load" => "#5d6d7e",
        "converter" => "#85929e",
        "conversion_losses" | "losses" => "#bdc3c7",
        "unserved" => "#ff0000",
        "heat_dump" => "#f1948a",
        "waste_heat_rejected" => "#d7bde2",
        "curtailment" => "#f7dc6f",
        "ac" => "#1f3a93",
        "dc" => "#3c6382",
        "heat" => "#c0392b",
        "waste_heat" => "#d35400",
        "cold" | "cooling" => "#3498db",
        "fuel" => "#6e2c00",
        "ambient" => "#58d68d",
        _ => "#95a5a6",
    }
}

fn round(v: f64, decimals: i32) -> f64 {
    let k = 10f64.powi(decimals);
    let r = (v * k).round() / k;
    if r == 0.0 { 0.0 } else { r }
}

fn rounded(values: &[f64], decimals: i32) -> Vec<f64> {
    values.iter().map(|v| round(*v, decimals)).collect()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `2025-01-01T00:00:00+08:00` → `2025-01-01 00:00`.
fn time_label(t: &str) -> String {
    match (t.get(0..10), t.get(11..16)) {
        (Some(d), Some(h)) => format!("{d} {h}"),
        _ => t.to_string(),
    }
}

/// The chart data of `run`.
fn data(run: &Run, lang: Lang) -> Value {
    let dt = run.step_h();
    let flows_json = |flows: Vec<prepare::Flow>, monthly: bool| -> Vec<Value> {
        flows
            .into_iter()
            .map(|f| {
                let values: Vec<f64> = if monthly {
                    rounded(&prepare::monthly_mwh(run, &f.values), 1)
                } else {
                    rounded(&f.values, 1)
                };
                json!({"key": f.key, "sign": f.sign, "color": colour(&f.key), "values": values})
            })
            .collect()
    };
    let mut dispatch = Vec::new();
    let mut monthly = Vec::new();
    for (group, carriers) in CARRIER_GROUPS {
        let flows = prepare::carrier_flows(run, carriers);
        if flows.is_empty() {
            continue;
        }
        dispatch.push(json!({"carrier": group, "flows": flows_json(flows.clone(), false)}));
        monthly.push(json!({"carrier": group, "flows": flows_json(flows, true)}));
    }
    let links = prepare::sankey(run);
    let mut nodes: Vec<&str> = Vec::new();
    for l in &links {
        for n in [&l.source, &l.target] {
            if !nodes.contains(&n.as_str()) {
                nodes.push(n);
            }
        }
    }
    let sankey = json!({
        "nodes": nodes.iter().map(|n| json!({"key": n, "color": colour(n)})).collect::<Vec<_>>(),
        "links": links.iter().map(|l| json!({"source": l.source, "target": l.target, "value": round(l.value, 3)})).collect::<Vec<_>>(),
    });
    let stores: Vec<Value> = run
        .meta
        .stores
        .iter()
        .filter_map(|s| {
            let level = run.column(&s.id, "level_kwh")?;
            let pct: Vec<f64> = level
                .iter()
                .map(|l| round(l / s.e_max_kwh.max(1e-9) * 100.0, 2))
                .collect();
            Some(json!({"id": s.id, "name": s.name, "kind": s.kind, "e_max_kwh": s.e_max_kwh, "values": pct}))
        })
        .collect();
    let n = run.times.len();
    let mut import = vec![0.0; n];
    let mut curtailed = vec![0.0; n];
    for (c, v) in run.meta.columns.iter().zip(&run.values) {
        if c.kind == "grid" && c.quantity == "import_kw" {
            import.iter_mut().zip(v).for_each(|(a, x)| *a += x);
        }
        if matches!(c.kind.as_str(), "pv" | "wind") && c.quantity == "output_kw" {
            if let Some(avail) = run.column(&c.id, "available_kw") {
                for ((a, x), av) in curtailed.iter_mut().zip(v).zip(avail) {
                    *a += (av - x).max(0.0);
                }
            }
        }
    }
    let thin = |v: &[f64]| -> Vec<[f64; 2]> {
        prepare::duration_curve(v, dt, 2000)
            .into_iter()
            .map(|[h, x]| [round(h, 2), round(x, 1)])
            .collect()
    };
    // Bus prices, buses with identical series drawn once.
    let mut prices: Vec<(Vec<String>, String, Vec<f64>)> = Vec::new();
    for (c, v) in run.meta.columns.iter().zip(&run.values) {
        if c.kind != "bus" || c.quantity != "price_cny_per_kwh" {
            continue;
        }
        let carrier = run.carrier(&c.id).unwrap_or("ac").to_string();
        if carrier == "waste_heat" {
            continue;
        }
        let v = rounded(v, 4);
        match prices
            .iter_mut()
            .find(|(_, car, p)| *car == carrier && *p == v)
        {
            Some((ids, _, _)) => ids.push(c.id.clone()),
            None => prices.push((vec![c.id.clone()], carrier, v)),
        }
    }
    let tariffs: Vec<Value> = run
        .meta
        .columns
        .iter()
        .zip(&run.values)
        .filter(|(c, _)| c.kind == "grid" && c.quantity == "tariff_cny_per_kwh")
        .map(|(c, v)| json!({"name": c.id, "values": rounded(v, 4)}))
        .collect();
    let network = run
        .network
        .as_ref()
        .filter(|net| net.is_every_step(run.times.len()))
        .map(|net| {
            let bands: Vec<[f64; 2]> = run.meta.buses.iter().filter_map(|b| b.v_band_pu).collect();
            let band = [
                bands.iter().map(|b| b[0]).fold(f64::NEG_INFINITY, f64::max),
                bands.iter().map(|b| b[1]).fold(f64::INFINITY, f64::min),
            ];
            let mut loading: Vec<(String, f64)> = run
                .summary
                .pointer("/network/max_loading")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| Some((k.clone(), round(v.as_f64()? * 100.0, 1))))
                        .collect()
                })
                .unwrap_or_default();
            loading.sort_by(|a, b| b.1.total_cmp(&a.1));
            json!({
                "v_min": rounded(&net.v_min_pu(), 4),
                "v_max": rounded(&net.v_max_pu(), 4),
                "losses_kw": rounded(&net.losses_kw(), 1),
                "band": if bands.is_empty() { Value::Null } else { json!(band) },
                "loading": loading,
            })
        });
    json!({
        "network": network,
        "lang": match lang { Lang::En => "en", Lang::Zh => "zh" },
        "labels": all(lang),
        "step_h": dt,
        "times": run.times.iter().map(|t| time_label(t)).collect::<Vec<_>>(),
        "dispatch": dispatch,
        "monthly": monthly,
        "sankey": sankey,
        "stores": stores,
        "duration": {
            "import": thin(&import),
            "curtailment": thin(&curtailed),
            "import_color": colour("import"),
            "curtailment_color": colour("curtailment"),
        },
        "prices": {
            "buses": prices.iter().map(|(ids, car, v)| json!({"name": ids.join(", "), "carrier": car, "values": v})).collect::<Vec<_>>(),
            "tariff": tariffs,
        },
    })
}

fn kpi_cards(run: &Run, lang: Lang) -> String {
    let baseline = run.summary.get("baseline");
    let mut html = String::new();
    for k in KPIS.iter().filter(|k| k.card) {
        // A figure that is not a number has no card (no "NaN" token on the page).
        let Some(v) = kpi::value(&run.summary, k.key).filter(|v| v.is_finite()) else {
            continue;
        };
        let base = baseline.and_then(|b| kpi::value(b, k.key));
        let k = k.for_values(&[v, base.unwrap_or(v)]);
        let delta = base
            .map(|b| {
                let d = k.diff(b, v);
                let text = k.change_text(&d).filter(|_| k.display(v) != k.display(b));
                let verdict = if text.is_some() { d.verdict } else { "same" };
                let text = text.unwrap_or_else(|| "±0".to_string());
                format!(
                    r#"<div class="delta {verdict}">{text} {}</div>"#,
                    label(lang, "vs_rule")
                )
            })
            .unwrap_or_default();
        let _ = write!(
            html,
            r#"<div class="kpi" data-kpi="{key}" data-value="{v:?}" data-scale="{scale:?}" data-decimals="{dec}"><div class="label">{label}</div><div class="value">{value}</div><div class="unit">{unit}</div>{delta}</div>"#,
            key = k.key,
            scale = k.scale,
            dec = k.decimals,
            label = k.label(lang),
            value = k.display(v),
            unit = k.unit(lang),
        );
    }
    html
}

fn comparison_table(run: &Run, lang: Lang) -> Option<String> {
    let baseline = run.summary.get("baseline")?;
    let mut rows = String::new();
    for d in kpi::compare(baseline, &run.summary) {
        let k = d.shown;
        let change = k.change_text(&d).unwrap_or_default();
        let _ = write!(
            rows,
            r#"<tr data-kpi="{key}"><td>{label}</td><td>{unit}</td><td class="num">{b}</td><td class="num">{a}</td><td class="num {verdict}">{change}</td></tr>"#,
            key = d.key,
            label = k.label(lang),
            unit = k.unit(lang),
            b = k.display(d.b),
            a = k.display(d.a),
            verdict = d.verdict,
        );
    }
    // Which rules the baseline ran, when the summary says.
    let rules = match baseline.get("rules").and_then(|r| r.as_str()) {
        Some("merit_order") => format!(
            r#"<p class="hint" id="baseline-rules">{}</p>"#,
            label(lang, "rules_merit_order")
        ),
        Some("uncoordinated") => {
            format!(
                r#"<p class="hint" id="baseline-rules">{}</p>"#,
                label(lang, "rules_uncoordinated")
            )
        }
        _ => String::new(),
    };
    Some(format!(
        r#"<section id="comparison"><h2>{title}</h2>{rules}<table class="compare"><thead><tr><th>{kpi}</th><th>{unit}</th><th>{opt}</th><th>{rule}</th><th>{change}</th></tr></thead><tbody>{rows}</tbody></table></section>"#,
        title = label(lang, "comparison"),
        kpi = label(lang, "kpi"),
        unit = label(lang, "unit"),
        opt = label(lang, "optimal"),
        rule = label(lang, "rule"),
        change = label(lang, "change"),
    ))
}

/// The report page of `run` in `lang`.
pub fn render(run: &Run, lang: Lang) -> String {
    let l = |k: &str| label(lang, k);
    let s = &run.summary;
    let text = |k: &str| s.get(k).and_then(Value::as_str).unwrap_or("–").to_string();
    let strategy = text("strategy");
    let strategy = if matches!(strategy.as_str(), "optimal" | "rule") {
        l(&strategy)
    } else {
        strategy
    };
    let first = run.times.first().map(|t| time_label(t)).unwrap_or_default();
    let header = format!(
        "{}: {} · {}: {} · {}: {} · {}: {} × {} min, {first} · {} {}",
        l("strategy"),
        escape(&strategy),
        l("horizon"),
        escape(&text("horizon")),
        l("solver"),
        escape(&text("solver")),
        l("steps"),
        run.times.len(),
        run.meta.step_min,
        l("generated"),
        env!("CARGO_PKG_VERSION"),
    );
    let mut dispatch_divs = String::new();
    let mut monthly_divs = String::new();
    let chart_data = data(run, lang);
    let drawn: Vec<&str> = chart_data["dispatch"]
        .as_array()
        .map(|a| a.iter().filter_map(|g| g["carrier"].as_str()).collect())
        .unwrap_or_default();
    for group in drawn {
        let _ = write!(
            dispatch_divs,
            r#"<h3>{}</h3><div class="chart" id="chart-dispatch-{group}"></div>"#,
            l(group)
        );
        let _ = write!(
            monthly_divs,
            r#"<h3>{}</h3><div class="chart short" id="chart-monthly-{group}"></div>"#,
            l(group)
        );
    }
    let storage = if run
        .meta
        .stores
        .iter()
        .any(|st| run.column(&st.id, "level_kwh").is_some())
    {
        format!(
            r#"<section id="storage"><h2>{}</h2><div class="chart" id="chart-storage"></div></section>"#,
            l("storage")
        )
    } else {
        String::new()
    };
    let has_prices = run
        .meta
        .columns
        .iter()
        .any(|c| c.quantity == "price_cny_per_kwh");
    let prices_note = if has_prices {
        String::new()
    } else {
        format!(r#"<p class="hint">{}</p>"#, l("prices_none"))
    };
    let network = if run
        .network
        .as_ref()
        .is_some_and(|net| net.is_every_step(run.times.len()))
    {
        let n = |k: &str| {
            run.summary
                .pointer(&format!("/network/{k}"))
                .and_then(Value::as_f64)
                .unwrap_or(0.0)
        };
        let dt = run.step_h();
        format!(
            r#"<section id="network"><h2>{title}</h2><p class="hint">{losses}: {mwh} MWh ({share} %) · {out_of_band}: {vh} h · {overload}: {oh} h</p><div class="chart" id="chart-network-voltage"></div><div class="chart short" id="chart-network-loading"></div></section>"#,
            title = l("network"),
            losses = l("network_losses"),
            mwh = kpi::format_number(n("losses_kwh") / 1000.0, 1),
            share = kpi::format_number(n("losses_share_of_import") * 100.0, 2),
            out_of_band = l("hours_out_of_band"),
            vh = kpi::format_number(n("steps_with_voltage_violations") * dt, 0),
            overload = l("hours_overloaded"),
            oh = kpi::format_number(n("steps_with_overloads") * dt, 0),
        )
    } else {
        String::new()
    };
    let data = serde_json::to_string(&chart_data)
        .unwrap_or_else(|_| "{}".into())
        .replace("</", "<\\/");
    format!(
        r#"<!DOCTYPE html>
<html lang="{lang_code}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:">
<title>{site} — {title}</title>
<style>{STYLE}</style>
</head>
<body>
<header><h1>{site}</h1><p class="subtitle">{title}</p><p class="meta">{header}</p>{inexact}</header>
<main>
<section id="kpis"><h2>{kpis}</h2><div class="cards">{cards}</div></section>
<section id="sankey"><h2>{sankey}</h2><div class="chart tall" id="chart-sankey"></div></section>
<section id="dispatch"><h2>{dispatch}</h2><p class="hint">{dispatch_hint}</p>
<div class="zoom" role="group"><button type="button" data-window="day">{day}</button><button type="button" data-window="week">{week}</button><button type="button" data-window="month">{month}</button><button type="button" data-window="year">{year}</button><label>{go_to} <input type="date" id="zoom-date"></label></div>
{dispatch_divs}</section>
{storage}
<section id="monthly"><h2>{monthly}</h2>{monthly_divs}</section>
<section id="duration"><h2>{duration}</h2><div class="chart" id="chart-duration"></div></section>
<section id="prices"><h2>{prices}</h2>{prices_note}<div class="chart" id="chart-prices"></div></section>
{network}
{comparison}
</main>
<footer>parkgrid {version} · Apache ECharts {ECHARTS_VERSION} (Apache-2.0)</footer>
<script type="application/json" id="report-data">{data}</script>
<script>{ECHARTS}</script>
<script>{SCRIPT}</script>
</body>
</html>
"#,
        lang_code = lang.code(),
        inexact = {
            let mut banners = String::new();
            if text("status") == "inexact" {
                banners.push_str(&format!(
                    r#"<p class="warning" id="inexact">{} {}</p>"#,
                    escape(&l("inexact")),
                    escape(&text("status_detail"))
                ));
            }
            if run.summary.get("unserved_detail").is_some() {
                banners.push_str(&format!(
                    r#"<p class="warning" id="unserved">{} {}</p>"#,
                    escape(&l("status_unserved")),
                    escape(&text("unserved_detail"))
                ));
            }
            banners
        },
        site = escape(&run.meta.site),
        title = l("title"),
        kpis = l("kpis"),
        cards = kpi_cards(run, lang),
        sankey = l("sankey"),
        dispatch = l("dispatch"),
        dispatch_hint = l("dispatch_hint"),
        day = l("day"),
        week = l("week"),
        month = l("month"),
        year = l("year"),
        go_to = l("go_to"),
        monthly = l("monthly"),
        duration = l("duration"),
        prices = l("prices"),
        comparison = comparison_table(run, lang).unwrap_or_default(),
        version = env!("CARGO_PKG_VERSION"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_of_times_and_escapes() {
        assert_eq!(time_label("2025-03-01T13:00:00+08:00"), "2025-03-01 13:00");
        assert_eq!(escape("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
        assert_eq!(round(-0.04, 1), 0.0);
        assert!(round(-0.04, 1).is_sign_positive());
    }
}
