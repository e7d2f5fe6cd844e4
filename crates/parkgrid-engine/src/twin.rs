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
//!   (no messages), a meter reset (the register restarts from 0 just after a reading). Each is
//!   returned as a [`Label`] with its series and times: the ground truth a detector is scored
//!   against.
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
use parkgrid_model::{Park, TimeAxis};
use rand::{RngExt as _, SeedableRng, rngs::StdRng};
use serde::Serialize;

use crate::EngineError;

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
}

/// A fault to inject: `KIND:TARGET@FROM[+HOURSh]`, e.g. `stuck:pv_roof/p_kw@2025-01-08T10:00+4h`,
/// `dropout:battery@2025-01-09T00:00+2h`, `meter_reset:m_offices@2025-01-10T06:00`. `FROM` is
/// the park's local time; the duration defaults to 1 h.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    /// What goes wrong.
    pub kind: FaultKind,
    /// `asset/quantity` for a sensor fault, an asset, branch or meter id for a dropout, a meter
    /// id for a reset.
    pub target: String,
    /// When it begins, the park's local time.
    pub from: NaiveDateTime,
    /// How long it lasts, hours (a reset is an instant).
    pub hours: f64,
}

impl FromStr for Fault {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let usage = "a fault is KIND:TARGET@FROM[+HOURSh], KIND one of stuck, drift, dropout, \
                     meter_reset (e.g. stuck:pv_roof/p_kw@2025-01-08T10:00+4h)";
        let (kind, rest) = s
            .split_once(':')
            .ok_or_else(|| format!("'{s}': no ':' after the kind; {usage}"))?;
        let kind = match kind {
            "stuck" => FaultKind::Stuck,
            "drift" => FaultKind::Drift,
            "dropout" => FaultKind::Dropout,
            "meter_reset" => FaultKind::MeterReset,
            other => return Err(format!("'{s}': unknown fault kind '{other}'; {usage}")),
        };
        let (target, when) = rest
            .split_once('@')
            .ok_or_else(|| format!("'{s}': no '@' before the time; {usage}"))?;
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
        };
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
        let tz = park.site.time_zone.0;
        let from_ms = tz
            .from_local_datetime(&f.from)
            .earliest()
            .ok_or_else(|| bad(format!("{} is not a local time of the park", f.from)))?
            .timestamp_millis();
        let end_ms = self.start_ms + self.step_ms * self.n as i64;
        if from_ms < self.start_ms || from_ms >= end_ms {
            return Err(bad(format!(
                "{} is outside the run (its steps start at {} and end at {})",
                f.from,
                self.local(park, self.start_ms),
                self.local(park, end_ms)
            )));
        }
        let a = usize::try_from((from_ms - self.start_ms) / self.step_ms).unwrap_or(0);
        let len = ((f.hours * 3.6e6) / self.step_ms as f64).ceil().max(1.0) as usize;
        let b = a.saturating_add(len).min(self.n);
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
        }
        Ok(())
    }

    fn local(&self, park: &Park, ms: i64) -> String {
        chrono::DateTime::from_timestamp_millis(ms).map_or_else(
            || ms.to_string(),
            |t| {
                t.with_timezone(&park.site.time_zone.0)
                    .format("%Y-%m-%dT%H:%M")
                    .to_string()
            },
        )
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

    /// What the sensor `quantity` of `device` reads at step `k` (noise and faults included),
    /// `None` when the twin has no such sensor, the step is past the run or the device is out.
    pub fn reading(&self, device: &str, quantity: &str, k: usize) -> Option<f64> {
        let (di, d) = self
            .devices
            .iter()
            .enumerate()
            .find(|(_, d)| d.id == device)?;
        if k >= self.n || d.dropout.is_some_and(|(a, b)| (a..b).contains(&k)) {
            return None;
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
        for (bad, says) in [
            ("stuck", "no ':'"),
            ("melt:x@2025-01-08T10:00", "unknown fault kind 'melt'"),
            ("stuck:x", "no '@'"),
            ("stuck:@2025-01-08T10:00", "no target"),
            ("stuck:x@2025-01-08", "not YYYY-MM-DDTHH:MM"),
            ("stuck:x@2025-01-08T10:00+-3h", "positive number of hours"),
            ("stuck:x@2025-01-08T10:00+NaNh", "positive number of hours"),
        ] {
            let e = bad.parse::<Fault>().unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
