//! The MQTT ingester: SenML packs from a broker into a store, acknowledged only once durable.
//!
//! It subscribes with QoS 1 on a persistent session (`clean_session = false`, a fixed client id),
//! so the broker keeps every message it has not acknowledged across a restart of either side,
//! and acknowledges by hand (`manual_acks`): a message is acknowledged only after the points it
//! carries are committed ([`PointStore::write_points`] returns after the commit), or, when it
//! cannot be decoded, after it is kept in the quarantine with the reason. A message redelivered
//! after a crash between commit and acknowledgement writes its points again, which changes
//! nothing (the store keeps one point per series and time). Messages are committed in batches of
//! up to [`Config::batch`] messages (512 at most: the client's request channel must hold their
//! acknowledgements), when the stream pauses, or [`Config::flush`] after the oldest arrived.
//! Messages are read (JSON parsed and checked) on the connection's own thread, so that reading
//! the next messages overlaps the commit of the last; the store stays with the ingester.
//!
//! The broker must not drop what it has acknowledged to a publisher: Mosquitto queues at most
//! `max_queued_messages` (1,000 by default) for a subscriber and silently drops QoS 1 messages
//! beyond that, even for a connected subscriber that is busy committing. A park's broker is set
//! with `max_queued_messages 0` (no limit; `docs/mosquitto.conf`), and a larger
//! `max_inflight_messages` lets the ingester commit more messages at once.
//!
//! A record's name (`bn + n`) is the series' name; its asset and quantity are the name's last two
//! segments (`yanqing/pv_roof/p_kw` → asset `pv_roof`, quantity `p_kw`), and a series is
//! registered the first time it is seen. Numeric and boolean values (1/0) are stored; a pack
//! with a text or data value, or with a time relative to reception (which would change if the
//! message came again), is quarantined. Acknowledgements go out in the order the messages came,
//! with the commit that follows them. After a lost connection, what was received and not
//! committed is dropped unacknowledged and publishes still buffered from the old connection are
//! ignored until the broker's ConnAck; a broker that lost the session is subscribed again.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use parkgrid_store::meter::Reading;
use parkgrid_store::{Point, PointStore, Quality, SeriesMeta, StoreError};
use rumqttc::{Client, ConnAck, Event, MqttOptions, Packet, Publish, QoS};

use crate::foreign;
use crate::senml::{self, Value};

/// The largest packet MQTT can carry: a remaining length of 268,435,455 bytes and a fixed
/// header of at most 5 (MQTT 3.1.1 § 2.2.3).
const MQTT_MAX_PACKET_BYTES: usize = 268_435_455 + 5;

/// How much of an oversized message the quarantine keeps, bytes.
pub const QUARANTINE_KEEP_BYTES: usize = 64 * 1024;

/// How the ingester connects and batches.
#[derive(Debug, Clone)]
pub struct Config {
    /// The broker's host.
    pub host: String,
    /// The broker's port.
    pub port: u16,
    /// The client id: fixed, so that the broker keeps the session (and what was not
    /// acknowledged) for this ingester.
    pub client_id: String,
    /// The topic filter to subscribe to (e.g. `parkgrid/yanqing/#`): SenML packs.
    pub topic: String,
    /// Foreign layouts: their topic filters are subscribed to as well, and a message on one
    /// of them is read by its mapping instead of as SenML ([`crate::foreign`]). A filter may be
    /// given a shared-subscription prefix with [`Config::share`].
    pub mappings: Vec<foreign::Mapping>,
    /// A shared-subscription group: every filter is subscribed as `$share/<group>/<filter>`.
    pub share: Option<String>,
    /// Messages per commit, at most.
    pub batch: usize,
    /// The longest a received message waits for its commit.
    pub flush: Duration,
    /// The names of the series that are cumulative meter registers: their values are stored
    /// as meter readings ([`PointStore::write_readings`], the meter id being the name), from
    /// which the store derives intervals, not as points.
    pub meters: HashSet<String>,
    /// The series-name prefixes accepted (`park/asset/`, `park/meter/m1/`): a message with a
    /// record under any other is quarantined as not this park's. `None`: any name.
    pub known: Option<HashSet<String>>,
    /// The 15-minute buckets of rollups brought up to date at most once a second between
    /// commits ([`PointStore::refresh_rollups`]; 0: never — a query still sees every point).
    pub rollup_budget: usize,
    /// Raw points purged at most once a minute between commits, when the store has a
    /// retention ([`PointStore::purge`]; 0: never).
    pub purge_budget: usize,
    /// The largest message stored, bytes: a larger one is quarantined (its first
    /// [`QUARANTINE_KEEP_BYTES`] kept, with its size) and acknowledged. The client itself
    /// takes messages up to MQTT's own limit, so that one oversized message cannot stall the
    /// stream (a client that refused it would lose its connection and be sent it again,
    /// forever); the broker's limit (`max_packet_size` in `docs/mosquitto.conf`) bounds what
    /// comes.
    pub max_packet_bytes: usize,
}

