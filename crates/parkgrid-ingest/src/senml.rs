//! SenML packs (RFC 8428, JSON representation) resolved into records a store can take.
//!
//! A pack is a JSON array of records. Base fields (`bn` name, `bt` time, `bu` unit, `bv` value,
//! `bs` sum, `bver` version) apply to their own record and every later one until another value
//! of the same base field (RFC 8428 §4.1). [`resolve`] applies them and checks what the RFC asks
//! of a resolved record:
//!
//! - the name is `bn + n`, not empty, of the characters `A–Z a–z 0–9 - : . / _` only, starting
//!   with a letter or a digit (§4.5.1);
//! - the time is `bt + t` in seconds; a result below 2²⁸ is relative to now (§4.5.3), so the
//!   caller passes the time of reception;
//! - at most one of `v`, `vs`, `vb`, `vd`; a numeric value is `bv + v`, a sum `bs + s`
//!   (§4.5.4); a record that has neither a value nor a sum only carries base fields and gives no
//!   record — unless it names a record (`n`, `t` or `u`), which is an error;
//! - a field whose name ends in `_` that this reader does not know must be understood: the pack
//!   is refused (§4.4); other unknown fields are ignored; a `bver` above 10 is refused;
//! - every field has the RFC's JSON type; numbers are finite (JSON has no NaN).
//!
//! An error names the record (0-based) and the field, so a quarantined payload says why.

use serde::Serialize;
use serde_json::{Map, Value as Json};

/// The SenML version this reader implements (RFC 8428).
pub const VERSION: i64 = 10;

/// Times below this (seconds) are relative to the time of reception (RFC 8428 §4.5.3).
pub const RELATIVE_BELOW_S: f64 = 268_435_456.0;

/// A record's value.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    /// `v` (plus `bv`).
    Number(f64),
    /// `vs`.
    Text(String),
    /// `vb`.
    Bool(bool),
    /// `vd` (base64url, as received).
    Data(String),
}

/// One resolved record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Record {
    /// `bn + n`.
    pub name: String,
    /// `bt + t`, made absolute, UTC epoch milliseconds (rounded to the millisecond).
    pub time_ms: i64,
    /// `u`, else `bu`.
    pub unit: Option<String>,
    /// The value, if the record has one.
    pub value: Option<Value>,
    /// `bs + s`, if the record has a sum.
    pub sum: Option<f64>,
    /// Whether the time was relative to the time of reception (below 2²⁸ s): such a time
    /// changes when the same pack is delivered again.
    pub relative: bool,
}

/// Why a pack was refused: the record (0-based index in the pack; `None` for the pack itself),
/// the field and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{}{why}", place(*.record, .field))]
pub struct SenmlError {
    /// The record, 0-based; `None` when the pack as a whole is wrong.
    pub record: Option<usize>,
    /// The field (`n`, `bt`, …), or `""` for the record or pack as a whole.
    pub field: String,
    /// What is wrong.
    pub why: String,
}

/// `record 3: bt: ` — the place an error names, before its reason.
fn place(record: Option<usize>, field: &str) -> String {
    let mut out = String::new();
    if let Some(i) = record {
        out.push_str(&format!("record {i}: "));
    }
    if !field.is_empty() {
        out.push_str(&format!("{field}: "));
    }
    out
}

fn error(record: Option<usize>, field: &str, why: impl Into<String>) -> SenmlError {
    SenmlError {
        record,
        field: field.to_string(),
        why: why.into(),
    }
}

/// The fields of RFC 8428 §4.1–4.2.
const KNOWN: [&str; 15] = [
    "bn", "bt", "bu", "bv", "bs", "bver", "n", "u", "v", "vs", "vb", "vd", "s", "t", "ut",
];

/// Resolves the JSON pack `text` received at `now_ms` (UTC epoch ms).
///
/// # Errors
/// [`SenmlError`] naming the record and field: not JSON, not an array of objects, a field of the
/// wrong type, a must-understand field, an unsupported version, a bad name, several values, a
/// record without value or sum, a time outside the epoch-millisecond range.
pub fn resolve(text: &str, now_ms: i64) -> Result<Vec<Record>, SenmlError> {
    let json: Json =
        serde_json::from_str(text).map_err(|e| error(None, "", format!("not JSON: {e}")))?;
    let Json::Array(items) = json else {
        return Err(error(None, "", "a SenML pack is a JSON array of records"));
    };
    let mut base = Base::default();
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let Json::Object(rec) = item else {
            return Err(error(Some(i), "", "a record is a JSON object"));
        };
        if let Some(r) = record(i, rec, &mut base, now_ms)? {
            out.push(r);
        }
    }
    Ok(out)
}

/// The base fields in force.
#[derive(Default)]
struct Base {
    name: String,
    time_s: f64,
    unit: Option<String>,
    value: f64,
    sum: f64,
}

