//! `docs/park-file.md` is checked against the code:
//! - the field tables between `<!-- fields: NAME -->` and `<!-- end fields -->` are generated from
//!   the JSON Schema of the park types (run with `PARKGRID_UPDATE_DOCS=1` to rewrite them);
//! - every field a table documents exists, and every table of the park file is documented;
//! - every TOML example validates: a block with a `[site]` table alone, any other block appended to
//!   the first complete block of the page.

use std::path::{Path, PathBuf};

use parkgrid_model::schema::{json_schema, keys_at, node_at, tables};
use parkgrid_model::{FieldPath, parse};
use serde_json::Value;

fn doc_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/park-file.md")
}

/// The schema path of a dotted table name: `tariff.period` → `tariff[0].period[0]`.
fn table_path(name: &str) -> FieldPath {
    let mut path = FieldPath::root();
    for part in name.split('.') {
        path = path.key(part);
        if node_at(&path)
            .and_then(|n| n.get("type"))
            .and_then(Value::as_str)
            == Some("array")
        {
            path = path.index(0);
        }
    }
    path
}

/// Type of a property in words.
fn type_words(prop: &Value) -> String {
    let root = json_schema();
    let resolved = resolve(root, prop);
    if let Some(values) = enum_values(resolved) {
        return values
            .iter()
            .map(|v| format!("`\"{v}\"`"))
            .collect::<Vec<_>>()
            .join(" \\| ");
    }
    let ty = match resolved.get("type") {
        Some(Value::String(s)) => Some(s.as_str()),
        // `Option<T>` is `["T", "null"]`.
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null"),
        _ => None,
    };
    match ty {
        Some("number") => String::from("number"),
        Some("integer") => String::from("integer"),
        Some("boolean") => String::from("boolean"),
        Some("string") => match resolved.get("pattern").and_then(Value::as_str) {
            Some(_) => format!(
                "string ({})",
                resolved
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or("")
            ),
            None => String::from("string"),
        },
        Some("array") => {
            let item = resolved.get("items").map(type_words).unwrap_or_default();
            if resolved
                .get("items")
                .map(|i| resolve(root, i))
                .and_then(|i| i.get("properties"))
                .is_some()
            {
                String::from("array of tables")
            } else {
                format!("list of {item}")
            }
        }
        Some("object") if resolved.get("properties").is_some() => String::from("table"),
        Some("object") => String::from("table of numbers"),
        _ => String::from("value"),
    }
}

fn resolve<'a>(root: &'a Value, mut node: &'a Value) -> &'a Value {
    loop {
        if let Some(r) = node.get("$ref").and_then(Value::as_str) {
            node = &root["$defs"][r.trim_start_matches("#/$defs/")];
        } else if let Some(b) = node.get("anyOf").and_then(Value::as_array) {
            node = b
                .iter()
                .find(|x| x.get("type").and_then(Value::as_str) != Some("null"))
                .unwrap_or(node);
            if b.iter()
                .all(|x| x.get("type").and_then(Value::as_str) == Some("null"))
            {
                return node;
            }
        } else {
            return node;
        }
    }
}

fn enum_values(node: &Value) -> Option<Vec<String>> {
    if let Some(e) = node.get("enum").and_then(Value::as_array) {
        return Some(
            e.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect(),
        );
    }
    let one_of = node.get("oneOf").and_then(Value::as_array)?;
    one_of
        .iter()
        .map(|v| v.get("const").and_then(Value::as_str).map(String::from))
        .collect()
}

