//! The live dashboard in a real browser: `serve --twin` with its API on a loopback port, headless
//! Chromium through chromedriver (as the report's test). Signed in with an operator's token, the
//! tiles show values that change as the twin plays, the single-line diagram draws every bus and
//! branch of the park, the page logs no console error and fetches nothing but from the server;
//! in Chinese the labels change; signed in with a tenant's token, only its own meters show.
//! Needs features `browser-test` and `live` (`.ci/run` turns both on).
#![cfg(all(feature = "browser-test", feature = "live"))]

use std::io::BufRead as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::report_browser::{Driver, base64_decode};

fn repo() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `script` in the page and returns its value.
fn run(driver: &Driver, session: &str, script: &str) -> Value {
    driver.request(
        "POST",
        &format!("/session/{session}/execute/sync"),
        Some(&json!({"script": script, "args": []})),
    )
}

/// Waits up to `secs` for `script` to return true; on failure says what the page shows and
/// logged.
fn wait_for(driver: &Driver, session: &str, script: &str, secs: u64, what: &str) {
    let start = Instant::now();
    while run(driver, session, script) != json!(true) {
        if start.elapsed() > Duration::from_secs(secs) {
            let page = run(
                driver,
                session,
                "return [location.href, document.getElementById('status').textContent,
                         document.getElementById('login-error').textContent,
                         document.getElementById('login').hidden];",
            );
            let logs = driver.request(
                "POST",
                &format!("/session/{session}/se/log"),
                Some(&json!({"type": "browser"})),
            );
            panic!("no {what} within {secs} s; the page: {page}; its log: {logs}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

const TILES: &str = "return Array.from(document.querySelectorAll('.tile')).map(function (t) {
  return [t.dataset.tile, t.dataset.value]; });";

#[test]
fn the_dashboard_shows_the_live_park_to_each_role() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dashboard-browser");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let park = repo().join("examples/yanqing.toml");
    let park = park.to_str().expect("utf-8");
    let db = format!("sqlite:{}", dir.join("park.db").display());
    let token = |role: &str, tenant: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_parkgrid"));
        cmd.args(["token", "create", park, "--db", &db, "--role", role]);
        if let Some(t) = tenant {
            cmd.args(["--tenant", t]);
        }
        let out = cmd.output().expect("token create");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let operator = token("operator", None);
    let offices = token("tenant", Some("park_offices"));
    // Two days at an hour a second (a frame a second); the roof's PV array sends nothing for
    // eight hours from 04:00 on the first day.
    let mut serve = Command::new(env!("CARGO_BIN_EXE_parkgrid"))
        .args([
            "serve",
            park,
            "--twin",
            "--db",
            &db,
            "--listen",
            "127.0.0.1:0",
        ])
        .args(["--days", "2", "--speed", "3600"])
        .args(["--fault", "dropout:pv_roof@2025-01-01T04:00+8h"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let mut log = std::io::BufReader::new(serve.stderr.take().expect("stderr")).lines();
    let addr = log
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| {
            l.split_once("health on http://")
                .and_then(|(_, rest)| rest.split_once("/health"))
                .map(|(a, _)| a.to_string())
        })
        .expect("the listener's address in the log");
    // Keep reading the log so serve never blocks on it.
    let drain = std::thread::spawn(move || for _ in log {});
    let base = format!("http://{addr}");

    let driver = Driver::start();
    let session = driver.request(
        "POST",
        "/session",
        Some(&json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/lib/chromium/chromium",
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", "--no-first-run",
                    "--window-size=1920,1080", "--lang=en-GB",
                    // Nothing but loopback: no proxy reachable, no name resolves.
                    "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=127.0.0.1",
                    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"
                ]
            },
            "goog:loggingPrefs": {"browser": "ALL"}
        }}})),
    );
    let session = session["sessionId"].as_str().expect("session").to_string();
    let open = |token: &str| {
        driver.request(
            "POST",
            &format!("/session/{session}/url"),
            Some(&json!({"url": format!("{base}/dashboard/")})),
        );
        run(
            &driver,
            &session,
            &format!("sessionStorage.setItem('token', '{token}'); location.reload(); return true;"),
        );
    };

    // The operator: tiles with values that change, every bus and branch drawn.
    open(&operator);
    wait_for(
        &driver,
        &session,
        "return !!(window.parkgrid && window.parkgrid.updates >= 1 && window.parkgrid.sld);",
        60,
        "the first live values",
    );
    let first = run(&driver, &session, TILES);
    let tiles = first.as_array().expect("tiles");
    assert_eq!(tiles.len(), 10, "{first}");
    let shown = tiles
        .iter()
        .filter(|t| t[1].as_str().is_some_and(|v| !v.is_empty()))
        .count();
    assert!(shown >= 7, "tiles with values: {first}");
    let start = Instant::now();
    loop {
        let now = run(&driver, &session, TILES);
        if now != first {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the tiles never changed: {now}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    let counts = run(
        &driver,
        &session,
        "var o = window.parkgrid.sld.getOption().series[0];
         return [o.data.length, o.links.length, window.parkgrid.park.buses, window.parkgrid.park.branches,
                 o.links.filter(function (l) { return /: [0-9,.−-]+ kW$/.test(l.label.formatter); }).length];",
    );
    let c: Vec<u64> = counts
        .as_array()
        .expect("counts")
        .iter()
        .map(|v| v.as_u64().unwrap_or(0))
        .collect();
    assert!(c[0] >= 10 && c[0] == c[2], "every bus drawn: {counts}");
    assert!(c[1] >= 5 && c[1] == c[3], "every branch drawn: {counts}");
    assert!(
        c[4] >= c[1] / 2,
        "branches labelled with a live flow: {counts}"
    );
    let rows = run(
        &driver,
        &session,
        "return document.querySelectorAll('#meters tbody tr').length;",
    );
    assert!(rows.as_u64() >= Some(5), "every meter listed: {rows}");

    // The dropout in the alarm list within 5 s of its start (two frames missed, then the
    // watcher's and the stream's second), acknowledged with a click.
    const FAULT_MS: i64 = 1_735_675_200_000; // 2025-01-01T04:00+08:00
    let mut started: Option<Instant> = None;
    let appeared = loop {
        let seen = run(
            &driver,
            &session,
            "var row = document.querySelector('#alarms tr[data-key=\"stale:pv_roof\"]');
             return [window.parkgrid.newest || 0, row ? row.dataset.state : null];",
        );
        if started.is_none() && seen[0].as_i64().is_some_and(|t| t >= FAULT_MS) {
            started = Some(Instant::now());
        }
        if seen[1].is_string() {
            break Instant::now();
        }
        assert!(
            started.is_none_or(|s| s.elapsed() < Duration::from_secs(15)),
            "no alarm for the dropout: {seen}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let latency = appeared.duration_since(started.unwrap_or(appeared));
    println!(
        "dropout → alarm on the page: {:.1} s",
        latency.as_secs_f64()
    );
    assert!(latency <= Duration::from_secs(5), "{latency:?}");
    run(
        &driver,
        &session,
        "document.querySelector('#alarms tr[data-key=\"stale:pv_roof\"] button.ack').click(); return true;",
    );
    wait_for(
        &driver,
        &session,
        "var row = document.querySelector('#alarms tr[data-key=\"stale:pv_roof\"]');
         return !!row && row.dataset.state === 'acknowledged';",
        10,
        "the alarm acknowledged",
    );

    // A screenshot at wall-screen size, for the README.
    std::thread::sleep(Duration::from_millis(800));
    let png = driver.request("GET", &format!("/session/{session}/screenshot"), None);
    let bytes = base64_decode(png.as_str().expect("base64 PNG"));
    assert!(bytes.starts_with(b"\x89PNG"));
    std::fs::write(dir.join("dashboard-operator.png"), bytes).expect("screenshot");

    // Chinese labels at a click.
    run(
        &driver,
        &session,
        "document.getElementById('lang').click(); return true;",
    );
    let title = run(
        &driver,
        &session,
        "return document.querySelector('#sld-box h2').textContent;",
    );
    assert_eq!(title, json!("单线图：实时潮流"));

    // Nothing logged as an error, nothing fetched from anywhere but the server.
    let logs = driver.request(
        "POST",
        &format!("/session/{session}/se/log"),
        Some(&json!({"type": "browser"})),
    );
    let errors: Vec<&Value> = logs
        .as_array()
        .map(|a| a.iter().filter(|e| e["level"] == json!("SEVERE")).collect())
        .unwrap_or_default();
    assert!(errors.is_empty(), "console errors: {errors:?}");
    let elsewhere = run(
        &driver,
        &session,
        &format!(
            "return performance.getEntriesByType('resource').map(function (e) {{ return e.name; }})
               .filter(function (n) {{ return n.indexOf('{base}/') !== 0; }});"
        ),
    );
    assert_eq!(elsewhere, json!([]), "fetched from elsewhere");

    // Signed out, the page forgets what it showed, and nothing comes back from the old stream.
    run(
        &driver,
        &session,
        "document.getElementById('logout').click(); return true;",
    );
    std::thread::sleep(Duration::from_millis(2500));
    let gone = run(
        &driver,
        &session,
        "return ['tiles', 'sld-box', 'meters-box', 'alarms-box'].every(function (id) {
           return document.getElementById(id).hidden; }) && !document.getElementById('login').hidden
           && document.querySelectorAll('#meters tbody tr, #alarms tbody tr').length >= 0
           && window.parkgrid.latest.size === 0;",
    );
    assert_eq!(
        gone,
        json!(true),
        "the signed-out page still shows the park"
    );

    // A tenant sees its own meters only, and none of the park's parts.
    open(&offices);
    wait_for(
        &driver,
        &session,
        "return document.querySelectorAll('#meters tbody tr').length > 0;",
        30,
        "the tenant's meters",
    );
    let page = run(
        &driver,
        &session,
        "return [document.getElementById('tiles').hidden, document.getElementById('sld-box').hidden,
                 Array.from(document.querySelectorAll('#meters tbody tr')).map(function (r) { return r.dataset.tenant; })];",
    );
    assert_eq!(page[0], json!(true), "no tiles for a tenant: {page}");
    assert_eq!(page[1], json!(true), "no network for a tenant: {page}");
    let tenants = page[2].as_array().expect("rows");
    assert!(
        !tenants.is_empty() && tenants.iter().all(|t| t == "park_offices"),
        "{page}"
    );
    std::thread::sleep(Duration::from_millis(500));
    let png = driver.request("GET", &format!("/session/{session}/screenshot"), None);
    std::fs::write(
        dir.join("dashboard-tenant.png"),
        base64_decode(png.as_str().expect("base64 PNG")),
    )
    .expect("screenshot");
    driver.request("DELETE", &format!("/session/{session}"), None);
    let _ = serve.kill();
    let _ = serve.wait();
    let _ = drain.join();
    println!("screenshots: {}", dir.display());
}
