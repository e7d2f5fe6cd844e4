//! The year report in a real browser: headless Chromium driven through chromedriver (WebDriver over
//! loopback). The page is opened from disk with networking disabled; it must log no console error,
//! fetch nothing, draw every chart, and show KPI numbers equal to `summary.json`. Saves a
//! screenshot. Needs Debian's `chromium` and `chromium-driver`; compiled only with the
//! `browser-test` feature, which `.ci/run` turns on.
#![cfg(feature = "browser-test")]

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn parkgrid(args: &[&str]) {
    let o = Command::new(env!("CARGO_BIN_EXE_parkgrid"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("the parkgrid binary runs");
    assert!(
        o.status.success(),
        "parkgrid {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// chromedriver on a free loopback port, killed on drop.
pub(crate) struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    pub(crate) fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver runs (Debian package chromium-driver)");
        let driver = Driver { child, port };
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(20) {
            if let Ok(v) = driver.try_request("GET", "/status", None) {
                if v["value"]["ready"] == json!(true) {
                    return driver;
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("chromedriver did not get ready on port {port}");
    }

    fn try_request(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> std::io::Result<Value> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port))?;
        s.set_read_timeout(Some(Duration::from_secs(120)))?;
        let body = body.map(Value::to_string).unwrap_or_default();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.port,
            body.len()
        )?;
        // Read the header, then exactly the body (chromedriver keeps the connection open).
        let mut raw = Vec::new();
        let mut buf = [0u8; 65536];
        let split = loop {
            if let Some(p) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                break p;
            }
            let n = s.read(&mut buf)?;
            if n == 0 {
                return Err(std::io::Error::other("connection closed before the header"));
            }
            raw.extend_from_slice(&buf[..n]);
        };
        let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
        let mut payload = raw[split + 4..].to_vec();
        let length = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse::<usize>().ok());
        let chunked = head.contains("transfer-encoding: chunked");
        loop {
            let done = match length {
                Some(n) => payload.len() >= n,
                None if chunked => payload.windows(5).any(|w| w == b"0\r\n\r\n"),
                None => false,
            };
            if done {
                break;
            }
            let n = s.read(&mut buf)?;
            if n == 0 {
                break;
            }
            payload.extend_from_slice(&buf[..n]);
        }
        if chunked {
            payload = dechunk(&payload);
        }
        serde_json::from_slice(&payload).map_err(std::io::Error::other)
    }

    pub(crate) fn request(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        let v = self
            .try_request(method, path, body)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        assert!(
            v["value"].get("error").is_none(),
            "{method} {path}: {}",
            v["value"]
        );
        v["value"].clone()
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = data.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&data[..end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("0").trim(), 16)
            .unwrap_or(0);
        if size == 0 || data.len() < end + 2 + size {
            break;
        }
        out.extend_from_slice(&data[end + 2..end + 2 + size]);
        data = &data[(end + 4 + size).min(data.len())..];
    }
    out
}

pub(crate) fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for v in text.bytes().filter_map(value) {
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// What the page shows, gathered in the browser.
const PROBE: &str = r#"
const charts = Array.from(document.querySelectorAll('.chart')).map(function (el) {
  const canvas = el.querySelector('canvas');
  let painted = 0;
  if (canvas && canvas.width > 0 && canvas.height > 0) {
    const px = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 3; i < px.length; i += 16) { if (px[i] > 0) { painted++; } }
  }
  const inst = echarts.getInstanceByDom(el);
  const series = inst ? inst.getOption().series : [];
  const points = series.reduce(function (n, s) {
    return n + ((s.data && s.data.length) || 0) + ((s.links && s.links.length) || 0);
  }, 0);
  return { id: el.id, painted: painted, series: series.length, points: points };
});
const kpis = Array.from(document.querySelectorAll('.kpi')).map(function (el) {
  return { key: el.dataset.kpi, value: el.dataset.value, scale: el.dataset.scale,
           decimals: el.dataset.decimals, text: el.querySelector('.value').textContent };
});
return {
  charts: charts,
  kpis: kpis,
  resources: performance.getEntriesByType('resource').map(function (e) { return e.name; }),
  height: document.documentElement.scrollHeight,
  title: document.title,
  h2: Array.from(document.querySelectorAll('h2')).map(function (h) { return h.textContent; }),
  comparison: document.querySelectorAll('#comparison tbody tr').length
};
"#;

