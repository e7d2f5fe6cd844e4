//! The park's digital twin: the telemetry a park would send, made from a run of its model.
//!
//! A [`Twin`] takes a schedule ([`crate::YearRun`]'s `main` over a window or the year) and gives,
//! step by step, the MQTT messages the park's devices would publish: one SenML pack (RFC 8428)
//! per asset and branch with every measured quantity of the step (`p_kw`, `heat_kw`,
//! `level_kwh`, `flow_kw`, …; not prices, availabilities or unserved demand, which no device
//! measures), and one per billing meter with its cumulative register (`e_kwh`, `heat_kwh` or
//! `cold_kwh`) — names and topics as [`parkgrid_model::Live`] sets them. The same seed gives the
//! same stream, message for message.
//!
//! What makes it look measured:
//! - **noise**: every power and level is read with a relative error drawn from a normal
//!   distribution (σ = [`Options::noise_rel`], 0.5 % by default, a class 0.5 transducer) and
//!   rounded to 1 W (1 Wh for levels); a machine that is off reads exactly 0;
//! - **meters** start at a register value drawn from the seed, count the metered assets'
//!   consumption (the schedule's `p_kw`, `heat_kw` or `cold_kw` of each asset, positive part,
//!   times the step) and are read at the end of every step, rounded to 0.01 kWh (a register's
//!   last digit); the reading at the start of the window opens the count;
//! - **faults** ([`Fault`]): a stuck sensor (the value at the fault's start repeated), a drifting
//!   one (+[`Options::drift_rel_per_day`] of the value per day), a device that stops reporting
//!   (no messages), a meter reset (the register restarts from 0 just after a reading); and two
//!   faults of the plant itself, made before the run is dispatched ([`degrade`]) so that the
//!   whole park answers them (the grid imports what a weaker array no longer gives): a PV array
//!   losing a share of its strings, a heat pump whose COP falls. Each is returned as a
//!   [`Label`] with its series and times: the ground truth a detector is scored against.
//! - **measured series** ([`Replay`]): any profile of an asset (a PV array's or a wind farm's
//!   availability, a load's demand, a heat pump's COP) taken from a log
//!   ([`parkgrid_resource::measured`]) instead of the model, before the run is dispatched.
//!
//! [`play`] runs the days and makes the twin in one call.
//!
//! [`Twin::truth`] gives each meter's consumption per step as the model made it (before rounding
//! and faults): what the store's meter intervals must come back to.
//!
//! Times: the values of step `k` (the mean over `[t_k, t_k+1)`) carry the time `t_k`; a meter
//! reading carries the time it is read, `t_k` for the register after `k` steps. Frames `0..=n`
//! of a run of `n` steps: frame `n` holds only the meters' closing readings.

use std::fmt::Write as _;
use std::str::FromStr;

use chrono::{NaiveDateTime, TimeZone as _};
use parkgrid_dispatch::{Dispatch, Element, Quantity};
use parkgrid_model::tenant::MeterCarrier;
use parkgrid_model::{AssetKind, Park, TimeAxis};
use parkgrid_resource::measured::Measured;
use parkgrid_resource::{ParkProfiles, Quantity as ProfileQuantity};
use rand::{RngExt as _, SeedableRng, rngs::StdRng};
use serde::Serialize;

use crate::{EngineError, Request, YearRun, run_year_edited};

/// The quantities a device measures and publishes (a schedule's other series — availability,
/// prices, unserved demand, a flexible load's baseline — are not measurements).
const MEASURED: &[Quantity] = &[
    Quantity::PKw,
    Quantity::HeatKw,
    Quantity::ColdKw,
    Quantity::SourceKw,
    Quantity::WasteHeatKw,
    Quantity::FuelKw,
    Quantity::ImportKw,
    Quantity::ExportKw,
    Quantity::OutputKw,
    Quantity::ChargeKw,
    Quantity::DischargeKw,
    Quantity::LevelKwh,
    Quantity::ForwardKw,
    Quantity::ReverseKw,
    Quantity::FlowKw,
    Quantity::DumpedKw,
    Quantity::RejectedKw,
];

/// What a twin adds to the schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// The seed of every random draw (noise, meters' first registers).
    pub seed: u64,
    /// The relative standard deviation of a reading's error (0.005: 0.5 %).
    pub noise_rel: f64,
    /// A drifting sensor's error per day of drift, relative to the value (0.05: 5 %/day).
    pub drift_rel_per_day: f64,
    /// Faults to inject.
    pub faults: Vec<Fault>,
    /// Series (`park/asset/quantity`) not published as SenML: their devices answer over
    /// Modbus instead ([`Twin::reading`]).
    pub omit: std::collections::HashSet<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            seed: 1,
            noise_rel: 0.005,
            drift_rel_per_day: 0.05,
            faults: Vec::new(),
            omit: std::collections::HashSet::new(),
        }
    }
}

/// A kind of fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// A sensor repeats the value it had when the fault began.
    Stuck,
    /// A sensor's error grows by [`Options::drift_rel_per_day`] of the value per day.
    Drift,
    /// A device (an asset, a branch or a meter) publishes nothing.
    Dropout,
    /// A meter's register restarts from 0 just after the reading at the fault's time.
    MeterReset,
    /// A PV array loses a share of its strings ([`Fault::size`], default
    /// [`STRING_LOSS_DEFAULT`]): its availability falls by that share for the fault's span.
    StringLoss,
    /// A heat pump's COP falls, linearly from the fault's start to [`Fault::size`] (default
    /// [`COP_DRIFT_DEFAULT`]) below the model's at its end (fouling, refrigerant loss), and
    /// is back after (a repair): the same heat costs more electricity.
    CopDrift,
}

/// The share of a PV array's strings a `string_loss` takes without a size: one of eight (an
/// array of eight strings per inverter losing one).
pub const STRING_LOSS_DEFAULT: f64 = 0.125;

/// How far a `cop_drift` takes a heat pump's COP below the model's by the fault's end, without a
/// size: 20 %.
pub const COP_DRIFT_DEFAULT: f64 = 0.2;

impl FaultKind {
    /// Its name in a fault's text (`stuck`, `string_loss`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::Stuck => "stuck",
            FaultKind::Drift => "drift",
            FaultKind::Dropout => "dropout",
            FaultKind::MeterReset => "meter_reset",
            FaultKind::StringLoss => "string_loss",
            FaultKind::CopDrift => "cop_drift",
        }
    }

    /// Whether the fault is in the plant (made before the run is dispatched), not in what a
    /// device reports.
    pub fn is_physical(self) -> bool {
        matches!(self, FaultKind::StringLoss | FaultKind::CopDrift)
    }
}

