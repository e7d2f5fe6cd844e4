//! Branches between buses: converters with their efficiencies, lines and transformers as lossless
//! transport within their ratings (voltages, losses and loading are the power flow's job).

use crate::build::{Builder, Coef, Source};
use crate::key::{Element, Quantity};

/// An in-service link between two electric buses, as both the optimum and the rule-based
/// baseline see it: `cap_kw` is the most it takes in at either end (a converter's `p_max_kw`, a
/// line's `√3·V·I_max·parallel` (AC) or `V·I_max·parallel` (DC), a transformer's
/// `S_rated·parallel`), `eta_ab` and `eta_ba` what arrives per kW sent each way (a converter's
/// efficiencies; 1 for lines and transformers, whose losses are the power flow's).
#[derive(Debug, Clone, PartialEq)]
pub struct Link<'a> {
    /// [`Element::Converter`], [`Element::Line`] or [`Element::Transformer`].
    pub kind: Element,
    /// The element's id.
    pub id: &'a str,
    /// First bus (a converter's `from_bus`, a line's `from_bus`, a transformer's `hv_bus`).
    pub a: &'a str,
    /// Second bus.
    pub b: &'a str,
    /// Rating, kW taken in.
    pub cap_kw: f64,
    /// Delivered per kW sent from `a` to `b`.
    pub eta_ab: f64,
    /// Delivered per kW sent from `b` to `a`.
    pub eta_ba: f64,
}

/// Every in-service link of the park's electric network.
pub fn links(park: &parkgrid_model::Park) -> Vec<Link<'_>> {
    let mut out = Vec::new();
    for c in park.converter.iter().filter(|c| c.in_service) {
        out.push(Link {
            kind: Element::Converter,
            id: &c.id,
            a: &c.from_bus,
            b: &c.to_bus,
            cap_kw: c.p_max_kw,
            eta_ab: c.eta_forward,
            eta_ba: c.eta_reverse,
        });
    }
    for l in park.line.iter().filter(|l| l.in_service) {
        let bus = park.bus(&l.from_bus);
        let v_kv = bus.and_then(|bus| bus.v_nom_kv).unwrap_or(0.0);
        let ac = bus.is_some_and(|bus| bus.carrier == parkgrid_model::Carrier::Ac);
        out.push(Link {
            kind: Element::Line,
            id: &l.id,
            a: &l.from_bus,
            b: &l.to_bus,
            cap_kw: if ac { 3f64.sqrt() } else { 1.0 } * v_kv * l.i_max_a * f64::from(l.parallel),
            eta_ab: 1.0,
            eta_ba: 1.0,
        });
    }
    for t in park.transformer.iter().filter(|t| t.in_service) {
        out.push(Link {
            kind: Element::Transformer,
            id: &t.id,
            a: &t.hv_bus,
            b: &t.lv_bus,
            cap_kw: t.s_rated_kva * f64::from(t.parallel),
            eta_ab: 1.0,
            eta_ba: 1.0,
        });
    }
    out
}

/// Converters: `converter.forward[id,t]`, `converter.reverse[id,t]` ∈ [0, p_max]; forward takes
/// from `from_bus` and delivers `η_f·forward` to `to_bus`, reverse the other way. Lines and
/// transformers: `line.flow[id,t]`, `transformer.flow[id,t]` ∈ [−rating, rating] from the first bus
/// to the second. Out-of-service branches are left out.
pub fn add(b: &mut Builder<'_>) {
    let park = b.park;
    for l in links(park) {
        if l.kind == Element::Converter {
            let f = b.block("converter.forward", l.id, |_| (0.0, l.cap_kw), |_| 0.0);
            let r = b.block("converter.reverse", l.id, |_| (0.0, l.cap_kw), |_| 0.0);
            b.output(
                l.id,
                Element::Converter,
                Quantity::ForwardKw,
                Source::Vars(vec![(f, Coef::Const(1.0))]),
            );
            b.output(
                l.id,
                Element::Converter,
                Quantity::ReverseKw,
                Source::Vars(vec![(r, Coef::Const(1.0))]),
            );
        } else {
            branch(b, l.kind, l.id, l.cap_kw);
        }
    }
}

fn branch(b: &mut Builder<'_>, kind: Element, id: &str, rating: f64) {
    let family = format!("{kind}.flow");
    let f = b.block(&family, id, |_| (-rating, rating), |_| 0.0);
    b.output(
        id,
        kind,
        Quantity::FlowKw,
        Source::Vars(vec![(f, Coef::Const(1.0))]),
    );
}