fn check_page(
    driver: &Driver,
    session: &str,
    html: &Path,
    summary: &Value,
    screenshot: &Path,
) -> Value {
    let url = format!(
        "file://{}",
        html.canonicalize().expect("report exists").display()
    );
    driver.request(
        "POST",
        &format!("/session/{session}/url"),
        Some(&json!({"url": url})),
    );
    let start = Instant::now();
    loop {
        let n = driver.request(
            "POST",
            &format!("/session/{session}/execute/sync"),
            Some(&json!({"script": "return document.documentElement.getAttribute('data-charts');", "args": []})),
        );
        if n.is_string() {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the page never finished drawing"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let page = driver.request(
        "POST",
        &format!("/session/{session}/execute/sync"),
        Some(&json!({"script": PROBE, "args": []})),
    );
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
    assert_eq!(page["resources"], json!([]), "the page fetched something");

    let charts = page["charts"].as_array().expect("charts");
    assert!(charts.len() >= 8, "{charts:?}");
    assert!(
        charts.iter().any(|c| c["id"] == "chart-network-voltage"),
        "the network check's charts: {charts:?}"
    );
    for c in charts {
        assert!(
            c["series"].as_u64() >= Some(1) && c["points"].as_u64() >= Some(2),
            "chart without data: {c}"
        );
        assert!(c["painted"].as_u64() >= Some(200), "chart not drawn: {c}");
    }

    let kpis = page["kpis"].as_array().expect("kpis");
    assert_eq!(kpis.len(), 8, "{kpis:?}");
    for k in kpis {
        let key = k["key"].as_str().expect("key");
        let want = summary[key]
            .as_f64()
            .unwrap_or_else(|| panic!("{key} in summary.json"));
        let attr: f64 = k["value"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("data-value");
        assert_eq!(attr, want, "{key}: data-value");
        let scale: f64 = k["scale"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("scale");
        let decimals: i32 = k["decimals"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("decimals");
        let text = k["text"].as_str().expect("text");
        let shown: f64 = text
            .replace([',', ' '], "")
            .replace('−', "-")
            .parse()
            .unwrap_or_else(|_| panic!("{key}: '{text}' is not a number"));
        let tol = 0.5 * 10f64.powi(-decimals) + 1e-9;
        assert!(
            (shown - want * scale).abs() <= tol,
            "{key}: page shows {text}, summary.json has {want}"
        );
    }
    // Every KPI of the example's runs: with the network's two rows (the check ran on every
    // step) and the electric boiler's (the merit order charges the heat tank with it).
    assert_eq!(
        page["comparison"].as_u64(),
        Some(34),
        "optimal-vs-rule table rows"
    );

    // A screenshot of the whole page.
    let height = page["height"].as_u64().unwrap_or(4000).min(16_000);
    driver.request(
        "POST",
        &format!("/session/{session}/window/rect"),
        Some(&json!({"width": 1400, "height": height})),
    );
    std::thread::sleep(Duration::from_millis(500));
    let png = driver.request("GET", &format!("/session/{session}/screenshot"), None);
    let bytes = base64_decode(png.as_str().expect("base64 PNG"));
    assert!(bytes.starts_with(b"\x89PNG"), "a PNG screenshot");
    std::fs::write(screenshot, bytes).expect("write the screenshot");
    println!("screenshot: {}", screenshot.display());
    page
}

#[test]
fn the_report_opens_offline_draws_every_chart_and_matches_the_summary() {
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report-browser");
    let _ = std::fs::remove_dir_all(&out);
    let out_text = out.to_string_lossy().into_owned();
    parkgrid(&[
        "simulate",
        "examples/yanqing.toml",
        "--out",
        &out_text,
        "--quiet",
        "--network-check",
    ]);
    let summary: Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("summary.json")).expect("summary.json"),
    )
    .expect("JSON");

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
                    "--window-size=1400,1000",
                    // Networking off: no proxy reachable, no name resolves.
                    "--proxy-server=http://127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND"
                ]
            },
            "goog:loggingPrefs": {"browser": "ALL"}
        }}})),
    );
    let session = session["sessionId"]
        .as_str()
        .expect("session id")
        .to_string();

    // The console check can fail: a page that throws is caught.
    let broken = out.join("broken.html");
    std::fs::write(
        &broken,
        "<!DOCTYPE html><html><body><script>throw new Error('deliberate');</script></body></html>",
    )
    .expect("write");
    let url = format!(
        "file://{}",
        broken.canonicalize().expect("exists").display()
    );
    driver.request(
        "POST",
        &format!("/session/{session}/url"),
        Some(&json!({"url": url})),
    );
    let logs = driver.request(
        "POST",
        &format!("/session/{session}/se/log"),
        Some(&json!({"type": "browser"})),
    );
    assert!(
        logs.as_array()
            .is_some_and(|a| a.iter().any(|e| e["level"] == json!("SEVERE")
                && e["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("deliberate")))),
        "the browser log does not show a thrown error: {logs}"
    );

    let en = check_page(
        &driver,
        &session,
        &out.join("report.html"),
        &summary,
        &out.join("report-en.png"),
    );
    assert!(
        en["title"]
            .as_str()
            .is_some_and(|t| t.contains("Year report"))
    );

    // The same results rebuilt in Chinese by `parkgrid report`.
    parkgrid(&["report", &out_text, "--lang", "zh", "--quiet"]);
    let zh = check_page(
        &driver,
        &session,
        &out.join("report.html"),
        &summary,
        &out.join("report-zh.png"),
    );
    assert!(
        zh["h2"]
            .as_array()
            .is_some_and(|h| h.iter().any(|t| t == "关键指标")),
        "{}",
        zh["h2"]
    );
    driver.request("DELETE", &format!("/session/{session}"), None);
}