impl Config {
    /// A configuration for the broker at `host:port` with the defaults: batches of up to 256
    /// messages committed at least every 50 ms, no meters, any series name, rollups refreshed
    /// 2,000 buckets at a time, messages up to 1 MiB.
    pub fn new(host: &str, port: u16, client_id: &str, topic: &str) -> Self {
        Config {
            host: host.to_string(),
            port,
            client_id: client_id.to_string(),
            topic: topic.to_string(),
            mappings: Vec::new(),
            share: None,
            batch: 256,
            flush: Duration::from_millis(50),
            meters: HashSet::new(),
            known: None,
            rollup_budget: 2000,
            purge_budget: 10_000,
            max_packet_bytes: 1 << 20,
        }
    }
}

/// What the ingester has done.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Messages acknowledged (stored or quarantined).
    pub acked: usize,
    /// Points written (a redelivered point that changed nothing is not counted).
    pub points: usize,
    /// Meter readings written (likewise).
    pub readings: usize,
    /// 15-minute rollup buckets refreshed.
    pub rollups: usize,
    /// Raw points purged by the retention.
    pub purged: usize,
    /// Quarters with points for times the retention had purged, left out of the rollups.
    pub late_quarters: usize,
    /// Messages quarantined.
    pub quarantined: usize,
    /// Commits.
    pub commits: usize,
    /// Connection errors met (each followed by a reconnect).
    pub connection_errors: usize,
}

/// Why the ingester stopped.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The store refused a write; nothing of the batch was acknowledged.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The client could not queue a request to the broker.
    #[error("MQTT client: {0}")]
    Client(#[from] rumqttc::ClientError),
    /// The client's connection ended on its own.
    #[error("MQTT client: the connection ended")]
    Closed,
}

/// The time now, UTC epoch ms.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Config {
    /// The filters subscribed to: the SenML topic and each mapping's, with the share prefix.
    pub fn filters(&self) -> Vec<String> {
        std::iter::once(self.topic.as_str())
            .chain(self.mappings.iter().map(|m| m.topic.as_str()))
            .map(|f| match &self.share {
                Some(g) => format!("$share/{g}/{f}"),
                None => f.to_string(),
            })
            .collect()
    }
}

/// Subscribes to every filter of `config` at QoS 1.
fn subscribe(client: &Client, config: &Config) -> Result<(), IngestError> {
    for f in config.filters() {
        client.subscribe(f, QoS::AtLeastOnce)?;
    }
    Ok(())
}

/// A message's points and meter readings.
#[derive(Default)]
struct Decoded {
    points: Vec<(i64, Point)>,
    /// (point, reading).
    readings: Vec<(String, Reading)>,
}

/// A point of a message, named by its series (not yet its id in the store).
struct NamedPoint {
    name: String,
    unit: Option<String>,
    point: Point,
}

