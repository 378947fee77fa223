//! The drift scores: Population Stability Index and the two-sample Kolmogorov–Smirnov statistic.
//! Pure functions over proportions and counts.

use crate::locate::SortedPoints;

/// Proportion that stands in for an empty bin in [`psi`], on either side, so that `ln(a/e)` stays
/// finite. 1e-4 is the usual choice (the widely copied reference implementation, Matthew Burke's
/// `population-stability-index` `psi.py`, replaces a zero share with 0.0001 the same way); it
/// caps one empty bin's term at about `share × ln(share / 1e-4)`.
pub const PSI_EPSILON: f64 = 1e-4;

/// Population Stability Index of the `actual` bin proportions against the `expected` ones (same
/// bins, same order; each side sums to 1):
///
/// `PSI = Σ_i (a_i − e_i) · ln(a_i / e_i)`, with a zero proportion replaced by [`PSI_EPSILON`].
///
/// Source: N. Siddiqi, *Credit Risk Scorecards* (Wiley, 2006), ch. 9; its statistical
/// properties in B. Yurdakul, *Statistical Properties of Population Stability Index*
/// (Western Michigan University, 2018), which also gives the usual reading: below 0.1 no
/// significant change, 0.1–0.25 a moderate shift, above 0.25 a significant shift.
pub fn psi(expected: &[f64], actual: &[f64]) -> f64 {
    expected
        .iter()
        .zip(actual)
        .map(|(&e, &a)| {
            let (e, a) = (e.max(PSI_EPSILON), a.max(PSI_EPSILON));
            (a - e) * (a / e).ln()
        })
        .sum()
}

/// The live side of a numeric feature, counted against the baseline's CDF grid `g_0 < … <
/// g_{m-1}`: `cells[0]` values below `g_0`, `cells[i]` values strictly between `g_{i-1}` and
/// `g_i`, `cells[m]` values above `g_{m-1}`; `at[i]` values equal to `g_i`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridCounts {
    /// Counts strictly between grid points (`m + 1` cells).
    pub cells: Vec<u64>,
    /// Counts equal to a grid point (`m` entries).
    pub at: Vec<u64>,
}

impl GridCounts {
    /// Zero counts for a grid of `points` points.
    pub fn new(points: usize) -> Self {
        Self {
            cells: vec![0; points + 1],
            at: vec![0; points],
        }
    }

    /// Counts one value against `grid`.
    #[inline]
    pub fn add(&mut self, grid: &SortedPoints, value: f64) {
        let i = grid.lower_bound(value);
        match grid.points().get(i) {
            Some(&g) if g == value => self.at[i] += 1,
            _ => self.cells[i] += 1,
        }
    }

    /// The counts from counts per grid slot, numbered as [`SortedPoints::slot`] numbers them
    /// (`2i` strictly below point `i`, `2i + 1` at point `i`; `2m + 1` slots for `m` points).
    pub fn from_slots(slots: &[u64]) -> Self {
        Self {
            cells: slots.iter().step_by(2).copied().collect(),
            at: slots.iter().skip(1).step_by(2).copied().collect(),
        }
    }

    /// Values counted.
    pub fn total(&self) -> u64 {
        self.cells.iter().sum::<u64>() + self.at.iter().sum::<u64>()
    }
}

/// The two-sample Kolmogorov–Smirnov statistic `D = sup_x |F_live(x) − F_base(x)|` (Smirnov,
/// 1939; as `scipy.stats.ks_2samp` computes it), where the baseline is known through its CDF at
/// the grid points (`base_cdf[i] = F_base(g_i)`, the grid's first point its minimum and its last
/// its maximum) and the live sample through `live` counts on the same grid.
///
/// On each open interval between grid points `F_base` is taken as constant (it is, when the grid
/// holds every distinct baseline value: then `D` is exact), and `F_live` is evaluated at both
/// ends, so the result differs from the exact statistic by at most the baseline mass strictly
/// between two consecutive grid points (about `1 / grid size`). `None` when `live` is empty.
pub fn ks_statistic(base_cdf: &[f64], live: &GridCounts) -> Option<f64> {
    let n = live.total();
    if n == 0 || base_cdf.is_empty() {
        return None;
    }
    let n = n as f64;
    let mut cumulative = 0u64;
    let mut previous_base = 0.0;
    let mut d: f64 = 0.0;
    for (i, &base) in base_cdf.iter().enumerate() {
        cumulative += live.cells[i];
        d = d.max((cumulative as f64 / n - previous_base).abs());
        cumulative += live.at[i];
        d = d.max((cumulative as f64 / n - base).abs());
        previous_base = base;
    }
    // Above the last grid point: F_live reaches 1.
    d = d.max((1.0 - previous_base).abs());
    Some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_distributions_have_zero_psi() {
        let p = [0.2, 0.3, 0.5];
        assert_eq!(psi(&p, &p), 0.0);
    }

    #[test]
    fn psi_matches_a_hand_computation() {
        let e = [0.5, 0.5];
        let a = [0.25, 0.75];
        let expected =
            (0.25f64 - 0.5) * (0.25f64 / 0.5).ln() + (0.75f64 - 0.5) * (0.75f64 / 0.5).ln();
        assert!((psi(&e, &a) - expected).abs() < 1e-15);
    }

    #[test]
    fn an_empty_bin_costs_a_finite_amount() {
        let value = psi(&[0.5, 0.5, 0.0], &[0.4, 0.4, 0.2]);
        assert!(value.is_finite() && value > 0.25, "{value}");
    }

    #[test]
    fn ks_is_exact_when_the_grid_holds_every_baseline_value() {
        // baseline {1, 2, 3, 4}; live {2.5, 3, 3, 5}
        let grid = SortedPoints::new(&[1.0, 2.0, 3.0, 4.0]);
        let base_cdf = [0.25, 0.5, 0.75, 1.0];
        let mut live = GridCounts::new(4);
        for x in [2.5, 3.0, 3.0, 5.0] {
            live.add(&grid, x);
        }
        assert_eq!(live.cells, vec![0, 0, 1, 0, 1]);
        assert_eq!(live.at, vec![0, 0, 2, 0]);
        // scipy.stats.ks_2samp([1,2,3,4], [2.5,3,3,5]).statistic == 0.5
        assert_eq!(ks_statistic(&base_cdf, &live), Some(0.5));
    }

    #[test]
    fn ks_of_a_sample_against_itself_is_zero_and_of_disjoint_samples_one() {
        let points = [1.0, 2.0, 3.0];
        let grid = SortedPoints::new(&points);
        let base_cdf = [1.0 / 3.0, 2.0 / 3.0, 1.0];
        let mut same = GridCounts::new(3);
        let mut above = GridCounts::new(3);
        for x in points {
            same.add(&grid, x);
            above.add(&grid, x + 10.0);
        }
        assert!(ks_statistic(&base_cdf, &same).unwrap() < 1e-15);
        assert_eq!(ks_statistic(&base_cdf, &above), Some(1.0));
        assert_eq!(ks_statistic(&base_cdf, &GridCounts::new(3)), None);
    }
}
