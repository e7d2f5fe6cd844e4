//! Runs started while the park is live (the API's `/api/v1/runs`): the park's dispatch over its
//! year or a window of days, optimal (with the rule-based baseline beside it) or the rules
//! alone, through [`crate::run_year`] — the same computation as `parkgrid simulate` — on a
//! thread of its own, one at a time (a year's LP takes both of a small machine's cores); their
//! course and results kept in memory while the server runs. Feature `live`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

pub use parkgrid_dispatch::Strategy;
use parkgrid_model::Park;
use serde_json::Value;

use crate::{Progress, Request, Window, run_year};

/// What to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSpec {
    /// Whole local days of the park's year (`None`: the year).
    pub window: Option<Window>,
    /// The optimum with the baseline beside it, or the rules alone.
    pub strategy: Strategy,
}

/// Where a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    /// Computing.
    Running,
    /// Finished with results.
    Done,
    /// Stopped with an error.
    Failed,
}

impl RunState {
    /// `running`, `done` or `failed`.
    pub fn name(self) -> &'static str {
        match self {
            RunState::Running => "running",
            RunState::Done => "done",
            RunState::Failed => "failed",
        }
    }
}

/// A run and its course.
#[derive(Debug, Clone, PartialEq)]
pub struct RunInfo {
    /// Its id (1, 2, … since the server started).
    pub id: u64,
    /// What was asked.
    pub spec: RunSpec,
    /// Who asked (a token id).
    pub started_by: String,
    /// Where it is.
    pub state: RunState,
    /// What it is doing: `profiles and baseline`, `optimising`, `window 3 of 12`, `done`, …
    pub phase: String,
    /// Started, UTC epoch ms.
    pub started_ms: i64,
    /// Finished, UTC epoch ms.
    pub finished_ms: Option<i64>,
    /// The run's `summary.json` (KPIs of the optimum and the baseline, solver figures), when done.
    pub summary: Option<Value>,
    /// Why it failed.
    pub error: Option<String>,
}

/// The runs of one server.
#[derive(Debug, Clone)]
pub struct Runs {
    park: Arc<Park>,
    all: Arc<Mutex<BTreeMap<u64, RunInfo>>>,
}

/// Why a run was not started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartError {
    /// Another is running (its id).
    Busy(u64),
    /// The request cannot run on the park (a window outside its year, …).
    Invalid(String),
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Runs {
    /// No runs yet, on `park`.
    pub fn new(park: Arc<Park>) -> Self {
        Runs {
            park,
            all: Arc::new(Mutex::new(BTreeMap::new())),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, RunInfo>> {
        self.all.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts `spec` for `by`; its id.
    ///
    /// # Errors
    /// [`StartError::Busy`] while another runs; [`StartError::Invalid`] for a request the park
    /// cannot take (checked before the thread starts).
    pub fn start(&self, spec: RunSpec, by: &str) -> Result<u64, StartError> {
        let request = Request {
            strategy: spec.strategy,
            window: spec.window,
            ..Request::default()
        };
        request
            .check(&self.park)
            .map_err(|e| StartError::Invalid(e.to_string()))?;
        let id = {
            let mut all = self.lock();
            if let Some(r) = all.values().find(|r| r.state == RunState::Running) {
                return Err(StartError::Busy(r.id));
            }
            let id = all.keys().next_back().map_or(1, |k| k + 1);
            all.insert(
                id,
                RunInfo {
                    id,
                    spec,
                    started_by: by.to_string(),
                    state: RunState::Running,
                    phase: "profiles and baseline".into(),
                    started_ms: now_ms(),
                    finished_ms: None,
                    summary: None,
                    error: None,
                },
            );
            id
        };
        let (park, all) = (self.park.clone(), self.all.clone());
        std::thread::spawn(move || {
            let set = |f: &dyn Fn(&mut RunInfo)| {
                if let Some(r) = all
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .get_mut(&id)
                {
                    f(r);
                }
            };
            let outcome = run_year(&park, &request, &mut |p| {
                let phase = match p {
                    Progress::Optimising { .. } => "optimising".to_string(),
                    Progress::Window { done, total } => format!("window {done} of {total}"),
                    Progress::Optimised => "optimised; network and baseline".to_string(),
                };
                set(&|r| r.phase.clone_from(&phase));
            });
            let finished = now_ms();
            match outcome {
                Ok(run) => {
                    let summary = run.summary();
                    set(&|r| {
                        r.state = RunState::Done;
                        r.phase = "done".into();
                        r.finished_ms = Some(finished);
                        r.summary = Some(summary.clone());
                    });
                }
                Err(e) => {
                    let text = e.to_string();
                    set(&|r| {
                        r.state = RunState::Failed;
                        r.phase = "failed".into();
                        r.finished_ms = Some(finished);
                        r.error = Some(text.clone());
                    });
                }
            }
        });
        Ok(id)
    }

    /// Every run, newest first.
    pub fn list(&self) -> Vec<RunInfo> {
        self.lock().values().rev().cloned().collect()
    }

    /// The run `id`.
    pub fn get(&self, id: u64) -> Option<RunInfo> {
        self.lock().get(&id).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_runs_to_its_summary_and_one_runs_at_a_time() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/yanqing.toml");
        let park = Arc::new(crate::park::load(&path).expect("yanqing").0);
        let runs = Runs::new(park);
        let day = |d| {
            Some(Window {
                from: chrono::NaiveDate::from_ymd_opt(2025, 1, d).expect("date"),
                days: 2,
            })
        };
        let outside = RunSpec {
            window: Some(Window {
                from: chrono::NaiveDate::from_ymd_opt(2030, 1, 1).expect("date"),
                days: 2,
            }),
            strategy: Strategy::Rule,
        };
        assert!(matches!(
            runs.start(outside, "t"),
            Err(StartError::Invalid(_))
        ));
        let id = runs
            .start(
                RunSpec {
                    window: day(15),
                    strategy: Strategy::Rule,
                },
                "t",
            )
            .expect("starts");
        let second = runs.start(
            RunSpec {
                window: day(16),
                strategy: Strategy::Rule,
            },
            "t",
        );
        // Either the first is still running (busy) or it has already finished (then this runs).
        if let Err(e) = &second {
            assert_eq!(*e, StartError::Busy(id));
        }
        let start = std::time::Instant::now();
        while runs.list().iter().any(|r| r.state == RunState::Running) {
            assert!(start.elapsed().as_secs() < 120, "{:?}", runs.get(id));
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let r = runs.get(id).expect("kept");
        assert_eq!(r.state, RunState::Done, "{:?}", r.error);
        let summary = r.summary.expect("summary");
        assert!(
            summary["total_cost_cny"].as_f64().is_some_and(|c| c > 0.0),
            "{summary}"
        );
        assert_eq!(summary["period"]["n_steps"], 48, "{summary}");
    }
}
