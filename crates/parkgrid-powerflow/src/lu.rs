//! Sparse LU for Newton's Jacobians: the pattern is the same every iteration, so the first
//! factorisation fixes everything but the numbers — the column order (approximate minimum degree
//! on the pattern of `J + Jᵀ`, which suits the structurally symmetric power-flow Jacobian), the
//! row pivots and the patterns of `L` and `U`. Later iterations refactor numerically along those
//! patterns without any graph search, as KLU's refactorisation does; if a pivot has become too
//! small the caller factorises afresh.
//!
//! The first factorisation tries the diagonal pivots of the ordered matrix first: their `L` and
//! `U` patterns are those of the Cholesky factor of the ordered `J + Jᵀ` (elimination tree and
//! row subtrees, Davis, *Direct Methods for Sparse Linear Systems*, SIAM 2006, §4.1–4.2), found
//! without numbers, and the numbers then come from the same left-looking loop as a
//! refactorisation. A diagonal pivot is kept only where threshold partial pivoting would keep it
//! (`|d| ≥ 10⁻³·max|column below|`, KLU's default tolerance); where one is not, faer's simplicial
//! LU with partial pivoting factorises instead.

use faer::dyn_stack::{MemBuffer, MemStack, StackReq};
use faer::perm::PermRef;
use faer::sparse::SparseColMatRef;
use faer::sparse::linalg::amd;
use faer::sparse::linalg::lu::simplicial::{
    SimplicialLu, factorize_simplicial_numeric_lu, factorize_simplicial_numeric_lu_scratch,
};

/// The threshold of the diagonal pivots of the first factorisation: a pivot at least this share
/// of the largest entry below it in its column (KLU's default partial-pivoting tolerance).
const DIAGONAL_PIVOT_TOLERANCE: f64 = 1e-3;

/// A factorised Jacobian and what its refactorisation reuses. Row indices of the factors are
/// `u32` (half the memory traffic of `usize` in the inner loops; a Jacobian of more than 4·10⁹
/// rows is not a park's).
pub(crate) struct SparseLu {
    n: usize,
    /// Pivot row `k` is original row `row_fwd[k]`; original row `r` is pivot row `row_inv[r]`.
    row_inv: Vec<usize>,
    row_fwd: Vec<usize>,
    /// Column `k` of the permuted matrix is original column `col_fwd[k]`.
    col_fwd: Vec<usize>,
    /// Strictly lower part of `L` (unit diagonal implied), by column, in pivot row space.
    l_ptr: Vec<usize>,
    l_idx: Vec<u32>,
    l_val: Vec<f64>,
    /// Strictly upper part of `U` by column, rows ascending, in pivot row space.
    u_ptr: Vec<usize>,
    u_idx: Vec<u32>,
    u_val: Vec<f64>,
    /// Diagonal of `U`.
    diag: Vec<f64>,
    work: Vec<f64>,
}

impl SparseLu {
    /// Orders and factorises `a` (square); `None` if it is singular.
    pub(crate) fn new(a: SparseColMatRef<'_, usize, f64>) -> Option<Self> {
        let n = a.ncols();
        if u32::try_from(n).is_err() {
            return None;
        }
        let mut col_fwd = vec![0usize; n];
        let mut col_inv = vec![0usize; n];
        let nnz = a.compute_nnz();
        let mut mem = MemBuffer::try_new(StackReq::any_of(&[
            amd::order_scratch::<usize>(n, nnz),
            factorize_simplicial_numeric_lu_scratch::<usize, f64>(n, n),
        ]))
        .ok()?;
        amd::order(
            &mut col_fwd,
            &mut col_inv,
            a.symbolic(),
            amd::Control::default(),
            MemStack::new(&mut mem),
        )
        .ok()?;
        if let Some(s) = Self::diagonal(a, &col_fwd, &col_inv) {
            return Some(s);
        }
        let mut lu = SimplicialLu::<usize, f64>::new();
        let mut row_fwd = vec![0usize; n];
        let mut row_inv = vec![0usize; n];
        factorize_simplicial_numeric_lu(
            &mut row_fwd,
            &mut row_inv,
            &mut lu,
            a,
            PermRef::new_checked(&col_fwd, &col_inv, n),
            MemStack::new(&mut mem),
        )
        .ok()?;
        // Copy the patterns out: L without its unit diagonal, U's columns sorted, diagonal apart.
        let (l, u) = (lu.l_factor_unsorted(), lu.u_factor_unsorted());
        let mut s = SparseLu {
            n,
            row_inv,
            row_fwd,
            col_fwd,
            l_ptr: vec![0],
            l_idx: Vec::new(),
            l_val: Vec::new(),
            u_ptr: vec![0],
            u_idx: Vec::new(),
            u_val: Vec::new(),
            diag: vec![0.0; n],
            work: vec![0.0; n],
        };
        for j in 0..n {
            for (&i, &v) in l.row_idx_of_col_raw(j).iter().zip(l.val_of_col(j)) {
                if i != j {
                    s.l_idx.push(i as u32);
                    s.l_val.push(v);
                }
            }
            s.l_ptr.push(s.l_idx.len());
            let mut col: Vec<(usize, f64)> = u
                .row_idx_of_col_raw(j)
                .iter()
                .zip(u.val_of_col(j))
                .map(|(&i, &v)| (i, v))
                .collect();
            col.sort_unstable_by_key(|&(i, _)| i);
            for (i, v) in col {
                if i == j {
                    s.diag[j] = v;
                } else {
                    s.u_idx.push(i as u32);
                    s.u_val.push(v);
                }
            }
            s.u_ptr.push(s.u_idx.len());
        }
        s.diag
            .iter()
            .all(|d| *d != 0.0 && d.is_finite())
            .then_some(s)
    }

