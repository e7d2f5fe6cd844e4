//! Bus numbers to positions. Case files number buses freely (MATPOWER allows any positive
//! integer), but most number them densely from 1; a table indexed by the number answers those in
//! one load, a hash map the rest. Replaces ordered maps on the power flow's hot paths, where a
//! 10,000-bus case looks numbers up about 100,000 times per solve.

use std::collections::HashMap;

/// No position: the marker in the dense table.
const NONE: u32 = u32::MAX;

/// A map from bus number to position (`0..len`), built once per case.
#[derive(Debug, Clone)]
pub(crate) enum BusIndex {
    /// `table[id]` is the position of bus `id`, or [`NONE`].
    Dense {
        table: Vec<u32>,
        len: usize,
    },
    Sparse(HashMap<u32, usize>),
}

impl BusIndex {
    /// The index of `ids` by their position; a repeated number keeps its last position (case
    /// readers refuse repeats before this is built).
    pub(crate) fn new(ids: impl ExactSizeIterator<Item = u32> + Clone) -> Self {
        let n = ids.len();
        let max = ids.clone().max().map_or(0, |m| m as usize);
        // Dense when the table is at most 8 entries per bus (plus a little for small cases) and
        // positions fit the table's u32 cells.
        if max <= 8 * n + 1024 && u32::try_from(n).is_ok_and(|n| n < NONE) {
            let mut table = vec![NONE; max + 1];
            for (i, id) in ids.enumerate() {
                table[id as usize] = i as u32;
            }
            let len = table.iter().filter(|&&s| s != NONE).count();
            BusIndex::Dense { table, len }
        } else {
            BusIndex::Sparse(ids.enumerate().map(|(i, id)| (id, i)).collect())
        }
    }

    /// The position of bus `id`.
    #[inline]
    pub(crate) fn get(&self, id: u32) -> Option<usize> {
        match self {
            BusIndex::Dense { table, .. } => match table.get(id as usize) {
                Some(&s) if s != NONE => Some(s as usize),
                _ => None,
            },
            BusIndex::Sparse(map) => map.get(&id).copied(),
        }
    }

    /// True when bus `id` is in the index.
    #[inline]
    pub(crate) fn contains(&self, id: u32) -> bool {
        self.get(id).is_some()
    }

    /// The number of distinct buses.
    pub(crate) fn len(&self) -> usize {
        match self {
            BusIndex::Dense { len, .. } => *len,
            BusIndex::Sparse(map) => map.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::BusIndex;

    #[test]
    fn dense_and_sparse_numbers_alike() {
        for ids in [vec![3u32, 1, 2, 7], vec![10, 4_000_000_000, 5, 123_456]] {
            let index = BusIndex::new(ids.iter().copied());
            assert_eq!(index.len(), ids.len());
            for (i, &id) in ids.iter().enumerate() {
                assert_eq!(index.get(id), Some(i));
            }
            assert_eq!(index.get(6), None);
            assert_eq!(index.get(u32::MAX), None);
            assert!(!index.contains(0));
        }
        assert!(matches!(
            BusIndex::new([1u32, 2, 3].into_iter()),
            BusIndex::Dense { .. }
        ));
        assert!(matches!(
            BusIndex::new([1u32, 4_000_000_000].into_iter()),
            BusIndex::Sparse(_)
        ));
    }
}
