//! The live park (feature `live`): the twin played to a broker, and `serve`'s ingest from it.
//!
//! - [`play`]: a [`Twin`]'s frames published at QoS 1, paced to the clock (`speed` simulated
//!   seconds per second) or as fast as the broker takes them, returning once the broker has
//!   acknowledged every message;
//! - [`serve`]: the park's telemetry from the broker into a store — the topics of
//!   [`parkgrid_model::Live`], the park's billing meters stored as meter readings, each message
//!   acknowledged only after its commit ([`parkgrid_ingest::mqtt`]); several instances share the
//!   stream through an MQTT shared subscription (`$share/<group>/…`);
//! - [`open_store`]: `sqlite:FILE` (the embedded store) or a PostgreSQL connection string
//!   (feature `postgres`).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use chrono::Offset as _;
use parkgrid_ingest::mqtt::{self, Config, Stats};
use parkgrid_ingest::publish::Publisher;
use parkgrid_model::Park;
use parkgrid_store::PointStore;
use serde::Serialize;

use crate::EngineError;
use crate::twin::Twin;

/// The ingest crate (its Mosquitto launcher, for tests and trials).
pub use parkgrid_ingest as ingest;
/// The store crate, for callers that read what `serve` wrote.
pub use parkgrid_store as store;

/// A broker's address, `HOST:PORT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broker {
    /// Host name or address.
    pub host: String,
    /// TCP port.
    pub port: u16,
}

impl std::str::FromStr for Broker {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (host, port) = s
            .rsplit_once(':')
            .ok_or_else(|| format!("'{s}' is not HOST:PORT (e.g. 127.0.0.1:1883)"))?;
        let port =
            port.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| {
                format!("'{s}': the port '{port}' is not a number from 1 to 65535")
            })?;
        if host.is_empty() {
            return Err(format!("'{s}': no host before the ':'"));
        }
        Ok(Broker {
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_string(),
            port,
        })
    }
}

/// What [`play`] did.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Played {
    /// Messages published (and acknowledged by the broker).
    pub messages: usize,
    /// SenML records in them: the points a store must end with.
    pub points: usize,
    /// Wall-clock seconds from the first publish to the last acknowledgement.
    pub elapsed_s: f64,
}

