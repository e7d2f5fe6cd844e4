//! Cumulative meters: from counter readings to consumption intervals that are never negative.
//!
//! A meter reports a counter (kWh, GJ, m³) that only grows, except when it does not: the counter
//! wraps at its register's size (a rollover), the meter is reset or loses its memory (the counter
//! restarts from 0), or the meter is replaced by another (a new meter id on the same point, with
//! its own counter). Readings arrive twice (a gateway's retry, an MQTT redelivery), out of order,
//! or not at all for hours or weeks. [`intervals`] turns one point's readings into the intervals
//! between consecutive readings, each with its consumption and how it was derived:
//!
//! - readings are ordered by time; a repeated reading (same time and meter) counts once, and
//!   of two readings at the same time and meter with different values the one with the higher
//!   source sequence (else the later one given) is kept — the other is reported in
//!   [`Derived::dropped`], as are values that are not finite or are negative;
//! - consecutive readings of different meters make a [`Kind::Replaced`] interval with no
//!   consumption: what was used between the old meter's last reading and the new one's first is
//!   not known (when both are read at the same instant there is no such interval);
//! - a span longer than [`MeterSpec::max_gap_ms`] (30 days by default) is [`Kind::Missing`] with
//!   no consumption: over so long a counter may have wrapped or reset unseen;
//! - a counter that grew gives its difference ([`Kind::Measured`]); one that fell by no more
//!   than [`MeterSpec::jitter`] (the register's rounding) gives 0;
//! - a counter that fell further wrapped when [`MeterSpec::rollover`] says so and the wrapped
//!   difference is plausible (below half the register, and below [`MeterSpec::max_rate_per_h`]
//!   over the span when that is given): [`Kind::Rollover`], `rollover − before + after`;
//!   otherwise it was reset: [`Kind::Reset`], the new counter's value (what it counted from 0).
//!   What was used between the last reading and the reset itself is not observable; the
//!   interval says so by its kind.
//!
//! [`buckets`] then puts the intervals on a regular grid (15 minutes, an hour, a day): an
//! interval that ends in a bucket and spans no more than one bucket's length counts in the
//! bucket its end falls in (the convention of interval meters: an interval is labelled by its
//! end); one that spans longer, or that has no consumption, marks every bucket it covers
//! missing — its energy, when known, is kept as a [`Span`], never spread over the buckets. The
//! energy of the buckets plus the spans is the energy of the intervals.

use serde::Serialize;

/// One reading of a cumulative counter.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    /// When it was read, UTC epoch milliseconds.
    pub time_ms: i64,
    /// The meter that was read (a new id on the same point is a replacement).
    pub meter_id: String,
    /// The counter, in the meter's unit (kWh, GJ, m³).
    pub value: f64,
    /// The source's sequence number, when it sends one (a redelivery repeats it).
    pub seq: Option<u64>,
}

/// What is known about a point's meters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeterSpec {
    /// The counter wraps to 0 on reaching this value (e.g. 10⁶ kWh for a six-digit register);
    /// `None`: it never wraps, so any fall is a reset.
    pub rollover: Option<f64>,
    /// The most the point can use per hour, in the meter's unit; a wrapped difference above it
    /// over the span is not a rollover. `None`: not used.
    pub max_rate_per_h: Option<f64>,
    /// A fall up to this much is the register's rounding, not a reset (counts as 0).
    pub jitter: f64,
    /// The longest span between readings whose difference is trusted, ms.
    pub max_gap_ms: i64,
}

/// 30 days, ms.
pub const THIRTY_DAYS_MS: i64 = 30 * 24 * 3_600_000;

impl Default for MeterSpec {
    fn default() -> Self {
        Self {
            rollover: None,
            max_rate_per_h: None,
            jitter: 1e-9,
            max_gap_ms: THIRTY_DAYS_MS,
        }
    }
}

/// How an interval's consumption was derived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The counter's difference.
    Measured,
    /// The counter wrapped: `rollover − before + after`.
    Rollover,
    /// The counter restarted from 0: its new value (what was used between the last reading and
    /// the reset is not known).
    Reset,
    /// Another meter took over: not known.
    Replaced,
    /// A span longer than the longest trusted: not known.
    Missing,
}

