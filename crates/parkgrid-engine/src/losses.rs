//! Losses fed back: the dispatch models no network losses, so the import it buys falls short of
//! the import the power flow of its schedule needs. An outer iteration adds the difference, step
//! by step, as demand at the grid connection's bus and dispatches again until the two agree.

use parkgrid_dispatch::Outcome;
use parkgrid_model::Park;
use parkgrid_powerflow::{Lowered, StepCheck, Workspace};
use parkgrid_resource::ParkProfiles;
use serde_json::{Value, json};

use crate::EngineError;
use crate::network::{check_all, dispatch_import};

/// How close the power flow's and the dispatch's imports over the run must come, relative to
/// the dispatch's.
pub const LOSS_TOLERANCE_REL: f64 = 1e-3;

/// Dispatch runs after the first, at most.
pub const MAX_ROUNDS: usize = 6;

/// How the dispatch and the power flow were brought to agree on the import.
#[derive(Debug, Clone, PartialEq)]
pub struct LossFeedback {
    /// Dispatch runs after the first.
    pub rounds: usize,
    /// Import the power flow needs over its converged steps, kWh.
    pub import_power_flow_kwh: f64,
    /// Import the dispatch buys over the same steps, kWh.
    pub import_dispatch_kwh: f64,
    /// Losses fed back as demand at the grid connection, kWh.
    pub fed_back_kwh: f64,
    /// The disagreement before any feedback (relative to the dispatch's import).
    pub initial_disagreement_rel: f64,
    /// Why it stopped before agreeing, if it did.
    pub stopped: Option<String>,
}

impl LossFeedback {
    /// |power flow's import − dispatch's import| / max(1 kWh, |dispatch's import|).
    pub fn disagreement(&self) -> f64 {
        (self.import_power_flow_kwh - self.import_dispatch_kwh).abs()
            / self.import_dispatch_kwh.abs().max(1.0)
    }

    /// Whether the two imports agree within [`LOSS_TOLERANCE_REL`].
    pub fn agreed(&self) -> bool {
        self.stopped.is_none() && self.disagreement() <= LOSS_TOLERANCE_REL
    }

    /// `summary.json`'s `network.loss_feedback.<which>`.
    pub fn json(&self) -> Value {
        json!({
            "rounds": self.rounds,
            "import_power_flow_kwh": self.import_power_flow_kwh,
            "import_dispatch_kwh": self.import_dispatch_kwh,
            "disagreement_rel": self.disagreement(),
            "fed_back_kwh": self.fed_back_kwh,
            "initial_disagreement_rel": self.initial_disagreement_rel,
            "stopped": self.stopped,
        })
    }

    /// One line for a terminal; `which` names the schedule ("dispatch", "baseline").
    pub fn describe(&self, which: &str) -> String {
        format!(
            "losses fed back into the {which}: {:.1} MWh in {} round{}; the power flow's import {:.1} MWh, the {which}'s {:.1} MWh: {:.3} % apart (before: {:.2} %){}",
            self.fed_back_kwh / 1000.0,
            self.rounds,
            if self.rounds == 1 { "" } else { "s" },
            self.import_power_flow_kwh / 1000.0,
            self.import_dispatch_kwh / 1000.0,
            self.disagreement() * 100.0,
            self.initial_disagreement_rel * 100.0,
            match (&self.stopped, self.disagreement() > LOSS_TOLERANCE_REL) {
                (Some(why), _) => format!(", NOT within 0.1 % ({why})"),
                (None, true) => ", NOT within 0.1 %".to_string(),
                (None, false) => String::new(),
            }
        )
    }
}

/// What [`feed_back_losses`] ends with: the last schedule, how it got there, and the network
/// check of every step of that schedule with its time in seconds (for the run's network check,
/// which need not solve the steps again).
pub struct FedBack {
    /// The schedule whose import agrees with its power flow (or the last one tried).
    pub outcome: Outcome,
    /// The rounds and figures.
    pub feedback: LossFeedback,
    /// Every step's check of `outcome`, and the seconds they took.
    pub checks: (Vec<StepCheck>, f64),
}

/// Runs `dispatch` until the import the power flow of its schedule needs and the import it buys
/// agree within [`LOSS_TOLERANCE_REL`] over the run (at most [`MAX_ROUNDS`] more runs): each round
/// adds the difference, step by step, to a demand at the first grid connection's bus.
///
/// # Errors
/// [`EngineError::Input`] when the park has no grid connection; whatever `dispatch` returns.
pub fn feed_back_losses(
    park: &Park,
    lowered: &Lowered,
    profiles: &ParkProfiles,
    first: Outcome,
    dispatch: &mut dyn FnMut(&ParkProfiles) -> Result<Outcome, EngineError>,
) -> Result<FedBack, EngineError> {
    let n = profiles.axis.n_steps;
    let dt = profiles.axis.step_h();
    let Some(bus) = park.grid.first().map(|g| g.bus.clone()) else {
        return Err(EngineError::Input(
            "loss feedback needs a grid connection".into(),
        ));
    };
    let mut extra = vec![0.0; n];
    let mut with_losses = profiles.clone();
    let mut current = first;
    let mut ws = Workspace::default();
    let mut initial = None;
    let mut rounds = 0;
    loop {
        let (checks, secs) = check_all(park, lowered, &current, n, &mut ws);
        let disp = dispatch_import(&current, n);
        let mut fb = LossFeedback {
            rounds,
            import_power_flow_kwh: 0.0,
            import_dispatch_kwh: 0.0,
            fed_back_kwh: extra.iter().sum::<f64>() * dt,
            initial_disagreement_rel: 0.0,
            stopped: None,
        };
        for (c, d) in checks.iter().zip(&disp).filter(|(c, _)| c.converged) {
            fb.import_power_flow_kwh += c.import_kw * dt;
            fb.import_dispatch_kwh += d * dt;
        }
        fb.initial_disagreement_rel = *initial.get_or_insert(fb.disagreement());
        if rounds == MAX_ROUNDS && fb.disagreement() > LOSS_TOLERANCE_REL {
            fb.stopped = Some(format!("not settled after {MAX_ROUNDS} rounds"));
        }
        if fb.disagreement() <= LOSS_TOLERANCE_REL || fb.stopped.is_some() {
            return Ok(FedBack {
                outcome: current,
                feedback: fb,
                checks: (checks, secs),
            });
        }
        for ((e, c), d) in extra.iter_mut().zip(&checks).zip(&disp) {
            if c.converged {
                *e += c.import_kw - d;
            }
        }
        with_losses.extra_demand_kw = vec![(bus.clone(), extra.clone())];
        let next = dispatch(&with_losses)?;
        if !next.has_schedule() {
            // The park cannot carry its losses as well: keep the last schedule, and say so.
            fb.stopped = Some(format!(
                "round {} has no schedule: {:?}",
                rounds + 1,
                next.status
            ));
            return Ok(FedBack {
                outcome: current,
                feedback: fb,
                checks: (checks, secs),
            });
        }
        current = next;
        rounds += 1;
    }
}
