//! The JSON Schema of the park file, generated from the types, and lookups in it.

use std::sync::OnceLock;

use serde_json::Value;

use crate::Park;
use crate::diag::{FieldPath, Seg};

/// The JSON Schema (draft 2020-12) of the park file, for editor completion (e.g. Taplo or
/// Even Better TOML with `#:schema` or a schema association).
pub fn json_schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| schemars::schema_for!(Park).to_value())
}

/// Follows `$ref` and picks the non-null branch of `Option<T>` (`anyOf: [T, null]`).
fn resolve<'a>(root: &'a Value, mut node: &'a Value) -> &'a Value {
    for _ in 0..16 {
        if let Some(r) = node.get("$ref").and_then(Value::as_str) {
            let name = r.trim_start_matches("#/$defs/");
            match root.get("$defs").and_then(|d| d.get(name)) {
                Some(n) => node = n,
                None => return node,
            }
        } else if let Some(branches) = node.get("anyOf").and_then(Value::as_array) {
            match branches
                .iter()
                .find(|b| b.get("type").and_then(Value::as_str) != Some("null"))
            {
                Some(b) => node = b,
                None => return node,
            }
        } else {
            return node;
        }
    }
    node
}

/// The schema node of the value at `path` (array indices step into `items`).
pub fn node_at(path: &FieldPath) -> Option<&'static Value> {
    let root = json_schema();
    let mut node = root;
    for seg in path.segs() {
        let here = resolve(root, node);
        node = match seg {
            Seg::Key(k) => here.get("properties")?.get(k)?,
            Seg::Index(_) => here.get("items")?,
        };
    }
    Some(resolve(root, node))
}

/// The field names allowed in the table at `path`, in schema order; `None` when `path` is not a
/// table with fixed fields.
pub fn keys_at(path: &FieldPath) -> Option<Vec<String>> {
    let props = node_at(path)?.get("properties")?.as_object()?;
    Some(props.keys().cloned().collect())
}

/// Every table of the park file with its fields: `("pv", [...])`, `("tariff.period", [...])`,
/// `("pv.profile", [...])`. Arrays of tables are named without index.
pub fn tables() -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    collect(&FieldPath::root(), "", &mut out);
    out
}

fn collect(path: &FieldPath, name: &str, out: &mut Vec<(String, Vec<String>)>) {
    let Some(node) = node_at(path) else { return };
    if node.get("type").and_then(Value::as_str) == Some("array") {
        if node.get("items").is_some() {
            collect(&path.index(0), name, out);
        }
        return;
    }
    let Some(keys) = keys_at(path) else { return };
    if !name.is_empty() {
        out.push((name.to_string(), keys.clone()));
    }
    for k in keys {
        let child = if name.is_empty() {
            k.clone()
        } else {
            format!("{name}.{k}")
        };
        collect(&path.key(k.as_str()), &child, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_reach_nested_entries() {
        let tables = tables();
        let names: Vec<&str> = tables.iter().map(|(n, _)| n.as_str()).collect();
        for expected in [
            "site",
            "bus",
            "pv",
            "pv.profile",
            "tariff.period",
            "wind.power_curve",
            "weather.climate",
        ] {
            assert!(
                names.contains(&expected),
                "{expected} missing from {names:?}"
            );
        }
        let pv = tables
            .iter()
            .find(|(n, _)| n == "pv")
            .map(|(_, f)| f.clone())
            .unwrap_or_default();
        assert!(pv.contains(&String::from("p_dc_kw")));
    }

    #[test]
    fn every_struct_denies_unknown_fields() {
        let defs = json_schema()
            .get("$defs")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        for (name, def) in defs {
            if def.get("properties").is_some() {
                assert_eq!(
                    def.get("additionalProperties"),
                    Some(&Value::Bool(false)),
                    "{name} lacks #[schemars(deny_unknown_fields)]"
                );
            }
        }
    }
}
