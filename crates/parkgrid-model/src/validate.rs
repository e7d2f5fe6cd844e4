//! Checks across the whole park: ids, references, carriers, connectivity, tariffs, tenants.
//!
//! Each element's own fields are checked by its type (`check` methods); this module checks what
//! needs more than one element.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::Park;
use crate::asset::{AssetKind, AssetRef};
use crate::common::{Cx, carriers_text};
use crate::diag::{Diagnostic, FieldPath, did_you_mean};
use crate::network::Carrier;

/// Validates a park built in code (a park loaded with [`crate::load`] is validated already).
/// Returns every finding; the park is usable when none is an error.
pub fn validate(park: &Park) -> Vec<Diagnostic> {
    let mut cx = Cx::default();
    validate_into(park, &[], &mut cx);
    cx.diags
}

/// One element with an id, for the id registry.
struct Element<'a> {
    section: &'a str,
    at: FieldPath,
    carrier: Option<Carrier>,
}

pub(crate) fn validate_into(park: &Park, failed: &[(String, String)], cx: &mut Cx) {
    let root = FieldPath::root();
    park.site.check(cx, &root.key("site"));
    park.time.check(cx, &root.key("time"));
    park.weather.check(cx, &root.key("weather"));
    park.weather.check_place(park, cx, &root);
    park.economics.check(cx, &root.key("economics"));
    park.live.check(cx, &root.key("live"));

    let ids = register_ids(park, failed, cx);
    let failed_ids: BTreeSet<&str> = failed.iter().map(|(_, id)| id.as_str()).collect();
    let refs = Refs {
        ids: &ids,
        failed: &failed_ids,
    };

    for (i, bus) in park.bus.iter().enumerate() {
        bus.check(cx, &root.key("bus").index(i));
    }
    for (at, asset) in park.assets() {
        check_asset(park, &refs, &at, asset, cx);
    }
    check_branches(park, &refs, cx);
    for (i, t) in park.tariff.iter().enumerate() {
        t.check(cx, &root.key("tariff").index(i));
    }
    for (i, f) in park.fuel.iter().enumerate() {
        f.check(cx, &root.key("fuel").index(i));
    }
    check_tenants(park, &refs, cx);
    {
        let ids: HashSet<&str> = park
            .assets()
            .map(|(_, a)| a.spec().id())
            .chain(park.line.iter().map(|l| l.id.as_str()))
            .chain(park.transformer.iter().map(|t| t.id.as_str()))
            .chain(park.converter.iter().map(|c| c.id.as_str()))
            .chain(failed_ids.iter().copied())
            .collect();
        park.live.check_devices(&ids, cx, &root.key("live"));
    }
    check_connectivity(park, cx);
    check_heat(park, cx);
    // Nothing to run (entries that failed to parse are reported already).
    if failed.is_empty() {
        if park.bus.is_empty() {
            cx.push(
                Diagnostic::error(root.key("bus"), "the park has no buses")
                    .with_hint("add a [[bus]] per AC, DC, heat, waste-heat or cold node and put the assets on them (see examples/minimal.toml)"),
            );
        } else if park.assets().next().is_none() {
            cx.push(
                Diagnostic::error(root.key("bus"), "the park has buses but no assets: nothing to run")
                    .with_hint("add the loads, sources, stores and grid connection on its buses (see examples/minimal.toml)"),
            );
        }
    }
}

