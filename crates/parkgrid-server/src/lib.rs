//! parkgrid's HTTP side (layer L4 of `ARCHITECTURE.md`; only this crate knows HTTP), served by
//! `parkgrid serve --listen`:
//!
//! - `GET /health`: `200` with `{"status": "ok", "park_id", "uptime_s", "ingest": {…},
//!   "devices": [{…}]}` — the ingester's counts and each Modbus device's, as JSON; no token;
//! - `GET /metrics`: the same counts in Prometheus' text exposition format (version 0.0.4),
//!   counters named `parkgrid_…_total` with the park as a label; with the API, it takes a token
//!   of a role that reads the park (admin, operator, auditor), as every route but health and
//!   the API document does;
//! - the REST API under `/api/v1` and its OpenAPI 3.1 document at `/api/v1/openapi.json`
//!   ([`rest`]), browsable at `/api/v1/docs/` (Swagger UI, its assets inside the binary);
//! - the live dashboard at `/dashboard/` ([`dashboard`]).
//!
//! Every answer carries `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`,
//! `Cache-Control: no-store` and a content security policy that loads nothing from anywhere
//! (`default-src 'none'`; the API browser's pages load their scripts, styles and the document
//! from this server only, without `unsafe-eval`); no CORS header is sent, so browsers keep other origins out. Request
//! bodies are limited to [`rest::MAX_BODY_BYTES`].
//!
//! [`app`] is the router (testable without a socket); [`Listener::start`] serves it on an
//! address in a thread of its own until dropped.

pub mod dashboard;
pub mod rest;

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Json};
use axum::routing::get;
use serde::Serialize;

/// The ingester's counts since the start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Ingest {
    /// Messages taken (stored or quarantined).
    pub messages: u64,
    /// Points written.
    pub points: u64,
    /// Meter readings written.
    pub meter_readings: u64,
    /// Messages quarantined.
    pub quarantined: u64,
    /// Commits.
    pub commits: u64,
    /// Connection errors met.
    pub connection_errors: u64,
    /// Raw points purged by the retention.
    pub purged: u64,
}

/// A Modbus device's counts since the start.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Device {
    /// Its id in the park file.
    pub id: String,
    /// Polls made.
    pub polls: u64,
    /// Polls in which every value was read and good.
    pub good_polls: u64,
    /// Values stored as bad (sentinels, out of range).
    pub bad_values: u64,
    /// Whether its last poll was answered.
    pub answering: bool,
}

/// What the live park reports, updated by `serve` as it runs.
#[derive(Debug)]
pub struct Status {
    park_id: String,
    started: Instant,
    ingest: Mutex<Ingest>,
    devices: Mutex<Vec<Device>>,
}

impl Status {
    /// The status of the park `park_id`, starting now.
    pub fn new(park_id: &str) -> Self {
        Status {
            park_id: park_id.to_string(),
            started: Instant::now(),
            ingest: Mutex::new(Ingest::default()),
            devices: Mutex::new(Vec::new()),
        }
    }

    /// Sets the ingester's counts.
    pub fn set_ingest(&self, ingest: Ingest) {
        *self.ingest.lock().unwrap_or_else(PoisonError::into_inner) = ingest;
    }

    /// Sets a device's counts (by its id).
    pub fn set_device(&self, device: Device) {
        let mut devices = self.devices.lock().unwrap_or_else(PoisonError::into_inner);
        match devices.iter_mut().find(|d| d.id == device.id) {
            Some(d) => *d = device,
            None => devices.push(device),
        }
    }

    fn snapshot(&self) -> (Ingest, Vec<Device>) {
        (
            *self.ingest.lock().unwrap_or_else(PoisonError::into_inner),
            self.devices
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
        )
    }
}

async fn health(State(status): State<Arc<Status>>) -> impl IntoResponse {
    let (ingest, devices) = status.snapshot();
    Json(serde_json::json!({
        "status": "ok",
        "park_id": status.park_id,
        "uptime_s": status.started.elapsed().as_secs_f64(),
        "ingest": ingest,
        "devices": devices,
    }))
}

/// A label value escaped for Prometheus' text format.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

