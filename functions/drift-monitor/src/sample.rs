//! A bounded, deterministic sample of a numeric feature's values (reservoir sampling, Vitter's
//! Algorithm R: J. S. Vitter, "Random sampling with a reservoir", ACM TOMS 11(1), 1985) and the
//! order statistics the baseline takes from it.
//!
//! While a feature has at most `capacity` non-null values, the sample holds all of them and every
//! quantity derived from it is exact; beyond that it is a uniform random sample of `capacity`
//! values (seeded, so the same data always gives the same baseline), and the bin edges and CDF
//! are estimates with a rank error of about `1 / sqrt(capacity)`.

/// A reservoir of at most `capacity` values.
#[derive(Debug, Clone)]
pub struct Reservoir {
    capacity: usize,
    seen: u64,
    values: Vec<f64>,
    rng: SplitMix64,
}

impl Reservoir {
    /// An empty reservoir; `seed` makes the choice of values reproducible.
    pub fn new(capacity: usize, seed: u64) -> Self {
        Self {
            capacity: capacity.max(1),
            seen: 0,
            values: Vec::new(),
            rng: SplitMix64(seed),
        }
    }

    /// Offers one value.
    pub fn push(&mut self, value: f64) {
        self.seen += 1;
        if self.values.len() < self.capacity {
            self.values.push(value);
            return;
        }
        let j = self.rng.below(self.seen);
        if let Some(slot) = self.values.get_mut(j as usize) {
            *slot = value;
        }
    }

    /// Values offered so far.
    pub fn seen(&self) -> u64 {
        self.seen
    }

    /// Whether the sample holds every value offered.
    pub fn is_exact(&self) -> bool {
        self.seen as usize == self.values.len()
    }

    /// The sample, sorted ascending (values are finite, so the order is total).
    pub fn into_sorted(mut self) -> Vec<f64> {
        self.values.sort_by(f64::total_cmp);
        self.values
    }
}

/// SplitMix64 (Steele, Lea, Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014):
/// small, fast and good enough to pick reservoir slots.
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (Lemire's multiply-shift; the bias is below 2^-32 for any n < 2^32).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }
}

/// The `p`-quantile of `sorted` by linear interpolation between order statistics: Hyndman and
/// Fan's definition 7 ("Sample quantiles in statistical packages", The American Statistician
/// 50(4), 1996), the default of R's `quantile` and NumPy's `np.quantile`. `None` when empty.
pub fn quantile(sorted: &[f64], p: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let h = (n - 1) as f64 * p.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    let (a, b, t) = (sorted[lo], sorted[hi], h - lo as f64);
    // NumPy's form of the interpolation (from the nearer end), so edges agree to the last bit.
    Some(if t >= 0.5 {
        b - (b - a) * (1.0 - t)
    } else {
        a + (b - a) * t
    })
}

/// The inner edges of `bins` equal-frequency bins of `sorted`: the quantiles at `1/bins, ...,
/// (bins-1)/bins`, with repeated edges removed (ties make some bins empty otherwise).
pub fn quantile_edges(sorted: &[f64], bins: usize) -> Vec<f64> {
    let mut edges: Vec<f64> = (1..bins)
        .filter_map(|i| quantile(sorted, i as f64 / bins as f64))
        .collect();
    edges.dedup();
    edges
}

/// Index of the bin of `value` among the bins that inner `edges` make: bins are closed on the
/// right, `(e[i-1], e[i]]`, so the index is the number of edges strictly below `value`
/// (NumPy's `searchsorted(edges, value, side="left")`).
pub fn bin_index(edges: &[f64], value: f64) -> usize {
    edges.partition_point(|&e| e < value)
}

/// Number of values in `sorted` at most `x`.
pub fn count_at_most(sorted: &[f64], x: f64) -> usize {
    sorted.partition_point(|&v| v <= x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_like_numpy() {
        let sorted = [1.0, 2.0, 3.0, 4.0];
        // np.quantile([1,2,3,4], [0, 0.1, 0.5, 0.9, 1]) == [1, 1.3, 2.5, 3.7, 4]
        let expected = [(0.0, 1.0), (0.1, 1.3), (0.5, 2.5), (0.9, 3.7), (1.0, 4.0)];
        for (p, q) in expected {
            let got = quantile(&sorted, p).unwrap();
            assert!((got - q).abs() < 1e-12, "p={p}: {got} != {q}");
        }
        assert_eq!(quantile(&[], 0.5), None);
    }

    #[test]
    fn tied_edges_are_merged() {
        let sorted = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 2.0];
        let edges = quantile_edges(&sorted, 10);
        assert_eq!(edges.len(), 3, "{edges:?}");
        for (got, want) in edges.iter().zip([0.0, 0.2, 1.1]) {
            assert!((got - want).abs() < 1e-12, "{edges:?}");
        }
    }

    #[test]
    fn bins_are_closed_on_the_right() {
        let edges = [1.0, 2.0];
        assert_eq!(bin_index(&edges, 0.5), 0);
        assert_eq!(bin_index(&edges, 1.0), 0);
        assert_eq!(bin_index(&edges, 1.5), 1);
        assert_eq!(bin_index(&edges, 2.0), 1);
        assert_eq!(bin_index(&edges, 9.0), 2);
    }

    #[test]
    fn a_reservoir_is_exact_until_full_then_stays_bounded_and_reproducible() {
        let mut r = Reservoir::new(100, 7);
        for i in 0..100 {
            r.push(i as f64);
        }
        assert!(r.is_exact());
        let mut a = r.clone();
        let mut b = r;
        for i in 100..10_000 {
            a.push(i as f64);
            b.push(i as f64);
        }
        assert!(!a.is_exact());
        assert_eq!(a.seen(), 10_000);
        let (a, b) = (a.into_sorted(), b.into_sorted());
        assert_eq!(a.len(), 100);
        assert_eq!(a, b);
        // A uniform sample of 0..10000: its median is near 5000, not stuck at the first values.
        let median = quantile(&a, 0.5).unwrap();
        assert!((2_500.0..7_500.0).contains(&median), "{median}");
    }
}