/// The consumption between two consecutive readings of a point.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    /// The earlier reading's time, UTC epoch ms.
    pub start_ms: i64,
    /// The later reading's time, UTC epoch ms.
    pub end_ms: i64,
    /// Consumption, ≥ 0, in the meter's unit; `None` when it is not known.
    pub energy: Option<f64>,
    /// How it was derived.
    pub kind: Kind,
}

/// Why a reading was not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dropped {
    /// The same meter, time and value as a reading kept.
    Duplicate,
    /// The same meter and time as a reading kept (with a higher sequence, or given later), but
    /// another value.
    Superseded,
    /// Not a counter value: not finite, or negative.
    NotACount,
}

/// [`intervals`]' answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Derived {
    /// The intervals between consecutive readings, in time order.
    pub intervals: Vec<Interval>,
    /// The readings not used, with why.
    pub dropped: Vec<(Reading, Dropped)>,
}

/// The intervals of `derived` that end in `(from_ms, to_ms]` — an interval belongs to the window
/// its end falls in (interval meters label an interval by its end), so adjacent windows share
/// none.
pub fn ending_in(mut derived: Derived, from_ms: i64, to_ms: i64) -> Derived {
    derived
        .intervals
        .retain(|i| i.end_ms > from_ms && i.end_ms <= to_ms);
    derived
}

/// The intervals between `readings` of one point (any order), with `spec`'s rules (see the
/// module's documentation). Every interval's energy is ≥ 0 or `None`.
pub fn intervals(readings: &[Reading], spec: &MeterSpec) -> Derived {
    let mut dropped = Vec::new();
    // Ordered by time, then meter; at one time and meter the reading to keep first (highest
    // sequence, then the later one given).
    let mut order: Vec<usize> = Vec::with_capacity(readings.len());
    for (i, r) in readings.iter().enumerate() {
        if r.value.is_finite() && r.value >= 0.0 {
            order.push(i);
        } else {
            dropped.push((r.clone(), Dropped::NotACount));
        }
    }
    order.sort_by(|&a, &b| {
        let (x, y) = (&readings[a], &readings[b]);
        x.time_ms
            .cmp(&y.time_ms)
            .then_with(|| x.meter_id.cmp(&y.meter_id))
            .then_with(|| y.seq.cmp(&x.seq))
            .then_with(|| b.cmp(&a))
    });
    let mut kept: Vec<&Reading> = Vec::with_capacity(order.len());
    for i in order {
        let r = &readings[i];
        match kept.last() {
            Some(k) if k.time_ms == r.time_ms && k.meter_id == r.meter_id => {
                let why = if k.value == r.value {
                    Dropped::Duplicate
                } else {
                    Dropped::Superseded
                };
                dropped.push((r.clone(), why));
            }
            _ => kept.push(r),
        }
    }
    // Readings of two meters at one instant (a replacement read at the swap): the meter read
    // before that instant comes first, so that the old counter ends and the new one starts there.
    let mut i = 0;
    while i < kept.len() {
        let mut j = i + 1;
        while j < kept.len() && kept[j].time_ms == kept[i].time_ms {
            j += 1;
        }
        if j - i > 1 && i > 0 {
            let before = kept[i - 1].meter_id.clone();
            kept[i..j].sort_by_key(|r| r.meter_id != before);
        }
        i = j;
    }
    let mut out = Vec::with_capacity(kept.len().saturating_sub(1));
    for pair in kept.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let (start_ms, end_ms) = (a.time_ms, b.time_ms);
        let interval = |energy, kind| Interval {
            start_ms,
            end_ms,
            energy,
            kind,
        };
        if a.meter_id != b.meter_id {
            if end_ms > start_ms {
                out.push(interval(None, Kind::Replaced));
            }
            continue;
        }
        if end_ms.saturating_sub(start_ms) > spec.max_gap_ms {
            out.push(interval(None, Kind::Missing));
            continue;
        }
        let diff = b.value - a.value;
        if diff >= -spec.jitter {
            out.push(interval(Some(diff.max(0.0)), Kind::Measured));
            continue;
        }
        let hours = end_ms.saturating_sub(start_ms) as f64 / 3_600_000.0;
        let wrapped = spec.rollover.and_then(|m| {
            let e = m - a.value + b.value;
            let plausible = e >= 0.0
                && e < 0.5 * m
                && spec
                    .max_rate_per_h
                    .is_none_or(|rate| e <= rate * hours + spec.jitter);
            plausible.then_some(e)
        });
        match wrapped {
            Some(e) => out.push(interval(Some(e), Kind::Rollover)),
            None => out.push(interval(Some(b.value), Kind::Reset)),
        }
    }
    Derived {
        intervals: out,
        dropped,
    }
}

