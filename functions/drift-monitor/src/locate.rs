//! Where a value falls among sorted points in O(1) time: the monitor places every live value of
//! every numeric feature among its baseline's CDF grid (up to 1,001 points) and bin edges.
//!
//! A binary search there was 45 % of the monitor's time (`perf` on `bench/drift-monitor.sh`:
//! ten dependent, unpredictable loads per value); a bucket index with a scan of varying length
//! after it still took 35 % (a mispredicted loop exit and three tables per value that did not
//! fit the cache). Here a value's bucket `f(v) = ⌊(v − low) · scale⌋` is computed in floating
//! point, which is monotone (`v ≤ w ⇒ f(v) ≤ f(w)`: subtraction, multiplication by a positive
//! number and the saturating conversion all round monotonically). So every point in an earlier
//! bucket than `v`'s is below `v` and every point in a later bucket is above it, whatever the
//! rounding: only the points in `v`'s own bucket need comparing, and with a few buckets per
//! point a bucket holds at most [`UNROLLED`] of them almost always, compared without a branch.

/// Buckets per point: with quantile grids of smooth data the densest buckets then hold one or
/// two points.
const BUCKETS_PER_POINT: usize = 4;

/// Points of a bucket compared without a loop; a bucket with more is scanned.
pub const UNROLLED: usize = 3;

/// Ascending points with a bucket index for [`SortedPoints::lower_bound`].
#[derive(Debug, Clone, PartialEq)]
pub struct SortedPoints {
    /// The points, then [`UNROLLED`] copies of +∞ (so the unrolled comparisons never run off
    /// the end, and no finite value is at or above them).
    padded: Vec<f64>,
    /// The number of points.
    len: usize,
    /// The first point.
    low: f64,
    /// Buckets per unit of value (0: one bucket).
    scale: f64,
    /// Per bucket: `2 × (points in earlier buckets)`, plus 1 when it holds more than
    /// [`UNROLLED`] points.
    table: Vec<u32>,
}

impl SortedPoints {
    /// Indexes `points` (ascending and finite, as a validated profile's grid and edges are;
    /// points out of order get a plain scan).
    pub fn new(points: &[f64]) -> Self {
        let len = points.len();
        let (low, high) = match (points.first(), points.last()) {
            (Some(&low), Some(&high)) => (low, high),
            _ => (0.0, 0.0),
        };
        let mut index = Self {
            padded: points
                .iter()
                .copied()
                .chain(std::iter::repeat_n(f64::INFINITY, UNROLLED))
                .collect(),
            len,
            low,
            scale: 0.0,
            table: Vec::new(),
        };
        let buckets = (len * BUCKETS_PER_POINT).max(1);
        let scale = buckets as f64 / (high - low);
        if scale.is_finite() && scale > 0.0 {
            index.scale = scale;
            // Rounding may put the last point a bucket or two past `buckets`; anything more
            // (not finite, not ascending) keeps the single bucket.
            if index.bucket(high) > buckets + 2 {
                index.scale = 0.0;
            }
        }
        // Buckets up to the last point's, and one after it for every value above.
        let last = points.iter().map(|&p| index.bucket(p)).max().unwrap_or(0);
        let mut per_bucket = vec![0usize; last + 2];
        points
            .iter()
            .for_each(|&p| per_bucket[index.bucket(p)] += 1);
        let mut below = 0usize;
        index.table = per_bucket
            .iter()
            .map(|&count| {
                let entry = 2 * below + usize::from(count > UNROLLED);
                below += count;
                u32::try_from(entry).unwrap_or(u32::MAX)
            })
            .collect();
        // Points not ascending (never in a validated profile): scan every bucket from 0.
        if !points.windows(2).all(|w| w[0] < w[1]) || u32::try_from(2 * len + 1).is_err() {
            index.table = vec![1];
        }
        index
    }

    /// `v`'s bucket: monotone in `v` (NaN is bucket 0), clamped to the table.
    #[inline(always)]
    fn bucket(&self, value: f64) -> usize {
        let raw = ((value - self.low) * self.scale) as usize;
        match self.table.len() {
            0 => raw,
            n => raw.min(n - 1),
        }
    }