/// Records every id; reports bad and duplicate ids.
fn register_ids<'a>(
    park: &'a Park,
    failed: &'a [(String, String)],
    cx: &mut Cx,
) -> HashMap<&'a str, Vec<Element<'a>>> {
    let root = FieldPath::root();
    let mut all: Vec<(&str, Element<'_>)> = Vec::new();
    for (i, b) in park.bus.iter().enumerate() {
        all.push((
            &b.id,
            Element {
                section: "bus",
                at: root.key("bus").index(i),
                carrier: Some(b.carrier),
            },
        ));
    }
    for (at, a) in park.assets() {
        let spec = a.spec();
        all.push((
            spec.id(),
            Element {
                section: spec.kind().key(),
                at,
                carrier: None,
            },
        ));
    }
    let sections: [(&str, Vec<&str>); 7] = [
        ("line", park.line.iter().map(|x| x.id.as_str()).collect()),
        (
            "transformer",
            park.transformer.iter().map(|x| x.id.as_str()).collect(),
        ),
        (
            "converter",
            park.converter.iter().map(|x| x.id.as_str()).collect(),
        ),
        (
            "tariff",
            park.tariff.iter().map(|x| x.id.as_str()).collect(),
        ),
        ("fuel", park.fuel.iter().map(|x| x.id.as_str()).collect()),
        (
            "tenant",
            park.tenant.iter().map(|x| x.id.as_str()).collect(),
        ),
        ("meter", park.meter.iter().map(|x| x.id.as_str()).collect()),
    ];
    for (section, list) in sections {
        for (i, id) in list.into_iter().enumerate() {
            all.push((
                id,
                Element {
                    section,
                    at: root.key(section).index(i),
                    carrier: None,
                },
            ));
        }
    }
    let mut ids: HashMap<&str, Vec<Element<'_>>> = HashMap::new();
    for (id, el) in all {
        let at_id = el.at.key("id");
        let valid = !id.is_empty()
            && id.len() <= 64
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !valid {
            cx.push(
                Diagnostic::error(at_id.clone(), format!("'{id}' is not a valid id")).with_hint(
                    "ids are 1–64 characters: letters, digits, '_' and '-'; put free text in name",
                ),
            );
        }
        let same = ids.entry(id).or_default();
        if let Some(first) = same.first() {
            cx.push(
                Diagnostic::error(
                    at_id,
                    format!("duplicate id '{id}': already used by {}", first.at),
                )
                .with_hint("ids are unique across the whole park file"),
            );
        }
        same.push(el);
    }
    for (section, id) in failed {
        ids.entry(id.as_str()).or_default().push(Element {
            section: section.as_str(),
            at: root.key(section.as_str()),
            carrier: None,
        });
    }
    ids
}

struct Refs<'a> {
    /// Elements by id (more than one only for duplicate ids, which are reported).
    ids: &'a HashMap<&'a str, Vec<Element<'a>>>,
    /// Ids of entries that did not deserialize: referencing them is not reported again.
    failed: &'a BTreeSet<&'a str>,
}

impl Refs<'_> {
    /// Checks that `id` names an element of `section`; returns it when it does.
    fn check(
        &self,
        cx: &mut Cx,
        at: &FieldPath,
        what: &str,
        id: &str,
        section: &str,
    ) -> Option<&Element<'_>> {
        let found = self.ids.get(id).map(Vec::as_slice).unwrap_or_default();
        if let Some(el) = found.iter().find(|e| e.section == section) {
            return if self.failed.contains(id) {
                None
            } else {
                Some(el)
            };
        }
        match found.first() {
            Some(el) => {
                cx.push(
                    Diagnostic::error(
                        at.clone(),
                        format!(
                            "{what} '{id}' names a [[{}]] entry, not a [[{section}]]",
                            el.section
                        ),
                    )
                    .with_hint_opt(self.suggest(id, section)),
                );
                None
            }
            None => {
                let hint = self.suggest(id, section).unwrap_or_else(|| {
                    let mut names: Vec<&str> = self.of_section(section).collect();
                    names.sort_unstable();
                    if names.is_empty() {
                        format!("the park file has no [[{section}]] entries")
                    } else {
                        format!("known: {}", names.join(", "))
                    }
                });
                cx.push(
                    Diagnostic::error(at.clone(), format!("{what} '{id}' not found"))
                        .with_hint(hint),
                );
                None
            }
        }
    }

    fn of_section<'s>(&'s self, section: &'s str) -> impl Iterator<Item = &'s str> + 's {
        self.ids
            .iter()
            .filter(move |(_, els)| els.iter().any(|e| e.section == section))
            .map(|(k, _)| *k)
    }

    fn suggest(&self, id: &str, section: &str) -> Option<String> {
        did_you_mean(id, self.of_section(section))
    }
}

