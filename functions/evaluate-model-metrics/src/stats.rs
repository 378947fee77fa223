//! Streaming, mergeable accumulators of forecast errors, and the metrics they yield.
//!
//! Conventions (those of forecasting practice, e.g. Hyndman & Athanasopoulos):
//! - error `e = predicted - actual`, so a positive bias means over-forecasting;
//! - MAPE = 100 · mean(|e| / |actual|) over rows whose actual is not 0 (the others are skipped
//!   and counted, since the ratio is undefined for them);
//! - WAPE = 100 · Σ|e| / Σ|actual|; sMAPE = 100 · mean(2|e| / (|actual| + |predicted|)), a row
//!   with both 0 counting as a perfect 0;
//! - MAE, RMSE, bias = mean(e) and R² = 1 − SS_res / SS_tot over all rows.

use serde::{Deserialize, Serialize};

/// Running sums for one group of rows (the whole file or one segment).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ErrorStats {
    rows: u64,
    nonzero_rows: u64,
    sum_ape: f64,
    sum_abs_error: f64,
    sum_abs_actual: f64,
    sum_sq_error: f64,
    sum_error: f64,
    sum_sape: f64,
    /// The first actual seen: sums of `actual - shift` keep the variance numerically stable
    /// without a division per row (the shifted-data algorithm).
    shift: f64,
    sum_shifted: f64,
    sum_shifted_sq: f64,
}

/// The accuracy metrics of one group of rows. Undefined metrics are `None`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Metrics {
    /// Mean absolute percentage error, in percent; `None` when every actual is 0.
    pub mape: Option<f64>,
    /// Weighted absolute percentage error, in percent; `None` when every actual is 0.
    pub wape: Option<f64>,
    /// Symmetric MAPE, in percent.
    pub smape: f64,
    /// Mean absolute error.
    pub mae: f64,
    /// Root mean squared error.
    pub rmse: f64,
    /// Mean error (predicted − actual): positive when the model over-forecasts.
    pub bias: f64,
    /// Coefficient of determination; `None` when the actuals do not vary.
    pub r2: Option<f64>,
    /// Rows in the group.
    pub rows: u64,
    /// Rows whose actual is 0, left out of MAPE.
    pub zero_actual_rows: u64,
}

/// The scalar metrics a regression produces, by name.
pub const REGRESSION_METRICS: [&str; 7] = ["mape", "wape", "smape", "mae", "rmse", "bias", "r2"];

impl Metrics {
    /// The scalar metrics by name ([`REGRESSION_METRICS`]); undefined ones are `None`.
    pub fn named(&self) -> std::collections::BTreeMap<String, Option<f64>> {
        let values = [
            self.mape,
            self.wape,
            Some(self.smape),
            Some(self.mae),
            Some(self.rmse),
            Some(self.bias),
            self.r2,
        ];
        REGRESSION_METRICS
            .iter()
            .zip(values)
            .map(|(name, value)| (name.to_string(), value))
            .collect()
    }
}

impl ErrorStats {
    /// Adds one (actual, predicted) pair.
    #[inline]
    pub fn push(&mut self, actual: f64, predicted: f64) {
        let error = predicted - actual;
        let abs_error = error.abs();
        let abs_actual = actual.abs();
        self.rows += 1;
        if actual != 0.0 {
            self.nonzero_rows += 1;
            self.sum_ape += abs_error / abs_actual;
        }
        let denominator = abs_actual + predicted.abs();
        if denominator != 0.0 {
            self.sum_sape += 2.0 * abs_error / denominator;
        }
        self.sum_abs_error += abs_error;
        self.sum_abs_actual += abs_actual;
        self.sum_sq_error += error * error;
        self.sum_error += error;
        if self.rows == 1 {
            self.shift = actual;
        }
        let shifted = actual - self.shift;
        self.sum_shifted += shifted;
        self.sum_shifted_sq += shifted * shifted;
    }

    /// Σ(actual − mean)², from the shifted sums.
    fn m2_actual(&self) -> f64 {
        if self.rows == 0 {
            return 0.0;
        }
        (self.sum_shifted_sq - self.sum_shifted * self.sum_shifted / self.rows as f64).max(0.0)
    }

    /// Folds another group's sums into this one, re-basing its shifted sums on this shift.
    pub fn merge(&mut self, other: &ErrorStats) {
        if other.rows == 0 {
            return;
        }
        if self.rows == 0 {
            *self = *other;
            return;
        }
        let delta = other.shift - self.shift;
        let n_b = other.rows as f64;
        self.sum_shifted_sq +=
            other.sum_shifted_sq + 2.0 * delta * other.sum_shifted + n_b * delta * delta;
        self.sum_shifted += other.sum_shifted + n_b * delta;
        self.rows += other.rows;
        self.nonzero_rows += other.nonzero_rows;
        self.sum_ape += other.sum_ape;
        self.sum_abs_error += other.sum_abs_error;
        self.sum_abs_actual += other.sum_abs_actual;
        self.sum_sq_error += other.sum_sq_error;
        self.sum_error += other.sum_error;
        self.sum_sape += other.sum_sape;
    }