    /// The factorisation with the diagonal pivots of `a` ordered by `col_fwd` (inverse
    /// `col_inv`), its patterns from the elimination tree of the ordered `a + aᵀ`; `None` where a
    /// diagonal pivot fails the threshold test.
    fn diagonal(
        a: SparseColMatRef<'_, usize, f64>,
        col_fwd: &[usize],
        col_inv: &[usize],
    ) -> Option<Self> {
        const NONE: usize = usize::MAX;
        let n = a.ncols();
        // Neighbours of each ordered index in the pattern of the ordered a + aᵀ, as one flat
        // array (`adj_idx[adj_ptr[i]..adj_ptr[i + 1]]`; an entry twice where a has both).
        let mut adj_ptr = vec![0usize; n + 1];
        for c in 0..n {
            let j = col_inv[c];
            for &r in a.row_idx_of_col_raw(c) {
                let i = col_inv[r];
                if i != j {
                    adj_ptr[i + 1] += 1;
                    adj_ptr[j + 1] += 1;
                }
            }
        }
        for i in 0..n {
            adj_ptr[i + 1] += adj_ptr[i];
        }
        let mut fill = adj_ptr[..n].to_vec();
        let mut adj_idx = vec![0usize; adj_ptr[n]];
        for c in 0..n {
            let j = col_inv[c];
            for &r in a.row_idx_of_col_raw(c) {
                let i = col_inv[r];
                if i != j {
                    adj_idx[fill[i]] = j;
                    fill[i] += 1;
                    adj_idx[fill[j]] = i;
                    fill[j] += 1;
                }
            }
        }
        let adj = |i: usize| &adj_idx[adj_ptr[i]..adj_ptr[i + 1]];
        // Elimination tree (Liu's algorithm with path compression).
        let (mut parent, mut ancestor) = (vec![NONE; n], vec![NONE; n]);
        for k in 0..n {
            for &start in adj(k) {
                let mut i = start;
                while i != NONE && i < k {
                    let next = ancestor[i];
                    ancestor[i] = k;
                    if next == NONE {
                        parent[i] = k;
                    }
                    i = next;
                }
            }
        }
        // Row k of L: the row subtree of k (every j < k reached from a neighbour j' < k of k up
        // the tree before k), which is also column k of U.
        let mut mark = vec![NONE; n];
        let mut u_ptr = Vec::with_capacity(n + 1);
        u_ptr.push(0);
        let mut u_idx = Vec::new();
        let mut l_count = vec![0usize; n];
        for k in 0..n {
            mark[k] = k;
            let first = u_idx.len();
            for &start in adj(k) {
                let mut i = start;
                while i < k && mark[i] != k {
                    mark[i] = k;
                    u_idx.push(i as u32);
                    i = parent[i];
                }
            }
            u_idx[first..].sort_unstable();
            for &j in &u_idx[first..] {
                l_count[j as usize] += 1;
            }
            u_ptr.push(u_idx.len());
        }
        // Columns of L: the transpose of the rows, ascending because k ascends.
        let mut l_ptr = Vec::with_capacity(n + 1);
        l_ptr.push(0);
        for c in &l_count {
            l_ptr.push(l_ptr.last().copied().unwrap_or(0) + c);
        }
        let mut next = l_ptr[..n].to_vec();
        let mut l_idx = vec![0u32; u_idx.len()];
        for k in 0..n {
            for &j in &u_idx[u_ptr[k]..u_ptr[k + 1]] {
                let j = j as usize;
                l_idx[next[j]] = k as u32;
                next[j] += 1;
            }
        }
        let nnz_l = l_idx.len();
        let mut s = SparseLu {
            n,
            row_inv: col_inv.to_vec(),
            row_fwd: col_fwd.to_vec(),
            col_fwd: col_fwd.to_vec(),
            l_ptr,
            l_idx,
            l_val: vec![0.0; nnz_l],
            u_val: vec![0.0; u_idx.len()],
            u_ptr,
            u_idx,
            diag: vec![0.0; n],
            work: vec![0.0; n],
        };
        s.numeric(a, DIAGONAL_PIVOT_TOLERANCE).then_some(s)
    }

