//! Branches between buses: converters with their efficiencies, lines and transformers as lossless
//! transport within their ratings (voltages, losses and loading are the power flow's job).

use crate::build::{Builder, Coef, Source};

/// Converters: `converter.forward[id,t]`, `converter.reverse[id,t]` ∈ [0, p_max]; forward takes
/// from `from_bus` and delivers `η_f·forward` to `to_bus`, reverse the other way. Lines and
/// transformers: `line.flow[id,t]`, `transformer.flow[id,t]` ∈ [−rating, rating] from the first bus
/// to the second. Out-of-service branches are left out.
pub fn add(b: &mut Builder<'_>) {
    let park = b.park;
    for c in park.converter.iter().filter(|c| c.in_service) {
        let f = b.block("converter.forward", &c.id, |_| (0.0, c.p_max_kw), |_| 0.0);
        let r = b.block("converter.reverse", &c.id, |_| (0.0, c.p_max_kw), |_| 0.0);
        b.inject(&c.from_bus, f, Coef::Const(-1.0));
        b.inject(&c.to_bus, f, Coef::Const(c.eta_forward));
        b.inject(&c.to_bus, r, Coef::Const(-1.0));
        b.inject(&c.from_bus, r, Coef::Const(c.eta_reverse));
        b.output(
            &c.id,
            "converter",
            "forward_kw",
            Source::Vars(vec![(f, Coef::Const(1.0))]),
        );
        b.output(
            &c.id,
            "converter",
            "reverse_kw",
            Source::Vars(vec![(r, Coef::Const(1.0))]),
        );
    }
    for l in park.line.iter().filter(|l| l.in_service) {
        let v_kv = park
            .bus(&l.from_bus)
            .and_then(|bus| bus.v_nom_kv)
            .unwrap_or(0.0);
        let ac = park
            .bus(&l.from_bus)
            .is_some_and(|bus| bus.carrier == parkgrid_model::Carrier::Ac);
        let rating = if ac { 3f64.sqrt() } else { 1.0 } * v_kv * l.i_max_a * f64::from(l.parallel);
        branch(b, "line", &l.id, &l.from_bus, &l.to_bus, rating);
    }
    for t in park.transformer.iter().filter(|t| t.in_service) {
        branch(
            b,
            "transformer",
            &t.id,
            &t.hv_bus,
            &t.lv_bus,
            t.s_rated_kva * f64::from(t.parallel),
        );
    }
}

fn branch(b: &mut Builder<'_>, kind: &'static str, id: &str, from: &str, to: &str, rating: f64) {
    let family = format!("{kind}.flow");
    let f = b.block(&family, id, |_| (-rating, rating), |_| 0.0);
    b.inject(from, f, Coef::Const(-1.0));
    b.inject(to, f, Coef::Const(1.0));
    b.output(
        id,
        kind,
        "flow_kw",
        Source::Vars(vec![(f, Coef::Const(1.0))]),
    );
}
