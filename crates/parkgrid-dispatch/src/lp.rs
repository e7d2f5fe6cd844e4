//! A solver-independent linear programme: variables with bounds and costs, rows with names.
//!
//! Rows and variables are named `family[element,t]` (e.g. `battery.soc[bat1,17]`), so a row that
//! cannot be met can be traced back to the asset and step. Names are interned: a block of
//! variables costs one name for all its steps, a row three integers, and strings are made only
//! when asked for.

use std::collections::HashMap;

/// Index of a variable.
pub type VarId = usize;

/// Row sense.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sense {
    /// `Σ a·x ≤ rhs`
    Le,
    /// `Σ a·x ≥ rhs`
    Ge,
    /// `Σ a·x = rhs`
    Eq,
}

/// One constraint row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// `(variable, coefficient)` pairs.
    pub terms: Vec<(VarId, f64)>,
    /// The sense.
    pub sense: Sense,
    /// Right-hand side.
    pub rhs: f64,
}

/// Consecutive variables, one per time step (or per day, month…).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block {
    /// First variable.
    pub start: VarId,
    /// Number of variables.
    pub len: usize,
}

impl Block {
    /// The variable of step `t`.
    pub fn at(self, t: usize) -> VarId {
        debug_assert!(t < self.len);
        self.start + t
    }
}

/// An interned name `family[element,index]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Name {
    family: u32,
    element: u32,
    index: u32,
}

/// The linear programme: minimise `Σ cost·x + constant` subject to rows and bounds.
#[derive(Debug, Clone, Default)]
pub struct Lp {
    /// Lower bounds.
    pub lb: Vec<f64>,
    /// Upper bounds.
    pub ub: Vec<f64>,
    /// Objective coefficients.
    pub cost: Vec<f64>,
    /// True for integer variables.
    pub integer: Vec<bool>,
    /// Rows.
    pub rows: Vec<Row>,
    /// Constant part of the objective.
    pub constant: f64,
    /// `(first variable, family, element)` of each block, in order.
    var_blocks: Vec<(VarId, u32, u32)>,
    row_names: Vec<Name>,
    strings: Vec<String>,
    interned: HashMap<String, u32>,
}

impl Lp {
    fn intern(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.interned.get(s) {
            return i;
        }
        let i = self.strings.len() as u32;
        self.strings.push(s.to_string());
        self.interned.insert(s.to_string(), i);
        i
    }

    /// Number of variables.
    pub fn n_vars(&self) -> usize {
        self.lb.len()
    }

    /// Number of non-zero coefficients in the rows.
    pub fn n_nonzeros(&self) -> usize {
        self.rows.iter().map(|r| r.terms.len()).sum()
    }

    /// Adds `len` variables `family[element,t]` with bounds and costs given per step.
    pub fn add_block(
        &mut self,
        family: &str,
        element: &str,
        len: usize,
        bounds: impl Fn(usize) -> (f64, f64),
        cost: impl Fn(usize) -> f64,
    ) -> Block {
        let (f, e) = (self.intern(family), self.intern(element));
        let start = self.n_vars();
        self.var_blocks.push((start, f, e));
        for t in 0..len {
            let (lo, hi) = bounds(t);
            self.lb.push(lo);
            self.ub.push(hi);
            self.cost.push(cost(t));
            self.integer.push(false);
        }
        Block { start, len }
    }

    /// Adds a row `family[element,index]`; returns its index.
    pub fn add_row(
        &mut self,
        family: &str,
        element: &str,
        index: usize,
        terms: Vec<(VarId, f64)>,
        sense: Sense,
        rhs: f64,
    ) -> usize {
        let (f, e) = (self.intern(family), self.intern(element));
        self.row_names.push(Name {
            family: f,
            element: e,
            index: index as u32,
        });
        self.rows.push(Row { terms, sense, rhs });
        self.rows.len() - 1
    }

    fn name(&self, n: Name) -> String {
        format!(
            "{}[{},{}]",
            self.strings[n.family as usize], self.strings[n.element as usize], n.index
        )
    }

    /// The name of row `i`.
    pub fn row_name(&self, i: usize) -> String {
        self.name(self.row_names[i])
    }

    /// The name of variable `v`.
    pub fn var_name(&self, v: VarId) -> String {
        let k = self.var_blocks.partition_point(|&(start, _, _)| start <= v);
        match k.checked_sub(1).map(|k| self.var_blocks[k]) {
            Some((start, family, element)) => self.name(Name {
                family,
                element,
                index: (v - start) as u32,
            }),
            None => format!("x[{v}]"),
        }
    }

    /// Number of integer variables.
    pub fn n_integer(&self) -> usize {
        self.integer.iter().filter(|&&i| i).count()
    }

    /// The objective value of `x`.
    pub fn objective(&self, x: &[f64]) -> f64 {
        self.constant + self.cost.iter().zip(x).map(|(c, v)| c * v).sum::<f64>()
    }

    /// The largest violation of any row or bound by `x`, in the rows' own units.
    pub fn max_violation(&self, x: &[f64]) -> (f64, Option<usize>) {
        let mut worst = (0.0, None);
        for (i, row) in self.rows.iter().enumerate() {
            let lhs: f64 = row.terms.iter().map(|&(v, a)| a * x[v]).sum();
            let v = match row.sense {
                Sense::Le => (lhs - row.rhs).max(0.0),
                Sense::Ge => (row.rhs - lhs).max(0.0),
                Sense::Eq => (lhs - row.rhs).abs(),
            };
            if v > worst.0 {
                worst = (v, Some(i));
            }
        }
        worst
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_traceable() {
        let mut lp = Lp::default();
        let b = lp.add_block("battery.soc", "bat1", 3, |_| (0.0, 10.0), |_| 0.0);
        let r = lp.add_row(
            "battery.energy",
            "bat1",
            2,
            vec![(b.at(2), 1.0), (b.at(1), -1.0)],
            Sense::Eq,
            0.0,
        );
        assert_eq!(lp.var_name(b.at(2)), "battery.soc[bat1,2]");
        assert_eq!(lp.row_name(r), "battery.energy[bat1,2]");
        assert_eq!(lp.max_violation(&[0.0, 1.0, 3.0]), (2.0, Some(0)));
    }
}
