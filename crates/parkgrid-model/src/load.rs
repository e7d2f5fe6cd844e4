//! Reading a park file: TOML with spans, entry-by-entry deserialization that collects every error,
//! validation, and the checks of the files the park names.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::de::{DeserializeOwned, IntoDeserializer};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::common::{Cx, Profile};
use crate::diag::{Diagnostic, FieldPath, Report, Seg, SourceFile, did_you_mean};
use crate::site::{MonthDay, Site, TimeZone};
use crate::time::TimeConfig;
use crate::weather::WeatherSource;
use crate::{Park, schema};

/// A failure to read a park file at all. An invalid park is not an error: it is a [`Loaded`] with
/// an error report.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The file could not be read (missing, unreadable, not UTF-8).
    #[error("cannot read park file '{}'", path.display())]
    Read {
        /// The path as given.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// The outcome of loading a park: the park when it is valid, and every finding.
#[derive(Debug)]
pub struct Loaded {
    /// The park, present exactly when the report has no errors.
    pub park: Option<Park>,
    /// Errors and warnings, with positions in the file.
    pub report: Report,
}

/// Reads a whole text file, refusing what is not a regular file — a directory, a FIFO or a
/// device would block or never end.
///
/// # Errors
/// The I/O error, or `InvalidInput` for anything but a regular file.
pub fn read_text_file(path: &Path) -> std::io::Result<String> {
    if !std::fs::metadata(path)?.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file (a directory, FIFO or device)",
        ));
    }
    std::fs::read_to_string(path)
}

/// Reads, parses and validates the park file at `path`, including the existence of the profile
/// and weather files it names (relative to its directory).
pub fn load(path: &Path) -> Result<Loaded, ModelError> {
    load_with(path, &|_| Vec::new())
}

