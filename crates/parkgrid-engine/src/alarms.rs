//! Alarms from the live data: conditions found in what the store holds, raised and cleared in
//! it (`parkgrid_store::PointStore::raise_alarm`), one alarm per condition while it lasts.
//! Feature `live`.
//!
//! Today's condition is the one every telemetry system starts with: **an asset that stopped
//! reporting** (`stale:<asset>`) — its newest point at least two of the park's steps behind the
//! newest point of the park, i.e. two frames missed in a row while the others came (one missed
//! frame can be a message still in flight). Measured in the data's own time, so a twin replaying
//! another year at any speed is judged as the plant would be; a time ahead of the wall clock
//! counts as now (a device with a clock running ahead makes no other asset stale). The detectors of the equipment
//! health issue (stuck values, drift, COP, string loss) raise theirs the same way.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use parkgrid_model::Park;
use parkgrid_store::PointStore;

use crate::EngineError;

/// A condition found now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// Its key (`stale:<asset>`): one open alarm per key.
    pub key: String,
    /// `warning` or `alarm`.
    pub severity: String,
    /// The asset it concerns.
    pub source: String,
    /// What is wrong, for people.
    pub message: String,
}

/// Frames missed in a row before an asset is stale.
pub const STALE_FRAMES: i64 = 2;

/// The assets whose newest point (`newest_by_asset`, UTC epoch ms) is at least
/// [`STALE_FRAMES`] steps of `step_ms` behind the newest of all: their conditions, and the keys
/// of the assets that report (whose alarms, if open, clear).
pub fn stale_assets(
    newest_by_asset: &BTreeMap<String, i64>,
    step_ms: i64,
) -> (Vec<Condition>, Vec<String>) {
    let Some(&newest) = newest_by_asset.values().max() else {
        return (Vec::new(), Vec::new());
    };
    let mut stale = Vec::new();
    let mut fine = Vec::new();
    for (asset, &t) in newest_by_asset {
        let key = format!("stale:{asset}");
        let behind = newest - t;
        if step_ms > 0 && behind >= STALE_FRAMES * step_ms {
            stale.push(Condition {
                key,
                severity: if behind >= 4 * step_ms {
                    "alarm"
                } else {
                    "warning"
                }
                .into(),
                source: asset.clone(),
                message: format!(
                    "{asset} has sent nothing for {} steps ({} min) while the park reports",
                    behind / step_ms,
                    behind / 60_000
                ),
            });
        } else {
            fine.push(key);
        }
    }
    (stale, fine)
}

/// One look at `store`: each asset's newest point, the stale ones raised, the others' alarms
/// cleared, at the data's newest time. Returns the conditions raised.
///
/// # Errors
/// [`EngineError::Live`] when the store fails.
pub fn check_once(store: &mut dyn PointStore, step_ms: i64) -> Result<Vec<Condition>, EngineError> {
    let failed = |e: parkgrid_store::StoreError| EngineError::Live(format!("alarms: {e}"));
    // A device whose clock runs ahead is no reference: times beyond the wall clock (and a
    // step's grace) count as now, so one such device cannot make the others look stale.
    let wall = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(i64::MAX, |d| {
            i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
        });
    let cap = wall.saturating_add(step_ms.max(300_000));
    let mut newest: BTreeMap<String, i64> = BTreeMap::new();
    for (id, meta) in store.all_series().map_err(failed)? {
        if let Some(p) = store.latest(id).map_err(failed)? {
            let time = p.time_ms.min(cap);
            let t = newest.entry(meta.asset).or_insert(time);
            *t = (*t).max(time);
        }
    }
    let now = newest.values().copied().max().unwrap_or(0);
    let (stale, fine) = stale_assets(&newest, step_ms);
    for c in &stale {
        store
            .raise_alarm(&c.key, &c.severity, &c.source, &c.message, now)
            .map_err(failed)?;
    }
    for key in fine {
        store.clear_alarm(&key, now).map_err(failed)?;
    }
    Ok(stale)
}

/// Looks at the store `db` of `park` every `every` until `stop` is set, on a thread of its own
/// with its own store connection; `step_min` is the step the data comes at. A failed look is
/// said once to `said` and tried again at the next.
///
/// # Errors
/// [`EngineError`] when the store cannot be opened.
pub fn watch(
    park: &Park,
    db: &str,
    step_min: u32,
    every: Duration,
    stop: Arc<AtomicBool>,
    said: impl Fn(&str) + Send + 'static,
) -> Result<std::thread::JoinHandle<()>, EngineError> {
    let mut store = crate::live::open_store(db, park)?;
    let step_ms = i64::from(step_min) * 60_000;
    Ok(std::thread::spawn(move || {
        let mut failing = false;
        while !stop.load(Ordering::SeqCst) {
            match check_once(store.as_mut(), step_ms) {
                Ok(_) => failing = false,
                Err(e) if !failing => {
                    failing = true;
                    said(&e.to_string());
                }
                Err(_) => {}
            }
            std::thread::sleep(every);
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_asset_two_steps_behind_is_stale_and_one_step_is_not() {
        let step = 900_000;
        let newest: BTreeMap<String, i64> = [
            ("pv_roof".to_string(), 10 * step),
            ("battery".to_string(), 9 * step),
            ("wind".to_string(), 8 * step),
            ("chp".to_string(), 5 * step),
        ]
        .into();
        let (stale, fine) = stale_assets(&newest, step);
        let keys: Vec<&str> = stale.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(keys, ["stale:chp", "stale:wind"]);
        assert_eq!(stale[0].severity, "alarm", "five steps behind");
        assert_eq!(stale[1].severity, "warning", "two steps behind");
        assert_eq!(fine, ["stale:battery", "stale:pv_roof"]);
        assert_eq!(
            stale_assets(&BTreeMap::new(), step),
            (Vec::new(), Vec::new())
        );
    }
}
