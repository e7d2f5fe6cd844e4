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
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
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
/// them), then waits up to `ack_timeout` for the broker to acknowledge everything.
/// `show(twin, k)` is called as frame `k` comes due, before it is made and published (the
/// twin's Modbus devices hand it their setpoints and take its values then); `progress` hears
/// (frames done, frames) after every frame.
///
/// # Errors
/// [`EngineError::Live`] when the broker cannot be reached within 10 s, the client fails, or
/// the broker has not acknowledged every message in time (with the counts).
pub fn play(
    twin: &mut Twin,
    broker: &Broker,
    client_id: &str,
    speed: Option<f64>,
    ack_timeout: Duration,
    show: &mut dyn FnMut(&mut Twin, usize),
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Played, EngineError> {
    let live =
        |e: String| EngineError::Live(format!("twin → {}:{}: {e}", broker.host, broker.port));
    let mut publisher = Publisher::connect(&broker.host, broker.port, client_id, 200);
    // A broker that is not there is said at once, not after the acknowledgements' wait.
    publisher
        .wait_connected(Duration::from_secs(10))
        .map_err(live)?;
    let start = Instant::now();
    let mut points = 0;
    let frames = twin.frames();
    for k in 0..frames {
        pace(twin, k, speed, start);
        show(twin, k);
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
/// `(topic, payload)` into `to`, paced as [`play`] paces them, `show(twin, k)` called as frame
/// `k` comes due. Returns when every frame is handed over or `serve` has gone.
pub fn feed(
    twin: &mut Twin,
    speed: Option<f64>,
    to: &std::sync::mpsc::SyncSender<(String, Vec<u8>)>,
    show: &mut dyn FnMut(&mut Twin, usize),
) -> Played {
    let start = Instant::now();
    let (mut messages, mut points) = (0, 0);
    for k in 0..twin.frames() {
        pace(twin, k, speed, start);
        show(twin, k);
        for m in twin.frame(k).messages {
            if to.send((m.topic, m.payload.into_bytes())).is_err() {
                // serve has gone: nothing more to hand over.
                return Played {
                    messages,
                    points,
                    elapsed_s: start.elapsed().as_secs_f64(),
                };
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
#[derive(Debug, Clone)]
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
    /// Stop once this is set and a second has passed without a message (the twin publishing
    /// from the same process has played its days and the broker has them all).
    pub until: Option<Arc<AtomicBool>>,
}

/// The names of `park`'s meter registers: `<park_id>/meter/<id>/<e_kwh | heat_kwh | cold_kwh>`.
pub fn meter_points(park: &Park) -> HashSet<String> {
    park.meter
        .iter()
        .map(|m| {
            format!(
                "{}/meter/{}/{}",
                park.live.park_id,
                m.id,
                m.carrier.register_quantity()
            )
        })
        .collect()
}

/// The foreign layouts of `park` as the ingester takes them.
pub fn mappings(park: &Park) -> Vec<parkgrid_ingest::foreign::Mapping> {
    use parkgrid_ingest::foreign::{FieldMap, Mapping};
    use parkgrid_model::live::TimeUnit;
    park.live
        .mapping
        .iter()
        .map(|m| Mapping {
            topic: m.topic.clone(),
            time_field: m.time_field.clone(),
            time_unit_ms: match m.time_unit {
                TimeUnit::S => 1000.0,
                TimeUnit::Ms => 1.0,
            },
            fields: m
                .field
                .iter()
                .map(|f| FieldMap {
                    field: f.field.clone(),
                    series: format!("{}/{}/{}", park.live.park_id, f.asset, f.quantity),
                    scale: f.scale,
                    unit: f.unit.clone(),
                })
                .collect(),
        })
        .collect()
}

/// The topic filters `serve` subscribes to for `park`: its SenML topics and its foreign
/// layouts', each as `$share/<group>/…` with a share group.
pub fn topic_filters(park: &Park, share: Option<&str>) -> Vec<String> {
    Config {
        mappings: mappings(park),
        share: share.map(str::to_string),
        ..Config::new("", 0, "", &format!("{}/#", park.live.topic_prefix()))
    }
    .filters()
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
        mappings: mappings(park),
        share: options.share.clone(),
        ..Config::new(
            &options.broker.host,
            options.broker.port,
            &options.client_id,
            &format!("{}/#", park.live.topic_prefix()),
        )
    }
}

/// Sets the store's days to the park's — its UTC offset at the start of its year (a park in a
/// zone with daylight saving keeps its winter days) — and its raw retention.
fn park_days(park: &Park, store: &mut dyn PointStore) -> Result<(), EngineError> {
    let failed = |e: parkgrid_store::StoreError| EngineError::Live(format!("the store: {e}"));
    let offset_ms = park.time_axis().map_or(0, |a| {
        i64::from(a.start.offset().fix().local_minus_utc()) * 1000
    });
    store.set_day_offset_ms(offset_ms).map_err(failed)?;
    // Validation keeps the days finite and at least a quarter hour; a century at most here.
    let retention_ms = park
        .live
        .raw_retention_days
        .map(|d| (d.clamp(0.0, 36_525.0) * 86_400_000.0).round() as i64);
    store.set_retention_ms(retention_ms).map_err(failed)
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
        mappings: mappings(park),
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
            let finished = options
                .until
                .as_ref()
                .is_some_and(|u| u.load(Ordering::SeqCst))
                && last_change.elapsed() >= Duration::from_secs(1);
            finished
                || options
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
pub fn open_store(db: &str, park: &Park) -> Result<Box<dyn PointStore + Send>, EngineError> {
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

/// The Modbus side of the live park: the devices of `[[live.modbus]]` polled into the store, and
/// the twin answering as those devices.
pub mod modbus {
    use std::collections::HashMap;
    use std::net::{SocketAddr, ToSocketAddrs as _};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
    use std::thread::JoinHandle;
    use std::time::{Duration, Instant};

    use parkgrid_ingest::modbus::{self as codec, RegisterSpec};
    use parkgrid_ingest::modbus_server::ModbusServer;
    use parkgrid_ingest::poller::{MappedValue, PollConfig, PollStats, Poller};
    use parkgrid_model::Park;
    use parkgrid_model::live::{ModbusDevice, ModbusRegister};
    use parkgrid_store::SeriesMeta;

    use parkgrid_ingest::mqtt::now_ms;

    use super::{EngineError, open_store};
    use crate::twin::Twin;

    /// A register's decoding as the poller takes it.
    pub fn spec_of(device: &ModbusDevice, r: &ModbusRegister) -> RegisterSpec {
        RegisterSpec {
            ty: r.ty,
            order: r.byte_order.unwrap_or(device.byte_order),
            scale: r.scale,
            offset: r.offset,
            min: r.min,
            max: r.max,
        }
    }

    /// The series name of a register: `<park_id>/<asset>/<quantity>`.
    pub fn series_name(park: &Park, r: &ModbusRegister) -> String {
        format!("{}/{}/{}", park.live.park_id, r.asset, r.quantity)
    }

    /// Every series the park's Modbus devices feed.
    pub fn series(park: &Park) -> std::collections::HashSet<String> {
        park.live
            .modbus
            .iter()
            .flat_map(|d| d.register.iter().map(|r| series_name(park, r)))
            .collect()
    }

    /// A clock the pollers stamp their points with: the wall clock, or the frame a twin shows
    /// (its registers and its time change together: a poll that saw them change is made again).
    #[derive(Debug, Default)]
    pub struct TwinClock {
        /// Odd while the twin changes its registers.
        generation: AtomicU64,
        time_ms: AtomicI64,
    }

    impl TwinClock {
        fn begin(&self) {
            self.generation.fetch_add(1, Ordering::SeqCst);
        }
        fn end(&self, time_ms: i64) {
            self.time_ms.store(time_ms, Ordering::SeqCst);
            self.generation.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// The twin answering as the park's Modbus devices, its registers set from the twin's
    /// readings frame by frame; a write to a setpoint register (quantity
    /// [`crate::twin::SETPOINT`]) is taken by the twin from the next frame on.
    pub struct TwinDevices {
        /// (device id, its listener); one shared by every device behind a gateway.
        servers: Vec<(String, ModbusServer)>,
        clock: Arc<TwinClock>,
        /// (server index, unit, address, spec, asset, quantity).
        registers: Vec<(usize, u8, u16, RegisterSpec, String, String)>,
    }

    /// The park's devices with registers.
    fn devices(park: &Park) -> Vec<&ModbusDevice> {
        park.live
            .modbus
            .iter()
            .filter(|d| !d.register.is_empty())
            .collect()
    }

    impl TwinDevices {
        /// Starts a listener on 127.0.0.1 for each of `park`'s devices (devices on separate
        /// hosts may share a unit id); `None` when it has none.
        ///
        /// # Errors
        /// [`EngineError::Live`] when no loopback port can be had.
        pub fn start(park: &Park) -> Result<Option<TwinDevices>, EngineError> {
            let devices = devices(park);
            if devices.is_empty() {
                return Ok(None);
            }
            let mut servers = Vec::new();
            for d in &devices {
                let server = ModbusServer::start(SocketAddr::from(([127, 0, 0, 1], 0)))
                    .map_err(|e| EngineError::Live(format!("the twin's device {}: {e}", d.id)))?;
                servers.push((d.id.clone(), server));
            }
            Ok(Some(Self::with(servers, &devices, |i| i)))
        }

        /// Starts one listener at `listen` for all of `park`'s devices, told apart by their
        /// unit ids as behind a site's Modbus gateway (`serve --modbus-gateway` polls it);
        /// `None` when the park has no devices.
        ///
        /// # Errors
        /// [`EngineError::Input`] when two devices share a unit id (naming them);
        /// [`EngineError::Live`] when `listen` cannot be bound.
        pub fn gateway(
            park: &Park,
            listen: SocketAddr,
        ) -> Result<Option<TwinDevices>, EngineError> {
            let devices = devices(park);
            if devices.is_empty() {
                return Ok(None);
            }
            let mut units: HashMap<u8, &str> = HashMap::new();
            for d in &devices {
                if let Some(other) = units.insert(d.unit, &d.id) {
                    return Err(EngineError::Input(format!(
                        "Modbus devices {other} and {} share unit id {}: behind one gateway \
                         each device needs its own",
                        d.id, d.unit
                    )));
                }
            }
            let server = ModbusServer::start(listen).map_err(|e| {
                EngineError::Live(format!("the twin's Modbus gateway {listen}: {e}"))
            })?;
            Ok(Some(Self::with(
                vec![("gateway".to_string(), server)],
                &devices,
                |_| 0,
            )))
        }

        /// The devices' registers on `servers` (device `i` on server `server_of(i)`), setpoint
        /// registers writable.
        fn with(
            servers: Vec<(String, ModbusServer)>,
            devices: &[&ModbusDevice],
            server_of: impl Fn(usize) -> usize,
        ) -> TwinDevices {
            let mut registers = Vec::new();
            for (i, d) in devices.iter().enumerate() {
                for r in &d.register {
                    let spec = spec_of(d, r);
                    if r.quantity == crate::twin::SETPOINT {
                        if let Some((_, s)) = servers.get(server_of(i)) {
                            s.registers()
                                .set_writable(d.unit, r.address, spec.ty.registers());
                        }
                    }
                    registers.push((
                        server_of(i),
                        d.unit,
                        r.address,
                        spec,
                        r.asset.clone(),
                        r.quantity.clone(),
                    ));
                }
            }
            TwinDevices {
                servers,
                clock: Arc::new(TwinClock::default()),
                registers,
            }
        }

        /// Where each device answers, by its id.
        pub fn addresses(&self) -> HashMap<String, SocketAddr> {
            self.servers
                .iter()
                .map(|(id, s)| (id.clone(), s.addr()))
                .collect()
        }

        /// The clock the pollers of these devices stamp their points with.
        pub fn clock(&self) -> Arc<TwinClock> {
            self.clock.clone()
        }

        /// Shows frame `k` of `twin`: first the setpoints written since the last frame are
        /// given to the twin from step `k` on ([`Twin::set_point`]; a NaN or a "no value"
        /// sentinel gives the asset back to its schedule, a value outside the register's range
        /// is refused), then every register the twin has a reading for is set (a setpoint
        /// register keeps the command written); a register without one (a device out of a dropout fault) is
        /// removed, so its reads are refused. The last frame (the meters' closing readings)
        /// has no values: the devices keep the step before, stamped with its own time.
        /// Returns a line for each setpoint taken or refused.
        pub fn show(&self, twin: &mut Twin, k: usize) -> Vec<String> {
            let said = self.take_setpoints(twin, k);
            if k + 1 >= twin.frames() {
                return said;
            }
            self.clock.begin();
            for (i, unit, address, spec, asset, quantity) in &self.registers {
                let Some((_, server)) = self.servers.get(*i) else {
                    continue;
                };
                let n = spec.ty.registers();
                match twin.reading(asset, quantity, k) {
                    // A setpoint register holds the command last written (never overwritten
                    // by the twin, so a write that comes while a frame is shown is not lost);
                    // the twin puts the schedule's value there only when it is empty (the
                    // first frame, the end of a dropout).
                    Some(v) if quantity == crate::twin::SETPOINT => {
                        if server.registers().get(*unit, *address, n).is_none() {
                            server
                                .registers()
                                .set(*unit, *address, &codec::encode(v, spec));
                        }
                    }
                    Some(v) => server
                        .registers()
                        .set(*unit, *address, &codec::encode(v, spec)),
                    None => server.registers().remove(*unit, *address, n),
                }
            }
            self.clock.end(twin.time_ms(k));
            said
        }

        /// Gives the setpoints written since the last call to `twin` from step `k` on.
        fn take_setpoints(&self, twin: &mut Twin, k: usize) -> Vec<String> {
            let mut said = Vec::new();
            for (si, (_, server)) in self.servers.iter().enumerate() {
                let writes = server.registers().take_writes();
                // Each setpoint register written, once, read whole as it now stands.
                let mut touched: Vec<usize> = Vec::new();
                for (unit, address, _) in writes {
                    let hit = self.registers.iter().position(|(i, u, a, spec, _, q)| {
                        *i == si
                            && *u == unit
                            && (*a..a.saturating_add(spec.ty.registers())).contains(&address)
                            && q == crate::twin::SETPOINT
                    });
                    if let Some(r) = hit.filter(|r| !touched.contains(r)) {
                        touched.push(r);
                    }
                }
                for r in touched {
                    let (_, unit, address, spec, asset, _) = &self.registers[r];
                    let Some(words) = server.registers().get(*unit, *address, spec.ty.registers())
                    else {
                        continue;
                    };
                    let Ok(decoded) = codec::decode(&words, spec) else {
                        continue;
                    };
                    // A "no value" sentinel or NaN hands the asset back to its schedule; a
                    // value outside the map's range is refused.
                    let outside = decoded.value.is_finite()
                        && (spec.min.is_some_and(|lo| decoded.value < lo)
                            || spec.max.is_some_and(|hi| decoded.value > hi));
                    if outside {
                        said.push(format!(
                            "twin: setpoint refused: {asset}: {}",
                            decoded.reason.unwrap_or_default()
                        ));
                        continue;
                    }
                    let value = (decoded.quality == codec::Quality::Good).then_some(decoded.value);
                    let when = chrono::DateTime::from_timestamp_millis(twin.time_ms(k))
                        .map_or_else(String::new, |t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string());
                    match twin.set_point(asset, k, value) {
                        Ok(()) => said.push(match value {
                            Some(v) => format!("twin: {asset} told to give {v} kW from {when}"),
                            None => format!("twin: {asset} back to its schedule from {when}"),
                        }),
                        Err(e) => said.push(format!("twin: setpoint refused: {e}")),
                    }
                }
            }
            said
        }
    }

    /// What hears a device's counts after each poll: (device id, counts, answering).
    pub type CountsSink = Arc<dyn Fn(&str, &PollStats, bool) + Send + Sync>;

    /// Where the pollers take their time and addresses from.
    #[derive(Clone)]
    pub struct Polling {
        /// Where given devices answer instead of their own host and port (the twin's
        /// listeners), by device id.
        pub addresses: HashMap<String, SocketAddr>,
        /// Poll every other device here instead of its own host and port (a site's Modbus
        /// gateway; the devices told apart by their unit ids).
        pub gateway: Option<SocketAddr>,
        /// Stamp points with the twin's frame instead of the wall clock.
        pub twin: Option<Arc<TwinClock>>,
        /// Hears what a poller has to say (a device that stops or starts answering).
        pub log: Arc<dyn Fn(String) + Send + Sync>,
        /// Hears a device's counts after each poll: (device id, counts, answering).
        pub counts: CountsSink,
    }

    /// The pollers of the park's devices, each on a thread of its own with its own connection
    /// to the store; they stop when [`Pollers::stop`] is called.
    pub struct Pollers {
        stop: Arc<AtomicBool>,
        threads: Vec<(String, JoinHandle<Result<PollStats, EngineError>>)>,
    }

    impl Pollers {
        /// Stops the pollers; returns each device's counts (or why it stopped early).
        pub fn stop(self) -> Vec<(String, Result<PollStats, EngineError>)> {
            self.stop.store(true, Ordering::SeqCst);
            self.threads
                .into_iter()
                .map(|(id, t)| {
                    let r = t.join().unwrap_or_else(|_| {
                        Err(EngineError::Live(format!("{id}: the poller panicked")))
                    });
                    (id, r)
                })
                .collect()
        }
    }

    /// Starts a poller per device of `park` writing into the store `db`.
    pub fn start(park: &Park, db: &str, polling: &Polling) -> Pollers {
        let stop = Arc::new(AtomicBool::new(false));
        let threads = park
            .live
            .modbus
            .iter()
            .filter(|d| !d.register.is_empty())
            .map(|d| {
                let (park, db, device) = (park.clone(), db.to_string(), d.clone());
                let (polling, stop) = (polling.clone(), stop.clone());
                let t =
                    std::thread::spawn(move || poll_device(&park, &db, &device, &polling, &stop));
                (d.id.clone(), t)
            })
            .collect();
        Pollers { stop, threads }
    }

    /// Sleeps `d` in short steps; true when a stop came meanwhile.
    fn sleep_or_stop(d: Duration, stop: &AtomicBool) -> bool {
        let until = Instant::now() + d;
        while Instant::now() < until {
            if stop.load(Ordering::SeqCst) {
                return true;
            }
            std::thread::sleep(
                Duration::from_millis(20).min(until.saturating_duration_since(Instant::now())),
            );
        }
        stop.load(Ordering::SeqCst)
    }

    fn poll_device(
        park: &Park,
        db: &str,
        device: &ModbusDevice,
        polling: &Polling,
        stop: &AtomicBool,
    ) -> Result<PollStats, EngineError> {
        let failed = |e: parkgrid_store::StoreError| {
            EngineError::Live(format!("{}: the store: {e}", device.id))
        };
        let mut store = open_store(db, park)?;
        let mut ids = std::collections::HashMap::new();
        let mut values = Vec::new();
        for r in &device.register {
            let name = series_name(park, r);
            let id = store
                .series(&SeriesMeta {
                    name: name.clone(),
                    asset: r.asset.clone(),
                    quantity: r.quantity.clone(),
                    unit: r.unit.clone().unwrap_or_default(),
                })
                .map_err(failed)?;
            ids.insert(name.clone(), id);
            values.push(MappedValue {
                series: name,
                address: r.address,
                spec: spec_of(device, r),
            });
        }
        let where_ = || format!("{}:{} unit {}", device.host, device.port, device.unit);
        // Where it answers: the twin's listener, the gateway, or its own host (resolved again
        // until it resolves, said once).
        let mut said = false;
        let addr = loop {
            let found = polling
                .addresses
                .get(&device.id)
                .copied()
                .or(polling.gateway)
                .or_else(|| {
                    (device.host.as_str(), device.port)
                        .to_socket_addrs()
                        .ok()
                        .and_then(|mut a| a.next())
                });
            if let Some(a) = found {
                break a;
            }
            if !said {
                (polling.log)(format!(
                    "device {}: cannot resolve {}; trying again",
                    device.id,
                    where_()
                ));
                said = true;
            }
            if sleep_or_stop(Duration::from_secs_f64(device.poll_s.min(60.0)), stop) {
                return Ok(PollStats::default());
            }
        };
        let timeout = Duration::from_millis(u64::from(device.timeout_ms));
        let mut poller = Poller::new(
            PollConfig {
                addr,
                unit: device.unit,
                timeout,
                retries: 2,
                backoff: Duration::from_millis(200),
                max_backoff: Duration::from_secs(30),
                settle: Duration::from_secs(2),
                max_gap: 16,
            },
            values,
        );
        let period = Duration::from_secs_f64(device.poll_s);
        let mut answering = true;
        let mut last_generation = u64::MAX;
        while !stop.load(Ordering::SeqCst) {
            let started = Instant::now();
            // The time to stamp, and (with the twin) the frame it belongs to.
            let (time_ms, generation) = match &polling.twin {
                Some(clock) => {
                    let g = clock.generation.load(Ordering::SeqCst);
                    if g % 2 == 1 || g == last_generation || g == 0 {
                        std::thread::sleep(Duration::from_millis(2));
                        continue;
                    }
                    (clock.time_ms.load(Ordering::SeqCst), Some(g))
                }
                None => (now_ms(), None),
            };
            let points = poller.poll(time_ms);
            if let (Some(clock), Some(g)) = (&polling.twin, generation) {
                if clock.generation.load(Ordering::SeqCst) != g {
                    continue; // the frame changed under the poll: read it again
                }
                last_generation = g;
            }
            (polling.counts)(&device.id, &poller.stats, !points.is_empty());
            if points.is_empty() {
                if answering {
                    let why = format!(
                        "no reply from {} (polled at {addr}) after {} attempts of {} ms",
                        where_(),
                        3,
                        device.timeout_ms
                    );
                    (polling.log)(format!("device {}: {why}", device.id));
                    store
                        .quarantine(now_ms(), &format!("modbus:{}", device.id), b"", &why)
                        .map_err(failed)?;
                    answering = false;
                }
            } else {
                if !answering {
                    (polling.log)(format!("device {}: answers again", device.id));
                    answering = true;
                }
                let batch: Vec<(i64, parkgrid_store::Point)> = points
                    .into_iter()
                    .filter_map(|(name, p)| ids.get(&name).map(|id| (*id, p)))
                    .collect();
                store.write_points(&batch).map_err(failed)?;
            }
            if polling.twin.is_none()
                && sleep_or_stop(period.saturating_sub(started.elapsed()), stop)
            {
                break;
            }
        }
        Ok(poller.stats)
    }
}