/// A message read: its points by series name and its meter readings. Made without the store
/// (on the connection's thread while the ingester commits), then resolved ([`resolve`]).
#[derive(Default)]
struct Parsed {
    points: Vec<NamedPoint>,
    readings: Vec<(String, Reading)>,
}

/// A message read into points and meter readings, or the reason it cannot be: larger than
/// [`Config::max_packet_bytes`], not UTF-8, not SenML (or its mapping's layout), a time relative
/// to reception, a series not of this park, a text or data value.
fn parse(config: &Config, topic: &str, payload: &[u8]) -> Result<Parsed, String> {
    if payload.len() > config.max_packet_bytes {
        return Err(format!(
            "a message of {} bytes, larger than the ingester's limit of {} bytes \
             (max_packet_bytes); its first {} bytes are kept here",
            payload.len(),
            config.max_packet_bytes,
            QUARANTINE_KEEP_BYTES
        ));
    }
    let text = std::str::from_utf8(payload).map_err(|e| format!("not UTF-8: {e}"))?;
    let records = match config
        .mappings
        .iter()
        .find(|m| foreign::topic_matches(&m.topic, topic))
    {
        Some(m) => foreign::resolve(m, text)?,
        None => senml::resolve(text, now_ms()).map_err(|e| e.to_string())?,
    };
    if let Some(r) = records.iter().find(|r| r.relative) {
        return Err(format!(
            "{}: a time relative to reception would change if the message came again; \
             send absolute times (bt, t)",
            r.name
        ));
    }
    if let Some(known) = &config.known {
        if let Some(r) = records.iter().find(|r| {
            let prefix = r.name.rsplit_once('/').map_or("", |(p, _)| p);
            !known.contains(&format!("{prefix}/"))
        }) {
            return Err(format!(
                "{}: not a series of this park (its assets, branches and meters publish as \
                 park_id/asset/quantity and park_id/meter/id/quantity)",
                r.name
            ));
        }
    }
    let mut out = Parsed {
        points: Vec::with_capacity(records.len()),
        readings: Vec::new(),
    };
    for r in records {
        let value = match r.value {
            Some(Value::Number(v)) => v,
            Some(Value::Bool(b)) => f64::from(u8::from(b)),
            Some(Value::Text(_) | Value::Data(_)) => {
                return Err(format!("{}: a text or data value is not a point", r.name));
            }
            None => match r.sum {
                Some(s) => s,
                None => continue,
            },
        };
        if config.meters.contains(&r.name) {
            out.readings.push((
                r.name.clone(),
                Reading {
                    time_ms: r.time_ms,
                    meter_id: r.name,
                    value,
                    seq: None,
                },
            ));
            continue;
        }
        out.points.push(NamedPoint {
            name: r.name,
            unit: r.unit,
            point: Point {
                time_ms: r.time_ms,
                value,
                quality: Quality::Good,
                seq: 1,
            },
        });
    }
    Ok(out)
}

/// `parsed`'s points with their series ids (a series registered the first time it is seen),
/// added to `points`.
fn resolve(
    store: &mut dyn PointStore,
    ids: &mut HashMap<String, i64>,
    parsed: Parsed,
    points: &mut Decoded,
) -> Result<(), StoreError> {
    for p in parsed.points {
        let id = match ids.get(&p.name) {
            Some(id) => *id,
            None => {
                let mut parts = p.name.trim_end_matches('/').rsplit('/');
                let quantity = parts.next().unwrap_or_default().to_string();
                let asset = parts.next().unwrap_or_default().to_string();
                let id = store.series(&SeriesMeta {
                    name: p.name.clone(),
                    asset,
                    quantity,
                    unit: p.unit.unwrap_or_default(),
                })?;
                ids.insert(p.name, id);
                id
            }
        };
        points.points.push((id, p.point));
    }
    points.readings.extend(parsed.readings);
    Ok(())
}