/// A fault to inject: `KIND:TARGET[=SIZE]@FROM[+HOURSh]`, e.g.
/// `stuck:pv_roof/p_kw@2025-01-08T10:00+4h`, `dropout:battery@2025-01-09T00:00+2h`,
/// `meter_reset:m_offices@2025-01-10T06:00`, `string_loss:pv_roof=0.25@2025-01-08T00:00+72h`,
/// `cop_drift:gshp_1=0.3@2025-01-08T00:00+96h`. `FROM` is the park's local time; the duration
/// defaults to 1 h; a size (a share, above 0 and at most 1) only for `string_loss` and
/// `cop_drift`.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    /// What goes wrong.
    pub kind: FaultKind,
    /// `asset/quantity` for a sensor fault, an asset, branch or meter id for a dropout, a meter
    /// id for a reset, a PV array for a string loss, a heat pump for a COP drift.
    pub target: String,
    /// When it begins, the park's local time.
    pub from: NaiveDateTime,
    /// How long it lasts, hours (a reset is an instant).
    pub hours: f64,
    /// The share a string loss takes or a COP drift reaches (0 for the other kinds).
    pub size: f64,
}

impl FromStr for Fault {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let usage = "a fault is KIND:TARGET[=SIZE]@FROM[+HOURSh], KIND one of stuck, drift, \
                     dropout, meter_reset, string_loss, cop_drift (e.g. \
                     stuck:pv_roof/p_kw@2025-01-08T10:00+4h, string_loss:pv_roof=0.25@2025-01-08T00:00+72h)";
        let (kind, rest) = s
            .split_once(':')
            .ok_or_else(|| format!("'{s}': no ':' after the kind; {usage}"))?;
        let kind = match kind {
            "stuck" => FaultKind::Stuck,
            "drift" => FaultKind::Drift,
            "dropout" => FaultKind::Dropout,
            "meter_reset" => FaultKind::MeterReset,
            "string_loss" => FaultKind::StringLoss,
            "cop_drift" => FaultKind::CopDrift,
            other => return Err(format!("'{s}': unknown fault kind '{other}'; {usage}")),
        };
        let (target, when) = rest
            .split_once('@')
            .ok_or_else(|| format!("'{s}': no '@' before the time; {usage}"))?;
        let (target, size) = match (target.split_once('='), kind) {
            (None, FaultKind::StringLoss) => (target, STRING_LOSS_DEFAULT),
            (None, FaultKind::CopDrift) => (target, COP_DRIFT_DEFAULT),
            (None, _) => (target, 0.0),
            (Some((t, v)), FaultKind::StringLoss | FaultKind::CopDrift) => {
                // Every string may be lost; a COP falling to 0 is no heat pump at all.
                let below_one = kind == FaultKind::CopDrift;
                let size = v
                    .parse::<f64>()
                    .ok()
                    .filter(|x| *x > 0.0 && (*x < 1.0 || !below_one && *x <= 1.0))
                    .ok_or_else(|| {
                        format!(
                            "'{s}': the size '{v}' is not a share above 0 and {}",
                            if below_one { "below 1" } else { "at most 1" }
                        )
                    })?;
                (t, size)
            }
            (Some(_), _) => {
                return Err(format!(
                    "'{s}': only string_loss and cop_drift take a size (=SHARE); {usage}"
                ));
            }
        };
        if target.is_empty() {
            return Err(format!("'{s}': no target; {usage}"));
        }
        let (from, hours) = match when.split_once('+') {
            Some((from, d)) => {
                let h = d
                    .strip_suffix('h')
                    .and_then(|h| h.parse::<f64>().ok())
                    .filter(|h| h.is_finite() && *h > 0.0)
                    .ok_or_else(|| {
                        format!(
                            "'{s}': the duration '{d}' is not a positive number of hours like 4h"
                        )
                    })?;
                (from, h)
            }
            None => (when, 1.0),
        };
        let from = NaiveDateTime::parse_from_str(from, "%Y-%m-%dT%H:%M")
            .map_err(|e| format!("'{s}': the time '{from}' is not YYYY-MM-DDTHH:MM ({e})"))?;
        Ok(Fault {
            kind,
            target: target.to_string(),
            from,
            hours,
            size,
        })
    }
}

/// An injected fault as it happened: the ground truth.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Label {
    /// What went wrong.
    pub kind: FaultKind,
    /// The series names it touched (SenML names, `park/asset/quantity`).
    pub series: Vec<String>,
    /// Its first affected time, UTC epoch ms.
    pub from_ms: i64,
    /// The end of the last affected step (exclusive), UTC epoch ms.
    pub to_ms: i64,
}

/// One MQTT message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Its topic.
    pub topic: String,
    /// Its payload: a SenML pack (JSON).
    pub payload: String,
    /// The records (points) in the pack.
    pub records: usize,
}

/// The messages of one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The instant, UTC epoch ms.
    pub time_ms: i64,
    /// The messages published then.
    pub messages: Vec<Message>,
}

/// One measured series of a device.
#[derive(Debug, Clone)]
struct Sensor {
    quantity: Quantity,
    values: Vec<f64>,
    /// Index into the twin's labels of a fault on this sensor, with its kind and steps.
    fault: Option<(FaultKind, usize, usize)>,
}

/// A device: an asset or a branch, publishing its sensors.
#[derive(Debug, Clone)]
struct Device {
    id: String,
    sensors: Vec<Sensor>,
    /// The sensors it publishes as SenML (those not in [`Options::omit`]), by index.
    published: Vec<usize>,
    /// Steps `[a, b)` in which it publishes nothing.
    dropout: Option<(usize, usize)>,
}

/// A billing meter.
#[derive(Debug, Clone)]
struct MeterTwin {
    id: String,
    quantity: &'static str,
    /// Consumption per step, kWh (exact).
    energy_kwh: Vec<f64>,
    /// The register at the start of the window, kWh.
    start_kwh: f64,
    /// Resets: the register restarts from 0 just after reading `k`.
    resets: Vec<usize>,
    dropout: Option<(usize, usize)>,
}

/// A meter's true consumption, step by step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MeterTruth {
    /// The park file's meter id.
    pub meter: String,
    /// The series name of its readings (`park/meter/<id>/e_kwh`, …).
    pub point: String,
    /// The time of its first reading, UTC epoch ms.
    pub from_ms: i64,
    /// The step, ms.
    pub step_ms: i64,
    /// Consumption in each step, kWh.
    pub energy_kwh: Vec<f64>,
}

