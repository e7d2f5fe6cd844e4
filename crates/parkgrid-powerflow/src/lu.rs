//! Sparse LU for Newton's Jacobians: the pattern is the same every iteration, so the first
//! factorisation fixes everything but the numbers — the column order (approximate minimum degree
//! on the pattern of `J + Jᵀ`, which suits the structurally symmetric power-flow Jacobian), the
//! row pivots (faer's simplicial left-looking LU with partial pivoting) and the patterns of `L` and
//! `U`. Later iterations refactor numerically along those patterns without any graph search, as
//! KLU's refactorisation does; if a pivot has become too small the caller factorises afresh.

use faer::dyn_stack::{MemBuffer, MemStack, StackReq};
use faer::perm::PermRef;
use faer::sparse::SparseColMatRef;
use faer::sparse::linalg::amd;
use faer::sparse::linalg::lu::simplicial::{
    SimplicialLu, factorize_simplicial_numeric_lu, factorize_simplicial_numeric_lu_scratch,
};

/// A factorised Jacobian and what its refactorisation reuses.
pub(crate) struct SparseLu {
    n: usize,
    /// Pivot row `k` is original row `row_fwd[k]`; original row `r` is pivot row `row_inv[r]`.
    row_inv: Vec<usize>,
    row_fwd: Vec<usize>,
    /// Column `k` of the permuted matrix is original column `col_fwd[k]`.
    col_fwd: Vec<usize>,
    /// Strictly lower part of `L` (unit diagonal implied), by column, in pivot row space.
    l_ptr: Vec<usize>,
    l_idx: Vec<usize>,
    l_val: Vec<f64>,
    /// Strictly upper part of `U` by column, rows ascending, in pivot row space.
    u_ptr: Vec<usize>,
    u_idx: Vec<usize>,
    u_val: Vec<f64>,
    /// Diagonal of `U`.
    diag: Vec<f64>,
    work: Vec<f64>,
}

impl SparseLu {
    /// Orders and factorises `a` (square); `None` if it is singular.
    pub(crate) fn new(a: SparseColMatRef<'_, usize, f64>) -> Option<Self> {
        let n = a.ncols();
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
                    s.l_idx.push(i);
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
                    s.u_idx.push(i);
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

    /// Refactorises `a` (same pattern as at [`SparseLu::new`]) with the same pivots; false when a
    /// pivot fell below 1e-10 of its column, so the caller should factorise afresh.
    pub(crate) fn refactor(&mut self, a: SparseColMatRef<'_, usize, f64>) -> bool {
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
                let ukj = x[k];
                x[k] = 0.0;
                *u = ukj;
                if ukj != 0.0 {
                    let (l0, l1) = (self.l_ptr[k], self.l_ptr[k + 1]);
                    for (&i, &l) in self.l_idx[l0..l1].iter().zip(&self.l_val[l0..l1]) {
                        x[i] -= l * ukj;
                    }
                }
            }
            let d = x[j];
            x[j] = 0.0;
            let pivot_ok = d.abs() > 1e-10 * scale;
            if !pivot_ok {
                x.iter_mut().for_each(|v| *v = 0.0);
                return false;
            }
            self.diag[j] = d;
            let (l0, l1) = (self.l_ptr[j], self.l_ptr[j + 1]);
            for (&i, l) in self.l_idx[l0..l1].iter().zip(&mut self.l_val[l0..l1]) {
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
                    y[i] -= l * yk;
                }
            }
        }
        for k in (0..self.n).rev() {
            let yk = y[k] / self.diag[k];
            y[k] = yk;
            if yk != 0.0 {
                let (u0, u1) = (self.u_ptr[k], self.u_ptr[k + 1]);
                for (&i, &u) in self.u_idx[u0..u1].iter().zip(&self.u_val[u0..u1]) {
                    y[i] -= u * yk;
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
}