/// [`load`], and then, when the park has no error, the findings of `more` on it (checks that
/// need more than the file, such as the profiles its weather and profile files give), located in
/// the file like the validator's own.
///
/// # Errors
/// As [`load`].
pub fn load_with(
    path: &Path,
    more: &dyn Fn(&crate::Park) -> Vec<Diagnostic>,
) -> Result<Loaded, ModelError> {
    let text = read_text_file(path).map_err(|source| ModelError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    Ok(parse_in(
        &path.display().to_string(),
        &text,
        Some(&base_dir),
        more,
    ))
}

/// Parses and validates park-file text. `name` is shown in messages. Files named by the park are
/// not looked at (see [`load`]).
pub fn parse(name: &str, text: &str) -> Loaded {
    parse_in(name, text, None, &|_| Vec::new())
}

fn parse_in(
    name: &str,
    text: &str,
    base_dir: Option<&Path>,
    more: &dyn Fn(&crate::Park) -> Vec<Diagnostic>,
) -> Loaded {
    let source = SourceFile::new(name, text);
    let (root, syntax_errors) = DeTable::parse_recoverable(text);
    if !syntax_errors.is_empty() {
        let diags = syntax_errors
            .iter()
            .map(|e| {
                let d =
                    Diagnostic::error(FieldPath::root(), format!("TOML syntax: {}", e.message()));
                match e.span() {
                    Some(span) => d.with_span(span),
                    None => d,
                }
            })
            .collect();
        return Loaded {
            park: None,
            report: Report::new(source, diags),
        };
    }

    let mut index = SpanIndex::default();
    index.add_table(&FieldPath::root(), root.get_ref());
    if !index.non_finite.is_empty() {
        let diags = index
            .non_finite
            .iter()
            .map(|(path, span, text)| {
                Diagnostic::error(path.clone(), format!("{text} is not a finite number"))
                    .with_span(span.clone())
                    .with_hint("every number of a park file is finite")
            })
            .collect();
        return Loaded {
            park: None,
            report: Report::new(source, diags),
        };
    }

    let mut st = State::default();
    let mut park = deserialize_park(root.into_inner(), &mut st);
    let mut cx = Cx::default();
    crate::validate::validate_into(&park, &st.failed_ids, &mut cx);
    if let Some(dir) = base_dir {
        park.base_dir = dir.to_path_buf();
        check_files(&park, &mut cx);
    }
    let is_error = |d: &Diagnostic| d.severity == crate::Severity::Error;
    if !st.diags.iter().any(is_error) && !cx.diags.iter().any(is_error) {
        cx.diags.extend(more(&park));
    }
    let checked: Vec<Diagnostic> = cx
        .diags
        .into_iter()
        .map(|mut d| {
            d.path = st.file_path(d.path);
            d
        })
        .collect();
    let diags: Vec<Diagnostic> = st
        .diags
        .into_iter()
        .chain(checked)
        .map(|d| index.locate(d))
        .collect();
    let has_errors = diags.iter().any(|d| d.severity == crate::Severity::Error);
    Loaded {
        park: (!has_errors).then_some(park),
        report: Report::new(source, diags),
    }
}

/// What deserialization found besides values.
#[derive(Default)]
struct State {
    diags: Vec<Diagnostic>,
    /// `(section, id)` of entries that failed to deserialize: they exist for reference checks.
    failed_ids: Vec<(String, String)>,
    /// For sections where an entry failed: the file index of each kept entry, so that findings
    /// about `pv[1]` of the park point at the right `[[pv]]` of the file.
    file_index: HashMap<String, Vec<usize>>,
}

impl State {
    /// The path in the file of a path in the (partially deserialized) park.
    fn file_path(&self, path: FieldPath) -> FieldPath {
        let segs = path.segs();
        let (Some(Seg::Key(section)), Some(Seg::Index(i))) = (segs.first(), segs.get(1)) else {
            return path;
        };
        let Some(&orig) = self.file_index.get(section).and_then(|m| m.get(*i)) else {
            return path;
        };
        let mut fixed = FieldPath::root().key(section.as_str()).index(orig);
        for seg in &segs[2..] {
            fixed = match seg {
                Seg::Key(k) => fixed.key(k.as_str()),
                Seg::Index(n) => fixed.index(*n),
            };
        }
        fixed
    }
}

fn deserialize_park(root: DeTable<'_>, st: &mut State) -> Park {
    let mut park = Park {
        site: Site {
            name: String::new(),
            latitude_deg: 0.0,
            longitude_deg: 0.0,
            elevation_m: 0.0,
            time_zone: TimeZone(chrono_tz::UTC),
            heating_season_start: MonthDay { month: 11, day: 15 },
            heating_season_end: MonthDay { month: 3, day: 15 },
        },
        time: TimeConfig {
            year: 2025,
            step_min: 60,
        },
        weather: Default::default(),
        economics: Default::default(),
        live: Default::default(),
        bus: Vec::new(),
        grid: Vec::new(),
        pv: Vec::new(),
        wind: Vec::new(),
        chp: Vec::new(),
        ground_heat_pump: Vec::new(),
        air_source_heat_pump: Vec::new(),
        waste_heat_pump: Vec::new(),
        data_centre: Vec::new(),
        battery: Vec::new(),
        thermal_store: Vec::new(),
        gas_boiler: Vec::new(),
        electric_boiler: Vec::new(),
        electric_chiller: Vec::new(),
        absorption_chiller: Vec::new(),
        electric_load: Vec::new(),
        heat_load: Vec::new(),
        cooling_load: Vec::new(),
        ev_charging: Vec::new(),
        flexible_load: Vec::new(),
        line: Vec::new(),
        transformer: Vec::new(),
        converter: Vec::new(),
        tariff: Vec::new(),
        fuel: Vec::new(),
        tenant: Vec::new(),
        meter: Vec::new(),
        base_dir: PathBuf::new(),
    };
    let mut site = None;
    let mut time = None;
    for (key, value) in root {
        let key = key.into_inner();
        let at = FieldPath::root().key(key.as_ref());
        match key.as_ref() {
            "site" => site = one(value, &at, st),
            "time" => time = one(value, &at, st),
            "weather" => park.weather = one(value, &at, st).unwrap_or_default(),
            "economics" => park.economics = one(value, &at, st).unwrap_or_default(),
            "live" => park.live = one(value, &at, st).unwrap_or_default(),
            "bus" => park.bus = many(value, &at, st),
            "grid" => park.grid = many(value, &at, st),
            "pv" => park.pv = many(value, &at, st),
            "wind" => park.wind = many(value, &at, st),
            "chp" => park.chp = many(value, &at, st),
            "ground_heat_pump" => park.ground_heat_pump = many(value, &at, st),
            "air_source_heat_pump" => park.air_source_heat_pump = many(value, &at, st),
            "waste_heat_pump" => park.waste_heat_pump = many(value, &at, st),
            "data_centre" => park.data_centre = many(value, &at, st),
            "battery" => park.battery = many(value, &at, st),
            "thermal_store" => park.thermal_store = many(value, &at, st),
            "gas_boiler" => park.gas_boiler = many(value, &at, st),
            "electric_boiler" => park.electric_boiler = many(value, &at, st),
            "electric_chiller" => park.electric_chiller = many(value, &at, st),
            "absorption_chiller" => park.absorption_chiller = many(value, &at, st),
            "electric_load" => park.electric_load = many(value, &at, st),
            "heat_load" => park.heat_load = many(value, &at, st),
            "cooling_load" => park.cooling_load = many(value, &at, st),
            "ev_charging" => park.ev_charging = many(value, &at, st),
            "flexible_load" => park.flexible_load = many(value, &at, st),
            "line" => park.line = many(value, &at, st),
            "transformer" => park.transformer = many(value, &at, st),
            "converter" => park.converter = many(value, &at, st),
            "tariff" => park.tariff = many(value, &at, st),
            "fuel" => park.fuel = many(value, &at, st),
            "tenant" => park.tenant = many(value, &at, st),
            "meter" => park.meter = many(value, &at, st),
            other => {
                let known = schema::keys_at(&FieldPath::root()).unwrap_or_default();
                st.diags.push(
                    Diagnostic::error(at.clone(), format!("unknown table '{other}'")).with_hint(
                        did_you_mean(other, known.iter().map(String::as_str)).unwrap_or_else(
                            || format!("the park file has these tables: {}", known.join(", ")),
                        ),
                    ),
                );
            }
        }
    }
    match site {
        Some(site) => park.site = site,
        None => {
            if !st.diags.iter().any(|d| d.path.to_string() == "site") {
                missing(
                    &mut st.diags,
                    "site",
                    "[site]\nname = \"My park\"\nlatitude_deg = 40.457\nlongitude_deg = 115.975\ntime_zone = \"Asia/Shanghai\"",
                );
            }
            // The placeholder site passes its own checks, so the rest of the park is still checked.
            park.site.name = String::from("(site missing)");
        }
    }
    match time {
        Some(time) => park.time = time,
        None if !st.diags.iter().any(|d| d.path.to_string() == "time") => {
            missing(&mut st.diags, "time", "[time]\nyear = 2025\nstep_min = 60");
        }
        None => {}
    }
    park
}

fn missing(diags: &mut Vec<Diagnostic>, name: &str, example: &str) {
    diags.push(
        Diagnostic::error(
            FieldPath::root(),
            format!("the park file has no [{name}] table"),
        )
        .with_hint(format!("add it, e.g.\n{example}")),
    );
}

/// A single table (`[site]`).
fn one<T: DeserializeOwned>(
    value: Spanned<DeValue<'_>>,
    at: &FieldPath,
    st: &mut State,
) -> Option<T> {
    if !matches!(value.get_ref(), DeValue::Table(_)) {
        let span = value.span();
        st.diags.push(
            Diagnostic::error(at.clone(), format!("{at} must be a single table"))
                .with_hint(format!("write [{at}] once, not [[{at}]] or a value"))
                .with_span(span),
        );
        return None;
    }
    entry(value, at, st)
}

/// An array of tables (`[[pv]]`), deserialized entry by entry so that every entry's errors are
/// reported.
fn many<T: DeserializeOwned>(
    value: Spanned<DeValue<'_>>,
    at: &FieldPath,
    st: &mut State,
) -> Vec<T> {
    let span = value.span();
    let DeValue::Array(items) = value.into_inner() else {
        st.diags.push(
            Diagnostic::error(at.clone(), format!("{at} must be an array of tables"))
                .with_hint(format!(
                    "write each entry under its own [[{at}]] header (double brackets)"
                ))
                .with_span(span),
        );
        return Vec::new();
    };
    let section = match at.segs().last() {
        Some(Seg::Key(k)) => k.clone(),
        _ => String::new(),
    };
    let mut out = Vec::new();
    let mut kept = Vec::new();
    let n_items = items.len();
    for (i, item) in items.into_iter().enumerate() {
        let id = match item.get_ref() {
            DeValue::Table(t) => t
                .get("id")
                .and_then(|v| v.get_ref().as_str())
                .map(str::to_string),
            _ => None,
        };
        match entry(item, &at.index(i), st) {
            Some(v) => {
                out.push(v);
                kept.push(i);
            }
            None => {
                if let Some(id) = id {
                    st.failed_ids.push((section.clone(), id));
                }
            }
        }
    }
    if kept.len() < n_items {
        st.file_index.insert(section, kept);
    }
    out
}

/// Deserializes one table, reporting its unknown fields and its first type error.
fn entry<T: DeserializeOwned>(
    value: Spanned<DeValue<'_>>,
    at: &FieldPath,
    st: &mut State,
) -> Option<T> {
    let mut unknown: Vec<FieldPath> = Vec::new();
    let result: Result<T, toml::de::Error> =
        serde_ignored::deserialize(value.into_deserializer(), |p| {
            unknown.push(ignored_path(&p, at))
        });
    for path in unknown {
        let field = match path.segs().last() {
            Some(Seg::Key(k)) => k.clone(),
            _ => path.to_string(),
        };
        let parent = path.parent().unwrap_or_default();
        let known = schema::keys_at(&parent).unwrap_or_default();
        let hint = did_you_mean(&field, known.iter().map(String::as_str))
            .unwrap_or_else(|| format!("fields here: {}", known.join(", ")));
        st.diags.push(
            Diagnostic::error(path.clone(), format!("unknown field '{field}' in {parent}"))
                .with_hint(hint),
        );
    }
    match result {
        Ok(v) => Some(v),
        Err(e) => {
            let mut d = Diagnostic::error(at.clone(), humanize(e.message()));
            if let Some(hint) = variant_hint(e.message()) {
                d = d.with_hint(hint);
            }
            if let Some(span) = e.span() {
                d = d.with_span(span);
            }
            st.diags.push(d);
            None
        }
    }
}

fn ignored_path(p: &serde_ignored::Path<'_>, base: &FieldPath) -> FieldPath {
    use serde_ignored::Path as P;
    match p {
        P::Root => base.clone(),
        P::Seq { parent, index } => ignored_path(parent, base).index(*index),
        P::Map { parent, key } => ignored_path(parent, base).key(key.clone()),
        P::Some { parent } | P::NewtypeStruct { parent } | P::NewtypeVariant { parent } => {
            ignored_path(parent, base)
        }
    }
}

/// Serde's type names in the words of a park-file writer.
fn humanize(message: &str) -> String {
    message
        .replace("expected f64", "expected a number")
        .replace("expected u32", "expected a whole number (0 or more)")
        .replace("expected u64", "expected a whole number (0 or more)")
        .replace("expected i32", "expected a whole number")
        .replace("expected a borrowed string", "expected a string")
}

/// For serde's "unknown variant `x`, expected one of `a`, `b`": the closest of the expected.
fn variant_hint(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown variant `")?;
    let (given, expected) = rest.split_once('`')?;
    let names: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    did_you_mean(given, names.iter().copied())
        .or_else(|| Some(format!("write one of: {}", names.join(", "))))
}

/// Where each field of the document is: the key's span and the value's span, by path.
#[derive(Default)]
struct SpanIndex {
    spans: HashMap<FieldPath, (Option<Range<usize>>, Range<usize>)>,
    /// Floats that are not finite numbers (`nan`, `inf`, `1e999`), with their text: no field of
    /// a park takes one.
    non_finite: Vec<(FieldPath, Range<usize>, String)>,
}

impl SpanIndex {
    fn add_value(
        &mut self,
        path: &FieldPath,
        key: Option<Range<usize>>,
        value: &Spanned<DeValue<'_>>,
    ) {
        self.spans.insert(path.clone(), (key, value.span()));
        match value.get_ref() {
            DeValue::Float(f) => {
                let text = f.as_str();
                if !text
                    .replace('_', "")
                    .parse::<f64>()
                    .is_ok_and(f64::is_finite)
                {
                    self.non_finite
                        .push((path.clone(), value.span(), text.to_string()));
                }
            }
            DeValue::Table(t) => self.add_table(path, t),
            DeValue::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.add_value(&path.index(i), None, item);
                }
            }
            _ => {}
        }
    }

    fn add_table(&mut self, path: &FieldPath, table: &DeTable<'_>) {
        for (k, v) in table.iter() {
            self.add_value(&path.key(k.get_ref().as_ref()), Some(k.span()), v);
        }
    }

    /// Gives `d` the span of its path (or of the nearest enclosing path that is in the file); for
    /// a diagnostic that has a span but a coarse path, the innermost path at that span.
    fn locate(&self, mut d: Diagnostic) -> Diagnostic {
        if let Some(span) = &d.span {
            if d.path.is_root() || self.spans.get(&d.path).is_some_and(|(_, v)| v != span) {
                if let Some(path) = self.path_at(span) {
                    d.path = path;
                }
            }
            return d;
        }
        let unknown_field = d.message.starts_with("unknown field");
        let mut path = Some(d.path.clone());
        while let Some(p) = path {
            if let Some((key, value)) = self.spans.get(&p) {
                let span = match key {
                    Some(k) if unknown_field => k.clone(),
                    _ => value.clone(),
                };
                d.span = Some(span);
                break;
            }
            path = p.parent();
        }
        d
    }

    /// The innermost path whose value contains `span`.
    fn path_at(&self, span: &Range<usize>) -> Option<FieldPath> {
        self.spans
            .iter()
            .filter(|(_, (_, v))| v.start <= span.start && span.end <= v.end.max(v.start + 1))
            .min_by_key(|(p, (_, v))| (v.end - v.start, std::cmp::Reverse(p.segs().len())))
            .map(|(p, _)| p.clone())
    }
}