    /// The number of points below `value`: `points.partition_point(|&p| p < value)`, exactly
    /// (NaN: 0).
    #[inline(always)]
    pub fn lower_bound(&self, value: f64) -> usize {
        let entry = self.table[self.bucket(value)] as usize;
        let mut i = entry >> 1;
        if entry & 1 == 0 {
            // At most UNROLLED points in the bucket; those after it are above `value`.
            let next = &self.padded[i..i + UNROLLED];
            i += next.iter().map(|&p| usize::from(p < value)).sum::<usize>();
        } else {
            while i < self.len && self.padded[i] < value {
                i += 1;
            }
        }
        i
    }

    /// The points.
    pub fn points(&self) -> &[f64] {
        &self.padded[..self.len]
    }

    /// The slot of `value` among the points: `2i` when it lies strictly between point `i - 1`
    /// and point `i` (below the first for `i = 0`, above the last for `i = len`), `2i + 1`
    /// when it equals point `i`; `len * 2 + 1` slots in all. NaN is slot 0.
    #[inline(always)]
    pub fn slot(&self, value: f64) -> usize {
        let i = self.lower_bound(value);
        // `padded[len]` is +∞, equal to no value that can be counted.
        2 * i + usize::from(self.padded[i] == value && i < self.len)
    }

    /// The number of slots [`SortedPoints::slot`] returns: `2 * len + 1`.
    pub fn slots(&self) -> usize {
        2 * self.len + 1
    }
}

/// Where a value of a numeric feature falls for both of its measures at once: its PSI bin
/// (among the bin edges) and its KS grid slot (among the CDF grid points), found with one
/// [`SortedPoints::slot`] lookup among the union of the edges and the grid. Every edge and every
/// grid point is a point of the union, so all values of one union slot share one bin and one
/// grid slot: counts per union slot determine both the bin counts and the grid counts exactly.
#[derive(Debug, Clone, PartialEq)]
pub struct NumericIndex {
    /// The edges and grid points, merged (ascending, distinct).
    union: SortedPoints,
    /// Per union slot: the PSI bin (`bin_edges.partition_point(|e| e < v)` for its values).
    bin: Vec<u32>,
    /// Per union slot: the slot among the grid points ([`SortedPoints::slot`] of the grid).
    grid_slot: Vec<u32>,
    /// Grid points.
    grid_len: usize,
    /// Bin edges.
    edges_len: usize,
}

impl NumericIndex {
    /// Indexes `edges` and `grid` (each ascending, distinct and finite, as a validated
    /// profile's are).
    pub fn new(edges: &[f64], grid: &[f64]) -> Self {
        let mut points: Vec<f64> = edges.iter().chain(grid).copied().collect();
        points.sort_by(f64::total_cmp);
        points.dedup_by(|a, b| a == b);
        let union = SortedPoints::new(&points);
        // A slot's bin and grid slot, taken at a representative: slot 2j at the point below
        // (its values are above point j-1 and below point j, and no edge or grid point lies
        // strictly between), slot 2j+1 at point j itself.
        let below = |sorted: &[f64], j: usize| -> usize {
            // Points of `sorted` below every value of slot 2j: those at most point j-1.
            match j.checked_sub(1) {
                None => 0,
                Some(k) => sorted.partition_point(|&p| p <= points[k]),
            }
        };
        let mut bin = Vec::with_capacity(union.slots());
        let mut grid_slot = Vec::with_capacity(union.slots());
        for j in 0..=points.len() {
            bin.push(below(edges, j));
            grid_slot.push(2 * below(grid, j));
            if let Some(&p) = points.get(j) {
                bin.push(edges.partition_point(|&e| e < p));
                let i = grid.partition_point(|&g| g < p);
                grid_slot.push(2 * i + usize::from(grid.get(i) == Some(&p)));
            }
        }
        let narrow = |v: Vec<usize>| {
            v.into_iter()
                .map(|x| u32::try_from(x).unwrap_or(u32::MAX))
                .collect()
        };
        Self {
            union,
            bin: narrow(bin),
            grid_slot: narrow(grid_slot),
            grid_len: grid.len(),
            edges_len: edges.len(),
        }
    }

