//! The live park end to end, on real processes: `parkgrid twin` → Mosquitto → `parkgrid serve`
//! → the store. The broker is a Mosquitto of the test's own (the binary named by the environment
//! variable `PARKGRID_TEST_MOSQUITTO`, which `.ci/run` sets), on a free loopback port with
//! `docs/mosquitto.conf`'s settings, so that it can be restarted. Compiled with the `live`
//! feature; the PostgreSQL case also needs the `postgres` feature and `PARKGRID_TEST_POSTGRES`.
//!
//! - A week of Yanqing at full speed: every point published is stored once, and every tenant
//!   meter's stored intervals equal the twin's ground truth (a meter reset included).
//! - Durability: `serve` killed with SIGKILL 20 times at random moments while the twin publishes,
//!   and the broker restarted 3 times: nothing the broker acknowledged to the twin is lost, nothing
//!   is stored twice, the meters still agree.
#![cfg(feature = "live")]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use parkgrid_engine::live::ingest::mosquitto::Mosquitto;
use parkgrid_engine::live::store::meter::{Kind, MeterSpec};
use parkgrid_engine::live::store::rollup::Resolution;
use serde_json::Value;

use crate::common::repo;

/// A Mosquitto of the test's own.
struct Broker(Mosquitto);

impl Broker {
    fn start(dir: &Path) -> Broker {
        let bin = std::env::var("PARKGRID_TEST_MOSQUITTO").unwrap_or_else(|_| {
            panic!("set PARKGRID_TEST_MOSQUITTO to Mosquitto's binary (e.g. /usr/sbin/mosquitto)")
        });
        Broker(Mosquitto::start(Path::new(&bin), dir).expect("mosquitto starts"))
    }

    fn restart(&mut self) {
        self.0.restart().expect("mosquitto restarts");
    }

    fn addr(&self) -> String {
        self.0.addr()
    }
}

/// A fresh directory for one test, holding a copy of the Yanqing park under `park_id`.
fn workspace(tag: &str) -> (PathBuf, PathBuf, String) {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let park_id = format!("t{}{nanos}", std::process::id());
    let dir = std::env::temp_dir().join(format!("parkgrid-live-{tag}-{park_id}"));
    std::fs::create_dir_all(&dir).expect("dir");
    let park = std::fs::read_to_string(repo().join("examples/yanqing.toml"))
        .expect("yanqing.toml")
        .replace("park_id = \"yanqing\"", &format!("park_id = \"{park_id}\""));
    let path = dir.join("park.toml");
    std::fs::write(&path, park).expect("park copy");
    (dir, path, park_id)
}

fn parkgrid() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_parkgrid"));
    c.current_dir(repo());
    c
}

fn serve(park: &Path, broker: &str, db: &str, idle_s: &str) -> Child {
    serve_as(park, broker, db, idle_s, "serve-1", None)
}

fn serve_as(
    park: &Path,
    broker: &str,
    db: &str,
    idle_s: &str,
    client_id: &str,
    share: Option<&str>,
) -> Child {
    let mut c = parkgrid();
    c.args([
        "serve",
        park.to_str().expect("utf-8"),
        "--listen",
        "127.0.0.1:0",
        "--mqtt",
        broker,
        "--db",
        db,
    ])
    .args(["--client-id", client_id, "--idle-exit", idle_s]);
    match share {
        Some(group) => c.args(["--share", group]),
        None => c.arg("--quiet"),
    };
    c.stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts")
}

fn twin(park: &Path, broker: &str, truth: &Path, speed: &str) -> Child {
    parkgrid()
        .args(["twin", park.to_str().expect("utf-8"), "--mqtt", broker])
        .args([
            "--from",
            "2025-01-06",
            "--days",
            "7",
            "--speed",
            speed,
            "--quiet",
        ])
        .args(["--fault", "meter_reset:m_offices_el@2025-01-08T06:00"])
        .args(["--fault", "stuck:pv_roof/output_kw@2025-01-07T10:00+3h"])
        .arg("--truth")
        .arg(truth)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("twin starts")
}