fn check_asset(park: &Park, refs: &Refs<'_>, at: &FieldPath, asset: AssetRef<'_>, cx: &mut Cx) {
    let spec = asset.spec();
    let kind = spec.kind();
    spec.check(cx, at);
    for port in spec.ports() {
        let at_port = at.key(port.field);
        let Some(bus) = refs.check(cx, &at_port, "bus", port.bus, "bus") else {
            continue;
        };
        let Some(carrier) = bus.carrier else { continue };
        if !port.carriers.contains(&carrier) {
            let hint = port_hint(kind, port.field, carrier);
            cx.push(
                Diagnostic::error(
                    at_port,
                    format!(
                        "{} '{}': {} '{}' is {}, but {} takes {}",
                        kind.key(),
                        spec.id(),
                        port.field,
                        port.bus,
                        carrier.describe(),
                        port.field,
                        carriers_text(port.carriers)
                    ),
                )
                .with_hint_opt(hint),
            );
        }
    }
    if let Some(fuel) = spec.fuel() {
        refs.check(cx, &at.key("fuel"), "fuel", fuel, "fuel");
    }
    if let Some(tariff) = spec.tariff() {
        refs.check(cx, &at.key("tariff"), "tariff", tariff, "tariff");
    }
    if let Some(tenant) = spec.tenant() {
        refs.check(cx, &at.key("tenant"), "tenant", tenant, "tenant");
    }
    if let Some(profile) = spec.profile() {
        if !spec.profile_units().contains(&profile.unit) {
            cx.push(
                Diagnostic::error(
                    at.key("profile").key("unit"),
                    format!("a {} profile must be in kW", kind.key()),
                )
                .with_hint("per_unit profiles are for PV and wind availability"),
            );
        }
    }
    if let AssetRef::AbsorptionChiller(ac) = asset {
        check_absorption_drive(park, refs, at, ac, cx);
    }
    if let AssetRef::WasteHeatPump(hp) = asset {
        let source_t = park.bus(&hp.source_bus).and_then(|b| b.t_c);
        let sink_t = park.bus(&hp.heat_bus).and_then(|b| b.t_supply_c);
        if let (Some(src), Some(sink)) = (source_t, sink_t) {
            if src >= sink {
                cx.push(
                    Diagnostic::error(
                        at.key("source_bus"),
                        format!("waste heat at {src} °C is not colder than the supply temperature {sink} °C"),
                    )
                    .with_hint("a heat pump lifts heat from a colder source; connect the waste heat directly instead"),
                );
            }
        }
    }
}

/// An absorption chiller's drive heat: from a CHP on the same heat bus, or from a heat network
/// hot enough for the machine.
fn check_absorption_drive(
    park: &Park,
    refs: &Refs<'_>,
    at: &FieldPath,
    ac: &crate::asset::AbsorptionChiller,
    cx: &mut Cx,
) {
    match &ac.chp {
        Some(chp) => {
            refs.check(cx, &at.key("chp"), "chp", chp, "chp");
            match park.chp.iter().find(|c| &c.id == chp) {
                Some(c) if c.heat_bus != ac.heat_bus => cx.push(
                    Diagnostic::error(
                        at.key("heat_bus"),
                        format!(
                            "absorption_chiller '{}' is driven by chp '{chp}', whose heat goes to '{}', not to heat_bus '{}'",
                            ac.id, c.heat_bus, ac.heat_bus
                        ),
                    )
                    .with_hint(format!("set heat_bus = \"{}\"", c.heat_bus)),
                ),
                Some(_) | None => {}
            }
        }
        None => {
            let supply = park.bus(&ac.heat_bus).and_then(|b| b.t_supply_c);
            if let Some(t) = supply.filter(|t| *t < ac.t_drive_min_c) {
                cx.push(
                    Diagnostic::error(
                        at.key("heat_bus"),
                        format!(
                            "heat bus '{}' supplies at {t} °C, below the {} °C absorption_chiller '{}' needs to run",
                            ac.heat_bus, ac.t_drive_min_c, ac.id
                        ),
                    )
                    .with_hint("drive it from a CHP's recovered heat (chp = \"…\") or from a hotter heat bus"),
                );
            }
        }
    }
}

