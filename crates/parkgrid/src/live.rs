//! `parkgrid twin` and `parkgrid serve`: the live park's arguments and console lines; the twin,
//! the publishing and the ingest are the engine's (`parkgrid_engine::twin`, `live`).

use std::path::PathBuf;

use parkgrid_engine::twin::{Fault, ReplaySpec};

use crate::simulate::StrategyArg;

/// `--speed`: simulated seconds per second, or `max`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Speed(pub Option<f64>);

fn parse_speed(s: &str) -> Result<Speed, String> {
    if s == "max" {
        return Ok(Speed(None));
    }
    s.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v > 0.0)
        .map(|v| Speed(Some(v)))
        .ok_or_else(|| {
            format!("'{s}' is not a speed: a positive number (3600 = an hour per second) or max")
        })
}

/// What the twin plays (`parkgrid twin`, and `parkgrid serve --twin`).
#[derive(Debug, clap::Args)]
pub struct Play {
    /// The twin's first day (the park's local date); default January 1 of the park's year.
    #[arg(long, value_parser = crate::parse_date)]
    pub from: Option<chrono::NaiveDate>,
    /// How many days the twin plays.
    #[arg(long, default_value_t = 7)]
    pub days: u32,
    /// Play at this step instead of the park file's (5, 10, 15, 30 or 60 minutes).
    #[arg(long, value_parser = crate::parse_step)]
    pub step_min: Option<u32>,
    /// Simulated seconds per second (3600: an hour per second; 1: real time), or `max`: as
    /// fast as the messages are taken.
    #[arg(long, value_parser = parse_speed, default_value = "3600")]
    pub speed: Speed,
    /// The seed of the noise and the meters' first registers: the same seed gives the same
    /// stream.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The relative standard deviation of a reading's error.
    #[arg(long, default_value_t = 0.005)]
    pub noise: f64,
    /// A fault to inject, KIND:TARGET[=SIZE]@FROM[+HOURSh] (repeatable; FROM in the park's
    /// local time): in what a device reports — stuck:pv_roof/output_kw@2025-01-03T10:00+4h,
    /// drift:gshp_1/p_kw@…, dropout:battery@…, meter_reset:m_offices_el@… — or in the plant,
    /// answered by the whole park's dispatch — string_loss:pv_roof=0.25@…+72h (a quarter of
    /// the array's strings out; default 0.125), cop_drift:gshp_1=0.3@…+96h (the COP falling to
    /// 30 % below the model's by the end; default 0.2).
    #[arg(long = "fault", value_name = "FAULT")]
    pub faults: Vec<Fault>,
    /// Play a measured series instead of an asset's modelled one (repeatable):
    /// ASSET[/QUANTITY]=FILE[#COLUMN][*FACTOR], e.g.
    /// pv_roof=serf_east_15min_ac_power.csv#ac_power*0.1 (the log's W times 0.1 = kW of the
    /// park's array). QUANTITY is a profile series of the asset (available_kw, demand_kw,
    /// heat_demand_kw, cop, …; default its first). FILE is CSV, or Parquet (`.parquet`, build
    /// with --features parquet). The log's clock times are kept, its year moved onto the
    /// park's; steps it does not cover keep the model's value.
    #[arg(long = "replay", value_name = "REPLAY")]
    pub replays: Vec<ReplaySpec>,
    /// Write the twin's ground truth here (JSON): the messages and points published, the
    /// series, each meter's true consumption per step, the faults injected with their series
    /// and times.
    #[arg(long, value_name = "FILE")]
    pub truth: Option<PathBuf>,
    /// The schedule the twin plays: `rule` (the merit-order baseline, fast) or `optimal`.
    #[arg(long, value_enum, default_value_t = StrategyArg::Rule)]
    pub strategy: StrategyArg,
}