/// The park's digital twin over a run (see the module's documentation).
#[derive(Debug, Clone)]
pub struct Twin {
    park_id: String,
    prefix: String,
    start_ms: i64,
    step_ms: i64,
    n: usize,
    devices: Vec<Device>,
    meters: Vec<MeterTwin>,
    labels: Vec<Label>,
    options: Options,
    replays: Vec<ReplayReport>,
    /// The batteries and PV arrays that take setpoints.
    controls: Vec<Control>,
    /// The device that makes up a setpoint's difference: the park's first grid connection.
    grid: Option<usize>,
    /// Setpoints taken, in order.
    setpoints: Vec<Setpoint>,
}

/// The quantity of a setpoint register ([`Twin::set_point`]): the active power an asset is
/// told to give, kW, injection-positive — a battery discharges above 0 and charges below 0; a PV
/// array's output is limited to it.
pub const SETPOINT: &str = "p_set_kw";

/// A setpoint the twin took.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Setpoint {
    /// The asset.
    pub asset: String,
    /// The first step it holds for, UTC epoch ms.
    pub from_ms: i64,
    /// The value, kW ([`SETPOINT`]'s sign); `None`: back to the schedule.
    pub p_kw: Option<f64>,
}

/// How an asset that takes setpoints behaves.
#[derive(Debug, Clone, Copy, PartialEq)]
enum ControlKind {
    /// The store equation of the dispatch (`parkgrid_dispatch`'s storage component): level
    /// after a step = keep × level before + η_c·charge·Δt − discharge·Δt/η_d, within
    /// `[e_min, e_max]` and the power rating.
    Battery {
        e_min_kwh: f64,
        e_max_kwh: f64,
        p_max_kw: f64,
        eta_charge: f64,
        eta_discharge: f64,
        /// (1 − self-discharge per hour)^Δt.
        keep: f64,
        /// The level before the first step, kWh.
        start_kwh: f64,
    },
    /// Output = min(the schedule's output, the limit).
    Pv,
}

/// An asset that takes setpoints: its device, how it behaves, and what the schedule had it do.
#[derive(Debug, Clone)]
struct Control {
    device: usize,
    kind: ControlKind,
    /// What the schedule injects in each step, kW (a battery: discharge − charge; PV: output).
    schedule_kw: Vec<f64>,
    /// The setpoint held in each step (`None`: the schedule's).
    held: Vec<Option<f64>>,
}

/// A normal draw from `rng` (Box–Muller).
fn normal(rng: &mut StdRng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// The seed of the draw for step `k` of series `s`: SplitMix64 of the three, so that any one
/// value is drawn alone and the stream does not depend on the order frames are asked for.
fn seed_of(seed: u64, k: usize, s: usize) -> u64 {
    let mut z = seed
        ^ (k as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (s as u64).wrapping_mul(0xD1B5_4A32_D192_ED03);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The values of `device`'s sensor `q`, if it has one.
fn sensor_values(device: &Device, q: Quantity) -> Option<&[f64]> {
    device
        .sensors
        .iter()
        .find(|s| s.quantity == q)
        .map(|s| s.values.as_slice())
}

/// A UTC epoch-ms instant as the park's local time, for messages.
fn local_text(park: &Park, ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map_or_else(
        || ms.to_string(),
        |t| {
            t.with_timezone(&park.site.time_zone.0)
                .format("%Y-%m-%dT%H:%M")
                .to_string()
        },
    )
}

/// The steps `[a, b)` (at least one) that fault `f` covers on a run of `n` steps of `step_ms`
/// from `start_ms` (UTC epoch ms), its start read in the park's time zone, and its length in
/// steps had the run not ended first.
///
/// # Errors
/// [`EngineError::Input`] when the start is not a local time of the park or is outside the run.
fn fault_steps(
    park: &Park,
    start_ms: i64,
    step_ms: i64,
    n: usize,
    f: &Fault,
) -> Result<(usize, usize, usize), EngineError> {
    let bad = |why: String| EngineError::Input(format!("fault '{}': {why}", f.target));
    let from_ms = park
        .site
        .time_zone
        .0
        .from_local_datetime(&f.from)
        .earliest()
        .ok_or_else(|| bad(format!("{} is not a local time of the park", f.from)))?
        .timestamp_millis();
    let end_ms = start_ms + step_ms * n as i64;
    if from_ms < start_ms || from_ms >= end_ms {
        return Err(bad(format!(
            "{} is outside the run (its steps start at {} and end at {})",
            f.from,
            local_text(park, start_ms),
            local_text(park, end_ms)
        )));
    }
    let a = usize::try_from((from_ms - start_ms) / step_ms).unwrap_or(0);
    let len = ((f.hours * 3.6e6) / step_ms as f64).ceil().max(1.0) as usize;
    Ok((a, a.saturating_add(len).min(n), len))
}

/// Makes the plant's own faults ([`FaultKind::is_physical`]) in `profiles` (a run's, before it
/// is dispatched): a string loss scales the PV array's availability by `1 − size` over the
/// fault's steps; a COP drift scales the heat pump's COP by `1 − size·(k − a + 1)/len` at
/// step `k` of the fault's steps `[a, b)`, `len` its length in steps (a fault cut by the run's
/// end drifts at the same rate). Other faults are left to [`Twin::new`].
///
/// # Errors
/// [`EngineError::Input`] when the target is not a PV array (string loss) or has no COP (a
/// COP drift), naming those that are, or the fault's time is outside the run.
pub fn degrade(
    park: &Park,
    faults: &[Fault],
    profiles: &mut ParkProfiles,
) -> Result<(), EngineError> {
    let axis = &profiles.axis;
    let (start_ms, step_ms, n) = (
        axis.start.timestamp_millis(),
        i64::from(axis.step_min) * 60_000,
        axis.n_steps,
    );
    for f in faults.iter().filter(|f| f.kind.is_physical()) {
        let (a, b, len) = fault_steps(park, start_ms, step_ms, n, f)?;
        let (quantity, what) = match f.kind {
            FaultKind::StringLoss => (ProfileQuantity::Available, "a PV array"),
            _ => (ProfileQuantity::Cop, "a heat pump"),
        };
        let fits = |s: &parkgrid_resource::AssetSeries| {
            s.quantity == quantity && (f.kind != FaultKind::StringLoss || s.kind == AssetKind::Pv)
        };
        let candidates: Vec<&str> = profiles
            .series
            .iter()
            .filter(|s| fits(s))
            .map(|s| s.id.as_str())
            .collect();
        let candidates = candidates.join(", ");
        let series = profiles
            .series
            .iter_mut()
            .find(|s| s.id == f.target && fits(s))
            .ok_or_else(|| {
                EngineError::Input(format!(
                    "fault '{}:{}': not {what} of the park (those: {candidates})",
                    f.kind.as_str(),
                    f.target
                ))
            })?;
        for (i, v) in series.values[a..b].iter_mut().enumerate() {
            *v *= match f.kind {
                FaultKind::StringLoss => 1.0 - f.size,
                // The drift's slope is set by its whole length, cut or not by the run's end.
                _ => 1.0 - f.size * (i + 1) as f64 / len as f64,
            };
        }
    }
    Ok(())
}

/// A measured series to play instead of an asset's modelled one:
/// `ASSET[/QUANTITY]=FILE[#COLUMN][*FACTOR]`, the value in the file times `FACTOR` (default 1)
/// in the profile's unit (kW; a COP as is), `QUANTITY` one of the asset's profile series
/// (`available_kw`, `demand_kw`, `heat_demand_kw`, `cop`, …; default its first).
#[derive(Debug, Clone, PartialEq)]
pub struct ReplaySpec {
    /// The asset.
    pub asset: String,
    /// The profile series, by its name in `profiles.csv`; `None` for the asset's first.
    pub quantity: Option<String>,
    /// The log (CSV).
    pub file: std::path::PathBuf,
    /// Its column; `None` for its only value column.
    pub column: Option<String>,
    /// Multiplies the file's values into the profile's unit (0.001: W to kW).
    pub factor: f64,
}

impl FromStr for ReplaySpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let usage = "a replay is ASSET[/QUANTITY]=FILE[#COLUMN][*FACTOR], e.g. \
                     pv_roof=serf_east_15min_ac_power.csv#ac_power*0.001";
        let (target, rest) = s
            .split_once('=')
            .ok_or_else(|| format!("'{s}': no '=' after the asset; {usage}"))?;
        let (asset, quantity) = match target.split_once('/') {
            Some((a, q)) => (a, Some(q.to_string())),
            None => (target, None),
        };
        let (rest, factor) = match rest.rsplit_once('*') {
            Some((r, f)) => (
                r,
                f.parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite() && *x > 0.0)
                    .ok_or_else(|| format!("'{s}': the factor '{f}' is not a positive number"))?,
            ),
            None => (rest, 1.0),
        };
        let (file, column) = match rest.rsplit_once('#') {
            Some((f, c)) => (f, Some(c.to_string())),
            None => (rest, None),
        };
        if asset.is_empty() || file.is_empty() || quantity.as_deref() == Some("") {
            return Err(format!("'{s}': {usage}"));
        }
        Ok(ReplaySpec {
            asset: asset.to_string(),
            quantity,
            file: file.into(),
            column,
            factor,
        })
    }
}