fn record(
    i: usize,
    rec: &Map<String, Json>,
    base: &mut Base,
    now_ms: i64,
) -> Result<Option<Record>, SenmlError> {
    for key in rec.keys() {
        if key.ends_with('_') && !KNOWN.contains(&key.as_str()) {
            return Err(error(
                Some(i),
                key,
                "a field this reader must understand and does not (RFC 8428 §4.4)",
            ));
        }
    }
    let text = |f: &str| -> Result<Option<&str>, SenmlError> {
        match rec.get(f) {
            None => Ok(None),
            Some(Json::String(s)) => Ok(Some(s.as_str())),
            Some(other) => Err(error(Some(i), f, format!("must be a string, not {other}"))),
        }
    };
    let number = |f: &str| -> Result<Option<f64>, SenmlError> {
        match rec.get(f) {
            None => Ok(None),
            Some(Json::Number(x)) => x
                .as_f64()
                .filter(|v| v.is_finite())
                .map(Some)
                .ok_or_else(|| error(Some(i), f, "must be a finite number")),
            Some(other) => Err(error(Some(i), f, format!("must be a number, not {other}"))),
        }
    };
    if let Some(v) = number("bver")? {
        if v.fract() != 0.0 || v < 1.0 {
            return Err(error(Some(i), "bver", "must be a positive integer"));
        }
        if v > VERSION as f64 {
            return Err(error(
                Some(i),
                "bver",
                format!("version {v} is newer than this reader's ({VERSION})"),
            ));
        }
    }
    if let Some(bn) = text("bn")? {
        base.name = bn.to_string();
    }
    if let Some(bt) = number("bt")? {
        base.time_s = bt;
    }
    if let Some(bu) = text("bu")? {
        base.unit = Some(bu.to_string());
    }
    if let Some(bv) = number("bv")? {
        base.value = bv;
    }
    if let Some(bs) = number("bs")? {
        base.sum = bs;
    }
    let mut values = Vec::new();
    if let Some(v) = number("v")? {
        let resolved = base.value + v;
        if !resolved.is_finite() {
            return Err(error(Some(i), "v", "bv + v is beyond a finite number"));
        }
        values.push(("v", Value::Number(resolved)));
    }
    if let Some(vs) = text("vs")? {
        values.push(("vs", Value::Text(vs.to_string())));
    }
    match rec.get("vb") {
        None => {}
        Some(Json::Bool(b)) => values.push(("vb", Value::Bool(*b))),
        Some(other) => {
            return Err(error(
                Some(i),
                "vb",
                format!("must be true or false, not {other}"),
            ));
        }
    }
    if let Some(vd) = text("vd")? {
        values.push(("vd", Value::Data(vd.to_string())));
    }
    if values.len() > 1 {
        let names: Vec<&str> = values.iter().map(|(f, _)| *f).collect();
        return Err(error(
            Some(i),
            values[1].0,
            format!("a record has one value, this one has {}", names.join(", ")),
        ));
    }
    let sum = number("s")?.map(|s| base.sum + s);
    if sum.is_some_and(|s| !s.is_finite()) {
        return Err(error(Some(i), "s", "bs + s is beyond a finite number"));
    }
    let n = text("n")?;
    let t = number("t")?;
    let u = text("u")?;
    // `ut` (update time) is read for its type only.
    number("ut")?;
    let value = values.pop().map(|(_, v)| v);
    if value.is_none() && sum.is_none() {
        if n.is_some() || t.is_some() || u.is_some() {
            return Err(error(
                Some(i),
                "",
                "a record needs a value (v, vs, vb or vd) or a sum (s)",
            ));
        }
        // Base fields only.
        return Ok(None);
    }
    let name = format!("{}{}", base.name, n.unwrap_or(""));
    check_name(&name).map_err(|why| error(Some(i), if n.is_some() { "n" } else { "bn" }, why))?;
    let mut time_s = base.time_s + t.unwrap_or(0.0);
    let relative = time_s < RELATIVE_BELOW_S;
    if relative {
        time_s += now_ms as f64 / 1000.0;
    }
    let time_ms = (time_s * 1000.0).round();
    // Between 1970 and 9999: a time outside it is not one a meter sent.
    if !(0.0..=253_402_300_799_000.0).contains(&time_ms) {
        return Err(error(
            Some(i),
            "t",
            format!("{time_s:e} s is not a time this store keeps"),
        ));
    }
    Ok(Some(Record {
        name,
        time_ms: time_ms as i64,
        unit: u.map(str::to_string).or_else(|| base.unit.clone()),
        relative,
        value,
        sum,
    }))
}

/// RFC 8428 §4.5.1: not empty, of `A–Z a–z 0–9 - : . / _`, starting with a letter or digit.
fn check_name(name: &str) -> Result<(), String> {
    let Some(first) = name.chars().next() else {
        return Err("the resolved name (bn + n) is empty".into());
    };
    if !first.is_ascii_alphanumeric() {
        return Err(format!(
            "the name '{name}' must start with a letter or a digit"
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | ':' | '.' | '/' | '_')))
    {
        return Err(format!(
            "the name '{name}' holds '{c}', which SenML names may not"
        ));
    }
    Ok(())
}