/// `parkgrid twin`'s arguments.
#[derive(Debug, clap::Args)]
pub struct TwinArgs {
    /// The park file (TOML).
    pub park: PathBuf,
    /// The MQTT broker, HOST:PORT.
    #[arg(long, value_name = "HOST:PORT")]
    pub mqtt: String,
    #[command(flatten)]
    pub play: Play,
    /// The MQTT client id (default parkgrid-twin-<park_id>).
    #[arg(long)]
    pub client_id: Option<String>,
    /// Answer as the park's Modbus devices here (one listener, the devices told apart by
    /// their unit ids, as behind a site's gateway: `serve --modbus-gateway` polls it; port 0
    /// takes a free one, said on stderr). Their series then go out over Modbus, not SenML; a
    /// write to a `p_set_kw` register is a setpoint the twin's battery or PV array follows
    /// from the next step.
    #[arg(long, value_name = "ADDR")]
    pub modbus_listen: Option<std::net::SocketAddr>,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

/// The API's default requests per second per token (the server's, when it is built).
const fn parkgrid_server_rate() -> u32 {
    200
}

/// `parkgrid serve`'s arguments.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The park file (TOML).
    pub park: PathBuf,
    /// The MQTT broker, HOST:PORT. Without it, `--twin` runs the park's twin inside serve and
    /// hands its messages over directly (nothing to install).
    #[arg(long, value_name = "HOST:PORT", required_unless_present = "twin")]
    pub mqtt: Option<String>,
    /// Run the park's digital twin too (the options of `parkgrid twin`): publishing to the
    /// broker with --mqtt, inside this process without; serve stops when the twin has
    /// played its days and everything is stored.
    #[arg(long)]
    pub twin: bool,
    #[command(flatten)]
    pub play: Play,
    /// The store: sqlite:FILE (embedded, created if missing) or a PostgreSQL connection
    /// string (build with --features postgres; the tables go in a schema named after the
    /// park's id).
    #[arg(long, default_value = "sqlite:parkgrid-live.db")]
    pub db: String,
    /// The MQTT client id, fixed per instance so the broker keeps what it has not acknowledged
    /// across restarts (default parkgrid-serve-<park_id>).
    #[arg(long)]
    pub client_id: Option<String>,
    /// Share the stream with the other instances of this group (an MQTT shared subscription,
    /// $share/GROUP/…): each message goes to one of them.
    #[arg(long, value_name = "GROUP")]
    pub share: Option<String>,
    /// Poll every Modbus device of the park file at this address instead of its own (a site's
    /// Modbus gateway, the devices told apart by their unit ids). With --twin the twin's own
    /// devices are polled.
    #[arg(long, value_name = "HOST:PORT")]
    pub modbus_gateway: Option<std::net::SocketAddr>,
    /// Serve /health (JSON), /metrics (Prometheus) and the REST API (/api/v1) here; `off`
    /// for none. Binds loopback unless told otherwise.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Requests per second each API token may make, sustained (bursts of twice as many).
    #[arg(long, value_name = "N", default_value_t = parkgrid_server_rate())]
    pub api_rate: u32,
    /// Stop after this many seconds without a message (default: run until stopped).
    #[arg(long, value_name = "SECONDS")]
    pub idle_exit: Option<f64>,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

#[cfg(not(feature = "live"))]
fn not_built() -> anyhow::Result<std::process::ExitCode> {
    Err(crate::input_error(
        "this build has no live park (MQTT, the store); rebuild with --features live",
    ))
}

/// `parkgrid twin`.
#[cfg(not(feature = "live"))]
pub fn twin(_: TwinArgs) -> anyhow::Result<std::process::ExitCode> {
    not_built()
}

/// `parkgrid serve`.
#[cfg(not(feature = "live"))]
pub fn serve(_: ServeArgs) -> anyhow::Result<std::process::ExitCode> {
    not_built()
}

#[cfg(feature = "live")]
pub use built::{serve, twin};

#[cfg(feature = "live")]
mod built {
    use std::process::ExitCode;
    use std::time::Duration;