    /// Refactorises `a` (same pattern as at [`SparseLu::new`]) with the same pivots; false when a
    /// pivot fell below 1e-10 of its column, so the caller should factorise afresh.
    pub(crate) fn refactor(&mut self, a: SparseColMatRef<'_, usize, f64>) -> bool {
        self.numeric(a, 0.0)
    }

    /// The left-looking numeric factorisation of `a` along the fixed pivots and patterns; false
    /// when a pivot is below 1e-10 of its column's largest entry in `a`, or below `tolerance`
    /// times the largest entry of its column of `L` before the division.
    fn numeric(&mut self, a: SparseColMatRef<'_, usize, f64>, tolerance: f64) -> bool {
        let x = &mut self.work;
        for j in 0..self.n {
            let c = self.col_fwd[j];
            let mut scale = 0.0f64;
            for (&r, &v) in a.row_idx_of_col_raw(c).iter().zip(a.val_of_col(c)) {
                x[self.row_inv[r]] = v;
                scale = scale.max(v.abs());
            }
            let (u0, u1) = (self.u_ptr[j], self.u_ptr[j + 1]);
            for (&k, u) in self.u_idx[u0..u1].iter().zip(&mut self.u_val[u0..u1]) {
                let k = k as usize;
                let ukj = x[k];
                x[k] = 0.0;
                *u = ukj;
                if ukj != 0.0 {
                    let (l0, l1) = (self.l_ptr[k], self.l_ptr[k + 1]);
                    for (&i, &l) in self.l_idx[l0..l1].iter().zip(&self.l_val[l0..l1]) {
                        x[i as usize] -= l * ukj;
                    }
                }
            }
            let d = x[j];
            x[j] = 0.0;
            let (l0, l1) = (self.l_ptr[j], self.l_ptr[j + 1]);
            let below = if tolerance > 0.0 {
                self.l_idx[l0..l1]
                    .iter()
                    .map(|&i| x[i as usize].abs())
                    .fold(0.0, f64::max)
            } else {
                0.0
            };
            let pivot_ok = d.abs() > 1e-10 * scale && d.abs() >= tolerance * below;
            if !pivot_ok {
                x.iter_mut().for_each(|v| *v = 0.0);
                return false;
            }
            self.diag[j] = d;
            for (&i, l) in self.l_idx[l0..l1].iter().zip(&mut self.l_val[l0..l1]) {
                let i = i as usize;
                *l = x[i] / d;
                x[i] = 0.0;
            }
        }
        true
    }