/// Adds a read message to `points`, or keeps it in the quarantine with why (and says so).
fn take(
    (store, ids, config): (&mut dyn PointStore, &mut HashMap<String, i64>, &Config),
    (source, payload, parsed): (&str, &[u8], Result<Parsed, String>),
    points: &mut Decoded,
    stats: &mut Stats,
    quarantined: &mut dyn FnMut(&str, &str),
) -> Result<(), StoreError> {
    match parsed {
        Ok(parsed) => resolve(store, ids, parsed, points)?,
        Err(why) => {
            // An oversized message is kept in part (its reason says so), any other whole.
            let kept = if payload.len() > config.max_packet_bytes {
                &payload[..QUARANTINE_KEEP_BYTES.min(payload.len())]
            } else {
                payload
            };
            store.quarantine(now_ms(), source, kept, &why)?;
            quarantined(source, &why);
            stats.quarantined += 1;
        }
    }
    Ok(())
}

/// Runs the ingester into `store` until `done(&stats)` says so (checked after every event and
/// every timeout of [`Config::flush`]); `quarantined(source, reason)` hears of every message
/// kept in the quarantine (a log line's matter). Connection errors are counted and the client reconnects
/// (after a pause of [`Config::flush`]), dropping what it received and had not committed (the
/// broker delivers it again); what is pending is committed and acknowledged before this returns.
///
/// # Errors
/// [`IngestError::Store`] when a commit fails — the batch is not acknowledged, so the broker
/// delivers it again; [`IngestError::Client`] when the client cannot queue a request.
pub fn run(
    config: &Config,
    store: &mut dyn PointStore,
    done: &mut dyn FnMut(&Stats) -> bool,
    quarantined: &mut dyn FnMut(&str, &str),
) -> Result<Stats, IngestError> {
    let mut options = MqttOptions::new(&config.client_id, &config.host, config.port);
    options
        .set_keep_alive(Duration::from_secs(10))
        .set_clean_session(false)
        .set_manual_acks(true)
        .set_max_packet_size(MQTT_MAX_PACKET_BYTES, config.max_packet_bytes);
    let (client, mut connection) = Client::new(options, 1024);
    // The connection is driven by a thread of its own, never interrupted inside a poll (a
    // poll cut short by a timeout can leave the client's request channel undrained); its
    // events come here in order. The thread ends when the client is dropped.
    // A message is read (JSON parsed, checked) on this thread too, so that reading the next
    // messages overlaps the commit of the last ones; the store stays with the ingester.
    let (events_tx, events) = std::sync::mpsc::channel();
    let pause = config.flush;
    let reader = config.clone();
    let driver = std::thread::spawn(move || {
        for event in connection.iter() {
            let failed = event.is_err();
            let parsed = match &event {
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    Some(parse(&reader, &p.topic, &p.payload))
                }
                _ => None,
            };
            if events_tx.send((event, parsed)).is_err() {
                return;
            }
            if failed {
                std::thread::sleep(pause);
            }
        }
    });
    subscribe(&client, config)?;
    let mut stats = Stats::default();
    let mut ids = HashMap::new();
    let mut pending: Vec<Publish> = Vec::new();
    let mut points = Decoded::default();
    let mut oldest: Option<Instant> = None;
    // After a lost connection, publishes of the old one may still come out of the client's
    // buffer: they are ignored until the broker's ConnAck on the new connection.
    let mut reconnecting = false;
    // The client's request channel holds 1,024 requests: a commit acknowledges at most this
    // many messages at once.
    let batch = config.batch.clamp(1, 512);
    let mut last_refresh = Instant::now();
    // The first purge a minute after the start (a restart loop does not purge at every start).
    let mut last_purge = Instant::now();
    loop {
        let flush_due = oldest.is_some_and(|t| t.elapsed() >= config.flush);
        if pending.len() >= batch || flush_due {
            commit(&client, store, &mut pending, &mut points, &mut stats)?;
            oldest = None;
        }
        // The rollups and the retention follow, a bounded step at a time, between commits
        // (never holding one up for more than the step).
        if pending.is_empty() {
            upkeep(
                config,
                store,
                &mut stats,
                &mut last_refresh,
                &mut last_purge,
            )?;
        }
        if done(&stats) {
            commit(&client, store, &mut pending, &mut points, &mut stats)?;
            catch_up(config, store, &mut stats)?;
            // Let the acknowledgements out before the connection goes.
            std::thread::sleep(Duration::from_millis(200));
            let _ = client.disconnect();
            // The driver ends at its next event, which it can no longer hand over (not joined:
            // with the broker gone it would wait for a connection).
            drop(client);
            drop(events);
            drop(driver);
            return Ok(stats);
        }
        // While messages wait for their commit, a pause in the stream commits them: the broker
        // sends only so many unacknowledged messages (Mosquitto: `max_inflight_messages`, 20 by
        // default), so waiting for a full batch would only wait for the flush deadline.
        let wait = if pending.is_empty() {
            config.flush
        } else {
            Duration::from_millis(1)
        };
        match events.recv_timeout(wait) {
            Ok((
                Ok(Event::Incoming(Packet::ConnAck(ConnAck {
                    session_present, ..
                }))),
                _,
            )) => {
                reconnecting = false;
                // A broker that lost the session lost the subscription too.
                if !session_present {
                    subscribe(&client, config)?;
                }
            }
            Ok((Ok(Event::Incoming(Packet::Publish(_))), _)) if reconnecting => {}
            Ok((Ok(Event::Incoming(Packet::Publish(mut p))), parsed)) => {
                // A message delivered again while its first copy waits for the commit: the
                // first copy's acknowledgement covers it.
                // (A QoS 0 message has no packet id: every one is its own.)
                if p.qos != QoS::AtMostOnce && pending.iter().any(|q| q.pkid == p.pkid) {
                    continue;
                }
                let source = format!("mqtt:{}", p.topic);
                let parsed = parsed.unwrap_or_else(|| parse(config, &p.topic, &p.payload));
                take(
                    (store, &mut ids, config),
                    (&source, &p.payload, parsed),
                    &mut points,
                    &mut stats,
                    quarantined,
                )?;
                // Acknowledged in the order received, with the next commit: only its packet id
                // and QoS are needed for that, not its payload (up to MQTT's 256 MiB).
                p.payload = Default::default();
                pending.push(p);
                oldest.get_or_insert_with(Instant::now);
            }
            Ok((Ok(_), _)) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                commit(&client, store, &mut pending, &mut points, &mut stats)?;
                oldest = None;
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                return Err(IngestError::Closed);
            }
            Ok((Err(_), _)) => {
                // The connection is gone with its packet ids: what was received on it and not
                // committed is dropped, unacknowledged — the broker delivers it again on the
                // next connection of this session (an acknowledgement sent now could name
                // another message that took the same id).
                pending.clear();
                points = Decoded::default();
                oldest = None;
                reconnecting = true;
                stats.connection_errors += 1;
            }
        }
    }
}