    use anyhow::Context as _;
    use parkgrid_dispatch::Strategy;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use parkgrid_engine::live::ingest::poller::PollStats;
    use parkgrid_engine::live::{self, Broker, Played, ServeOptions, modbus};
    use parkgrid_engine::twin::{self, Replay, Twin};
    use parkgrid_engine::{Request, Window};
    use parkgrid_model::Park;
    use serde_json::json;

    use super::{Play, ServeArgs, TwinArgs};
    use crate::input_error;

    fn broker(s: &str) -> anyhow::Result<Broker> {
        s.parse()
            .map_err(|e: String| input_error(format!("--mqtt: {e}")))
    }

    /// The twin of `park` that `play` asks for: the days run (the merit-order rules by
    /// default), then the telemetry made from them.
    fn make_twin(
        park: &Park,
        play: &Play,
        omit: std::collections::HashSet<String>,
        quiet: bool,
    ) -> anyhow::Result<Twin> {
        if !(play.noise.is_finite() && (0.0..0.5).contains(&play.noise)) {
            return Err(input_error(format!(
                "--noise {}: a relative standard deviation from 0 to 0.5",
                play.noise
            )));
        }
        // The logs are read before anything runs.
        let replays = play
            .replays
            .iter()
            .map(|spec| Replay::read(spec).map_err(|e| input_error(format!("--replay: {e}"))))
            .collect::<anyhow::Result<Vec<Replay>>>()?;
        let axis = park
            .time_axis()
            .ok_or_else(|| input_error("the park has no time axis"))?;
        let from = play.from.unwrap_or_else(|| axis.start.date_naive());
        let req = Request {
            strategy: play.strategy.into(),
            window: Some(Window {
                from,
                days: play.days,
            }),
            step_min: play.step_min,
            ..Request::default()
        };
        if !quiet {
            eprintln!(
                "twin: running {} day{} of {} from {from} ({})",
                play.days,
                if play.days == 1 { "" } else { "s" },
                park.site.name,
                match req.strategy {
                    Strategy::Rule => "the merit-order rules",
                    Strategy::Optimal => "the optimum",
                }
            );
        }
        let options = twin::Options {
            seed: play.seed,
            noise_rel: play.noise,
            faults: play.faults.clone(),
            omit,
            ..twin::Options::default()
        };
        let (twin, _) = twin::play(park, &req, options, &replays)?;
        if !quiet {
            for r in twin.replays() {
                eprintln!(
                    "twin: {} {} from {}#{} ({} played): {} of {} steps measured, {} left to the \
                     model, {} out of range",
                    r.asset,
                    r.quantity,
                    r.file,
                    r.column,
                    r.source_year,
                    r.measured_steps,
                    r.steps,
                    r.modelled_steps,
                    r.out_of_range
                );
            }
        }
        Ok(twin)
    }

    /// Writes the twin's ground truth to `--truth`, and says what was played.
    fn played(
        park: &Park,
        play: &Play,
        twin: &Twin,
        p: &Played,
        quiet: bool,
    ) -> anyhow::Result<()> {
        if let Some(path) = &play.truth {
            let truth = json!({
                "park_id": park.live.park_id,
                "seed": play.seed,
                "messages": p.messages,
                "points": p.points,
                "series": twin.series(),
                "meters": twin.truth(),
                "faults": twin.labels(),
                "replays": twin.replays(),
                "setpoints": twin.setpoints(),
            });
            std::fs::write(path, serde_json::to_string(&truth)? + "\n")
                .with_context(|| format!("cannot write '{}'", path.display()))?;
        }
        if !quiet {
            eprintln!(
                "twin: {} messages, {} points in {:.1} s ({:.0} points/s)",
                p.messages,
                p.points,
                p.elapsed_s,
                p.points as f64 / p.elapsed_s.max(1e-9)
            );
        }
        Ok(())
    }

    fn speed_text(play: &Play) -> String {
        match play.speed.0 {
            Some(s) => format!("{s} s per second"),
            None => "full speed".into(),
        }
    }