/// Checks that the weather file and every profile file exist, and that each profile's column is in
/// its file's header.
fn check_files(park: &Park, cx: &mut Cx) {
    if park.weather.source != WeatherSource::Synthetic {
        if let Some(file) = &park.weather.file {
            check_exists(
                park,
                file,
                &FieldPath::root().key("weather").key("file"),
                cx,
            );
        }
    }
    for (at, asset) in park.assets() {
        let spec = asset.spec();
        if let Some(profile) = spec.profile() {
            check_profile(park, spec.id(), profile, &at.key("profile"), cx);
        }
        if let crate::AssetRef::Wind(w) = asset {
            if let Some(file) = &w.power_curve_file {
                check_curve_file(park, file, &at.key("power_curve_file"), cx);
            }
        }
    }
}

/// A power-curve file must exist, parse, and be a valid curve.
fn check_curve_file(park: &Park, file: &Path, at: &FieldPath, cx: &mut Cx) {
    if !check_exists(park, file, at, cx) {
        return;
    }
    let full = park.resolve(file);
    let text = match read_text_file(&full) {
        Ok(t) => t,
        Err(e) => {
            cx.push(Diagnostic::error(
                at.clone(),
                format!("cannot read '{}': {e}", full.display()),
            ));
            return;
        }
    };
    match crate::asset::PowerCurve::from_csv(&text) {
        Err((line, msg)) => cx.push(Diagnostic::error(
            at.clone(),
            format!("{}:{line}: {msg}", full.display()),
        )),
        Ok(curve) => {
            let mut inner = Cx::default();
            crate::asset::check_curve_pub(&mut inner, at, &curve);
            for mut d in inner.diags {
                d.message = format!("{}: {}", full.display(), d.message);
                d.path = at.clone();
                cx.push(d);
            }
        }
    }
}