/// Commits the pending points and meter readings, then acknowledges their messages.
fn commit(
    client: &Client,
    store: &mut dyn PointStore,
    pending: &mut Vec<Publish>,
    points: &mut Decoded,
    stats: &mut Stats,
) -> Result<(), IngestError> {
    if pending.is_empty() {
        return Ok(());
    }
    write(store, points, stats)?;
    for p in pending.drain(..) {
        client.ack(&p)?;
        stats.acked += 1;
    }
    Ok(())
}

/// The store's upkeep between commits: the rollups of the quarters that have ended, a
/// bounded step, at most once a second; the retention's purge, a bounded step, at most once a
/// minute.
fn upkeep(
    config: &Config,
    store: &mut dyn PointStore,
    stats: &mut Stats,
    last_refresh: &mut Instant,
    last_purge: &mut Instant,
) -> Result<(), StoreError> {
    if config.rollup_budget > 0 && last_refresh.elapsed() >= Duration::from_secs(1) {
        stats.rollups += store.refresh_rollups(config.rollup_budget, now_ms())?;
        *last_refresh = Instant::now();
    }
    if config.purge_budget > 0 && last_purge.elapsed() >= Duration::from_secs(60) {
        let p = store.purge(now_ms(), config.purge_budget)?;
        stats.purged += p.points;
        stats.late_quarters += p.late_quarters;
        // More to do: again at the next step rather than in a minute.
        if !p.more {
            *last_purge = Instant::now();
        }
    }
    Ok(())
}