    /// Rows seen so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The metrics, or `None` for an empty group.
    pub fn metrics(&self) -> Option<Metrics> {
        if self.rows == 0 {
            return None;
        }
        let n = self.rows as f64;
        let mape = (self.nonzero_rows > 0).then(|| 100.0 * self.sum_ape / self.nonzero_rows as f64);
        let wape =
            (self.sum_abs_actual > 0.0).then(|| 100.0 * self.sum_abs_error / self.sum_abs_actual);
        let m2 = self.m2_actual();
        let r2 = (m2 > 0.0).then(|| 1.0 - self.sum_sq_error / m2);
        Some(Metrics {
            mape,
            wape,
            smape: 100.0 * self.sum_sape / n,
            mae: self.sum_abs_error / n,
            rmse: (self.sum_sq_error / n).sqrt(),
            bias: self.sum_error / n,
            r2,
            rows: self.rows,
            zero_actual_rows: self.rows - self.nonzero_rows,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn stats(pairs: &[(f64, f64)]) -> ErrorStats {
        let mut s = ErrorStats::default();
        for &(a, p) in pairs {
            s.push(a, p);
        }
        s
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()))
    }

    #[test]
    fn metrics_match_hand_computed_values() {
        // actual, predicted: errors +10, -10, +5, +0
        let m = stats(&[(100.0, 110.0), (50.0, 40.0), (20.0, 25.0), (30.0, 30.0)])
            .metrics()
            .unwrap();
        // APE: 0.1, 0.2, 0.25, 0  -> mean 0.1375
        assert!(close(m.mape.unwrap(), 13.75));
        // WAPE: 25 / 200
        assert!(close(m.wape.unwrap(), 12.5));
        // sMAPE terms: 20/210, 20/90, 10/45, 0
        let smape = 100.0 * (20.0 / 210.0 + 20.0 / 90.0 + 10.0 / 45.0) / 4.0;
        assert!(close(m.smape, smape));
        assert!(close(m.mae, 25.0 / 4.0));
        assert!(close(m.rmse, (225.0_f64 / 4.0).sqrt()));
        assert!(close(m.bias, 5.0 / 4.0));
        // mean actual 50; SS_tot = 2500 + 0 + 900 + 400 = 3800; SS_res = 225
        assert!(close(m.r2.unwrap(), 1.0 - 225.0 / 3800.0));
        assert_eq!(m.rows, 4);
        assert_eq!(m.zero_actual_rows, 0);
    }

    #[test]
    fn zero_actuals_are_skipped_for_mape_but_counted() {
        let m = stats(&[(0.0, 5.0), (10.0, 12.0)]).metrics().unwrap();
        assert!(close(m.mape.unwrap(), 20.0));
        assert_eq!(m.zero_actual_rows, 1);
        assert_eq!(m.rows, 2);
        assert!(close(m.mae, 3.5));
    }

    #[test]
    fn all_zero_actuals_leave_mape_and_wape_undefined() {
        let m = stats(&[(0.0, 1.0), (0.0, 0.0)]).metrics().unwrap();
        assert_eq!(m.mape, None);
        assert_eq!(m.wape, None);
        assert_eq!(m.r2, None);
        // (0, 0) is a perfect sMAPE 0; (0, 1) is the maximum 200
        assert!(close(m.smape, 100.0));
    }

    #[test]
    fn an_empty_group_has_no_metrics() {
        assert_eq!(ErrorStats::default().metrics(), None);
    }

    #[test]
    fn a_perfect_model_scores_zero_error_and_r2_one() {
        let m = stats(&[(1.0, 1.0), (2.0, 2.0), (7.5, 7.5)])
            .metrics()
            .unwrap();
        assert_eq!(m.mape, Some(0.0));
        assert_eq!(m.mae, 0.0);
        assert_eq!(m.rmse, 0.0);
        assert_eq!(m.r2, Some(1.0));
    }

    fn pairs() -> impl Strategy<Value = Vec<(f64, f64)>> {
        prop::collection::vec((1.0f64..1e4, 0.0f64..1e4), 1..200)
    }

    proptest! {
        #[test]
        fn mape_wape_smape_and_r2_are_scale_invariant(data in pairs(), scale in 0.001f64..1000.0) {
            let a = stats(&data).metrics().unwrap();
            let scaled: Vec<_> = data.iter().map(|&(x, y)| (x * scale, y * scale)).collect();
            let b = stats(&scaled).metrics().unwrap();
            prop_assert!((a.mape.unwrap() - b.mape.unwrap()).abs() < 1e-6 * (1.0 + a.mape.unwrap()));
            prop_assert!((a.wape.unwrap() - b.wape.unwrap()).abs() < 1e-6 * (1.0 + a.wape.unwrap()));
            prop_assert!((a.smape - b.smape).abs() < 1e-6 * (1.0 + a.smape));
            if let (Some(ra), Some(rb)) = (a.r2, b.r2) {
                prop_assert!((ra - rb).abs() < 1e-6 * (1.0 + ra.abs()));
            }
            prop_assert!((a.mae * scale - b.mae).abs() < 1e-6 * (1.0 + b.mae));
        }

        #[test]
        fn merging_split_groups_equals_one_pass(data in pairs(), cut in 0usize..200) {
            let cut = cut.min(data.len());
            let mut left = stats(&data[..cut]);
            left.merge(&stats(&data[cut..]));
            let whole = stats(&data).metrics().unwrap();
            let merged = left.metrics().unwrap();
            prop_assert_eq!(whole.rows, merged.rows);
            prop_assert!((whole.mape.unwrap() - merged.mape.unwrap()).abs() < 1e-9 * (1.0 + whole.mape.unwrap()));
            prop_assert!((whole.rmse - merged.rmse).abs() < 1e-9 * (1.0 + whole.rmse));
            match (whole.r2, merged.r2) {
                (Some(a), Some(b)) => prop_assert!((a - b).abs() < 1e-6 * (1.0 + a.abs())),
                (a, b) => prop_assert_eq!(a.is_some(), b.is_some()),
            }
        }

        #[test]
        fn smape_is_bounded_by_two_hundred(data in prop::collection::vec((-1e4f64..1e4, -1e4f64..1e4), 1..100)) {
            let m = stats(&data).metrics().unwrap();
            prop_assert!(m.smape >= 0.0 && m.smape <= 200.0 + 1e-9);
        }
    }
}