/// A measured series ready to play: what to replace and the log.
#[derive(Debug, Clone)]
pub struct Replay {
    /// What it replaces.
    pub spec: ReplaySpec,
    /// The log.
    pub measured: Measured,
}

/// How a replay went.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplayReport {
    /// The asset.
    pub asset: String,
    /// The profile series replaced.
    pub quantity: &'static str,
    /// The log and its column.
    pub file: String,
    /// Its column.
    pub column: String,
    /// The log's year played.
    pub source_year: i32,
    /// Steps in the run.
    pub steps: usize,
    /// Steps that took the measured value.
    pub measured_steps: usize,
    /// Steps the log does not cover (less than half of the step), left at the model's value.
    pub modelled_steps: usize,
    /// Measured values below what the series can take (negative power, a COP of 0 or below),
    /// set to 0 (power) or left at the model's value (a COP or EER).
    pub out_of_range: usize,
}

impl Replay {
    /// Reads the log `spec` names: Parquet for a `.parquet` file ([`crate::parquet::read_log`],
    /// feature `parquet`), CSV otherwise ([`Measured::parse`]).
    ///
    /// # Errors
    /// [`EngineError::Input`] naming the file: it cannot be read, or what the readers refuse.
    pub fn read(spec: &ReplaySpec) -> Result<Replay, EngineError> {
        let file = &spec.file;
        let parquet = file
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
        let measured = if parquet {
            crate::parquet::read_log(file, spec.column.as_deref())?
        } else {
            let text = std::fs::read_to_string(file).map_err(|e| {
                EngineError::Input(format!("cannot read '{}': {e}", file.display()))
            })?;
            Measured::parse(&file.display().to_string(), &text, spec.column.as_deref())
                .map_err(|e| EngineError::Input(e.to_string()))?
        };
        Ok(Replay {
            spec: spec.clone(),
            measured,
        })
    }

    /// Puts the measured values into `profiles` (a run's, before it is dispatched).
    ///
    /// # Errors
    /// [`EngineError::Input`] when the asset or its series is not in the park (naming those it
    /// has) or the log has no value in any step of the run (naming both spans).
    pub fn apply(
        &self,
        park: &Park,
        profiles: &mut ParkProfiles,
    ) -> Result<ReplayReport, EngineError> {
        let spec = &self.spec;
        let bad = |why: String| {
            EngineError::Input(format!(
                "--replay {}: {why}",
                spec.quantity
                    .as_ref()
                    .map_or_else(|| spec.asset.clone(), |q| format!("{}/{q}", spec.asset))
            ))
        };
        let own: Vec<&str> = profiles
            .series
            .iter()
            .filter(|s| s.id == spec.asset)
            .map(|s| s.quantity.suffix())
            .collect();
        if own.is_empty() {
            let mut ids: Vec<&str> = profiles.series.iter().map(|s| s.id.as_str()).collect();
            ids.dedup();
            return Err(bad(format!(
                "no asset of that id has a profile (those that do: {})",
                ids.join(", ")
            )));
        }
        let own = own.join(", ");
        let axis = profiles.axis;
        let series = profiles
            .series
            .iter_mut()
            .find(|s| {
                s.id == spec.asset
                    && spec
                        .quantity
                        .as_deref()
                        .is_none_or(|q| q == s.quantity.suffix())
            })
            .ok_or_else(|| bad(format!("the asset's profile series are {own}")))?;
        let start = axis.start.naive_local();
        // Each step at its own clock time (a zone with daylight saving shifts them).
        let starts: Vec<NaiveDateTime> = (0..axis.n_steps)
            .map(|k| axis.time(k).naive_local())
            .collect();
        let placed = self.measured.on_axis(&starts, axis.step_min);
        let ratio = matches!(series.quantity, ProfileQuantity::Cop | ProfileQuantity::Eer);
        let mut report = ReplayReport {
            asset: spec.asset.clone(),
            quantity: series.quantity.suffix(),
            file: self.measured.file.clone(),
            column: self.measured.column.clone(),
            source_year: placed.source_year,
            steps: axis.n_steps,
            measured_steps: 0,
            modelled_steps: 0,
            out_of_range: 0,
        };
        for (v, m) in series.values.iter_mut().zip(&placed.values) {
            let Some(m) = m.map(|m| m * spec.factor) else {
                report.modelled_steps += 1;
                continue;
            };
            report.measured_steps += 1;
            match (m > 0.0, ratio) {
                (true, _) => *v = m,
                (false, true) => report.out_of_range += 1,
                (false, false) => {
                    report.out_of_range += usize::from(m < 0.0);
                    *v = 0.0;
                }
            }
        }
        if report.measured_steps == 0 {
            let (first, last) = self.measured.span();
            return Err(bad(format!(
                "{} holds {} to {}; played on {}'s year it has no value in the run's {} to {}",
                self.measured.file,
                first.format("%Y-%m-%d %H:%M"),
                last.format("%Y-%m-%d %H:%M"),
                park.site.name,
                start.format("%Y-%m-%d %H:%M"),
                (start
                    + chrono::TimeDelta::minutes(i64::from(axis.step_min) * axis.n_steps as i64))
                .format("%Y-%m-%d %H:%M"),
            )));
        }
        Ok(report)
    }
}