/// A hint for the common mix-ups of ports.
fn port_hint(kind: AssetKind, field: &str, carrier: Carrier) -> Option<String> {
    let takes_power = matches!(
        kind,
        AssetKind::GroundHeatPump
            | AssetKind::AirSourceHeatPump
            | AssetKind::WasteHeatPump
            | AssetKind::ElectricBoiler
            | AssetKind::ElectricChiller
    );
    match (field, carrier) {
        ("bus", Carrier::Heat | Carrier::WasteHeat | Carrier::Cold) if takes_power => {
            Some(String::from(if kind == AssetKind::ElectricChiller {
                "bus is the electricity supply of the machine; its cooling goes on cold_bus"
            } else {
                "bus is the electricity supply of the machine; its heat output goes on heat_bus"
            }))
        }
        ("cold_bus", c) if c != Carrier::Cold => Some(String::from(
            "cold_bus takes the chilled-water network the machine delivers cooling to",
        )),
        ("heat_bus", c) if c.is_electric() => {
            Some(String::from(if kind == AssetKind::AbsorptionChiller {
                "heat_bus takes the heat network the chiller's drive heat comes from"
            } else {
                "heat_bus takes the heat network the machine delivers to"
            }))
        }
        _ => None,
    }
}

fn check_branches(park: &Park, refs: &Refs<'_>, cx: &mut Cx) {
    let root = FieldPath::root();
    let carrier_of = |id: &str| park.bus(id).map(|b| (b.carrier, b.v_nom_kv));
    for (i, line) in park.line.iter().enumerate() {
        let at = root.key("line").index(i);
        line.check(cx, &at);
        let a = refs
            .check(cx, &at.key("from_bus"), "bus", &line.from_bus, "bus")
            .and(carrier_of(&line.from_bus));
        let b = refs
            .check(cx, &at.key("to_bus"), "bus", &line.to_bus, "bus")
            .and(carrier_of(&line.to_bus));
        if line.from_bus == line.to_bus {
            cx.error(
                &at,
                "to_bus",
                format!(
                    "line '{}' connects bus '{}' to itself",
                    line.id, line.to_bus
                ),
            );
        }
        let (Some((ca, va)), Some((cb, vb))) = (a, b) else {
            continue;
        };
        if !ca.is_electric() || !cb.is_electric() {
            cx.push(
                Diagnostic::error(
                    at.key("from_bus"),
                    format!("line '{}' joins non-electric buses", line.id),
                )
                .with_hint(
                    "lines join AC or DC buses; heat networks are modelled as one heat bus each",
                ),
            );
        } else if ca != cb {
            cx.push(
                Diagnostic::error(
                    at.key("to_bus"),
                    format!(
                        "line '{}' joins {} to {}",
                        line.id,
                        ca.describe(),
                        cb.describe()
                    ),
                )
                .with_hint("AC and DC buses meet through a [[converter]]"),
            );
        } else if let (Some(va), Some(vb)) = (va, vb) {
            if (va - vb).abs() > 0.01 * va.max(vb) {
                cx.push(
                    Diagnostic::error(
                        at.key("to_bus"),
                        format!("line '{}' joins buses of {va} kV and {vb} kV", line.id),
                    )
                    .with_hint(if ca == Carrier::Ac {
                        "use a [[transformer]] between voltage levels"
                    } else {
                        "use a DC/DC [[converter]] between voltage levels"
                    }),
                );
            }
            if ca == Carrier::Dc && (line.x_ohm_per_km != 0.0 || line.b_us_per_km != 0.0) {
                cx.warning(
                    &at,
                    "x_ohm_per_km",
                    format!(
                        "DC line '{}' has reactance or susceptance, which DC power flow ignores",
                        line.id
                    ),
                );
            }
        }
    }
    for (i, t) in park.transformer.iter().enumerate() {
        let at = root.key("transformer").index(i);
        t.check(cx, &at);
        let hv = refs
            .check(cx, &at.key("hv_bus"), "bus", &t.hv_bus, "bus")
            .and(carrier_of(&t.hv_bus));
        let lv = refs
            .check(cx, &at.key("lv_bus"), "bus", &t.lv_bus, "bus")
            .and(carrier_of(&t.lv_bus));
        if t.hv_bus == t.lv_bus {
            cx.error(
                &at,
                "lv_bus",
                format!(
                    "transformer '{}' connects bus '{}' to itself",
                    t.id, t.lv_bus
                ),
            );
        }
        for (field, side) in [("hv_bus", hv), ("lv_bus", lv)] {
            if let Some((c, _)) = side {
                if c != Carrier::Ac {
                    cx.push(
                        Diagnostic::error(
                            at.key(field),
                            format!(
                                "transformer '{}': {field} is {}, not an AC bus",
                                t.id,
                                c.describe()
                            ),
                        )
                        .with_hint("DC voltage levels meet through a DC/DC [[converter]]"),
                    );
                }
            }
        }
        if let (Some((Carrier::Ac, Some(vh))), Some((Carrier::Ac, Some(vl)))) = (hv, lv) {
            if vh <= vl {
                cx.push(
                    Diagnostic::error(
                        at.key("hv_bus"),
                        format!("hv_bus is at {vh} kV, not above lv_bus at {vl} kV"),
                    )
                    .with_hint("swap hv_bus and lv_bus"),
                );
            }
        }
    }
    for (i, c) in park.converter.iter().enumerate() {
        let at = root.key("converter").index(i);
        c.check(cx, &at);
        let a = refs
            .check(cx, &at.key("from_bus"), "bus", &c.from_bus, "bus")
            .and(carrier_of(&c.from_bus));
        let b = refs
            .check(cx, &at.key("to_bus"), "bus", &c.to_bus, "bus")
            .and(carrier_of(&c.to_bus));
        if c.from_bus == c.to_bus {
            cx.error(
                &at,
                "to_bus",
                format!("converter '{}' connects bus '{}' to itself", c.id, c.to_bus),
            );
        }
        let (Some((ca, _)), Some((cb, _))) = (a, b) else {
            continue;
        };
        match (ca, cb) {
            (Carrier::Ac, Carrier::Dc) | (Carrier::Dc, Carrier::Dc) => {}
            (Carrier::Dc, Carrier::Ac) => cx.push(
                Diagnostic::warning(at.key("from_bus"), format!("converter '{}' has its AC side on to_bus", c.id))
                    .with_hint("by convention from_bus is the AC side of a VSC; swap the buses and the efficiencies"),
            ),
            (Carrier::Ac, Carrier::Ac) => cx.push(
                Diagnostic::error(at.key("to_bus"), format!("converter '{}' joins two AC buses", c.id))
                    .with_hint("AC voltage levels meet through a [[transformer]]"),
            ),
            _ => cx.push(
                Diagnostic::error(at.key("to_bus"), format!("converter '{}' joins {} and {}", c.id, ca.describe(), cb.describe()))
                    .with_hint("converters join electric buses; heat enters and leaves through heat pumps and boilers"),
            ),
        }
    }
}