    /// `parkgrid twin`.
    pub fn twin(args: TwinArgs) -> anyhow::Result<ExitCode> {
        let broker = broker(&args.mqtt)?;
        let park = crate::load(&args.park)?;
        // With its Modbus devices answering, their series go out over Modbus, not SenML.
        let devices = args
            .modbus_listen
            .map(|addr| modbus::TwinDevices::gateway(&park, addr))
            .transpose()?
            .flatten();
        let omit = if devices.is_some() {
            modbus::series(&park)
        } else {
            Default::default()
        };
        let mut twin = make_twin(&park, &args.play, omit, args.quiet)?;
        if let (Some(d), Some(addr)) = (&devices, args.modbus_listen) {
            // Said even with --quiet: a caller that asked for port 0 needs to know the port.
            let at = d.addresses().into_values().next().unwrap_or(addr);
            let units: Vec<String> = park
                .live
                .modbus
                .iter()
                .map(|m| format!("{} unit {}", m.id, m.unit))
                .collect();
            eprintln!(
                "twin: the park's Modbus devices answer at {at} ({})",
                units.join(", ")
            );
        } else if args.modbus_listen.is_some() && !args.quiet {
            eprintln!("twin: the park file declares no Modbus devices: nothing to answer");
        }
        let client_id = args
            .client_id
            .clone()
            .unwrap_or_else(|| format!("parkgrid-twin-{}", park.live.park_id));
        if !args.quiet {
            eprintln!(
                "twin: publishing {} frames to {}:{} under {}/ at {}",
                twin.frames(),
                broker.host,
                broker.port,
                park.live.topic_prefix(),
                speed_text(&args.play)
            );
        }
        let bar = if args.quiet {
            indicatif::ProgressBar::hidden()
        } else {
            indicatif::ProgressBar::new(twin.frames() as u64)
        };
        let p = live::play(
            &mut twin,
            &broker,
            &client_id,
            args.play.speed.0,
            Duration::from_secs(120),
            &mut |twin, k| {
                if let Some(d) = &devices {
                    for line in d.show(twin, k) {
                        bar.suspend(|| eprintln!("{line}"));
                    }
                }
            },
            &mut |done, _| bar.set_position(done as u64),
        )?;
        bar.finish_and_clear();
        played(&park, &args.play, &twin, &p, args.quiet)?;
        Ok(ExitCode::SUCCESS)
    }