/// One bucket of a regular grid.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Bucket {
    /// Its start, UTC epoch ms (it ends one step later).
    pub start_ms: i64,
    /// Consumption in it, in the meter's unit; `None`: missing.
    pub energy: Option<f64>,
    /// Whether an interval of it followed a reset or a rollover (its energy is then what the
    /// counter shows after the event).
    pub after_event: bool,
}

/// An interval longer than a bucket whose energy is known: kept whole, never spread.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Span {
    /// From, UTC epoch ms.
    pub start_ms: i64,
    /// To, UTC epoch ms.
    pub end_ms: i64,
    /// Consumption over it.
    pub energy: f64,
}

/// `intervals` (in time order, as [`intervals`] gives them) on the grid of `n` buckets of `step_ms`
/// from `start_ms`: see the module's documentation. Returns the buckets and the spans.
/// Intervals ending outside the grid are left out. A bucket no interval ends in is missing.
pub fn buckets(
    intervals: &[Interval],
    start_ms: i64,
    step_ms: i64,
    n: usize,
) -> (Vec<Bucket>, Vec<Span>) {
    let step_ms = step_ms.max(1);
    let mut out: Vec<Bucket> = (0..n)
        .map(|i| Bucket {
            start_ms: start_ms.saturating_add((i as i64).saturating_mul(step_ms)),
            energy: None,
            after_event: false,
        })
        .collect();
    // Buckets a long or unknown interval covers: missing whatever else ends in them.
    let mut blanked = vec![false; n];
    let mut spans = Vec::new();
    let index = |t: i64| -> Option<usize> {
        let k = t.saturating_sub(start_ms).div_euclid(step_ms);
        usize::try_from(k).ok().filter(|&k| k < n)
    };
    for iv in intervals {
        // The bucket the interval's end falls in (an interval is labelled by its end).
        let last = index(iv.end_ms.saturating_sub(1));
        let long = iv.end_ms.saturating_sub(iv.start_ms) > step_ms;
        match (iv.energy, long) {
            (Some(e), false) => {
                if let Some(k) = last {
                    let b = &mut out[k];
                    b.energy = Some(b.energy.unwrap_or(0.0) + e);
                    b.after_event |= matches!(iv.kind, Kind::Reset | Kind::Rollover);
                }
            }
            (energy, _) => {
                if let (Some(e), true) = (energy, last.is_some()) {
                    spans.push(Span {
                        start_ms: iv.start_ms,
                        end_ms: iv.end_ms,
                        energy: e,
                    });
                }
                // Every bucket the interval overlaps.
                let first = iv
                    .start_ms
                    .saturating_sub(start_ms)
                    .div_euclid(step_ms)
                    .max(0);
                let end = iv
                    .end_ms
                    .saturating_sub(1)
                    .saturating_sub(start_ms)
                    .div_euclid(step_ms);
                for k in first..=end.min(n as i64 - 1) {
                    if let Ok(k) = usize::try_from(k) {
                        blanked[k] = true;
                    }
                }
            }
        }
    }
    for (b, blank) in out.iter_mut().zip(blanked) {
        if blank {
            // Its share of a long interval is in a span; anything else ending in it moves there
            // too, so that no energy is lost.
            if let Some(e) = b.energy.take() {
                spans.push(Span {
                    start_ms: b.start_ms,
                    end_ms: b.start_ms + step_ms,
                    energy: e,
                });
            }
        }
    }
    (out, spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(t: i64, meter: &str, value: f64) -> Reading {
        Reading {
            time_ms: t,
            meter_id: meter.into(),
            value,
            seq: None,
        }
    }

    const H: i64 = 3_600_000;

    /// Times at the ends of the range (any i64 a caller gives) neither panic nor wrap.
    #[test]
    fn extreme_times_neither_panic_nor_wrap() {
        let r = |t: i64, v: f64| Reading {
            time_ms: t,
            meter_id: "m".into(),
            value: v,
            seq: None,
        };
        let d = intervals(
            &[r(i64::MIN, 1.0), r(0, 2.0), r(i64::MAX, 3.0)],
            &MeterSpec::default(),
        );
        assert_eq!(d.intervals.len(), 2);
        assert!(d.intervals.iter().all(|i| i.kind == Kind::Missing));
        let (b, spans) = buckets(&d.intervals, i64::MAX - 10, i64::MAX, 3);
        assert_eq!(b.len(), 3);
        assert!(spans.is_empty());
    }

    #[test]
    fn each_event_gives_its_interval() {
        let spec = MeterSpec {
            rollover: Some(1000.0),
            ..MeterSpec::default()
        };
        let d = intervals(
            &[
                r(0, "a", 990.0),
                r(H, "a", 995.0),
                r(2 * H, "a", 3.0),  // wrapped at 1000: 8
                r(3 * H, "a", 1.0),  // reset: 1 since
                r(3 * H, "a", 1.0),  // duplicate
                r(4 * H, "b", 50.0), // replaced
                r(5 * H, "b", 52.0),
                r(5 * H + 45 * 24 * H, "b", 60.0), // 45 days later
                r(6 * H, "b", f64::NAN),
            ],
            &spec,
        );
        let got: Vec<(Option<f64>, Kind)> =
            d.intervals.iter().map(|i| (i.energy, i.kind)).collect();
        assert_eq!(
            got,
            [
                (Some(5.0), Kind::Measured),
                (Some(8.0), Kind::Rollover),
                (Some(1.0), Kind::Reset),
                (None, Kind::Replaced),
                (Some(2.0), Kind::Measured),
                (None, Kind::Missing),
            ]
        );
        let why: Vec<Dropped> = d.dropped.iter().map(|(_, w)| *w).collect();
        assert_eq!(why, [Dropped::NotACount, Dropped::Duplicate]);
    }

    #[test]
    fn a_rollover_beyond_the_rate_is_a_reset() {
        let spec = MeterSpec {
            rollover: Some(1000.0),
            max_rate_per_h: Some(5.0),
            ..MeterSpec::default()
        };
        // 990 → 100 in an hour would be 110 units at most 5 an hour: the meter was reset.
        let d = intervals(&[r(0, "a", 990.0), r(H, "a", 100.0)], &spec);
        assert_eq!(d.intervals[0].kind, Kind::Reset);
        assert_eq!(d.intervals[0].energy, Some(100.0));
    }

    #[test]
    fn the_higher_sequence_wins_a_conflict() {
        let mut a = r(0, "a", 10.0);
        a.seq = Some(7);
        let mut b = r(0, "a", 11.0);
        b.seq = Some(8);
        let d = intervals(
            &[b.clone(), a.clone(), r(H, "a", 12.0)],
            &MeterSpec::default(),
        );
        assert_eq!(d.intervals[0].energy, Some(1.0));
        assert_eq!(d.dropped, [(a, Dropped::Superseded)]);
    }

    #[test]
    fn long_intervals_are_spans_and_their_buckets_missing() {
        let q = 15 * 60_000;
        let iv = |s: i64, e: i64, energy: Option<f64>| Interval {
            start_ms: s,
            end_ms: e,
            energy,
            kind: Kind::Measured,
        };
        let (b, spans) = buckets(
            &[
                iv(0, q, Some(1.0)),
                iv(q, 2 * q, Some(2.0)),
                iv(2 * q, 5 * q, Some(9.0)), // three buckets long
                iv(5 * q, 6 * q, None),
            ],
            0,
            q,
            7,
        );
        let e: Vec<Option<f64>> = b.iter().map(|b| b.energy).collect();
        assert_eq!(e, [Some(1.0), Some(2.0), None, None, None, None, None]);
        assert_eq!(
            spans,
            [Span {
                start_ms: 2 * q,
                end_ms: 5 * q,
                energy: 9.0
            }]
        );
    }
}
