//! Foreign topic layouts: devices that do not speak SenML but publish a JSON object per message
//! (`{"ts": 1735689600, "power": 812.4, "grid": {"u": 10.1}}`) to a topic of their own. A
//! [`Mapping`] names the topic (an MQTT filter), the field holding the time and, per field, the
//! series it feeds; [`resolve`] turns a message into the same records a SenML pack gives.
//!
//! The time must come with the message: a time taken at reception would differ when the broker
//! delivers the message again, and the point would be stored twice. A field the message lacks
//! is skipped (devices send partial objects); a message with none of the mapped fields, without
//! its time, or with a mapped field that is not a number (or a boolean, stored as 1/0) is
//! refused with the field named.

use serde_json::Value as Json;

use crate::senml::{Record, Value};

/// One field of a foreign message and the series it feeds.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldMap {
    /// The field's path in the JSON object, keys joined by `.` (`grid.u`).
    pub field: String,
    /// The series' full name (`park/asset/quantity`).
    pub series: String,
    /// value = field × scale.
    pub scale: f64,
    /// The series' unit.
    pub unit: Option<String>,
}

/// A foreign layout.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapping {
    /// The MQTT topic filter its messages come on (`+` and `#` wildcards).
    pub topic: String,
    /// The path of the field holding the time, seconds or milliseconds since 1970 UTC.
    pub time_field: String,
    /// Milliseconds per unit of the time field (1,000 for seconds, 1 for milliseconds).
    pub time_unit_ms: f64,
    /// The fields taken.
    pub fields: Vec<FieldMap>,
}

/// Whether `topic` matches the MQTT filter `filter` (`+` one level, `#` the rest; a filter
/// starting with a wildcard does not match a topic starting with `$`, as MQTT 3.1.1 §4.7.2
/// says).
pub fn topic_matches(filter: &str, topic: &str) -> bool {
    if topic.starts_with('$') && (filter.starts_with('+') || filter.starts_with('#')) {
        return false;
    }
    let mut f = filter.split('/');
    let mut t = topic.split('/');
    loop {
        match (f.next(), t.next()) {
            (Some("#"), _) => return true,
            (Some("+"), Some(_)) => {}
            (Some(a), Some(b)) if a == b => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

/// The value at the dotted path `path` of `json`.
fn at<'j>(json: &'j Json, path: &str) -> Option<&'j Json> {
    path.split('.').try_fold(json, |j, key| j.get(key))
}

/// A foreign message resolved into records (see the module's documentation).
///
/// # Errors
/// A message naming the field at fault.
pub fn resolve(mapping: &Mapping, text: &str) -> Result<Vec<Record>, String> {
    let json: Json = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    if !json.is_object() {
        return Err("not a JSON object".into());
    }
    let t = at(&json, &mapping.time_field)
        .ok_or_else(|| format!("{}: no time in the message", mapping.time_field))?;
    let t = t
        .as_f64()
        .filter(|t| t.is_finite())
        .ok_or_else(|| format!("{}: the time {t} is not a number", mapping.time_field))?;
    let time_ms = t * mapping.time_unit_ms;
    // Within ±10,000 years of 1970: anything else is not a time.
    if time_ms.abs() >= 3.2e14 {
        return Err(format!(
            "{}: {t} is not a time in {}",
            mapping.time_field,
            if mapping.time_unit_ms == 1.0 {
                "milliseconds"
            } else {
                "seconds"
            }
        ));
    }
    let time_ms = time_ms.round() as i64;
    let mut records = Vec::new();
    for f in &mapping.fields {
        let Some(v) = at(&json, &f.field) else {
            continue;
        };
        let value = match v {
            Json::Number(n) => n.as_f64().filter(|x| x.is_finite()),
            Json::Bool(b) => Some(f64::from(u8::from(*b))),
            _ => None,
        }
        .ok_or_else(|| format!("{}: {v} is not a number", f.field))?;
        records.push(Record {
            name: f.series.clone(),
            time_ms,
            unit: f.unit.clone(),
            value: Some(Value::Number(value * f.scale)),
            sum: None,
            relative: false,
        });
    }
    if records.is_empty() {
        let names: Vec<&str> = mapping.fields.iter().map(|f| f.field.as_str()).collect();
        return Err(format!(
            "none of the mapped fields ({}) in the message",
            names.join(", ")
        ));
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping() -> Mapping {
        Mapping {
            topic: "site/+/telemetry".into(),
            time_field: "ts".into(),
            time_unit_ms: 1000.0,
            fields: vec![
                FieldMap {
                    field: "power".into(),
                    series: "park/pv_roof/output_kw".into(),
                    scale: 0.001,
                    unit: Some("kW".into()),
                },
                FieldMap {
                    field: "grid.on".into(),
                    series: "park/pv_roof/on".into(),
                    scale: 1.0,
                    unit: None,
                },
            ],
        }
    }

    #[test]
    fn topics_match_as_mqtt_says() {
        assert!(topic_matches("site/+/telemetry", "site/inv7/telemetry"));
        assert!(!topic_matches("site/+/telemetry", "site/inv7/status"));
        assert!(!topic_matches("site/+/telemetry", "site/a/b/telemetry"));
        assert!(topic_matches("site/#", "site/a/b"));
        assert!(topic_matches("site/#", "site"));
        assert!(topic_matches("#", "a"));
        assert!(!topic_matches("#", "$SYS/x"));
        assert!(!topic_matches("a/b", "a/b/c"));
        assert!(!topic_matches("a/b/c", "a/b"));
    }

    #[test]
    fn fields_become_records_or_the_message_is_refused_with_the_field() {
        let r = resolve(
            &mapping(),
            r#"{"ts": 1735689600, "power": 812400, "grid": {"on": true}}"#,
        )
        .expect("resolves");
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].name, "park/pv_roof/output_kw");
        assert_eq!(r[0].time_ms, 1_735_689_600_000);
        assert_eq!(r[0].value, Some(Value::Number(812.4)));
        assert_eq!(r[1].value, Some(Value::Number(1.0)));
        // A partial message: what it has.
        assert_eq!(
            resolve(&mapping(), r#"{"ts": 1, "power": 5}"#)
                .expect("partial")
                .len(),
            1
        );
        for (bad, says) in [
            ("[1]", "not a JSON object"),
            ("{", "not JSON"),
            (r#"{"power": 5}"#, "ts: no time"),
            (r#"{"ts": "noon", "power": 5}"#, "is not a number"),
            (r#"{"ts": 1e300, "power": 5}"#, "is not a time"),
            (
                r#"{"ts": 1, "power": "high"}"#,
                "power: \"high\" is not a number",
            ),
            (
                r#"{"ts": 1, "other": 5}"#,
                "none of the mapped fields (power, grid.on)",
            ),
        ] {
            let e = resolve(&mapping(), bad).expect_err(bad);
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
