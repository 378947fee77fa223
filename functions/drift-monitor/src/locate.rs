//! Where a value falls among sorted points in O(1) expected time: the monitor places every live
//! value of every numeric feature among its baseline's CDF grid (up to 1,001 points) and bin
//! edges. A binary search there was 45 % of the monitor's time (`perf` on
//! `bench/drift-monitor.sh`: ten dependent, unpredictable loads per value); equal-width buckets
//! over the points' range give a starting index next to the answer, and a short scan finishes.

/// Buckets per point: with quantile grids of smooth data most buckets then hold at most one or
/// two points, so the scan is one or two comparisons.
const BUCKETS_PER_POINT: usize = 2;

/// Ascending points with a bucket index for [`SortedPoints::lower_bound`].
#[derive(Debug, Clone, PartialEq)]
pub struct SortedPoints {
    points: Vec<f64>,
    /// The first point.
    low: f64,
    /// Buckets per unit of value.
    scale: f64,
    /// `start[b]`: the number of points below bucket `b`'s lower edge.
    start: Vec<u32>,
}

impl SortedPoints {
    /// Indexes `points` (ascending and finite, as a validated profile's grid and edges are).
    pub fn new(points: &[f64]) -> Self {
        let (low, high) = match (points.first(), points.last()) {
            (Some(&low), Some(&high)) => (low, high),
            _ => (0.0, 0.0),
        };
        let buckets = (points.len() * BUCKETS_PER_POINT).max(1);
        let scale = if high > low {
            buckets as f64 / (high - low)
        } else {
            0.0
        };
        let start = (0..=buckets)
            .map(|b| {
                let edge = low + b as f64 / scale;
                let below = if scale > 0.0 {
                    points.partition_point(|&p| p < edge)
                } else {
                    0
                };
                u32::try_from(below).unwrap_or(u32::MAX)
            })
            .collect();
        Self {
            points: points.to_vec(),
            low,
            scale,
            start,
        }
    }

    /// The points.
    pub fn points(&self) -> &[f64] {
        &self.points
    }

    /// The number of points below `value`: `points.partition_point(|&p| p < value)`, exactly,
    /// whatever rounding does to the bucket arithmetic (the scan corrects the start both ways).
    #[inline]
    pub fn lower_bound(&self, value: f64) -> usize {
        let n = self.points.len();
        // At or below the first point (or NaN, which no point is below): none below it.
        if n == 0 || value.is_nan() || value <= self.low {
            return 0;
        }
        let bucket = ((value - self.low) * self.scale) as usize;
        let mut i = self.start[bucket.min(self.start.len() - 1)] as usize;
        while i < n && self.points[i] < value {
            i += 1;
        }
        while i > 0 && self.points[i - 1] >= value {
            i -= 1;
        }
        i
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