/// Brings the rollups up to date before the ingester stops (unless they are not kept).
fn catch_up(
    config: &Config,
    store: &mut dyn PointStore,
    stats: &mut Stats,
) -> Result<(), StoreError> {
    if config.rollup_budget > 0 {
        loop {
            let n = store.refresh_rollups(config.rollup_budget, i64::MAX)?;
            stats.rollups += n;
            if n == 0 {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// Writes the decoded points and meter readings and empties them.
fn write(
    store: &mut dyn PointStore,
    points: &mut Decoded,
    stats: &mut Stats,
) -> Result<(), StoreError> {
    stats.points += store.write_points(&points.points)?;
    // Readings point by point (one transaction each; a crash between two leaves the messages
    // unacknowledged, and their second delivery writes what is there again, changing nothing).
    let mut by_point: BTreeMap<String, Vec<Reading>> = BTreeMap::new();
    for (point, r) in points.readings.drain(..) {
        by_point.entry(point).or_default().push(r);
    }
    for (point, readings) in &by_point {
        stats.readings += store.write_readings(point, readings)?;
    }
    stats.commits += 1;
    *points = Decoded::default();
    Ok(())
}

/// Runs the ingester on messages handed over inside the process — `(topic, payload)` from
/// `messages`, e.g. the twin inside `serve` when no broker is there — decoded, stored,
/// quarantined and committed as from a broker (batches of [`Config::batch`], at least every
/// [`Config::flush`], rollups between commits), until the sender is gone and everything is
/// committed. Nothing is acknowledged: a message handed over is the process's own.
///
/// # Errors
/// [`IngestError::Store`] when a commit fails.
pub fn run_local(
    config: &Config,
    store: &mut dyn PointStore,
    messages: &std::sync::mpsc::Receiver<(String, Vec<u8>)>,
    report: &mut dyn FnMut(&Stats),
    quarantined: &mut dyn FnMut(&str, &str),
) -> Result<Stats, IngestError> {
    let mut stats = Stats::default();
    let mut ids = HashMap::new();
    let mut points = Decoded::default();
    let mut taken = 0;
    let mut oldest: Option<Instant> = None;
    let mut last_refresh = Instant::now();
    let mut last_purge = Instant::now();
    let batch = config.batch.max(1);
    loop {
        let received = messages.recv_timeout(config.flush);
        let ended = matches!(
            received,
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected)
        );
        let idle = received.is_err();
        if let Ok((topic, payload)) = received {
            let source = format!("local:{topic}");
            let parsed = parse(config, &topic, &payload);
            take(
                (store, &mut ids, config),
                (&source, &payload, parsed),
                &mut points,
                &mut stats,
                quarantined,
            )?;
            taken += 1;
            oldest.get_or_insert_with(Instant::now);
        }
        let due = oldest.is_some_and(|t| t.elapsed() >= config.flush);
        if taken > 0 && (taken >= batch || due || idle) {
            write(store, &mut points, &mut stats)?;
            stats.acked += taken;
            taken = 0;
            oldest = None;
            report(&stats);
        }
        if taken == 0 {
            upkeep(
                config,
                store,
                &mut stats,
                &mut last_refresh,
                &mut last_purge,
            )?;
        }
        if ended {
            catch_up(config, store, &mut stats)?;
            return Ok(stats);
        }
    }
}