    /// Solves `A·x = b` in place.
    pub(crate) fn solve(&mut self, b: &mut [f64]) {
        let y = &mut self.work;
        for k in 0..self.n {
            y[k] = b[self.row_fwd[k]];
        }
        for k in 0..self.n {
            let yk = y[k];
            if yk != 0.0 {
                let (l0, l1) = (self.l_ptr[k], self.l_ptr[k + 1]);
                for (&i, &l) in self.l_idx[l0..l1].iter().zip(&self.l_val[l0..l1]) {
                    y[i as usize] -= l * yk;
                }
            }
        }
        for k in (0..self.n).rev() {
            let yk = y[k] / self.diag[k];
            y[k] = yk;
            if yk != 0.0 {
                let (u0, u1) = (self.u_ptr[k], self.u_ptr[k + 1]);
                for (&i, &u) in self.u_idx[u0..u1].iter().zip(&self.u_val[u0..u1]) {
                    y[i as usize] -= u * yk;
                }
            }
        }
        for k in 0..self.n {
            b[self.col_fwd[k]] = y[k];
            y[k] = 0.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::sparse::{SparseColMat, Triplet};

    fn matrix(entries: &[(usize, usize, f64)], n: usize) -> SparseColMat<usize, f64> {
        let t: Vec<Triplet<usize, usize, f64>> = entries
            .iter()
            .map(|&(r, c, v)| Triplet::new(r, c, v))
            .collect();
        SparseColMat::try_new_from_triplets(n, n, &t).expect("matrix")
    }

    #[test]
    fn factorises_refactorises_and_solves() {
        // A structurally symmetric, unsymmetric-valued matrix that needs pivoting (zero diagonal).
        let pattern = [
            (0, 0, 0.0),
            (0, 1, 2.0),
            (1, 0, 3.0),
            (1, 1, 1.0),
            (1, 2, -1.0),
            (2, 1, 4.0),
            (2, 2, 5.0),
            (2, 3, 1.0),
            (3, 2, -2.0),
            (3, 3, 6.0),
        ];
        let a = matrix(&pattern, 4);
        let mut lu = SparseLu::new(a.as_ref()).expect("regular");
        let x_true = [1.0, -2.0, 0.5, 3.0];
        let mul = |m: &SparseColMat<usize, f64>, x: &[f64]| {
            let mut b = vec![0.0; 4];
            for (j, xj) in x.iter().enumerate() {
                for (&i, &v) in m.row_idx_of_col_raw(j).iter().zip(m.val_of_col(j)) {
                    b[i] += v * xj;
                }
            }
            b
        };
        let mut b = mul(&a, &x_true);
        lu.solve(&mut b);
        for (x, t) in b.iter().zip(x_true) {
            assert!((x - t).abs() < 1e-12, "{b:?}");
        }
        // New values on the same pattern.
        let scaled: Vec<(usize, usize, f64)> = pattern
            .iter()
            .map(|&(r, c, v)| (r, c, v * 1.3 + if r == c { 0.2 } else { 0.0 }))
            .collect();
        let a2 = matrix(&scaled, 4);
        assert!(lu.refactor(a2.as_ref()));
        let mut b = mul(&a2, &x_true);
        lu.solve(&mut b);
        for (x, t) in b.iter().zip(x_true) {
            assert!((x - t).abs() < 1e-12, "{b:?}");
        }
    }

    /// A diagonally dominant, structurally unsymmetric matrix keeps its diagonal pivots (the
    /// patterns from the elimination tree, fill included) and solves to rounding; the matrix
    /// above, with a zero on its diagonal, falls back to partial pivoting.
    #[test]
    fn diagonal_pivots_where_they_are_safe() {
        let n = 40;
        let mut entries = Vec::new();
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for i in 0..n {
            entries.push((i, i, 10.0 + (next() % 7) as f64));
            for _ in 0..3 {
                let j = (next() % n as u64) as usize;
                if j != i {
                    entries.push((i, j, ((next() % 200) as f64 - 100.0) / 100.0));
                }
            }
        }
        let a = matrix(&entries, n);
        let mut lu = SparseLu::new(a.as_ref()).expect("regular");
        assert_eq!(lu.row_fwd, lu.col_fwd, "diagonal pivots kept");
        let x_true: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin()).collect();
        let mut b = vec![0.0; n];
        for (j, xj) in x_true.iter().enumerate() {
            for (&i, &v) in a.row_idx_of_col_raw(j).iter().zip(a.val_of_col(j)) {
                b[i] += v * xj;
            }
        }
        lu.solve(&mut b);
        for (x, t) in b.iter().zip(&x_true) {
            assert!((x - t).abs() < 1e-12, "{x} vs {t}");
        }
        let zero_diagonal = matrix(&[(0, 1, 2.0), (1, 0, 3.0), (1, 1, 1.0)], 2);
        let lu = SparseLu::new(zero_diagonal.as_ref()).expect("regular");
        assert_ne!(
            lu.row_fwd, lu.col_fwd,
            "partial pivoting where the diagonal is zero"
        );
    }
}