/// The twin of `park` over the run `req` asks for: its profiles changed by `replays` and the
/// plant's faults in `options` ([`degrade`]), dispatched, then played as telemetry
/// ([`Twin::new`]). Returns the twin (how each replay went in [`Twin::replays`]) and the run.
///
/// # Errors
/// Those of [`crate::run_year`], [`Replay::apply`], [`degrade`] and [`Twin::new`].
pub fn play(
    park: &Park,
    req: &Request,
    options: Options,
    replays: &[Replay],
) -> Result<(Twin, YearRun), EngineError> {
    let mut reports = Vec::new();
    let run = run_year_edited(
        park,
        req,
        &mut |park, profiles| {
            for r in replays {
                reports.push(r.apply(park, profiles)?);
            }
            degrade(park, &options.faults, profiles)
        },
        &mut |_| {},
    )?;
    let mut twin = Twin::new(park, &run.axis, &run.main.dispatch, options)?;
    twin.replays = reports;
    Ok((twin, run))
}

impl Twin {
    /// The twin of `dispatch` (a run of `park` on `axis`) with `options`.
    ///
    /// # Errors
    /// [`EngineError::Input`] when a fault names a device, series or meter the park does not
    /// have, or a time outside the run.
    pub fn new(
        park: &Park,
        axis: &TimeAxis,
        dispatch: &Dispatch,
        options: Options,
    ) -> Result<Twin, EngineError> {
        let step_ms = i64::from(axis.step_min) * 60_000;
        let start_ms = axis.start.timestamp_millis();
        let n = axis.n_steps;
        let mut devices: Vec<Device> = Vec::new();
        for s in &dispatch.series {
            if matches!(s.kind, Element::Bus) || !MEASURED.contains(&s.quantity) {
                continue;
            }
            let sensor = Sensor {
                quantity: s.quantity,
                values: s.values.clone(),
                fault: None,
            };
            match devices.iter_mut().find(|d| d.id == s.id) {
                Some(d) => d.sensors.push(sensor),
                None => devices.push(Device {
                    id: s.id.clone(),
                    sensors: vec![sensor],
                    published: Vec::new(),
                    dropout: None,
                }),
            }
        }
        let mut rng = StdRng::seed_from_u64(options.seed);
        let meters = park
            .meter
            .iter()
            .map(|m| {
                let quantity = match m.carrier {
                    MeterCarrier::Electricity => Quantity::PKw,
                    MeterCarrier::Heat => Quantity::HeatKw,
                    MeterCarrier::Cooling => Quantity::ColdKw,
                };
                let mut energy_kwh = vec![0.0; n];
                for a in &m.assets {
                    if let Some(v) = dispatch.get(a, quantity) {
                        for (e, p) in energy_kwh.iter_mut().zip(v) {
                            *e += p.max(0.0) * axis.step_h();
                        }
                    }
                }
                MeterTwin {
                    id: m.id.clone(),
                    quantity: m.carrier.register_quantity(),
                    energy_kwh,
                    start_kwh: (rng.random::<f64>() * 1e5 * 100.0).round() / 100.0,
                    resets: Vec::new(),
                    dropout: None,
                }
            })
            .collect();
        let mut twin = Twin {
            park_id: park.live.park_id.clone(),
            prefix: park.live.topic_prefix(),
            start_ms,
            step_ms,
            n,
            devices,
            meters,
            labels: Vec::new(),
            options,
            replays: Vec::new(),
            controls: Vec::new(),
            grid: None,
            setpoints: Vec::new(),
        };
        twin.grid = park
            .grid
            .first()
            .and_then(|g| twin.devices.iter().position(|d| d.id == g.id));
        let step_h = axis.step_h();
        for b in &park.battery {
            let Some(device) = twin.devices.iter().position(|d| d.id == b.id) else {
                continue;
            };
            let get = |q| dispatch.get(&b.id, q).map(<[f64]>::to_vec);
            let (Some(ch), Some(dis), Some(level)) = (
                get(Quantity::ChargeKw),
                get(Quantity::DischargeKw),
                get(Quantity::LevelKwh),
            ) else {
                continue;
            };
            let keep = (1.0 - b.self_discharge_frac_per_h).powf(step_h);
            let (c0, d0, l0) = (
                ch.first().copied().unwrap_or(0.0),
                dis.first().copied().unwrap_or(0.0),
                level.first().copied().unwrap_or(0.0),
            );
            let start_kwh =
                (l0 - b.eta_charge * c0 * step_h + d0 * step_h / b.eta_discharge) / keep;
            twin.controls.push(Control {
                device,
                kind: ControlKind::Battery {
                    e_min_kwh: b.soc_min_frac * b.e_max_kwh,
                    e_max_kwh: b.soc_max_frac * b.e_max_kwh,
                    p_max_kw: b.p_max_kw,
                    eta_charge: b.eta_charge,
                    eta_discharge: b.eta_discharge,
                    keep,
                    start_kwh,
                },
                schedule_kw: dis.iter().zip(&ch).map(|(d, c)| d - c).collect(),
                held: vec![None; n],
            });
        }
        for pv in &park.pv {
            let device = twin.devices.iter().position(|d| d.id == pv.id);
            if let (Some(device), Some(out)) = (device, dispatch.get(&pv.id, Quantity::OutputKw)) {
                twin.controls.push(Control {
                    device,
                    kind: ControlKind::Pv,
                    schedule_kw: out.to_vec(),
                    held: vec![None; n],
                });
            }
        }
        // Which sensors go out as SenML, decided once (not at every frame).
        for d in &mut twin.devices {
            d.published = (0..d.sensors.len())
                .filter(|&i| {
                    let name = format!(
                        "{}/{}/{}",
                        twin.park_id,
                        d.id,
                        d.sensors[i].quantity.as_str()
                    );
                    !twin.options.omit.contains(&name)
                })
                .collect();
        }
        for f in twin.options.faults.clone() {
            twin.inject(park, &f)?;
        }
        Ok(twin)
    }