fn finished(child: Child, what: &str) {
    let out = child.wait_with_output().expect("waits");
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every point published stored once; every meter's intervals equal the twin's truth.
fn check_store(db: &str, park: &Path, truth: &Path) {
    let truth: Value =
        serde_json::from_str(&std::fs::read_to_string(truth).expect("truth")).expect("json");
    let (park, _) = parkgrid_engine::park::load(park).expect("park");
    let mut store = parkgrid_engine::live::open_store(db, &park).expect("store");
    let published = truth["points"].as_u64().expect("points") as usize;
    let meters = truth["meters"].as_array().expect("meters");
    // Points: every series the twin published, counted in the store.
    let mut stored_points = 0;
    let mut stored_readings = 0;
    let (from, to) = (i64::MIN / 4, i64::MAX / 4);
    for m in meters {
        let point = m["point"].as_str().expect("point");
        let step = m["step_ms"].as_i64().expect("step");
        let start = m["from_ms"].as_i64().expect("from");
        let energy: Vec<f64> = m["energy_kwh"]
            .as_array()
            .expect("energy")
            .iter()
            .map(|v| v.as_f64().expect("f64"))
            .collect();
        let derived = store
            .meter_intervals(point, from, to, &MeterSpec::default())
            .expect("intervals");
        assert!(derived.dropped.is_empty(), "{point}: {:?}", derived.dropped);
        assert_eq!(derived.intervals.len(), energy.len(), "{point}");
        stored_readings += derived.intervals.len() + 1;
        for (k, (i, e)) in derived.intervals.iter().zip(&energy).enumerate() {
            assert_eq!(i.start_ms, start + step * k as i64, "{point} interval {k}");
            assert_eq!(i.end_ms, i.start_ms + step, "{point} interval {k}");
            assert!(
                matches!(i.kind, Kind::Measured | Kind::Reset),
                "{point} interval {k}: {:?}",
                i.kind
            );
            let got = i.energy.expect("known");
            // Readings are rounded to 0.01 kWh: an interval is off by at most that.
            assert!(
                (got - e).abs() <= 0.0101,
                "{point} interval {k}: {got} vs {e}"
            );
        }
    }
    let n_days = meters
        .first()
        .map(|m| {
            let steps = m["energy_kwh"].as_array().expect("energy").len() as i64;
            (steps * m["step_ms"].as_i64().expect("step") / 86_400_000) as usize
        })
        .expect("a meter");
    let resets: usize = meters
        .iter()
        .map(|m| {
            let point = m["point"].as_str().expect("point");
            store
                .meter_intervals(point, from, to, &MeterSpec::default())
                .expect("intervals")
                .intervals
                .iter()
                .filter(|i| i.kind == Kind::Reset)
                .count()
        })
        .sum();
    let injected = truth["faults"]
        .as_array()
        .expect("faults")
        .iter()
        .filter(|f| f["kind"] == "meter_reset")
        .count();
    assert_eq!(
        resets, injected,
        "a reset interval per meter reset injected"
    );
    for name in truth["series"].as_array().expect("series") {
        let name = name.as_str().expect("name");
        let id = store
            .series_id(name)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let points = store.window(id, from, to).expect("window");
        // The day rollups hold every point once.
        let days = store
            .aggregate(id, from, to, Resolution::Day)
            .expect("days");
        assert_eq!(days.len(), n_days, "{name}: every local day played");
        assert_eq!(
            days.iter().map(|d| d.n).sum::<i64>() as usize,
            points.len(),
            "{name}"
        );
        let (a, b): (f64, f64) = (
            days.iter().map(|d| d.sum).sum(),
            points.iter().map(|p| p.value).sum(),
        );
        assert!(
            (a - b).abs() <= 1e-6 * b.abs().max(1.0),
            "{name}: {a} vs {b}"
        );
        stored_points += points.len();
    }
    assert_eq!(
        stored_points + stored_readings,
        published,
        "points stored ({stored_points}) + meter readings ({stored_readings}) = points published"
    );
    assert!(store.quarantined().expect("quarantine").is_empty());
}

#[test]
fn a_week_of_yanqing_is_stored_exactly_once() {
    let (dir, park, _) = workspace("week");
    let broker = Broker::start(&dir);
    let db = format!("sqlite:{}", dir.join("park.db").display());
    let truth = dir.join("truth.json");
    let s = serve(&park, &broker.addr(), &db, "3");
    // The subscription is made before the twin publishes.
    std::thread::sleep(Duration::from_millis(500));
    finished(twin(&park, &broker.addr(), &truth, "max"), "twin");
    finished(s, "serve");
    check_store(&db, &park, &truth);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `serve` killed 20 times and the broker restarted 3 times while the twin publishes; returns
/// the park's id.
fn survives_kills(db_of: impl Fn(&Path, &str) -> String) -> String {
    let (dir, park, park_id) = workspace("kill");
    let mut broker = Broker::start(&dir);
    let db = db_of(&dir, &park_id);
    let truth = dir.join("truth.json");
    // The session exists (and queues for serve) before the twin starts.
    finished(serve(&park, &broker.addr(), &db, "0.5"), "first serve");
    // A week in about 8 s.
    let t = twin(&park, &broker.addr(), &truth, "75600");
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    let mut kills = 0;
    for round in 0..20 {
        let mut s = serve(&park, &broker.addr(), &db, "60");
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(Duration::from_millis(100 + seed % 300));
        s.kill().expect("SIGKILL");
        let _ = s.wait();
        kills += 1;
        if round % 7 == 3 {
            broker.restart();
        }
    }
    assert_eq!(kills, 20);
    finished(t, "twin");
    finished(serve(&park, &broker.addr(), &db, "3"), "last serve");
    check_store(&db, &park, &truth);
    let _ = std::fs::remove_dir_all(&dir);
    park_id
}

#[test]
fn killed_serve_and_restarted_broker_lose_nothing_sqlite() {
    survives_kills(|dir, _| format!("sqlite:{}", dir.join("park.db").display()));
}

#[cfg(feature = "postgres")]
fn postgres() -> String {
    std::env::var("PARKGRID_TEST_POSTGRES").unwrap_or_else(|_| {
        panic!("set PARKGRID_TEST_POSTGRES (e.g. host=127.0.0.1 user=postgres dbname=test)")
    })
}

/// Drops the schema `serve` made for `park_id`.
#[cfg(feature = "postgres")]
fn drop_schema(params: &str, park_id: &str) {
    use parkgrid_engine::live::store::postgres::Store;
    Store::connect(params, park_id)
        .and_then(|s| s.drop_schema(park_id))
        .expect("schema dropped");
}

#[cfg(feature = "postgres")]
#[test]
fn killed_serve_and_restarted_broker_lose_nothing_postgres() {
    let params = postgres();
    let park_id = survives_kills(|_, _| params.clone());
    drop_schema(&params, &park_id);
}

/// Two instances of `serve` on one PostgreSQL share the subscription: every point stored once,
/// each instance taking part of the stream.
#[cfg(feature = "postgres")]
#[test]
fn two_serve_instances_split_one_stream() {
    let params = postgres();
    let (dir, park, park_id) = workspace("share");
    let broker = Broker::start(&dir);
    let truth = dir.join("truth.json");
    let a = serve_as(
        &park,
        &broker.addr(),
        &params,
        "3",
        "serve-a",
        Some("ingest"),
    );
    let b = serve_as(
        &park,
        &broker.addr(),
        &params,
        "3",
        "serve-b",
        Some("ingest"),
    );
    std::thread::sleep(Duration::from_millis(700));
    finished(twin(&park, &broker.addr(), &truth, "max"), "twin");
    let mut taken = Vec::new();
    for (name, child) in [("a", a), ("b", b)] {
        let out = child.wait_with_output().expect("waits");
        let text = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "serve {name}: {text}");
        // "serve: stopped: N messages, …"
        let n: usize = text
            .lines()
            .rev()
            .find_map(|l| l.split_once("serve: stopped: "))
            .and_then(|(_, rest)| rest.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("serve {name}'s counts: {text}"));
        taken.push(n);
    }
    let truth_json: Value =
        serde_json::from_str(&std::fs::read_to_string(&truth).expect("truth")).expect("json");
    let messages = truth_json["messages"].as_u64().expect("messages") as usize;
    eprintln!("shared subscription: {taken:?} of {messages} messages");
    assert_eq!(taken.iter().sum::<usize>(), messages, "{taken:?}");
    assert!(
        taken.iter().all(|&n| n >= messages / 10),
        "both instances take a share of the stream: {taken:?} of {messages}"
    );
    check_store(&params, &park, &truth);
    drop_schema(&params, &park_id);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Bad input on the wire — malformed SenML, an asset the park does not have, a value of the
/// wrong type, bytes that are not UTF-8, a time relative to reception — is quarantined with a
/// log line naming the topic and the reason; the good message between them is stored and
/// `serve` keeps running to its normal end.
#[test]
fn bad_messages_are_quarantined_with_a_reason_and_serve_keeps_running() {
    use parkgrid_engine::live::ingest::publish::Publisher;
    let (dir, park, park_id) = workspace("bad");
    let broker = Broker::start(&dir);
    let db = format!("sqlite:{}", dir.join("park.db").display());
    let s = serve_as(&park, &broker.addr(), &db, "2", "serve-bad", None);
    std::thread::sleep(Duration::from_millis(500));
    let topic = |asset: &str| format!("parkgrid/{park_id}/{asset}");
    let bt = 1_736_000_000;
    let cases: Vec<(String, Vec<u8>, &str)> = vec![
        (topic("pv_roof"), b"[{\"n\":".to_vec(), "EOF while parsing"),
        (
            topic("nowhere"),
            format!("[{{\"bn\":\"{park_id}/nowhere/\",\"bt\":{bt},\"n\":\"p_kw\",\"v\":1}}]").into_bytes(),
            "not a series of this park",
        ),
        (
            topic("pv_roof"),
            format!("[{{\"bn\":\"{park_id}/pv_roof/\",\"bt\":{bt},\"n\":\"output_kw\",\"vs\":\"high\"}}]").into_bytes(),
            "a text or data value is not a point",
        ),
        (topic("pv_roof"), vec![0xff, 0xfe, 0x00], "not UTF-8"),
        (
            topic("pv_roof"),
            format!("[{{\"bn\":\"{park_id}/pv_roof/\",\"t\":-5,\"n\":\"output_kw\",\"v\":3}}]").into_bytes(),
            "relative to reception",
        ),
    ];
    let good = format!(
        "[{{\"bn\":\"{park_id}/pv_roof/\",\"bt\":{bt},\"n\":\"output_kw\",\"u\":\"kW\",\"v\":812.5}}]"
    );
    let mut p = Publisher::connect("127.0.0.1", broker.0.port(), "bad-publisher", 10);
    for (i, (t, payload, _)) in cases.iter().enumerate() {
        p.publish(t, payload.clone()).expect("queued");
        if i == 2 {
            p.publish(&topic("pv_roof"), good.clone()).expect("queued");
        }
    }
    p.flush(Duration::from_secs(10)).expect("acknowledged");
    let out = s.wait_with_output().expect("serve ends");
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{log}");
    for (t, _, says) in &cases {
        assert!(
            log.lines().any(
                |l| l.contains(&format!("quarantined a message on mqtt:{t}:")) && l.contains(says)
            ),
            "a log line for {t} saying '{says}':\n{log}"
        );
    }
    let (park, _) = parkgrid_engine::park::load(&park).expect("park");
    let mut store = parkgrid_engine::live::open_store(&db, &park).expect("store");
    let q = store.quarantined().expect("quarantine");
    assert_eq!(q.len(), cases.len(), "{q:?}");
    let id = store
        .series_id(&format!("{park_id}/pv_roof/output_kw"))
        .expect("the good message's series");
    let points = store.window(id, 0, i64::MAX).expect("window");
    assert_eq!(points.len(), 1);
    assert_eq!(points[0].value, 812.5);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `serve --twin` without a broker: the twin inside the process, nothing to install — the same
/// week stored exactly once, the meters equal to the truth.
#[test]
fn serve_with_its_twin_inside_needs_no_broker() {
    let (dir, park, _) = workspace("inside");
    let db = format!("sqlite:{}", dir.join("park.db").display());
    let truth = dir.join("truth.json");
    let out = parkgrid()
        .args([
            "serve",
            park.to_str().expect("utf-8"),
            "--listen",
            "off",
            "--twin",
            "--db",
            &db,
        ])
        .args([
            "--from",
            "2025-01-06",
            "--days",
            "7",
            "--speed",
            "max",
            "--quiet",
        ])
        .args(["--fault", "meter_reset:m_offices_el@2025-01-08T06:00"])
        .arg("--truth")
        .arg(&truth)
        .output()
        .expect("serve runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    check_store(&db, &park, &truth);
    // Without a broker or a twin there is nothing to serve: a usage error.
    let none = parkgrid()
        .args([
            "serve",
            park.to_str().expect("utf-8"),
            "--listen",
            "off",
            "--db",
            &db,
            "--listen",
            "off",
        ])
        .output()
        .expect("serve runs");
    assert_eq!(none.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `serve --twin` playing two July days with NREL's SERF East log as the roof's availability
/// and a quarter of its strings lost on the first day: the ground truth says how the log was
/// played and labels the fault, and every stored hour of the roof's output is the log's hourly
/// mean × 0.9 (× 0.75 on the first day) to within the twin's noise (σ 0.5 %: 3 % is 6σ).
/// A log that does not fit the run is refused with exit code 2.
#[test]
fn serve_plays_a_measured_log_and_a_string_loss() {
    let (dir, park, park_id) = workspace("replay");
    let db = format!("sqlite:{}", dir.join("park.db").display());
    let truth = dir.join("truth.json");
    let log = "crates/parkgrid-engine/tests/data/serf_east_15min_ac_power_2016-07.csv";
    let run = |from: &str| {
        parkgrid()
            .args(["serve", park.to_str().expect("utf-8"), "--listen", "off"])
            .args(["--twin", "--db", &db, "--speed", "max", "--quiet"])
            .args(["--from", from, "--days", "2"])
            .args(["--replay", &format!("pv_roof={log}#ac_power*0.9")])
            .args(["--fault", "string_loss:pv_roof=0.25@2025-07-03T00:00+24h"])
            .arg("--truth")
            .arg(&truth)
            .output()
            .expect("serve runs")
    };
    let out = run("2025-07-03");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let t: Value =
        serde_json::from_str(&std::fs::read_to_string(&truth).expect("truth")).expect("json");
    let r = &t["replays"][0];
    assert_eq!(r["quantity"], "available_kw");
    assert_eq!(
        (r["measured_steps"].as_u64(), r["source_year"].as_i64()),
        (Some(48), Some(2016))
    );
    assert_eq!(t["faults"][0]["kind"], "string_loss");
    // The log's hourly means.
    let text = std::fs::read_to_string(repo().join(log)).expect("log");
    let mut hourly = [0.0; 48];
    for line in text.lines().filter(|l| l.starts_with("2016-07-0")) {
        let (time, v) = line.split_once(',').expect("row");
        let day: usize = time[8..10].parse().expect("day");
        if (3..=4).contains(&day) {
            let hour: usize = time[11..13].parse().expect("hour");
            hourly[(day - 3) * 24 + hour] += v.parse::<f64>().expect("W") * 0.9 / 4.0;
        }
    }
    let (loaded, _) = parkgrid_engine::park::load(&park).expect("park");
    let mut store = parkgrid_engine::live::open_store(&db, &loaded).expect("store");
    let id = store
        .series_id(&format!("{park_id}/pv_roof/output_kw"))
        .expect("the roof's output is stored");
    let points = store
        .window(id, i64::MIN / 4, i64::MAX / 4)
        .expect("window");
    assert_eq!(points.len(), 48);
    for (k, p) in points.iter().enumerate() {
        let want = hourly[k].max(0.0) * if k < 24 { 0.75 } else { 1.0 };
        assert!(
            (p.value - want).abs() <= 0.03 * want + 1e-9,
            "hour {k}: stored {} kW, the log says {want} kW",
            p.value
        );
    }
    assert!(points.iter().any(|p| p.value > 3_000.0), "a July noon");
    // January is not in the log: refused, naming both spans.
    let out = run("2025-01-08");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("holds 2016-07-01 00:00 to 2016-07-14 23:45"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The Modbus devices of a park file: a battery PCS (a signed 32-bit power and an unsigned
/// level, registers swapped) and a PV inverter (a float), behind unit ids 3 and 7.
const DEVICES: &str = r#"
[[live.modbus]]
id = "bess_pcs"
host = "192.0.2.10"
unit = 3
poll_s = 2
byte_order = "cdab"

[[live.modbus.register]]
address = 100
type = "i32"
scale = 0.1
asset = "battery"
quantity = "charge_kw"
unit = "kW"

[[live.modbus.register]]
address = 102
type = "u32"
scale = 0.1
asset = "battery"
quantity = "level_kwh"
unit = "kWh"
min = 0

[[live.modbus]]
id = "pv_inverter"
host = "192.0.2.11"
unit = 7

[[live.modbus.register]]
address = 0
type = "f32"
asset = "pv_roof"
quantity = "output_kw"
unit = "kW"
"#;

/// `serve --twin` with Modbus devices in the park file: the twin answers as the devices (and
/// leaves their series out of its SenML), serve polls them, and every polled value is the
/// twin's reading of the frame it is stamped with, to the register's resolution.
#[test]
fn the_twins_modbus_devices_are_polled_into_the_store() {
    let (dir, park, park_id) = workspace("modbus");
    let text = std::fs::read_to_string(&park).expect("park") + DEVICES;
    std::fs::write(&park, text).expect("park with devices");
    let db = format!("sqlite:{}", dir.join("park.db").display());
    let truth = dir.join("truth.json");
    let out = parkgrid()
        .args([
            "serve",
            park.to_str().expect("utf-8"),
            "--listen",
            "off",
            "--twin",
            "--db",
            &db,
        ])
        .args(["--from", "2025-01-06", "--days", "2", "--speed", "86400"])
        .arg("--truth")
        .arg(&truth)
        .output()
        .expect("serve runs");
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{log}");
    // The twin as serve made it, to read what each frame showed.
    let (model, _) = parkgrid_engine::park::load(&park).expect("park");
    let req = parkgrid_engine::Request {
        strategy: parkgrid_dispatch::Strategy::Rule,
        window: Some(parkgrid_engine::Window {
            from: chrono::NaiveDate::from_ymd_opt(2025, 1, 6).expect("date"),
            days: 2,
        }),
        ..parkgrid_engine::Request::default()
    };
    let run = parkgrid_engine::run_year(&model, &req, &mut |_| {}).expect("run");
    let twin = parkgrid_engine::twin::Twin::new(
        &model,
        &run.axis,
        &run.main.dispatch,
        parkgrid_engine::twin::Options {
            omit: parkgrid_engine::live::modbus::series(&model),
            ..parkgrid_engine::twin::Options::default()
        },
    )
    .expect("twin");
    let mut store = parkgrid_engine::live::open_store(&db, &model).expect("store");
    let frames = twin.frames() - 1;
    for (device, quantity, resolution) in [
        ("battery", "charge_kw", 0.05),
        ("battery", "level_kwh", 0.05),
        ("pv_roof", "output_kw", 1e-3),
    ] {
        let name = format!("{park_id}/{device}/{quantity}");
        let truth_json: Value =
            serde_json::from_str(&std::fs::read_to_string(&truth).expect("truth")).expect("json");
        assert!(
            !truth_json["series"]
                .as_array()
                .expect("series")
                .iter()
                .any(|s| s.as_str() == Some(&name)),
            "{name} is not published as SenML"
        );
        let id = store.series_id(&name).expect("polled series");
        let points = store.window(id, i64::MIN, i64::MAX).expect("window");
        assert!(
            points.len() * 10 >= frames * 8,
            "{name}: {} of {frames} frames polled",
            points.len()
        );
        for p in &points {
            let k = usize::try_from((p.time_ms - twin.time_ms(0)) / twin.step_ms()).expect("k");
            let want = twin.reading(device, quantity, k).expect("a reading");
            assert!(
                (p.value - want).abs() <= resolution + 1e-6 * want.abs(),
                "{name} at frame {k}: {} vs {want}",
                p.value
            );
        }
    }
    assert!(log.contains("device bess_pcs:"), "{log}");
    check_store(&db, &park, &truth);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A battery PCS that takes an active-power setpoint (register 0, kW, discharging above 0)
/// and reports its charge, discharge and level, polled every second.
const PCS: &str = r#"
[[live.modbus]]
id = "bess_pcs"
host = "192.0.2.10"
unit = 3
poll_s = 1

[[live.modbus.register]]
address = 0
type = "i32"
scale = 0.1
asset = "battery"
quantity = "p_set_kw"
unit = "kW"

[[live.modbus.register]]
address = 2
type = "i32"
scale = 0.1
asset = "battery"
quantity = "charge_kw"
unit = "kW"

[[live.modbus.register]]
address = 4
type = "i32"
scale = 0.1
asset = "battery"
quantity = "discharge_kw"
unit = "kW"

[[live.modbus.register]]
address = 6
type = "u32"
scale = 0.1
asset = "battery"
quantity = "level_kwh"
unit = "kWh"
"#;

/// One Modbus TCP request to unit 3 at `addr` (function `pdu[0]`), its reply's PDU.
fn modbus_request(addr: &str, pdu: &[u8]) -> Vec<u8> {
    use std::io::{Read as _, Write as _};
    let mut stream = std::net::TcpStream::connect(addr).expect("the twin's gateway answers");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut frame = vec![0, 1, 0, 0];
    frame.extend_from_slice(&u16::try_from(pdu.len() + 1).expect("short").to_be_bytes());
    frame.push(3);
    frame.extend_from_slice(pdu);
    stream.write_all(&frame).expect("sent");
    let mut head = [0u8; 7];
    stream.read_exact(&mut head).expect("a reply");
    let len = usize::from(u16::from_be_bytes([head[4], head[5]])) - 1;
    let mut reply = vec![0u8; len];
    stream.read_exact(&mut reply).expect("its PDU");
    reply
}

/// `parkgrid twin --modbus-listen` answers as the park's battery PCS behind one gateway port
/// while it publishes the rest as SenML; a setpoint written to the PCS over Modbus (function
/// 16) is followed from the next step: `serve --modbus-gateway` polls the battery giving the
/// setpoint's power and the setpoint register reading it back, and the twin's truth records it.
/// A write to a measurement register is refused.
#[test]
fn a_setpoint_written_over_modbus_moves_the_twins_battery() {
    let (dir, park, park_id) = workspace("setpoint");
    let text = std::fs::read_to_string(&park).expect("park") + PCS;
    std::fs::write(&park, text).expect("park with a PCS");
    let broker = Broker::start(&dir);
    let db = format!("sqlite:{}", dir.join("park.db").display());
    let truth = dir.join("truth.json");
    let gateway = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        l.local_addr().expect("addr").to_string()
    };
    let mut twin = parkgrid()
        .args([
            "twin",
            park.to_str().expect("utf-8"),
            "--mqtt",
            &broker.addr(),
        ])
        .args([
            "--modbus-listen",
            &gateway,
            "--from",
            "2025-07-03",
            "--days",
            "1",
        ])
        .args(["--speed", "7200", "--noise", "0", "--quiet"])
        .arg("--truth")
        .arg(&truth)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("twin starts");
    // The twin says where its devices answer before it publishes.
    let mut lines =
        std::io::BufRead::lines(std::io::BufReader::new(twin.stderr.take().expect("stderr")));
    let said = lines.next().expect("a line").expect("text");
    assert!(
        said.contains(&format!("answer at {gateway} (bess_pcs unit 3)")),
        "{said}"
    );
    let rest = std::thread::spawn(move || lines.map_while(Result::ok).collect::<Vec<_>>());
    let serve = parkgrid()
        .args(["serve", park.to_str().expect("utf-8"), "--listen", "off"])
        .args([
            "--mqtt",
            &broker.addr(),
            "--db",
            &db,
            "--idle-exit",
            "3",
            "--quiet",
        ])
        .args(["--modbus-gateway", &gateway])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");
    // Discharge 500 kW, or charge at 500 kW if the battery is low.
    // Its registers hold values from its first frame on (refused before).
    let mut level = Vec::new();
    for _ in 0..100 {
        level = modbus_request(&gateway, &[3, 0, 6, 0, 2]);
        if level[0] == 3 {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(level[..2], [3, 4], "{level:?}");
    let level_kwh = f64::from(u32::from_be_bytes([level[2], level[3], level[4], level[5]])) / 10.0;
    let p_set: f64 = if level_kwh > 4_000.0 { 500.0 } else { -500.0 };
    let raw = ((p_set * 10.0) as i32).to_be_bytes();
    let wrote = modbus_request(
        &gateway,
        &[16, 0, 0, 0, 2, 4, raw[0], raw[1], raw[2], raw[3]],
    );
    assert_eq!(wrote, [16, 0, 0, 0, 2], "the setpoint is accepted");
    let refused = modbus_request(&gateway, &[16, 0, 6, 0, 2, 4, 0, 0, 0, 1]);
    assert_eq!(
        refused,
        [0x90, 2],
        "a measurement is not written: illegal data address"
    );
    let status = twin.wait().expect("twin ends");
    let twin_log = rest.join().expect("stderr").join("\n");
    assert!(status.success(), "{twin_log}");
    assert!(
        twin_log.contains("twin: battery told to give"),
        "{twin_log}"
    );
    finished(serve, "serve");
    let t: Value =
        serde_json::from_str(&std::fs::read_to_string(&truth).expect("truth")).expect("json");
    assert_eq!(t["setpoints"][0]["asset"], "battery");
    assert_eq!(t["setpoints"][0]["p_kw"].as_f64(), Some(p_set));
    let (model, _) = parkgrid_engine::park::load(&park).expect("park");
    let mut store = parkgrid_engine::live::open_store(&db, &model).expect("store");
    let mut values = |q: &str| -> Vec<f64> {
        let id = store
            .series_id(&format!("{park_id}/battery/{q}"))
            .unwrap_or_else(|e| panic!("{q} polled: {e}"));
        store
            .window(id, i64::MIN, i64::MAX)
            .expect("window")
            .iter()
            .map(|p| p.value)
            .collect()
    };
    let set = values("p_set_kw");
    assert!(set.contains(&p_set), "the setpoint reads back: {set:?}");
    let follows = values(if p_set > 0.0 {
        "discharge_kw"
    } else {
        "charge_kw"
    });
    assert!(
        follows.iter().any(|v| (v - 500.0).abs() < 1e-9),
        "the battery gives 500 kW: {follows:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A Modbus device that never answers: a log line and a quarantine row naming it, once, and
/// serve keeps running to its normal end.
#[test]
fn a_modbus_device_that_never_answers_is_said_once_and_serve_keeps_running() {
    let (dir, park, _) = workspace("silent");
    let text = std::fs::read_to_string(&park).expect("park") + DEVICES;
    std::fs::write(&park, text).expect("park with devices");
    let broker = Broker::start(&dir);
    // A port where nothing listens.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a port");
    let db = format!("sqlite:{}", dir.join("park.db").display());
    let out = parkgrid()
        .args([
            "serve",
            park.to_str().expect("utf-8"),
            "--listen",
            "off",
            "--mqtt",
            &broker.addr(),
        ])
        .args([
            "--db",
            &db,
            "--idle-exit",
            "3",
            "--client-id",
            "serve-silent",
        ])
        .args(["--modbus-gateway", &closed.to_string()])
        .output()
        .expect("serve runs");
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{log}");
    for device in ["bess_pcs", "pv_inverter"] {
        let lines = log
            .lines()
            .filter(|l| l.contains(&format!("device {device}: no reply from")))
            .count();
        assert_eq!(lines, 1, "one line for {device}:\n{log}");
    }
    let (model, _) = parkgrid_engine::park::load(&park).expect("park");
    let mut store = parkgrid_engine::live::open_store(&db, &model).expect("store");
    let q = store.quarantined().expect("quarantine");
    assert_eq!(q.len(), 2, "{q:?}");
    assert!(
        q.iter()
            .all(|(_, source, why)| source.starts_with("modbus:") && why.contains("no reply"))
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A device with a topic layout of its own: its JSON objects are read by the park file's
/// mapping (the time from the message, W scaled to kW, a nested field), a partial object gives
/// what it has, and one whose mapped field is not a number is quarantined naming the field.
#[test]
fn foreign_layouts_are_read_by_their_mapping() {
    use parkgrid_engine::live::ingest::publish::Publisher;
    let (dir, park, park_id) = workspace("foreign");
    let mapping = r#"
[[live.mapping]]
topic = "vendor/+/telemetry"
time_field = "ts"
time_unit = "ms"

[[live.mapping.field]]
field = "ac.power_w"
asset = "pv_roof"
quantity = "output_kw"
scale = 0.001
unit = "kW"

[[live.mapping.field]]
field = "temp_c"
asset = "pv_roof"
quantity = "t_inverter_c"
unit = "°C"
"#;
    let text = std::fs::read_to_string(&park).expect("park") + mapping;
    std::fs::write(&park, text).expect("park with a mapping");
    let broker = Broker::start(&dir);
    let db = format!("sqlite:{}", dir.join("park.db").display());
    let s = serve_as(&park, &broker.addr(), &db, "2", "serve-foreign", None);
    std::thread::sleep(Duration::from_millis(500));
    let t0: i64 = 1_736_000_000_000;
    let mut p = Publisher::connect("127.0.0.1", broker.0.port(), "vendor-gateway", 10);
    for (k, payload) in [
        format!(r#"{{"ts": {t0}, "ac": {{"power_w": 812400}}, "temp_c": 41.5}}"#),
        format!(r#"{{"ts": {}, "ac": {{"power_w": 799000}}}}"#, t0 + 60_000),
        format!(r#"{{"ts": {}, "ac": {{"power_w": "n/a"}}}}"#, t0 + 120_000),
    ]
    .into_iter()
    .enumerate()
    {
        p.publish(&format!("vendor/inv{k}/telemetry"), payload)
            .expect("queued");
    }
    p.flush(Duration::from_secs(10)).expect("acknowledged");
    let out = s.wait_with_output().expect("serve ends");
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{log}");
    assert!(
        log.contains("quarantined a message on mqtt:vendor/inv2/telemetry: ac.power_w: \"n/a\" is not a number"),
        "{log}"
    );
    let (model, _) = parkgrid_engine::park::load(&park).expect("park");
    let mut store = parkgrid_engine::live::open_store(&db, &model).expect("store");
    let power = store
        .series_id(&format!("{park_id}/pv_roof/output_kw"))
        .expect("the power series");
    let got: Vec<(i64, f64)> = store
        .window(power, 0, i64::MAX)
        .expect("window")
        .iter()
        .map(|p| (p.time_ms, p.value))
        .collect();
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].0, t0);
    assert!(
        (got[0].1 - 812.4).abs() < 1e-9 && (got[1].1 - 799.0).abs() < 1e-9,
        "{got:?}"
    );
    let temp = store
        .series_id(&format!("{park_id}/pv_roof/t_inverter_c"))
        .expect("the temperature series");
    assert_eq!(store.window(temp, 0, i64::MAX).expect("window").len(), 1);
    assert_eq!(store.quarantined().expect("quarantine").len(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `serve`'s health and metrics while it runs: the park, the ingester's counts and the twin's
/// Modbus devices, as JSON and in Prometheus' text format.
#[test]
fn serve_reports_its_health_and_metrics_while_it_runs() {
    use std::io::{BufRead as _, Read as _, Write as _};
    let (dir, park, park_id) = workspace("health");
    let text = std::fs::read_to_string(&park).expect("park") + DEVICES;
    std::fs::write(&park, text).expect("park with devices");
    let db = format!("sqlite:{}", dir.join("park.db").display());
    // Tokens made before serve starts, in its store: shown once, on standard output.
    let token = |role: &str, tenant: Option<&str>| {
        let mut cmd = parkgrid();
        cmd.args([
            "token",
            "create",
            park.to_str().expect("utf-8"),
            "--db",
            &db,
        ])
        .args(["--role", role]);
        if let Some(t) = tenant {
            cmd.args(["--tenant", t]);
        }
        let out = cmd.output().expect("token create runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let operator = token("operator", None);
    let offices = token("tenant", Some("park_offices"));
    assert!(
        operator.starts_with("pgt_") && operator.len() == 68,
        "{operator}"
    );
    let mut child = parkgrid()
        .args([
            "serve",
            park.to_str().expect("utf-8"),
            "--twin",
            "--db",
            &db,
        ])
        .args(["--days", "1", "--speed", "14400", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let mut lines = std::io::BufReader::new(child.stderr.take().expect("stderr")).lines();
    let addr = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| {
            l.split_once("on http://")
                .and_then(|(_, rest)| rest.split_once("/health"))
                .map(|(a, _)| a.to_string())
        })
        .expect("the listener's address in the log");
    let get_as = |path: &str, token: Option<&str>| {
        let mut s = std::net::TcpStream::connect(&addr).expect("connects");
        let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: x\r\n{auth}Connection: close\r\n\r\n"
        )
        .expect("asks");
        let mut text = String::new();
        s.read_to_string(&mut text).expect("reads");
        text.split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .expect("a body")
    };
    let get = |path: &str| get_as(path, None);
    // Wait until the first counts are in (reported about once a second).
    let mut health = serde_json::Value::Null;
    for _ in 0..50 {
        health = serde_json::from_str(&get("/health")).expect("JSON");
        if health["ingest"]["messages"].as_u64().unwrap_or(0) > 0
            && health["devices"].as_array().is_some_and(|d| d.len() == 2)
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(health["status"], "ok", "{health}");
    assert_eq!(health["park_id"], park_id.as_str());
    assert!(
        health["ingest"]["messages"].as_u64().unwrap_or(0) > 0,
        "{health}"
    );
    assert_eq!(
        health["devices"].as_array().map(Vec::len),
        Some(2),
        "{health}"
    );
    assert!(
        get("/metrics").contains("\"unauthenticated\""),
        "metrics take a token"
    );
    let metrics = get_as("/metrics", Some(&operator));
    assert!(
        metrics.contains(&format!(
            "parkgrid_ingest_messages_total{{park=\"{park_id}\"}}"
        )),
        "{metrics}"
    );
    assert!(metrics.contains("parkgrid_modbus_polls_total"), "{metrics}");
    // The API sees what ingest stored: the operator every series, with values; the offices'
    // tenant only its own meters.
    let latest: serde_json::Value =
        serde_json::from_str(&get_as("/api/v1/series/latest?limit=1000", Some(&operator)))
            .expect("JSON");
    let with_values = latest["items"]
        .as_array()
        .map_or(0, |a| a.iter().filter(|i| i["value"].is_number()).count());
    assert!(with_values > 10, "{latest}");
    let meters: serde_json::Value =
        serde_json::from_str(&get_as("/api/v1/meters", Some(&offices))).expect("JSON");
    let tenants: Vec<&str> = meters["items"]
        .as_array()
        .map(|a| a.iter().filter_map(|m| m["tenant"].as_str()).collect())
        .unwrap_or_default();
    assert!(
        !tenants.is_empty() && tenants.iter().all(|t| *t == "park_offices"),
        "{meters}"
    );
    // Drain the log so serve never blocks on it, and let it finish.
    for _ in lines {}
    assert!(child.wait().expect("serve ends").success());
    let _ = std::fs::remove_dir_all(&dir);
}
