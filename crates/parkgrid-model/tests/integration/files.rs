//! Loading from disk: the shipped examples, and the files a park names (profiles, weather).

use std::path::{Path, PathBuf};

use parkgrid_model::{AssetKind, Severity, load};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A fresh directory for one test, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("parkgrid-model-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn examples_are_valid_without_warnings() {
    for name in ["yanqing.toml", "minimal.toml"] {
        let loaded = load(&repo().join("examples").join(name)).expect("readable");
        assert!(
            loaded.report.diagnostics.is_empty(),
            "{name}:\n{}",
            loaded.report.render()
        );
        assert!(loaded.park.is_some());
    }
}

#[test]
fn yanqing_has_every_asset_kind() {
    let loaded = load(&repo().join("examples/yanqing.toml")).expect("readable");
    let park = loaded.park.expect("valid");
    for kind in AssetKind::ALL {
        assert!(
            park.assets().any(|(_, a)| a.spec().kind() == *kind),
            "examples/yanqing.toml has no {}",
            kind.key()
        );
    }
    assert!(
        park.thermal_store.iter().any(|s| s.seasonal)
            && park.thermal_store.iter().any(|s| !s.seasonal)
    );
    assert!(!park.line.is_empty() && !park.transformer.is_empty() && !park.converter.is_empty());
    assert_eq!(park.time_axis().map(|a| a.n_steps), Some(8760));
}

/// Every number describing the park carries its source tag: [S] stated, [D] derived, [A] assumed.
#[test]
fn yanqing_numbers_carry_source_tags() {
    let text = std::fs::read_to_string(repo().join("examples/yanqing.toml")).expect("readable");
    let untagged_ok = ["year", "step_min", "seed", "shift_window_h"];
    let mut missing = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let Some((key, rest)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        if key.starts_with('#') || untagged_ok.contains(&key) {
            continue;
        }
        let value = rest.split('#').next().unwrap_or("").trim();
        let numeric = value
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || c == '-')
            || (value.starts_with('{') && value.chars().any(|c| c.is_ascii_digit()));
        if numeric && !["[S", "[D", "[A"].iter().any(|t| line.contains(t)) {
            missing.push(format!("line {}: {line}", i + 1));
        }
    }
    let tariff_line = text
        .lines()
        .position(|l| l.starts_with("price_cny_per_kwh"));
    missing.retain(|l| !tariff_line.is_some_and(|t| l.starts_with(&format!("line {}:", t + 1))));
    assert!(
        missing.is_empty(),
        "numbers without [S]/[D]/[A]:\n{}",
        missing.join("\n")
    );
}

const PARK: &str = r#"
[site]
name = "files"
latitude_deg = 40
longitude_deg = 116
time_zone = "Asia/Shanghai"

[time]
year = 2025

[weather]
source = "epw"
file = "weather/site.epw"

[[bus]]
id = "ac"
carrier = "ac"
v_nom_kv = 0.4

[[grid]]
id = "grid"
bus = "ac"
p_import_max_kw = 100
tariff = "t"
co2_kg_per_kwh = 0.5

[[pv]]
id = "pv"
bus = "ac"
p_dc_kw = 50
profile = { file = "profiles.csv", unit = "per_unit" }

[[electric_load]]
id = "office"
bus = "ac"
profile = { file = "profiles.csv", column = "office_kw" }

[[tariff]]
id = "t"
price_cny_per_kwh = { a = 0.5 }
[[tariff.period]]
band = "a"
hours = ["0-24"]
"#;