fn check_tenants(park: &Park, refs: &Refs<'_>, cx: &mut Cx) {
    let root = FieldPath::root();
    for (i, t) in park.tenant.iter().enumerate() {
        let at = root.key("tenant").index(i);
        if let Some(tariff) = &t.tariff {
            refs.check(cx, &at.key("tariff"), "tariff", tariff, "tariff");
        }
        cx.opt(
            &at,
            "heat_price_cny_per_kwh",
            t.heat_price_cny_per_kwh,
            Cx::non_negative,
        );
        cx.opt(
            &at,
            "cooling_price_cny_per_kwh",
            t.cooling_price_cny_per_kwh,
            Cx::non_negative,
        );
    }
    let mut metered_by: HashMap<&str, &str> = HashMap::new();
    for (i, m) in park.meter.iter().enumerate() {
        let at = root.key("meter").index(i);
        refs.check(cx, &at.key("tenant"), "tenant", &m.tenant, "tenant");
        if m.assets.is_empty() {
            cx.error(&at, "assets", format!("meter '{}' measures no asset", m.id));
        }
        for (k, id) in m.assets.iter().enumerate() {
            let at_a = at.key("assets").index(k);
            let Some(asset) = park.asset(id) else {
                if !refs.failed.contains(id.as_str()) {
                    let all: Vec<&str> = park.assets().map(|(_, a)| a.spec().id()).collect();
                    cx.push(
                        Diagnostic::error(at_a, format!("asset '{id}' not found"))
                            .with_hint_opt(did_you_mean(id, all.iter().copied())),
                    );
                }
                continue;
            };
            let spec = asset.spec();
            match spec.metered() {
                None => cx.push(
                    Diagnostic::error(
                        at_a.clone(),
                        format!(
                            "{} '{id}' is not a consumer a tenant is billed for",
                            spec.kind().key()
                        ),
                    )
                    .with_hint("meters measure loads, data centres and charging stations"),
                ),
                Some(c) if c != m.carrier => cx.push(Diagnostic::error(
                    at_a.clone(),
                    format!(
                        "{} '{id}' consumes {:?}, but meter '{}' measures {:?}",
                        spec.kind().key(),
                        c,
                        m.id,
                        m.carrier
                    )
                    .to_lowercase(),
                )),
                Some(_) => {}
            }
            if let Some(owner) = spec.tenant() {
                if owner != m.tenant {
                    cx.push(
                        Diagnostic::error(
                            at_a.clone(),
                            format!("asset '{id}' belongs to tenant '{owner}', but meter '{}' bills tenant '{}'", m.id, m.tenant),
                        )
                        .with_hint("a meter bills the tenant that owns what it measures"),
                    );
                }
            }
            if let Some(other) = metered_by.insert(id.as_str(), m.id.as_str()) {
                cx.push(
                    Diagnostic::error(
                        at_a,
                        format!(
                            "asset '{id}' is measured by meters '{other}' and '{}'",
                            m.id
                        ),
                    )
                    .with_hint(
                        "each asset is billed through one meter, or its energy is billed twice",
                    ),
                );
            }
        }
    }
}