    /// The union slot of `value` (finite): the index into a counts array of
    /// [`NumericIndex::slots`] entries.
    #[inline(always)]
    pub fn slot(&self, value: f64) -> usize {
        self.union.slot(value)
    }

    /// The number of union slots.
    pub fn slots(&self) -> usize {
        self.union.slots()
    }

    /// Bin counts (`edges + 1` bins) from counts per union slot.
    pub fn bin_counts(&self, slots: &[u64]) -> Vec<u64> {
        let mut bins = vec![0; self.edges_len + 1];
        for (&count, &bin) in slots.iter().zip(&self.bin) {
            bins[bin as usize] += count;
        }
        bins
    }

    /// Counts per grid slot (`2 * grid + 1`, as [`SortedPoints::slot`] numbers them) from
    /// counts per union slot.
    pub fn grid_slot_counts(&self, slots: &[u64]) -> Vec<u64> {
        let mut grid = vec![0; 2 * self.grid_len + 1];
        for (&count, &slot) in slots.iter().zip(&self.grid_slot) {
            grid[slot as usize] += count;
        }
        grid
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ascending(mut v: Vec<f64>) -> Vec<f64> {
        v.sort_by(f64::total_cmp);
        v.dedup();
        v
    }

    proptest! {
        #[test]
        fn lower_bound_is_the_binary_search(
            points in proptest::collection::vec(-1e6f64..1e6, 0..300),
            values in proptest::collection::vec(-2e6f64..2e6, 1..50),
        ) {
            let points = ascending(points);
            let index = SortedPoints::new(&points);
            // The points themselves and their neighbours are the boundary cases.
            let probes = values.iter().copied().chain(points.iter().flat_map(|&p| {
                [p, p.next_down(), p.next_up()]
            }));
            for v in probes {
                prop_assert_eq!(index.lower_bound(v), points.partition_point(|&p| p < v), "{}", v);
            }
        }
    }

    proptest! {
        #[test]
        fn one_union_slot_gives_the_bin_and_the_grid_slot(
            edges in proptest::collection::vec(-100i32..100, 0..12),
            grid in proptest::collection::vec(-100i32..100, 0..60),
            values in proptest::collection::vec(-120i32..120, 1..80),
        ) {
            // Integers halved: values often equal an edge or a grid point, or fall between.
            let half = |v: Vec<i32>| ascending(v.into_iter().map(|x| f64::from(x) / 2.0).collect());
            let (edges, grid) = (half(edges), half(grid));
            let index = NumericIndex::new(&edges, &grid);
            let grid_index = SortedPoints::new(&grid);
            let mut slots = vec![0u64; index.slots()];
            let mut bins = vec![0u64; edges.len() + 1];
            let mut grid_slots = vec![0u64; grid_index.slots()];
            for v in values.into_iter().map(|x| f64::from(x) / 4.0) {
                slots[index.slot(v)] += 1;
                bins[edges.partition_point(|&e| e < v)] += 1;
                let i = grid.partition_point(|&g| g < v);
                grid_slots[2 * i + usize::from(grid.get(i) == Some(&v))] += 1;
            }
            prop_assert_eq!(index.bin_counts(&slots), bins);
            prop_assert_eq!(index.grid_slot_counts(&slots), grid_slots);
        }
    }

    #[test]
    fn skewed_and_degenerate_points() {
        let skewed = [0.0, 1e-9, 2e-9, 1.0, 1e9];
        let one = [5.0];
        for points in [&skewed[..], &one[..], &[][..]] {
            let index = SortedPoints::new(points);
            for v in [-1.0, 0.0, 1e-9, 1.5e-9, 0.5, 1.0, 5.0, 1e9, 2e9, f64::NAN] {
                let expected = points.partition_point(|&p| p < v);
                assert_eq!(index.lower_bound(v), expected, "{points:?} {v}");
            }
        }
    }
}
