//! The REST API against its own OpenAPI document: every operation the document names is called
//! with every kind of caller — no token, a malformed, an expired and a revoked token, and a
//! token of each role (two tenants) — and answers as the roles' policy says: 0 unauthorised 2xx,
//! 0 5xx, a tenant never sees another tenant's meters or series; every route served is in the
//! document and every refusal has the one error shape. Bad input (malformed JSON, wrong types,
//! a huge body, path traversal, a window of a century) is a 4xx, never a 5xx.
//!
//! The store is a SQLite file of the Yanqing example park with a day of points and meter
//! readings written through the store itself.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use parkgrid_engine::api::{Api, Role};
use parkgrid_server::rest::ApiState;
use parkgrid_server::{Status, app};
use parkgrid_store::meter::Reading;
use parkgrid_store::{Point, PointStore, Quality, SeriesMeta};
use tower::ServiceExt as _;

const DAY_MS: i64 = 86_400_000;
/// 2025-01-08T00:00Z.
const T0: i64 = 1_736_294_400_000;

/// Tenant A (`park_offices`) and what it owns; tenant B (`cloud_operator`) and its meter.
const A: &str = "park_offices";
const A_METER: &str = "m_offices_el";
const A_SERIES: &str = "yanqing/office_campus/p_kw";
const A_REGISTER: &str = "yanqing/meter/m_offices_el/e_kwh";
const B: &str = "cloud_operator";
const B_METER: &str = "m_dc";
const B_SERIES: &str = "yanqing/cloud_dc/p_kw";
const PV_SERIES: &str = "yanqing/pv_roof/p_kw";

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// The Yanqing park's store in a fresh SQLite file, a day of 15-minute points of three series
/// and hourly readings of two meters.
fn store(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("parkgrid-rest-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("store.sqlite");
    let _ = std::fs::remove_file(&path);
    let mut s = parkgrid_store::sqlite::Store::open(&path).expect("store");
    for (name, unit) in [(A_SERIES, "kW"), (B_SERIES, "kW"), (PV_SERIES, "kW")] {
        let mut parts = name.split('/');
        let (_, asset, quantity) = (parts.next(), parts.next(), parts.next());
        let id = s
            .series(&SeriesMeta {
                name: name.into(),
                asset: asset.unwrap_or("").into(),
                quantity: quantity.unwrap_or("").into(),
                unit: unit.into(),
            })
            .expect("series");
        let batch: Vec<(i64, Point)> = (0..96)
            .map(|k| {
                (
                    id,
                    Point {
                        time_ms: T0 + k * 900_000,
                        value: 100.0 + k as f64,
                        quality: Quality::Good,
                        seq: 1,
                    },
                )
            })
            .collect();
        s.write_points(&batch).expect("points");
    }
    for (register, meter) in [(A_REGISTER, A_METER), ("yanqing/meter/m_dc/e_kwh", B_METER)] {
        let readings: Vec<Reading> = (0..=24)
            .map(|h| Reading {
                time_ms: T0 + h * 3_600_000,
                meter_id: meter.into(),
                value: 1000.0 + 50.0 * h as f64,
                seq: Some(h as u64 + 1),
            })
            .collect();
        s.write_readings(register, &readings).expect("readings");
    }
    s.raise_alarm(
        "stale:pv_roof",
        "warning",
        "pv_roof",
        "no data for 2 steps",
        now_ms(),
    )
    .expect("alarm");
    format!("sqlite:{}", path.display())
}

fn park() -> parkgrid_model::Park {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/yanqing.toml");
    parkgrid_engine::park::load(&path).expect("yanqing").0
}

/// The app and the tokens of every kind of caller, by name.
fn setup(name: &str) -> (axum::Router, Arc<Api>, BTreeMap<&'static str, String>) {
    let api = Arc::new(Api::open(park(), &store(name)).expect("api"));
    let now = now_ms();
    let mut tokens = BTreeMap::new();
    let make = |role, tenant: Option<&str>, expires| {
        api.create_token(role, tenant, "test", expires, now)
            .expect("token")
    };
    tokens.insert("admin", make(Role::Admin, None, None).0);
    tokens.insert("operator", make(Role::Operator, None, None).0);
    tokens.insert("auditor", make(Role::Auditor, None, None).0);
    tokens.insert("tenant_a", make(Role::Tenant, Some(A), None).0);
    tokens.insert("tenant_b", make(Role::Tenant, Some(B), None).0);
    tokens.insert("device", make(Role::Device, None, None).0);
    tokens.insert("expired", make(Role::Admin, None, Some(now + 1)).0);
    let (revoked, record) = make(Role::Admin, None, None);
    api.revoke_token(
        &api.authenticate(&tokens["admin"], now).expect("admin"),
        &record.id,
        now,
    )
    .expect("revoked");
    tokens.insert("revoked", revoked);
    tokens.insert("malformed", "pgt_not-a-token".into());
    std::thread::sleep(std::time::Duration::from_millis(5));
    let router = app(
        Arc::new(Status::new("yanqing")),
        Some(ApiState::new(api.clone())),
    );
    (router, api, tokens)
}

/// Sends one request on a runtime of its own; the status and the body as JSON (Null if none).
fn send(
    router: &axum::Router,
    method: Method,
    uri: &str,
    token: Option<&str>,
    body: Option<String>,
) -> (StatusCode, serde_json::Value, String) {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    if body.is_some() {
        req = req.header("content-type", "application/json");
    }
    let req = req
        .body(body.map_or_else(Body::empty, Body::from))
        .expect("request");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (status, bytes) = rt.block_on(async {
        let r = router.clone().oneshot(req).await.expect("answers");
        let status = r.status();
        let bytes = axum::body::to_bytes(r.into_body(), 64 << 20)
            .await
            .expect("body");
        (status, bytes)
    });
    let text = String::from_utf8_lossy(&bytes).to_string();
    let json = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
    (status, json, text)
}

/// The roles allowed each operation (`METHOD path` as in the document). An operation of the
/// document missing here fails the test: every new route takes a decision here.
fn policy() -> BTreeMap<&'static str, &'static [&'static str]> {
    const ALL: &[&str] = &[
        "admin", "operator", "auditor", "tenant_a", "tenant_b", "device",
    ];
    const READERS: &[&str] = &["admin", "operator", "auditor", "tenant_a", "tenant_b"];
    const PARK: &[&str] = &["admin", "operator", "auditor"];
    BTreeMap::from([
        ("GET /api/v1/whoami", ALL),
        ("GET /api/v1/park", READERS),
        ("GET /api/v1/park/buses", PARK),
        ("GET /api/v1/park/assets", PARK),
        ("GET /api/v1/park/branches", PARK),
        ("GET /api/v1/tenants", READERS),
        ("GET /api/v1/meters", READERS),
        ("GET /api/v1/meters/{id}/intervals", READERS),
        ("GET /api/v1/series", READERS),
        ("GET /api/v1/series/latest", READERS),
        ("GET /api/v1/series/window", READERS),
        ("GET /api/v1/stream/latest", READERS),
        ("GET /api/v1/alarms", PARK),
        (
            "POST /api/v1/alarms/{id}/acknowledge",
            &["admin", "operator"],
        ),
        ("POST /api/v1/alarms/{id}/shelve", &["admin", "operator"]),
        ("GET /api/v1/runs", PARK),
        ("POST /api/v1/runs", &["admin", "operator"]),
        ("GET /api/v1/runs/{id}", PARK),
        ("GET /api/v1/tokens", &["admin", "auditor"]),
        ("POST /api/v1/tokens", &["admin"]),
        ("DELETE /api/v1/tokens/{id}", &["admin"]),
    ])
}

/// Waits for the server's runs to end (one runs at a time).
fn settle(api: &Api) {
    let admin = parkgrid_engine::api::Principal {
        token_id: "test".into(),
        role: Role::Admin,
        tenant: None,
    };
    let start = std::time::Instant::now();
    while api
        .runs(&admin)
        .expect("runs")
        .iter()
        .any(|r| r.state == parkgrid_engine::runs::RunState::Running)
    {
        assert!(start.elapsed().as_secs() < 120, "a run never ended");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// The id of a run of the server (started here when there is none).
fn some_run(api: &Api) -> u64 {
    let admin = parkgrid_engine::api::Principal {
        token_id: "test".into(),
        role: Role::Admin,
        tenant: None,
    };
    if let Some(r) = api.runs(&admin).expect("runs").first() {
        return r.id;
    }
    let spec = parkgrid_engine::runs::RunSpec {
        window: Some(parkgrid_engine::Window {
            from: chrono::NaiveDate::from_ymd_opt(2025, 1, 15).expect("date"),
            days: 2,
        }),
        strategy: parkgrid_engine::runs::Strategy::Rule,
    };
    api.start_run(&admin, spec).expect("a run")
}

/// The id of the store's open alarm (the setup raises one).
fn alarm_id(api: &Api) -> i64 {
    let admin = parkgrid_engine::api::Principal {
        token_id: "test".into(),
        role: Role::Admin,
        tenant: None,
    };
    api.alarms(&admin).expect("alarms")[0].id
}

/// The request of an operation for `caller`: tenant A's meter and series (tenant B is refused
/// them as not found), a fresh token to revoke, a day's window.
fn request_for(op: &str, caller: &str, api: &Api) -> (Method, String, Option<String>) {
    let (method, path) = op.split_once(' ').expect("METHOD path");
    let method: Method = method.parse().expect("method");
    let window = format!("from={T0}&to={}", T0 + DAY_MS);
    let (uri, body) = match path {
        "/api/v1/meters/{id}/intervals" => {
            (format!("/api/v1/meters/{A_METER}/intervals?{window}"), None)
        }
        "/api/v1/series/latest" => (format!("/api/v1/series/latest?names={A_SERIES}"), None),
        // One event, then the stream ends.
        "/api/v1/stream/latest" => ("/api/v1/stream/latest?seconds=1".to_string(), None),
        "/api/v1/series/window" => (
            format!("/api/v1/series/window?name={A_SERIES}&{window}&resolution=hour"),
            None,
        ),
        "/api/v1/tokens" if method == Method::POST => (
            path.to_string(),
            Some(format!(
                "{{\"role\": \"operator\", \"label\": \"made by {caller}\"}}"
            )),
        ),
        "/api/v1/alarms/{id}/acknowledge" => (
            format!("/api/v1/alarms/{}/acknowledge", alarm_id(api)),
            None,
        ),
        "/api/v1/alarms/{id}/shelve" => (
            format!("/api/v1/alarms/{}/shelve", alarm_id(api)),
            Some("{\"minutes\": 30}".to_string()),
        ),
        // Two days by the rules: quick; each start waits for the run before it.
        "/api/v1/runs" if method == Method::POST => {
            settle(api);
            (
                path.to_string(),
                Some("{\"from\": \"2025-01-15\", \"days\": 2, \"strategy\": \"rule\"}".into()),
            )
        }
        "/api/v1/runs/{id}" => (format!("/api/v1/runs/{}", some_run(api)), None),
        "/api/v1/tokens/{id}" => {
            let (_, victim) = api
                .create_token(Role::Device, None, "victim", None, now_ms())
                .expect("victim");
            (format!("/api/v1/tokens/{}", victim.id), None)
        }
        p => (p.to_string(), None),
    };
    (method, uri, body)
}

#[test]
fn every_operation_with_every_caller_answers_as_the_roles_say() {
    let (router, api, tokens) = setup("policy");
    let (status, doc, _) = send(&router, Method::GET, "/api/v1/openapi.json", None, None);
    assert_eq!(status, StatusCode::OK);
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "{}",
        doc["openapi"]
    );
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("item").keys() {
            ops.push(format!("{} {path}", method.to_uppercase()));
        }
    }
    // Every reference of the document names a component it has.
    let mut refs = Vec::new();
    fn collect(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    match (k.as_str(), x.as_str()) {
                        ("$ref", Some(r)) => out.push(r.to_string()),
                        _ => collect(x, out),
                    }
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| collect(x, out)),
            _ => {}
        }
    }
    collect(&doc, &mut refs);
    assert!(!refs.is_empty());
    for r in &refs {
        let name = r
            .strip_prefix("#/components/schemas/")
            .expect("a schema reference");
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "{r} is not in the document"
        );
    }
    let policy = policy();
    let documented: Vec<&str> = ops.iter().map(String::as_str).collect();
    assert_eq!(
        documented
            .iter()
            .copied()
            .collect::<std::collections::BTreeSet<_>>(),
        policy.keys().copied().collect(),
        "the document's operations and the policy's"
    );
    let (mut unauthorised_2xx, mut server_errors, mut calls) = (0, 0, 0);
    for op in &ops {
        let allowed = policy[op.as_str()];
        for (caller, token) in &tokens {
            let (method, uri, body) = request_for(op, caller, &api);
            let (status, json, text) = send(&router, method, &uri, Some(token), body);
            calls += 1;
            if status.is_server_error() {
                server_errors += 1;
            }
            if !status.is_success() {
                assert!(
                    json["error"].is_string() && json["detail"].is_string(),
                    "{op} as {caller}: {status} without the error shape: {text}"
                );
            }
            let expect_ok = allowed.contains(caller);
            // Tenant B asking for tenant A's meter or series: not found, as if not there.
            let b_on_a = *caller == "tenant_b"
                && ["intervals", "series/latest", "window"]
                    .iter()
                    .any(|w| op.contains(w));
            match (*caller, expect_ok) {
                ("malformed" | "expired" | "revoked", _) => {
                    assert_eq!(status, StatusCode::UNAUTHORIZED, "{op} as {caller}: {text}");
                }
                (_, true) if b_on_a => {
                    assert_eq!(status, StatusCode::NOT_FOUND, "{op} as {caller}: {text}");
                }
                (_, true) => assert!(status.is_success(), "{op} as {caller}: {status} {text}"),
                (_, false) => {
                    if status.is_success() {
                        unauthorised_2xx += 1;
                    }
                    assert_eq!(status, StatusCode::FORBIDDEN, "{op} as {caller}: {text}");
                }
            }
            if caller.starts_with("tenant_") && status.is_success() {
                let (other, other_meter, other_series) = if *caller == "tenant_a" {
                    (B, B_METER, B_SERIES)
                } else {
                    (A, A_METER, A_SERIES)
                };
                for leak in [other, other_meter, other_series] {
                    assert!(
                        !text.contains(leak),
                        "{op} as {caller} shows {leak}: {text}"
                    );
                }
            }
        }
        // Without a token: 401 everywhere.
        let (method, uri, body) = request_for(op, "nobody", &api);
        let (status, json, text) = send(&router, method, &uri, None, body);
        calls += 1;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{op} without a token: {text}"
        );
        assert_eq!(json["error"], "unauthenticated");
    }
    assert_eq!(
        (unauthorised_2xx, server_errors),
        (0, 0),
        "of {calls} calls"
    );
    assert!(calls >= 21 * 10, "{calls}");
}