/// The generated markdown table of the fields of table `name`.
fn field_table(name: &str) -> String {
    let path = table_path(name);
    let node = node_at(&path).unwrap_or_else(|| panic!("no table {name} in the schema"));
    let required: Vec<&str> = node
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut out = String::from("| field | type | default | meaning |\n| --- | --- | --- | --- |\n");
    for key in keys_at(&path).unwrap_or_default() {
        let prop = &node["properties"][&key];
        let default = if required.contains(&key.as_str()) {
            String::from("**required**")
        } else {
            match prop.get("default") {
                Some(Value::Array(a)) if a.is_empty() => String::from("none"),
                Some(Value::Null) | None => String::from("—"),
                Some(v) => format!("`{}`", toml_literal(v)),
            }
        };
        let meaning = prop
            .get("description")
            .or_else(|| resolve(json_schema(), prop).get("description"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .replace('\n', " ")
            .replace('|', "\\|");
        out.push_str(&format!(
            "| `{key}` | {} | {default} | {meaning} |\n",
            type_words(prop)
        ));
    }
    out
}

fn toml_literal(v: &Value) -> String {
    match v {
        Value::String(s) => format!("\"{s}\""),
        Value::Object(_) => String::from("{ … }"),
        other => other.to_string(),
    }
}

/// The field blocks of the page: (name, start of content, end of content) as byte offsets.
fn blocks(doc: &str) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    let mut rest = 0;
    while let Some(start) = doc[rest..].find("<!-- fields: ") {
        let open = rest + start;
        let name_end = open + doc[open..].find(" -->").expect("marker closes");
        let name = doc[open + "<!-- fields: ".len()..name_end].to_string();
        let content = name_end + " -->\n".len();
        let end = content
            + doc[content..]
                .find("<!-- end fields -->")
                .expect("end marker");
        out.push((name, content, end));
        rest = end;
    }
    out
}

#[test]
fn field_tables_match_the_schema() {
    let path = doc_path();
    let doc = std::fs::read_to_string(&path).expect("docs/park-file.md");
    let mut fresh = String::new();
    let mut last = 0;
    let mut stale = Vec::new();
    for (name, start, end) in blocks(&doc) {
        let table = field_table(&name);
        if doc[start..end] != table {
            stale.push(name.clone());
        }
        fresh.push_str(&doc[last..start]);
        fresh.push_str(&table);
        last = end;
    }
    fresh.push_str(&doc[last..]);
    if std::env::var_os("PARKGRID_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &fresh).expect("write docs");
        return;
    }
    assert!(
        stale.is_empty(),
        "field tables out of date in docs/park-file.md: {stale:?}\nrun: PARKGRID_UPDATE_DOCS=1 cargo test -p parkgrid-model --test integration docs::"
    );
}

#[test]
fn every_documented_field_exists_and_every_table_is_documented() {
    let doc = std::fs::read_to_string(doc_path()).expect("docs/park-file.md");
    let mut documented: Vec<Vec<String>> = Vec::new();
    for (name, start, end) in blocks(&doc) {
        let known = keys_at(&table_path(&name))
            .unwrap_or_else(|| panic!("documented table {name} does not exist"));
        let mut fields = Vec::new();
        for line in doc[start..end].lines().skip(2) {
            let field = line.split('`').nth(1).unwrap_or("");
            assert!(
                known.iter().any(|k| k == field),
                "{name}: documented field '{field}' does not exist"
            );
            fields.push(field.to_string());
        }
        fields.sort();
        documented.push(fields);
    }
    for (name, mut keys) in tables() {
        keys.sort();
        assert!(
            documented.contains(&keys),
            "table {name} is not documented in docs/park-file.md"
        );
    }
}

#[test]
fn every_toml_example_validates() {
    let doc = std::fs::read_to_string(doc_path()).expect("docs/park-file.md");
    let examples: Vec<&str> = doc
        .split("```toml\n")
        .skip(1)
        .map(|s| s.split("```").next().unwrap_or(""))
        .collect();
    assert!(examples.len() >= 10, "expected the page to show examples");
    let base = examples
        .iter()
        .find(|e| e.contains("[site]"))
        .expect("a complete example");
    for (i, example) in examples.iter().enumerate() {
        let text = if example.contains("[site]") {
            example.to_string()
        } else {
            format!("{base}\n{example}")
        };
        let loaded = parse(&format!("docs/park-file.md example {}", i + 1), &text);
        assert!(
            loaded.report.diagnostics.is_empty(),
            "example {} does not validate cleanly:\n{example}\n{}",
            i + 1,
            loaded.report.render()
        );
    }
}