    /// Places `f` on the run's steps and records its label.
    fn inject(&mut self, park: &Park, f: &Fault) -> Result<(), EngineError> {
        let bad = |why: String| EngineError::Input(format!("fault '{}': {why}", f.target));
        let (a, b, _) = fault_steps(park, self.start_ms, self.step_ms, self.n, f)?;
        let step_to_ms = |k: usize| self.start_ms + self.step_ms * k as i64;
        let label = |series: Vec<String>, a: usize, b: usize| Label {
            kind: f.kind,
            series,
            from_ms: step_to_ms(a),
            to_ms: step_to_ms(b),
        };
        match f.kind {
            FaultKind::Stuck | FaultKind::Drift => {
                let (dev, q) = f
                    .target
                    .split_once('/')
                    .ok_or_else(|| bad("a sensor fault's target is asset/quantity".into()))?;
                let name = self.series_name(dev, q);
                let device = self
                    .devices
                    .iter_mut()
                    .find(|d| d.id == dev)
                    .ok_or_else(|| bad(format!("no device '{dev}' publishes in this run")))?;
                let known: Vec<&str> = device.sensors.iter().map(|s| s.quantity.as_str()).collect();
                let known = known.join(", ");
                let sensor = device
                    .sensors
                    .iter_mut()
                    .find(|s| s.quantity.as_str() == q)
                    .ok_or_else(|| bad(format!("'{dev}' measures {known}, not '{q}'")))?;
                sensor.fault = Some((f.kind, a, b));
                self.labels.push(label(vec![name], a, b));
            }
            FaultKind::Dropout => {
                if let Some(d) = self.devices.iter_mut().find(|d| d.id == f.target) {
                    d.dropout = Some((a, b));
                    let names: Vec<String> = d
                        .sensors
                        .iter()
                        .map(|s| format!("{}/{}/{}", self.park_id, d.id, s.quantity.as_str()))
                        .collect();
                    self.labels.push(label(names, a, b));
                } else if let Some(m) = self.meters.iter_mut().find(|m| m.id == f.target) {
                    m.dropout = Some((a, b));
                    let name = format!("{}/meter/{}/{}", self.park_id, m.id, m.quantity);
                    self.labels.push(label(vec![name], a, b));
                } else {
                    return Err(bad(
                        "no asset, branch or meter of that id publishes in this run".into(),
                    ));
                }
            }
            FaultKind::MeterReset => {
                let ids: Vec<&str> = self.meters.iter().map(|m| m.id.as_str()).collect();
                let ids = ids.join(", ");
                let m = self
                    .meters
                    .iter_mut()
                    .find(|m| m.id == f.target)
                    .ok_or_else(|| {
                        bad(format!(
                            "no meter of that id in the park (its meters: {ids})"
                        ))
                    })?;
                m.resets.push(a);
                m.resets.sort_unstable();
                let name = format!("{}/meter/{}/{}", self.park_id, m.id, m.quantity);
                self.labels.push(label(vec![name], a, a));
            }
            FaultKind::StringLoss | FaultKind::CopDrift => {
                // Made in the profiles before the run ([`degrade`]); here only the sensors that
                // show it.
                let shows: &[Quantity] = if f.kind == FaultKind::StringLoss {
                    &[Quantity::PKw, Quantity::OutputKw]
                } else {
                    &[Quantity::PKw, Quantity::HeatKw, Quantity::SourceKw]
                };
                let device = self
                    .devices
                    .iter()
                    .find(|d| d.id == f.target)
                    .ok_or_else(|| bad("no device of that id publishes in this run".into()))?;
                let names = device
                    .sensors
                    .iter()
                    .filter(|s| shows.contains(&s.quantity))
                    .map(|s| self.series_name(&device.id, s.quantity.as_str()))
                    .collect();
                self.labels.push(label(names, a, b));
            }
        }
        Ok(())
    }

    fn series_name(&self, device: &str, quantity: &str) -> String {
        format!("{}/{device}/{quantity}", self.park_id)
    }

    /// Frames in the run: its steps plus the meters' closing reading.
    pub fn frames(&self) -> usize {
        self.n + 1
    }

    /// The step, ms.
    pub fn step_ms(&self) -> i64 {
        self.step_ms
    }

    /// The names of the series the devices publish as SenML (`park/asset/quantity`), meters
    /// and the series answered over Modbus excepted.
    pub fn series(&self) -> Vec<String> {
        self.devices
            .iter()
            .flat_map(|d| {
                d.published
                    .iter()
                    .map(|&i| self.series_name(&d.id, d.sensors[i].quantity.as_str()))
            })
            .collect()
    }

    /// What the sensor `quantity` of `device` reads at step `k` (noise and faults included;
    /// [`SETPOINT`]: the setpoint held, exactly), `None` when the twin has no such sensor, the
    /// step is past the run or the device is out.
    pub fn reading(&self, device: &str, quantity: &str, k: usize) -> Option<f64> {
        let (di, d) = self
            .devices
            .iter()
            .enumerate()
            .find(|(_, d)| d.id == device)?;
        if k >= self.n || d.dropout.is_some_and(|(a, b)| (a..b).contains(&k)) {
            return None;
        }
        if quantity == SETPOINT {
            return self.setpoint_reading(device, k);
        }
        let (si, s) = d
            .sensors
            .iter()
            .enumerate()
            .find(|(_, s)| s.quantity.as_str() == quantity)?;
        Some(self.measure(s, k, seed_of(0, di, si)))
    }