async fn metrics(State(status): State<Arc<Status>>) -> impl IntoResponse {
    let (ingest, devices) = status.snapshot();
    let park = label(&status.park_id);
    let mut out = String::new();
    let mut counter = |name: &str, help: &str, rows: &[(String, u64)]| {
        let _ = writeln!(out, "# HELP parkgrid_{name}_total {help}");
        let _ = writeln!(out, "# TYPE parkgrid_{name}_total counter");
        for (labels, v) in rows {
            let _ = writeln!(out, "parkgrid_{name}_total{{{labels}}} {v}");
        }
    };
    let p = format!("park=\"{park}\"");
    counter(
        "ingest_messages",
        "MQTT messages taken (stored or quarantined).",
        &[(p.clone(), ingest.messages)],
    );
    counter(
        "ingest_points",
        "Points written to the store.",
        &[(p.clone(), ingest.points)],
    );
    counter(
        "ingest_meter_readings",
        "Meter readings written to the store.",
        &[(p.clone(), ingest.meter_readings)],
    );
    counter(
        "ingest_quarantined",
        "Messages kept in the quarantine with their reason.",
        &[(p.clone(), ingest.quarantined)],
    );
    counter(
        "ingest_commits",
        "Store commits of the ingester.",
        &[(p.clone(), ingest.commits)],
    );
    counter(
        "ingest_connection_errors",
        "Broker connection errors met.",
        &[(p.clone(), ingest.connection_errors)],
    );
    counter(
        "store_purged_points",
        "Raw points purged by the retention.",
        &[(p.clone(), ingest.purged)],
    );
    let rows = |f: fn(&Device) -> u64| -> Vec<(String, u64)> {
        devices
            .iter()
            .map(|d| (format!("{p},device=\"{}\"", label(&d.id)), f(d)))
            .collect()
    };
    counter("modbus_polls", "Modbus polls made.", &rows(|d| d.polls));
    counter(
        "modbus_good_polls",
        "Modbus polls with every value read and good.",
        &rows(|d| d.good_polls),
    );
    counter(
        "modbus_bad_values",
        "Modbus values stored as bad (sentinels, out of range).",
        &rows(|d| d.bad_values),
    );
    let _ = writeln!(
        out,
        "# HELP parkgrid_uptime_seconds Seconds since serve started."
    );
    let _ = writeln!(out, "# TYPE parkgrid_uptime_seconds gauge");
    let _ = writeln!(
        out,
        "parkgrid_uptime_seconds{{{p}}} {:.3}",
        status.started.elapsed().as_secs_f64()
    );
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
}

/// The router: `/health` and `/metrics` on `status`, and with `api` the REST API and its
/// document; security headers on every answer, JSON errors for unknown routes and methods.
pub fn app(status: Arc<Status>, api: Option<rest::ApiState>) -> Router {
    let health_route = Router::new()
        .route("/health", get(health))
        .with_state(status.clone());
    let metrics_route = Router::new()
        .route("/metrics", get(metrics))
        .with_state(status);
    let router = match api {
        Some(state) => {
            let (routes, doc) = rest::routes(state.clone());
            // Metrics take a token of a role that reads the park.
            let guarded = metrics_route.layer(axum::middleware::from_fn_with_state(
                state,
                rest::reads_park,
            ));
            health_route
                .merge(guarded)
                .merge(routes)
                .merge(rest::docs(doc))
                .merge(dashboard::routes())
        }
        None => health_route.merge(metrics_route),
    };
    router
        .fallback(rest::not_found)
        .method_not_allowed_fallback(rest::method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(rest::MAX_BODY_BYTES))
        .layer(axum::middleware::map_response(security_headers))
}

/// The headers every answer carries.
async fn security_headers(mut r: axum::response::Response) -> axum::response::Response {
    use axum::http::HeaderValue;
    let h = r.headers_mut();
    // The API browser's pages set their own (its scripts and styles, from this server only).
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        );
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// The HTTP listener of a running `serve` (stopped when dropped).
pub struct Listener {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Listener {
    /// Serves [`app`] on `addr` (port 0: a free one) in a thread of its own.
    ///
    /// # Errors
    /// The system's error when the address cannot be bound.
    pub fn start(
        addr: SocketAddr,
        status: Arc<Status>,
        api: Option<rest::ApiState>,
    ) -> std::io::Result<Listener> {
        let std_listener = std::net::TcpListener::bind(addr)?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        // IO for the sockets, time for the event streams' pace.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            runtime.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(std_listener) else {
                    return;
                };
                let _ = axum::serve(listener, app(status, api))
                    .with_graceful_shutdown(async move {
                        let _ = stopped.await;
                    })
                    .await;
            });
        });
        Ok(Listener {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