#[test]
fn named_files_must_exist_with_their_columns() {
    let dir = TempDir::new("files");
    let park = dir.0.join("park.toml");
    std::fs::write(&park, PARK).expect("write");
    let loaded = load(&park).expect("readable");
    let errors: Vec<String> = loaded
        .report
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.path.to_string())
        .collect();
    assert_eq!(
        errors,
        vec![
            "weather.file",
            "pv[0].profile.file",
            "electric_load[0].profile.file"
        ]
    );

    std::fs::create_dir_all(dir.0.join("weather")).expect("mkdir");
    std::fs::write(dir.0.join("weather/site.epw"), "LOCATION,...\n").expect("write");
    std::fs::write(
        dir.0.join("profiles.csv"),
        "time,pv,office\n2025-01-01T00:00:00+08:00,0,12\n",
    )
    .expect("write");
    let loaded = load(&park).expect("readable");
    let errors: Vec<(String, Option<String>)> = loaded
        .report
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| (d.path.to_string(), d.hint.clone()))
        .collect();
    assert_eq!(errors.len(), 1, "{}", loaded.report.render());
    assert_eq!(errors[0].0, "electric_load[0].profile.column");
    assert!(
        errors[0].1.as_deref().unwrap_or("").contains("office"),
        "{errors:?}"
    );

    std::fs::write(
        dir.0.join("profiles.csv"),
        "time,pv,office_kw\n2025-01-01T00:00:00+08:00,0,12\n",
    )
    .expect("write");
    let loaded = load(&park).expect("readable");
    assert!(loaded.park.is_some(), "{}", loaded.report.render());
    let park = loaded.park.expect("valid");
    assert_eq!(
        park.resolve(Path::new("profiles.csv")),
        dir.0.join("profiles.csv")
    );
}

#[test]
fn unreadable_park_file_is_an_error_not_a_report() {
    let err = load(Path::new("/nonexistent/park.toml"))
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        err.as_deref(),
        Some("cannot read park file '/nonexistent/park.toml'")
    );
    let dir = TempDir::new("binary");
    let park = dir.0.join("park.toml");
    std::fs::write(&park, [0xff, 0xfe, 0x00, 0x41]).expect("write");
    assert!(load(&park).is_err());
}

#[test]
fn power_curve_files_are_read_and_checked() {
    let dir = TempDir::new("curve");
    let park = dir.0.join("park.toml");
    let text = PARK
        .replace(
            "[weather]\nsource = \"epw\"\nfile = \"weather/site.epw\"\n",
            "",
        )
        .replace(
            "profile = { file = \"profiles.csv\", unit = \"per_unit\" }",
            "",
        )
        .replace(
            "profile = { file = \"profiles.csv\", column = \"office_kw\" }",
            "annual_kwh = 1000",
        )
        + "\n[[wind]]\nid = \"w\"\nbus = \"ac\"\nn_turbines = 2\nhub_height_m = 30\npower_curve_file = \"curve.csv\"\n";
    std::fs::write(&park, text).expect("write");
    let errors = |park: &Path| -> Vec<String> {
        let loaded = load(park).expect("readable");
        loaded
            .report
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| format!("{}: {}", d.path, d.message))
            .collect()
    };
    let e = errors(&park);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].starts_with("wind[0].power_curve_file: file '")
            && e[0].ends_with("curve.csv' not found"),
        "{e:?}"
    );
    std::fs::write(
        dir.0.join("curve.csv"),
        "# a small turbine\nwind_speed_m_per_s,p_kw\n3,0\n8,x\n",
    )
    .expect("write");
    let e = errors(&park);
    assert!(
        e[0].ends_with("curve.csv:4: p_kw: 'x' is not a number"),
        "{e:?}"
    );
    std::fs::write(
        dir.0.join("curve.csv"),
        "wind_speed_m_per_s,p_kw\n3,0\n12,100\n10,100\n",
    )
    .expect("write");
    let e = errors(&park);
    assert!(
        e[0].ends_with("wind speeds must increase: 10 follows 12"),
        "{e:?}"
    );
    std::fs::write(
        dir.0.join("curve.csv"),
        "wind_speed_m_per_s,p_kw\n3,0\n12,100\n25,100\n",
    )
    .expect("write");
    assert!(errors(&park).is_empty());
}