    /// The time frame `k` stands for, UTC epoch ms.
    pub fn time_ms(&self, k: usize) -> i64 {
        self.start_ms + self.step_ms * k as i64
    }

    /// The injected faults.
    pub fn labels(&self) -> &[Label] {
        &self.labels
    }

    /// The measured series played instead of modelled ones ([`play`]), and how they went.
    pub fn replays(&self) -> &[ReplayReport] {
        &self.replays
    }

    /// The setpoints taken so far ([`Twin::set_point`]).
    pub fn setpoints(&self) -> &[Setpoint] {
        &self.setpoints
    }

    /// Whether `asset` takes setpoints (a battery or a PV array of the run).
    pub fn takes_setpoints(&self, asset: &str) -> bool {
        self.controls
            .iter()
            .any(|c| self.devices[c.device].id == asset)
    }

    /// Tells `asset` to give `p_kw` ([`SETPOINT`]; `None`: back to the schedule) from step `k`
    /// to the end of the run or the next setpoint, as a plant's controller would:
    /// - a battery charges (below 0) or discharges (above 0) at that power within its rating,
    ///   stopping at its lowest or highest level; its level follows the dispatch's store
    ///   equation from where it stood;
    /// - a PV array's output is limited to `p_kw` (0 at most: off);
    ///
    /// and the difference to what was scheduled is bought from or sold to the park's first grid
    /// connection (import first, then export). Converter flows and their losses stay as
    /// scheduled: a converter between the asset and the grid misses the difference times its
    /// loss (1–3 %). A step at or past the end of the run changes nothing.
    ///
    /// # Errors
    /// A message when `asset` is not a battery or PV array of the run, or `p_kw` is not finite.
    pub fn set_point(&mut self, asset: &str, k: usize, p_kw: Option<f64>) -> Result<(), String> {
        if p_kw.is_some_and(|p| !p.is_finite()) {
            return Err(format!("{asset}: a setpoint must be a finite number of kW"));
        }
        let Some(ci) = self
            .controls
            .iter()
            .position(|c| self.devices[c.device].id == asset)
        else {
            let takers: Vec<&str> = self
                .controls
                .iter()
                .map(|c| self.devices[c.device].id.as_str())
                .collect();
            return Err(format!(
                "{asset} takes no setpoints; the twin's batteries and PV arrays do ({})",
                takers.join(", ")
            ));
        };
        if k >= self.n {
            return Ok(());
        }
        self.setpoints.push(Setpoint {
            asset: asset.to_string(),
            from_ms: self.time_ms(k),
            p_kw,
        });
        let step_h = self.step_ms as f64 / 3.6e6;
        let control = &mut self.controls[ci];
        for h in &mut control.held[k..] {
            *h = p_kw;
        }
        let control = control.clone();
        // What the asset injected in each step before this setpoint.
        let old: Vec<f64> = {
            let device = &self.devices[control.device];
            let at = |q, j: usize| sensor_values(device, q).map_or(0.0, |v| v[j]);
            (0..self.n)
                .map(|j| match control.kind {
                    ControlKind::Battery { .. } => {
                        at(Quantity::DischargeKw, j) - at(Quantity::ChargeKw, j)
                    }
                    ControlKind::Pv => at(Quantity::OutputKw, j),
                })
                .collect()
        };
        let device = &mut self.devices[control.device];
        // The asset's new injection per step from k on, its sensors rewritten.
        let mut injected = vec![0.0; self.n];
        match control.kind {
            ControlKind::Battery {
                e_min_kwh,
                e_max_kwh,
                p_max_kw,
                eta_charge,
                eta_discharge,
                keep,
                start_kwh,
            } => {
                let level_at = |device: &Device, j: usize| {
                    sensor_values(device, Quantity::LevelKwh).map_or(start_kwh, |l| l[j])
                };
                let mut level = if k == 0 {
                    start_kwh
                } else {
                    level_at(device, k - 1)
                };
                let mut rows = Vec::with_capacity(self.n - k);
                for (j, inj) in injected.iter_mut().enumerate().skip(k) {
                    let want = control.held[j].unwrap_or(control.schedule_kw[j]);
                    let before = keep * level;
                    let (c, d) = if want < 0.0 {
                        let room = ((e_max_kwh - before).max(0.0)) / (eta_charge * step_h);
                        ((-want).min(p_max_kw).min(room), 0.0)
                    } else {
                        let stock = (before - e_min_kwh).max(0.0) * eta_discharge / step_h;
                        (0.0, want.min(p_max_kw).min(stock))
                    };
                    level = before + eta_charge * c * step_h - d * step_h / eta_discharge;
                    *inj = d - c;
                    rows.push((c, d, level));
                }
                for s in &mut device.sensors {
                    for (i, &(c, d, l)) in rows.iter().enumerate() {
                        match s.quantity {
                            Quantity::ChargeKw => s.values[k + i] = c,
                            Quantity::DischargeKw => s.values[k + i] = d,
                            Quantity::LevelKwh => s.values[k + i] = l,
                            _ => {}
                        }
                    }
                }
            }
            ControlKind::Pv => {
                for (j, inj) in injected.iter_mut().enumerate().skip(k) {
                    *inj = match control.held[j] {
                        Some(limit) => control.schedule_kw[j].min(limit.max(0.0)),
                        None => control.schedule_kw[j],
                    };
                }
                for s in &mut device.sensors {
                    if s.quantity == Quantity::OutputKw {
                        s.values[k..].copy_from_slice(&injected[k..]);
                    }
                }
            }
        }
        // The grid connection takes the difference: what the asset gives more is imported
        // less (then exported), what it gives less is imported more.
        if let Some(g) = self.grid {
            let grid = &mut self.devices[g];
            let import = sensor_values(grid, Quantity::ImportKw).map(<[f64]>::to_vec);
            let export = sensor_values(grid, Quantity::ExportKw).map(<[f64]>::to_vec);
            for s in &mut grid.sensors {
                for j in k..self.n {
                    let net = import.as_ref().map_or(0.0, |v| v[j])
                        - export.as_ref().map_or(0.0, |v| v[j])
                        - (injected[j] - old[j]);
                    match s.quantity {
                        Quantity::ImportKw => s.values[j] = net.max(0.0),
                        Quantity::ExportKw => s.values[j] = (-net).max(0.0),
                        _ => {}
                    }
                }
            }
        }
        Ok(())
    }

