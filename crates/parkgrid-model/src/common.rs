//! Small types shared by several parts of the park file, and the checking context.

use std::path::PathBuf;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::diag::{Diagnostic, FieldPath};
use crate::network::Carrier;

/// A time series for one asset, read from a CSV file instead of the built-in models.
///
/// The file has a header row; the first column is an ISO 8601 timestamp with offset, one row per
/// step of the park's time axis; `column` names the column holding this asset's values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Profile {
    /// CSV file, relative to the directory of the park file.
    pub file: PathBuf,
    /// Column holding the values. Default: the asset's `id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// Unit of the values: `kw` (as is) or `per_unit` (multiplied by the asset's rating; PV and
    /// wind only).
    #[serde(default)]
    pub unit: ProfileUnit,
}

/// Unit of the values in a [`Profile`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProfileUnit {
    /// Kilowatts, used as they are.
    #[default]
    Kw,
    /// Per unit of the asset's rating (PV `p_dc_kw`, wind farm rated power).
    PerUnit,
}

/// A built-in electric demand shape (weekdays, weekends and Chinese public holidays).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LoadShape {
    /// Offices: working hours on working days.
    #[default]
    Office,
    /// Shops, restaurants, hotels: day and evening, every day.
    Commercial,
    /// Homes and dormitories: morning and evening peaks.
    Residential,
    /// Two-shift light industry and workshops.
    Industrial,
    /// Constant demand.
    Flat,
}

/// How a carrier set is described in messages.
pub(crate) fn carriers_text(carriers: &[Carrier]) -> String {
    let names: Vec<String> = carriers.iter().map(|c| c.describe().to_string()).collect();
    match names.as_slice() {
        [] => String::from("nothing"),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// The checking context: collects diagnostics and offers the common numeric checks.
#[derive(Debug, Default)]
pub struct Cx {
    /// Findings so far.
    pub diags: Vec<Diagnostic>,
}

impl Cx {
    /// Records a finding.
    pub fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// Records an error at `at.field`.
    pub fn error(&mut self, at: &FieldPath, field: &str, message: impl Into<String>) {
        self.push(Diagnostic::error(at.key(field), message));
    }

    /// Records a warning at `at.field`.
    pub fn warning(&mut self, at: &FieldPath, field: &str, message: impl Into<String>) {
        self.push(Diagnostic::warning(at.key(field), message));
    }

    fn finite(&mut self, at: &FieldPath, field: &str, v: f64) -> bool {
        if v.is_finite() {
            return true;
        }
        self.error(
            at,
            field,
            format!("{field} must be a finite number, got {}", Num(v)),
        );
        false
    }

    /// `v > 0`: ratings, capacities, areas.
    pub fn positive(&mut self, at: &FieldPath, field: &str, v: f64) {
        if self.finite(at, field, v) && v <= 0.0 {
            self.push(
                Diagnostic::error(
                    at.key(field),
                    format!("{field} must be greater than zero, got {}", Num(v)),
                )
                .with_hint(
                    "a rating of zero or less describes no equipment; remove the entry instead",
                ),
            );
        }
    }

    /// `v >= 0`: limits that may be zero, costs.
    pub fn non_negative(&mut self, at: &FieldPath, field: &str, v: f64) {
        if self.finite(at, field, v) && v < 0.0 {
            self.error(
                at,
                field,
                format!("{field} must not be negative, got {}", Num(v)),
            );
        }
    }

    /// `0 < v <= 1`: efficiencies.
    pub fn efficiency(&mut self, at: &FieldPath, field: &str, v: f64) {
        if self.finite(at, field, v) && !(v > 0.0 && v <= 1.0) {
            let hint = if v > 1.0 && v <= 100.0 {
                format!("efficiencies are fractions: write {} for {v} %", v / 100.0)
            } else {
                String::from("an efficiency is a fraction in (0, 1]")
            };
            self.push(
                Diagnostic::error(
                    at.key(field),
                    format!("{field} must be in (0, 1], got {}", Num(v)),
                )
                .with_hint(hint),
            );
        }
    }

    /// `0 <= v <= 1`: shares and state-of-charge bounds.
    pub fn fraction(&mut self, at: &FieldPath, field: &str, v: f64) {
        if self.finite(at, field, v) && !(0.0..=1.0).contains(&v) {
            let hint = if v > 1.0 && v <= 100.0 {
                format!(
                    "fractions are not percentages: write {} for {v} %",
                    v / 100.0
                )
            } else {
                String::from("a fraction lies in [0, 1]")
            };
            self.push(
                Diagnostic::error(
                    at.key(field),
                    format!("{field} must be in [0, 1], got {}", Num(v)),
                )
                .with_hint(hint),
            );
        }
    }

    /// `lo <= v <= hi`, with the unit for the message.
    pub fn within(&mut self, at: &FieldPath, field: &str, v: f64, lo: f64, hi: f64, unit: &str) {
        if self.finite(at, field, v) && !(lo..=hi).contains(&v) {
            self.error(
                at,
                field,
                format!(
                    "{field} must be between {lo} and {hi} {unit}, got {}",
                    Num(v)
                ),
            );
        }
    }

    /// An optional value, checked with `check` when present.
    pub fn opt(
        &mut self,
        at: &FieldPath,
        field: &str,
        v: Option<f64>,
        check: fn(&mut Self, &FieldPath, &str, f64),
    ) {
        if let Some(v) = v {
            check(self, at, field, v);
        }
    }

    /// Exactly one way of giving demand: built-in parameters or a profile.
    pub fn either_or(
        &mut self,
        at: &FieldPath,
        (a_name, a_given): (&str, bool),
        (b_name, b_given): (&str, bool),
    ) {
        match (a_given, b_given) {
            (true, true) => self.push(
                Diagnostic::error(
                    at.key(b_name),
                    format!("give either {a_name} or {b_name}, not both"),
                )
                .with_hint(format!(
                    "remove {a_name} to use the profile, or the profile to use {a_name}"
                )),
            ),
            (false, false) => self.push(
                Diagnostic::error(
                    at.clone(),
                    format!("neither {a_name} nor {b_name} is given"),
                )
                .with_hint(format!("add {a_name}, or a profile read from a CSV file")),
            ),
            _ => {}
        }
    }
}

/// A number as a message shows it: as written for everyday magnitudes, in exponent form beyond
/// them (1e300, not three hundred digits).
pub(crate) struct Num(pub f64);

impl std::fmt::Display for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let a = self.0.abs();
        if a != 0.0 && a.is_finite() && !(1e-6..1e15).contains(&a) {
            write!(f, "{:e}", self.0)
        } else {
            write!(f, "{}", self.0)
        }
    }
}