/// Union–find over electric buses joined by in-service lines, transformers and converters.
fn check_connectivity(park: &Park, cx: &mut Cx) {
    let (island, _) = park.electric_islands();
    let island_of = |id: &str| {
        park.bus
            .iter()
            .position(|b| b.id == id)
            .and_then(|i| island[i])
    };
    let has_ac: HashSet<usize> = park
        .bus
        .iter()
        .zip(&island)
        .filter(|(b, _)| b.carrier == Carrier::Ac)
        .filter_map(|(_, k)| *k)
        .collect();
    let has_grid: HashSet<usize> = park.grid.iter().filter_map(|g| island_of(&g.bus)).collect();
    let root = FieldPath::root();
    for (i, b) in park.bus.iter().enumerate() {
        if !b.carrier.is_electric() {
            continue;
        }
        let Some(r) = island[i] else {
            continue;
        };
        let at = root.key("bus").index(i);
        if b.carrier == Carrier::Dc && !has_ac.contains(&r) {
            cx.push(
                Diagnostic::error(
                    at.key("id"),
                    format!("DC bus '{}' has no converter path to an AC bus", b.id),
                )
                .with_hint("add a [[converter]] from an AC bus to it, or to a DC bus that has one"),
            );
        } else if !park.grid.is_empty() && !has_grid.contains(&r) && b.carrier == Carrier::Ac {
            cx.push(
                Diagnostic::warning(at.key("id"), format!("AC bus '{}' is not connected to any grid connection", b.id))
                    .with_hint("it runs as an island: connect it with a [[line]], [[transformer]] or [[converter]]"),
            );
        }
    }
    if park.grid.is_empty() {
        cx.push(
            Diagnostic::warning(
                root.key("grid"),
                "the park has no grid connection: it runs islanded",
            )
            .with_hint("add a [[grid]] entry unless the park really is off-grid"),
        );
    }
    let mut used: BTreeSet<&str> = BTreeSet::new();
    for (_, a) in park.assets() {
        for p in a.spec().ports() {
            used.insert(p.bus);
        }
    }
    for (a, b) in park
        .line
        .iter()
        .map(|l| (&l.from_bus, &l.to_bus))
        .chain(park.transformer.iter().map(|t| (&t.hv_bus, &t.lv_bus)))
        .chain(park.converter.iter().map(|c| (&c.from_bus, &c.to_bus)))
    {
        used.insert(a);
        used.insert(b);
    }
    for (i, b) in park.bus.iter().enumerate() {
        if !used.contains(b.id.as_str()) {
            cx.warning(
                &root.key("bus").index(i),
                "id",
                format!("nothing is connected to bus '{}'", b.id),
            );
        }
    }
}