/// Publishes `twin`'s frames to `broker` as `client_id`: frame `k` at `k · step / speed` after
/// the start (`speed` in simulated seconds per second; `None`: as fast as the broker takes
/// them), then waits up to `ack_timeout` for the broker to acknowledge everything. `progress`
/// hears (frames done, frames) after every frame.
///
/// # Errors
/// [`EngineError::Live`] when the client fails or the broker has not acknowledged every
/// message in time (with the counts).
pub fn play(
    twin: &Twin,
    broker: &Broker,
    client_id: &str,
    speed: Option<f64>,
    ack_timeout: Duration,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Played, EngineError> {
    let live =
        |e: String| EngineError::Live(format!("twin → {}:{}: {e}", broker.host, broker.port));
    let mut publisher = Publisher::connect(&broker.host, broker.port, client_id, 200);
    let start = Instant::now();
    let mut points = 0;
    let frames = twin.frames();
    for k in 0..frames {
        if let Some(speed) = speed {
            let due = Duration::from_secs_f64(k as f64 * twin.step_ms() as f64 / 1000.0 / speed);
            if let Some(wait) = due.checked_sub(start.elapsed()) {
                std::thread::sleep(wait);
            }
        }
        for m in twin.frame(k).messages {
            publisher
                .publish(&m.topic, m.payload)
                .map_err(|e| live(e.to_string()))?;
            points += m.records;
        }
        progress(k + 1, frames);
    }
    publisher
        .flush(ack_timeout)
        .map_err(|e| live(e.to_string()))?;
    Ok(Played {
        messages: publisher.sent(),
        points,
        elapsed_s: start.elapsed().as_secs_f64(),
    })
}

/// Waits until frame `k` is due: `k · step / speed` after `start` (no wait without a speed).
fn pace(twin: &Twin, k: usize, speed: Option<f64>, start: Instant) {
    if let Some(speed) = speed {
        let due = Duration::from_secs_f64(k as f64 * twin.step_ms() as f64 / 1000.0 / speed);
        if let Some(wait) = due.checked_sub(start.elapsed()) {
            std::thread::sleep(wait);
        }
    }
}

/// Hands `twin`'s frames to `serve` inside the process (no broker): each message as
/// `(topic, payload)` into `to`, paced as [`play`] paces them. Returns when every frame is
/// handed over or `serve` has gone.
pub fn feed(
    twin: &Twin,
    speed: Option<f64>,
    to: &std::sync::mpsc::SyncSender<(String, Vec<u8>)>,
) -> Played {
    let start = Instant::now();
    let (mut messages, mut points) = (0, 0);
    for k in 0..twin.frames() {
        pace(twin, k, speed, start);
        for m in twin.frame(k).messages {
            if to.send((m.topic, m.payload.into_bytes())).is_err() {
                break;
            }
            messages += 1;
            points += m.records;
        }
    }
    Played {
        messages,
        points,
        elapsed_s: start.elapsed().as_secs_f64(),
    }
}

/// How `serve` takes the park's telemetry.
#[derive(Debug, Clone, PartialEq)]
pub struct ServeOptions {
    /// The broker.
    pub broker: Broker,
    /// The MQTT client id: fixed per instance, so that the broker keeps its session (and what it
    /// has not acknowledged) across restarts.
    pub client_id: String,
    /// A shared-subscription group: instances with the same group split the stream
    /// (`$share/<group>/<topic>`); `None`: this instance takes every message.
    pub share: Option<String>,
    /// Stop after this long without a message (`None`: run until the process ends).
    pub idle_exit: Option<Duration>,
}

/// The names of `park`'s meter registers: `<park_id>/meter/<id>/<e_kwh | heat_kwh | cold_kwh>`.
pub fn meter_points(park: &Park) -> HashSet<String> {
    use parkgrid_model::tenant::MeterCarrier;
    park.meter
        .iter()
        .map(|m| {
            let q = match m.carrier {
                MeterCarrier::Electricity => "e_kwh",
                MeterCarrier::Heat => "heat_kwh",
                MeterCarrier::Cooling => "cold_kwh",
            };
            format!("{}/meter/{}/{q}", park.live.park_id, m.id)
        })
        .collect()
}

/// The topic filter `serve` subscribes to for `park`.
pub fn topic_filter(park: &Park, share: Option<&str>) -> String {
    let topic = format!("{}/#", park.live.topic_prefix());
    match share {
        Some(group) => format!("$share/{group}/{topic}"),
        None => topic,
    }
}

/// The series-name prefixes of `park`'s telemetry: `<park_id>/<asset or branch id>/` and
/// `<park_id>/meter/<meter id>/`.
pub fn known_prefixes(park: &Park) -> HashSet<String> {
    let id = &park.live.park_id;
    park.assets()
        .map(|(_, a)| a.spec().id().to_string())
        .chain(park.line.iter().map(|l| l.id.clone()))
        .chain(park.transformer.iter().map(|t| t.id.clone()))
        .chain(park.converter.iter().map(|c| c.id.clone()))
        .map(|d| format!("{id}/{d}/"))
        .chain(park.meter.iter().map(|m| format!("{id}/meter/{}/", m.id)))
        .collect()
}

/// The ingester's configuration for `park`: its topics, its meters, its series names.
fn ingest_config(park: &Park, options: &ServeOptions) -> Config {
    Config {
        meters: meter_points(park),
        known: Some(known_prefixes(park)),
        ..Config::new(
            &options.broker.host,
            options.broker.port,
            &options.client_id,
            &topic_filter(park, options.share.as_deref()),
        )
    }
}

/// Sets the store's days to the park's: its UTC offset at the start of its year (a park in a
/// zone with daylight saving keeps its winter days).
fn park_days(park: &Park, store: &mut dyn PointStore) -> Result<(), EngineError> {
    let offset_ms = park.time_axis().map_or(0, |a| {
        i64::from(a.start.offset().fix().local_minus_utc()) * 1000
    });
    store
        .set_day_offset_ms(offset_ms)
        .map_err(|e| EngineError::Live(format!("the store: {e}")))
}

/// Takes `park`'s telemetry handed over inside the process ([`feed`]) into `store`, as
/// [`serve`] takes it from a broker, until the sender is gone and all is committed.
///
/// # Errors
/// [`EngineError::Live`] when the store refuses a commit.
pub fn serve_local(
    park: &Park,
    messages: &std::sync::mpsc::Receiver<(String, Vec<u8>)>,
    store: &mut dyn PointStore,
    report: &mut dyn FnMut(&Stats),
    quarantined: &mut dyn FnMut(&str, &str),
) -> Result<Stats, EngineError> {
    let config = Config {
        meters: meter_points(park),
        known: Some(known_prefixes(park)),
        ..Config::new("", 0, "", "")
    };
    park_days(park, store)?;
    let mut last_report = Instant::now();
    mqtt::run_local(
        &config,
        store,
        messages,
        &mut |s| {
            if last_report.elapsed() >= Duration::from_secs(1) {
                last_report = Instant::now();
                report(s);
            }
        },
        quarantined,
    )
    .map_err(|e| EngineError::Live(format!("serve ← the twin: {e}")))
}

/// Takes `park`'s telemetry from the broker into `store` until `options.idle_exit` passes
/// without a message (or forever). A record that is not a series of the park (an asset,
/// branch or meter it does not have) sends its message to the quarantine. `report` hears the
/// counts about once a second, `quarantined(source, reason)` every message quarantined.
///
/// # Errors
/// [`EngineError::Live`] when the store refuses a commit (nothing of that batch is
/// acknowledged: the broker delivers it again) or the client fails.
pub fn serve(
    park: &Park,
    options: &ServeOptions,
    store: &mut dyn PointStore,
    report: &mut dyn FnMut(&Stats),
    quarantined: &mut dyn FnMut(&str, &str),
) -> Result<Stats, EngineError> {
    let config = ingest_config(park, options);
    park_days(park, store)?;
    let mut last_acked = 0;
    let mut last_change = Instant::now();
    let mut last_report = Instant::now();
    mqtt::run(
        &config,
        store,
        &mut |s| {
            if s.acked != last_acked {
                last_acked = s.acked;
                last_change = Instant::now();
            }
            if last_report.elapsed() >= Duration::from_secs(1) {
                last_report = Instant::now();
                report(s);
            }
            options
                .idle_exit
                .is_some_and(|idle| last_change.elapsed() >= idle)
        },
        quarantined,
    )
    .map_err(|e| {
        EngineError::Live(format!(
            "serve ← {}:{}: {e}",
            options.broker.host, options.broker.port
        ))
    })
}

/// Opens the store `db` names: `sqlite:FILE` (created if missing), or with feature `postgres`
/// a PostgreSQL connection string (`postgres://…` or `host=… dbname=…`) and its schema
/// (`?schema=` is not PostgreSQL's: the schema is the park's id).
///
/// # Errors
/// [`EngineError::Input`] for a `db` of no known form; [`EngineError::Live`] when the store
/// cannot be opened.
pub fn open_store(db: &str, park: &Park) -> Result<Box<dyn PointStore>, EngineError> {
    let failed = |e: parkgrid_store::StoreError| EngineError::Live(format!("{db}: {e}"));
    if let Some(path) = db.strip_prefix("sqlite:") {
        if path.is_empty() {
            return Err(EngineError::Input(
                "--db sqlite: needs a file name (e.g. sqlite:park.db)".into(),
            ));
        }
        let store =
            parkgrid_store::sqlite::Store::open(std::path::Path::new(path)).map_err(failed)?;
        return Ok(Box::new(store));
    }
    if db.starts_with("postgres://") || db.starts_with("postgresql://") || db.contains("dbname=") {
        #[cfg(feature = "postgres")]
        {
            let store =
                parkgrid_store::postgres::Store::connect(db, &park.live.park_id).map_err(failed)?;
            return Ok(Box::new(store));
        }
        #[cfg(not(feature = "postgres"))]
        {
            let _ = park;
            return Err(EngineError::Input(format!(
                "'{db}': this build has no PostgreSQL store; rebuild with --features postgres"
            )));
        }
    }
    let _ = park;
    Err(EngineError::Input(format!(
        "'{db}' is not a store: give sqlite:FILE or a PostgreSQL connection string \
         (postgres://USER@HOST:PORT/DB)"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brokers_parse_or_say_why() {
        let b: Broker = "127.0.0.1:1883".parse().unwrap();
        assert_eq!((b.host.as_str(), b.port), ("127.0.0.1", 1883));
        let v6: Broker = "[::1]:1884".parse().unwrap();
        assert_eq!(v6.host, "::1");
        for (bad, says) in [
            ("localhost", "not HOST:PORT"),
            (":1883", "no host"),
            ("h:0", "1 to 65535"),
            ("h:70000", "1 to 65535"),
            ("h:x", "'x'"),
        ] {
            let e = bad.parse::<Broker>().unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