    /// `parkgrid serve`.
    pub fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
        let broker = args.mqtt.as_deref().map(broker).transpose()?;
        let idle_exit = args
            .idle_exit
            .map(|s| {
                Duration::try_from_secs_f64(s)
                    .ok()
                    .filter(|d| !d.is_zero())
                    .ok_or_else(|| {
                        input_error(format!("--idle-exit {s}: a positive number of seconds"))
                    })
            })
            .transpose()?;
        if let Some(g) = &args.share {
            if g.is_empty() || g.contains(['/', '+', '#']) {
                return Err(input_error(format!(
                    "--share '{g}': a group name without '/', '+' or '#'"
                )));
            }
        }
        let park = crate::load(&args.park)?;
        if args.modbus_gateway.is_some() && !args.twin {
            // Behind one gateway, devices are told apart by their unit ids alone.
            let mut seen: std::collections::HashMap<u8, &str> = Default::default();
            for d in &park.live.modbus {
                if let Some(other) = seen.insert(d.unit, &d.id) {
                    return Err(input_error(format!(
                        "--modbus-gateway: devices {other} and {} both have unit {}; behind one \
                         gateway every device needs a unit id of its own",
                        d.id, d.unit
                    )));
                }
            }
        }
        // The twin answers as the park's Modbus devices (and leaves their series out of its
        // SenML); without a twin the devices are polled where the park file (or the gateway)
        // says.
        let devices = if args.twin {
            modbus::TwinDevices::start(&park)?.map(Arc::new)
        } else {
            None
        };
        let omit = if devices.is_some() {
            modbus::series(&park)
        } else {
            Default::default()
        };
        let twin = args
            .twin
            .then(|| make_twin(&park, &args.play, omit, args.quiet))
            .transpose()?;
        let listen = match args.listen.as_str() {
            "off" => None,
            a => Some(a.parse::<std::net::SocketAddr>().map_err(|e| {
                input_error(format!(
                    "--listen '{a}': not an address like 127.0.0.1:8080 ({e})"
                ))
            })?),
        };
        let mut store = live::open_store(&args.db, &park)?;
        let status = Arc::new(parkgrid_server::Status::new(&park.live.park_id));
        let _listener = match listen {
            Some(addr) => {
                let api = parkgrid_engine::api::Api::open(park.clone(), &args.db)?;
                let state =
                    parkgrid_server::rest::ApiState::with_rate(Arc::new(api), args.api_rate)
                        .map_err(|e| input_error(format!("--api-rate: {e}")))?;
                let l = parkgrid_server::Listener::start(addr, status.clone(), Some(state))
                    .map_err(|e| {
                        anyhow::anyhow!(
                            "--listen {addr}: {e} (another serve there? --listen off or another \
                             port)"
                        )
                    })?;
                if !args.quiet {
                    eprintln!(
                        "serve: health on http://{0}/health, the API on http://{0}/api/v1 \
                         (document: /api/v1/openapi.json; tokens: parkgrid token create), \
                         metrics on /metrics (with a token)",
                        l.addr()
                    );
                }
                Some(l)
            }
            None => None,
        };
        let device_status = status.clone();
        let pollers = modbus::start(
            &park,
            &args.db,
            &modbus::Polling {
                addresses: devices.as_ref().map(|d| d.addresses()).unwrap_or_default(),
                gateway: args.modbus_gateway,
                twin: devices.as_ref().map(|d| d.clock()),
                log: Arc::new(|line: String| eprintln!("serve: {line}")),
                counts: Arc::new(move |id: &str, c: &PollStats, answering: bool| {
                    device_status.set_device(parkgrid_server::Device {
                        id: id.to_string(),
                        polls: c.polls as u64,
                        good_polls: c.good_polls as u64,
                        bad_values: c.bad_values as u64,
                        answering,
                    });
                }),
            },
        );
        // Alarms from what is stored: an asset that stops reporting, judged at the data's step.
        let watching = Arc::new(AtomicBool::new(false));
        let watcher = parkgrid_engine::alarms::watch(
            &park,
            &args.db,
            args.play
                .step_min
                .filter(|_| args.twin)
                .unwrap_or(park.time.step_min),
            Duration::from_secs(1),
            watching.clone(),
            |e| eprintln!("serve: {e}"),
        )?;
        let quiet = args.quiet;
        let ingest_status = status.clone();
        let mut report = |s: &parkgrid_engine::live::ingest::mqtt::Stats| {
            ingest_status.set_ingest(parkgrid_server::Ingest {
                messages: s.acked as u64,
                points: s.points as u64,
                meter_readings: s.readings as u64,
                quarantined: s.quarantined as u64,
                commits: s.commits as u64,
                connection_errors: s.connection_errors as u64,
                purged: s.purged as u64,
            });
            if !quiet {
                eprintln!(
                    "serve: {} messages, {} points, {} meter readings, {} quarantined",
                    s.acked, s.points, s.readings, s.quarantined
                );
            }
        };
        // Always said: bad input is never silent.
        let mut quarantined =
            |source: &str, why: &str| eprintln!("serve: quarantined a message on {source}: {why}");
        let shown = devices.clone();
        let show = move |twin: &mut Twin, k: usize| {
            if let Some(d) = &shown {
                // Setpoints are said: an operator's action is never silent.
                for line in d.show(twin, k) {
                    eprintln!("{line}");
                }
            }
        };
        let (stats, twin_played) = match (broker, twin) {
            (Some(broker), twin) => {
                // With the twin publishing from here, serve stops once it has played its days.
                let twin_done = twin.as_ref().map(|_| Arc::new(AtomicBool::new(false)));
                let options = ServeOptions {
                    client_id: args
                        .client_id
                        .clone()
                        .unwrap_or_else(|| format!("parkgrid-serve-{}", park.live.park_id)),
                    share: args.share.clone(),
                    idle_exit,
                    until: twin_done.clone(),
                    broker,
                };
                if !quiet {
                    eprintln!(
                        "serve: {} ← {}:{} {} as {}",
                        args.db,
                        options.broker.host,
                        options.broker.port,
                        live::topic_filters(&park, options.share.as_deref()).join(" "),
                        options.client_id
                    );
                }
                // The twin publishes from a thread of its own.
                let player = twin.map(|twin| {
                    let broker = options.broker.clone();
                    let client_id = format!("parkgrid-twin-{}", park.live.park_id);
                    let speed = args.play.speed.0;
                    let done = twin_done.clone();
                    let mut show = show;
                    std::thread::spawn(move || {
                        let mut twin = twin;
                        let p = live::play(
                            &mut twin,
                            &broker,
                            &client_id,
                            speed,
                            Duration::from_secs(120),
                            &mut show,
                            &mut |_, _| {},
                        );
                        if let Some(d) = done {
                            d.store(true, Ordering::SeqCst);
                        }
                        (twin, p)
                    })
                });
                let stats = live::serve(
                    &park,
                    &options,
                    store.as_mut(),
                    &mut report,
                    &mut quarantined,
                );
                let twin_played = match player {
                    Some(t) => {
                        let (twin, p) = t
                            .join()
                            .map_err(|_| anyhow::anyhow!("the twin's thread panicked"))?;
                        Some((twin, p?))
                    }
                    None => None,
                };
                (stats, twin_played)
            }
            (None, Some(twin)) => {
                if !quiet {
                    eprintln!(
                        "serve: {} ← the park's twin inside this process ({} frames at {})",
                        args.db,
                        twin.frames(),
                        speed_text(&args.play)
                    );
                }
                let (tx, rx) = std::sync::mpsc::sync_channel(4096);
                let speed = args.play.speed.0;
                let mut show = show;
                let feeder = std::thread::spawn(move || {
                    let mut twin = twin;
                    let p = live::feed(&mut twin, speed, &tx, &mut show);
                    (twin, p)
                });
                let stats =
                    live::serve_local(&park, &rx, store.as_mut(), &mut report, &mut quarantined);
                // A feeder still handing over (serve stopped on an error) hears it has gone.
                drop(rx);
                let (twin, p) = feeder
                    .join()
                    .map_err(|_| anyhow::anyhow!("the twin's thread panicked"))?;
                (stats, Some((twin, p)))
            }
            (None, None) => {
                return Err(input_error(
                    "give --mqtt HOST:PORT, or --twin to run the park's twin inside serve",
                ));
            }
        };
        // The pollers and the alarms stop with the ingest (after the twin's last frame).
        let polled = pollers.stop();
        watching.store(true, Ordering::SeqCst);
        let _ = watcher.join();
        let stats = stats?;
        for (id, r) in polled {
            match r {
                Ok(s) if !quiet => eprintln!(
                    "serve: device {id}: {} polls, {} good, {} values stored good, {} bad, {} missing",
                    s.polls, s.good_polls, s.good_values, s.bad_values, s.missing_values
                ),
                Ok(_) => {}
                Err(e) => eprintln!("serve: device {id}: {e}"),
            }
        }
        if let Some((twin, p)) = &twin_played {
            played(&park, &args.play, twin, p, quiet)?;
        }
        if !quiet {
            eprintln!(
                "serve: stopped: {} messages, {} points, {} meter readings, {} quarantined, {} commits, {} old points purged",
                stats.acked,
                stats.points,
                stats.readings,
                stats.quarantined,
                stats.commits,
                stats.purged
            );
        }
        Ok(ExitCode::SUCCESS)
    }
}