/// Heat and cold buses with demand need a source; waste heat needs a user.
fn check_heat(park: &Park, cx: &mut Cx) {
    let mut supplies: BTreeSet<&str> = BTreeSet::new();
    let mut cold_supplies: BTreeSet<&str> = BTreeSet::new();
    let mut cold_demands: BTreeSet<&str> = BTreeSet::new();
    let mut demands: BTreeSet<&str> = BTreeSet::new();
    let mut waste_in: BTreeSet<&str> = BTreeSet::new();
    let mut waste_out: BTreeSet<&str> = BTreeSet::new();
    for (_, a) in park.assets() {
        match a {
            AssetRef::Chp(x) => {
                supplies.insert(&x.heat_bus);
            }
            AssetRef::GroundHeatPump(x) => {
                supplies.insert(&x.heat_bus);
            }
            AssetRef::AirSourceHeatPump(x) => {
                supplies.insert(&x.heat_bus);
            }
            AssetRef::WasteHeatPump(x) => {
                supplies.insert(&x.heat_bus);
                waste_out.insert(&x.source_bus);
            }
            AssetRef::ElectricBoiler(x) => {
                supplies.insert(&x.heat_bus);
            }
            AssetRef::GasBoiler(x) => {
                supplies.insert(&x.bus);
            }
            AssetRef::HeatLoad(x) => {
                demands.insert(&x.bus);
            }
            AssetRef::ElectricChiller(x) => {
                cold_supplies.insert(&x.cold_bus);
            }
            AssetRef::AbsorptionChiller(x) => {
                cold_supplies.insert(&x.cold_bus);
                // Drive heat from the network (not straight from a CHP) is a heat demand there.
                if x.chp.is_none() {
                    demands.insert(&x.heat_bus);
                }
            }
            AssetRef::CoolingLoad(x) => {
                cold_demands.insert(&x.bus);
            }
            AssetRef::DataCentre(x) => {
                if let Some(w) = &x.waste_heat_bus {
                    waste_in.insert(w);
                }
            }
            AssetRef::Grid(_)
            | AssetRef::Pv(_)
            | AssetRef::Wind(_)
            | AssetRef::Battery(_)
            | AssetRef::ThermalStore(_)
            | AssetRef::ElectricLoad(_)
            | AssetRef::EvCharging(_)
            | AssetRef::FlexibleLoad(_) => {}
        }
    }
    let root = FieldPath::root();
    for (i, b) in park.bus.iter().enumerate() {
        let at = root.key("bus").index(i).key("id");
        match b.carrier {
            Carrier::Heat if demands.contains(b.id.as_str()) && !supplies.contains(b.id.as_str()) => cx.push(
                Diagnostic::error(at, format!("heat bus '{}' has heat demand but nothing supplies heat to it", b.id))
                    .with_hint("connect a heat pump, boiler or CHP with heat_bus (or bus, for a gas boiler) set to it"),
            ),
            Carrier::Cold if cold_demands.contains(b.id.as_str()) && !cold_supplies.contains(b.id.as_str()) => cx.push(
                Diagnostic::error(at, format!("cold bus '{}' has cooling demand but nothing supplies cooling to it", b.id))
                    .with_hint("connect an [[electric_chiller]] or [[absorption_chiller]] with cold_bus set to it"),
            ),
            Carrier::WasteHeat if !waste_out.contains(b.id.as_str()) && waste_in.contains(b.id.as_str()) => cx.push(
                Diagnostic::warning(at, format!("nothing uses the waste heat on '{}': all of it is rejected", b.id))
                    .with_hint("add a [[waste_heat_pump]] with source_bus set to it"),
            ),
            Carrier::WasteHeat if waste_out.contains(b.id.as_str()) && !waste_in.contains(b.id.as_str()) => cx.push(
                Diagnostic::warning(at, format!("nothing delivers waste heat to '{}': its heat pumps cannot run", b.id))
                    .with_hint("set waste_heat_bus of a [[data_centre]] to it"),
            ),
            _ => {}
        }
    }
}