fn check_exists(park: &Park, file: &Path, at: &FieldPath, cx: &mut Cx) -> bool {
    let full = park.resolve(file);
    if full.is_file() {
        return true;
    }
    cx.push(
        Diagnostic::error(at.clone(), format!("file '{}' not found", full.display()))
            .with_hint("file names are relative to the directory of the park file"),
    );
    false
}

/// The column names of a CSV file: its first line that is neither blank nor a `#` comment.
fn csv_header(path: &Path) -> Result<Vec<String>, String> {
    use std::io::BufRead as _;
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    for line in std::io::BufReader::new(file).lines() {
        let line = line.map_err(|e| e.to_string())?;
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        return Ok(line
            .split(',')
            .map(|c| c.trim().trim_matches('"').to_string())
            .collect());
    }
    Err(String::from("the file is empty"))
}

fn check_profile(park: &Park, id: &str, profile: &Profile, at: &FieldPath, cx: &mut Cx) {
    let at_file = at.key("file");
    if !check_exists(park, &profile.file, &at_file, cx) {
        return;
    }
    let full = park.resolve(&profile.file);
    let header = csv_header(&full);
    let column = profile.column.as_deref().unwrap_or(id);
    match header {
        Err(e) => cx.push(Diagnostic::error(
            at_file,
            format!("cannot read '{}': {e}", full.display()),
        )),
        Ok(cols) if !cols.iter().skip(1).any(|c| c == column) => {
            let names: Vec<&str> = cols.iter().skip(1).map(String::as_str).collect();
            let at = if profile.column.is_some() {
                at.key("column")
            } else {
                at_file
            };
            cx.push(
                Diagnostic::error(at, format!("'{}' has no column '{column}'", full.display()))
                    .with_hint(did_you_mean(column, names.iter().copied()).unwrap_or_else(|| {
                        format!(
                            "its value columns are: {}; name one with column = \"…\" (default: the asset id)",
                            names.join(", ")
                        )
                    })),
            );
        }
        Ok(_) => {}
    }
}