#[test]
fn answers_carry_the_data_and_the_limits_hold() {
    let (router, api, tokens) = setup("data");
    let get = |uri: &str, who: &str| send(&router, Method::GET, uri, Some(&tokens[who]), None);
    // The hourly window of tenant A's series: 24 buckets of 4 points, means of 100 + k.
    let (status, w, text) = get(
        &format!(
            "/api/v1/series/window?name={A_SERIES}&from=2025-01-08T08:00:00%2B08:00&to={}&resolution=hour",
            T0 + DAY_MS
        ),
        "tenant_a",
    );
    assert_eq!(status, StatusCode::OK, "{text}");
    let values = w["values"].as_array().expect("values");
    assert_eq!(values.len(), 24, "{text}");
    assert_eq!(values[0]["n"], 4);
    assert!(
        (values[0]["value"].as_f64().unwrap_or(0.0) - 101.5).abs() < 1e-9,
        "{text}"
    );
    // Tenant A's meter: 24 hourly intervals of 50 kWh.
    let (status, m, text) = get(
        &format!(
            "/api/v1/meters/{A_METER}/intervals?from={T0}&to={}",
            T0 + DAY_MS
        ),
        "tenant_a",
    );
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(
        (m["energy_kwh"].as_f64().unwrap_or(0.0) - 1200.0).abs() < 1e-9,
        "{text}"
    );
    assert_eq!(m["intervals"].as_array().map(Vec::len), Some(24));
    // A tenant lists only its own series and meters.
    let (_, series, _) = get("/api/v1/series", "tenant_a");
    let names: Vec<&str> = series["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(names, [A_SERIES], "{series}");
    let (_, latest, _) = get("/api/v1/series/latest", "operator");
    assert_eq!(latest["total"], 3, "{latest}");
    // Limits and bad input: a 4xx in the one shape, naming the field.
    for (uri, field) in [
        ("/api/v1/park/buses?limit=5000", "limit"),
        ("/api/v1/park/buses?limit=abc", "query"),
        (
            &format!(
                "/api/v1/series/window?name={PV_SERIES}&from=0&to={}",
                100 * 366 * DAY_MS
            )[..],
            "to",
        ),
        (
            &format!("/api/v1/series/window?name={PV_SERIES}&from=yesterday&to=1")[..],
            "from",
        ),
        (
            &format!("/api/v1/series/window?name={PV_SERIES}&from=0&to=1&resolution=week")[..],
            "resolution",
        ),
    ] {
        let (status, e, text) = get(uri, "operator");
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {text}");
        assert_eq!(e["error"], "invalid", "{text}");
        assert_eq!(e["field"], field, "{uri}: {text}");
    }
    for uri in [
        "/api/v1/meters/..%2F..%2Fetc%2Fpasswd/intervals?from=0&to=1",
        "/api/v1/series/window?name=..%2F..%2Fetc%2Fpasswd&from=0&to=1",
        "/api/v1/nothing",
    ] {
        let (status, e, text) = get(uri, "operator");
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}: {text}");
        assert_eq!(e["error"], "not_found", "{text}");
    }
    let post = |body: String| {
        send(
            &router,
            Method::POST,
            "/api/v1/tokens",
            Some(&tokens["admin"]),
            Some(body),
        )
    };
    for (body, status) in [
        ("{\"role\": ".to_string(), StatusCode::BAD_REQUEST),
        ("{\"role\": 7}".to_string(), StatusCode::BAD_REQUEST),
        ("{\"role\": \"king\"}".to_string(), StatusCode::BAD_REQUEST),
        (
            "{\"role\": \"tenant\", \"tenant\": \"nobody\"}".to_string(),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!(
                "{{\"role\": \"operator\", \"label\": \"{}\"}}",
                "x".repeat(100_000)
            ),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
    ] {
        let (got, e, text) = post(body);
        assert_eq!(got, status, "{text}");
        assert!(e["error"].is_string(), "{text}");
    }
    // A token made through the API works, and the method a route does not take is a 405.
    let (status, made, text) = post("{\"role\": \"tenant\", \"tenant\": \"park_offices\"}".into());
    assert_eq!(status, StatusCode::CREATED, "{text}");
    let token = made["token"].as_str().expect("token").to_string();
    let (status, me, _) = send(&router, Method::GET, "/api/v1/whoami", Some(&token), None);
    assert_eq!((status, me["tenant"].as_str()), (StatusCode::OK, Some(A)));
    let (status, e, _) = send(&router, Method::PUT, "/api/v1/park", Some(&token), None);
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(e["error"], "method_not_allowed");
    // A run started through the API ends with the engine's summary; bad requests name the field.
    let start_run = |body: &str| {
        send(
            &router,
            Method::POST,
            "/api/v1/runs",
            Some(&tokens["operator"]),
            Some(body.to_string()),
        )
    };
    let (status, run, text) =
        start_run("{\"from\": \"2025-01-15\", \"days\": 2, \"strategy\": \"rule\"}");
    assert_eq!(status, StatusCode::ACCEPTED, "{text}");
    let id = run["id"].as_u64().expect("id");
    let started = std::time::Instant::now();
    let done = loop {
        let (_, r, _) = get(&format!("/api/v1/runs/{id}"), "auditor");
        if r["state"] != "running" {
            break r;
        }
        assert!(started.elapsed().as_secs() < 120, "{r}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!(done["summary"]["period"]["n_steps"], 48, "{done}");
    assert!(
        done["summary"]["total_cost_cny"]
            .as_f64()
            .is_some_and(|c| c > 0.0),
        "{done}"
    );
    for (body, field) in [
        ("{\"from\": \"15.1.2025\"}", "from"),
        ("{\"from\": \"2031-01-15\", \"days\": 2}", "from"),
        ("{\"days\": 2}", "from"),
        ("{\"from\": \"2025-01-15\", \"days\": 0}", "days"),
    ] {
        let (status, e, text) = start_run(body);
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {text}");
        assert_eq!(e["field"], field, "{body}: {text}");
    }

    // A token that expires while its stream runs ends the stream at the next tick.
    let (short, _) = api
        .create_token(
            Role::Operator,
            None,
            "short",
            Some(now_ms() + 600),
            now_ms(),
        )
        .expect("token");
    let began = std::time::Instant::now();
    let (status, _, text) = send(
        &router,
        Method::GET,
        "/api/v1/stream/latest?seconds=5",
        Some(&short),
        None,
    );
    assert_eq!(status, StatusCode::OK);
    assert_eq!(text.matches("event: latest").count(), 1, "{text}");
    assert!(
        began.elapsed() < std::time::Duration::from_secs(3),
        "{:?}",
        began.elapsed()
    );

    // The API browser without a token, from this server only.
    let (status, _, page) = send(&router, Method::GET, "/api/v1/docs/", None, None);
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("swagger-ui"), "{page}");
    assert!(!page.contains("https://"), "nothing from elsewhere: {page}");
    // Metrics take a token of a role that reads the park.
    let (status, _, _) = send(&router, Method::GET, "/metrics", None, None);
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = get("/metrics", "tenant_a");
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, text) = get("/metrics", "operator");
    assert_eq!(status, StatusCode::OK);
    assert!(text.contains("parkgrid_ingest_points_total"), "{text}");
}