    /// What the setpoint register of `asset` reads at step `k`: the setpoint held, or what the
    /// schedule has it give; `None` when the asset takes no setpoints or the step is past the
    /// run.
    fn setpoint_reading(&self, asset: &str, k: usize) -> Option<f64> {
        let c = self
            .controls
            .iter()
            .find(|c| self.devices[c.device].id == asset)?;
        let v = c.held.get(k)?.unwrap_or(*c.schedule_kw.get(k)?);
        Some((v * 1000.0).round() / 1000.0)
    }

    /// Each meter's consumption per step as the model made it.
    pub fn truth(&self) -> Vec<MeterTruth> {
        self.meters
            .iter()
            .map(|m| MeterTruth {
                meter: m.id.clone(),
                point: format!("{}/meter/{}/{}", self.park_id, m.id, m.quantity),
                from_ms: self.start_ms,
                step_ms: self.step_ms,
                energy_kwh: m.energy_kwh.clone(),
            })
            .collect()
    }

    /// The register of `m` read after `k` steps, kWh (exact).
    fn register(m: &MeterTwin, k: usize) -> f64 {
        // Since the last reset at or before reading k-1 (a reset after reading r starts the
        // count of step r from 0).
        match m.resets.iter().rev().find(|&&r| r < k) {
            Some(&r) => m.energy_kwh[r..k].iter().sum(),
            None => m.start_kwh + m.energy_kwh[..k].iter().sum::<f64>(),
        }
    }

    /// Frame `k` (`0..=n`): the messages published at the start of step `k`.
    pub fn frame(&self, k: usize) -> Frame {
        let time_ms = self.start_ms + self.step_ms * k as i64;
        // SenML times are seconds: whole for any step of whole minutes.
        let bt = time_ms as f64 / 1000.0;
        let mut messages = Vec::new();
        let off = |w: Option<(usize, usize)>| w.is_some_and(|(a, b)| (a..b).contains(&k));
        if k < self.n {
            for (di, d) in self.devices.iter().enumerate() {
                if off(d.dropout) {
                    continue;
                }
                let sensors: Vec<(usize, &Sensor)> =
                    d.published.iter().map(|&i| (i, &d.sensors[i])).collect();
                if sensors.is_empty() {
                    continue;
                }
                let mut payload = String::with_capacity(64 + 48 * sensors.len());
                let _ = write!(
                    payload,
                    "[{{\"bn\":\"{}/{}/\",\"bt\":{bt}",
                    self.park_id, d.id
                );
                for (n, (si, s)) in sensors.iter().enumerate() {
                    let v = self.measure(s, k, seed_of(0, di, *si));
                    let unit = if s.quantity == Quantity::LevelKwh {
                        "kWh"
                    } else {
                        "kW"
                    };
                    if n > 0 {
                        payload.push_str(",{");
                    } else {
                        payload.push(',');
                    }
                    let _ = write!(
                        payload,
                        "\"n\":\"{}\",\"u\":\"{unit}\",\"v\":{v}}}",
                        s.quantity.as_str()
                    );
                }
                payload.push(']');
                messages.push(Message {
                    topic: format!("{}/{}", self.prefix, d.id),
                    payload,
                    records: sensors.len(),
                });
            }
        }
        for m in &self.meters {
            if off(m.dropout) {
                continue;
            }
            let reading = (Self::register(m, k) * 100.0).round() / 100.0;
            messages.push(Message {
                topic: format!("{}/meter/{}", self.prefix, m.id),
                payload: format!(
                    "[{{\"bn\":\"{}/meter/{}/\",\"bt\":{bt},\"n\":\"{}\",\"u\":\"kWh\",\"v\":{reading}}}]",
                    self.park_id, m.id, m.quantity
                ),
                records: 1,
            });
        }
        Frame { time_ms, messages }
    }

    /// The reading of sensor `s` (whose own seed is `sensor_seed`) at step `k`.
    fn measure(&self, s: &Sensor, k: usize, sensor_seed: u64) -> f64 {
        let (k_read, drift_days) = match s.fault {
            Some((FaultKind::Stuck, a, b)) if (a..b).contains(&k) => (a, 0.0),
            Some((FaultKind::Drift, a, b)) if (a..b).contains(&k) => {
                (k, (k - a) as f64 * self.step_ms as f64 / 86.4e6)
            }
            _ => (k, 0.0),
        };
        let v = s.values[k_read];
        if v == 0.0 {
            return 0.0;
        }
        let mut rng = StdRng::seed_from_u64(seed_of(self.options.seed ^ sensor_seed, k_read, 0));
        let read = v
            * (1.0
                + self.options.noise_rel * normal(&mut rng)
                + self.options.drift_rel_per_day * drift_days);
        (read * 1000.0).round() / 1000.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_parse_or_say_why() {
        let f: Fault = "stuck:pv_roof/p_kw@2025-01-08T10:00+4h".parse().unwrap();
        assert_eq!(f.kind, FaultKind::Stuck);
        assert_eq!(f.target, "pv_roof/p_kw");
        assert_eq!(f.hours, 4.0);
        let r: Fault = "meter_reset:m1@2025-01-08T10:00".parse().unwrap();
        assert_eq!(r.hours, 1.0);
        let s: Fault = "string_loss:pv_roof@2025-01-08T10:00+72h".parse().unwrap();
        assert_eq!(
            (s.target.as_str(), s.size),
            ("pv_roof", STRING_LOSS_DEFAULT)
        );
        let c: Fault = "cop_drift:gshp_1=0.3@2025-01-08T10:00+96h".parse().unwrap();
        assert_eq!(
            (c.kind, c.target.as_str(), c.size),
            (FaultKind::CopDrift, "gshp_1", 0.3)
        );
        for (bad, says) in [
            ("stuck", "no ':'"),
            ("melt:x@2025-01-08T10:00", "unknown fault kind 'melt'"),
            ("stuck:x", "no '@'"),
            ("stuck:@2025-01-08T10:00", "no target"),
            ("stuck:x@2025-01-08", "not YYYY-MM-DDTHH:MM"),
            ("stuck:x@2025-01-08T10:00+-3h", "positive number of hours"),
            ("stuck:x@2025-01-08T10:00+NaNh", "positive number of hours"),
            (
                "stuck:x=0.5@2025-01-08T10:00",
                "only string_loss and cop_drift take a size",
            ),
            (
                "string_loss:pv=1.5@2025-01-08T10:00",
                "the size '1.5' is not a share",
            ),
            (
                "cop_drift:hp=0@2025-01-08T10:00",
                "the size '0' is not a share",
            ),
        ] {
            let e = bad.parse::<Fault>().unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
