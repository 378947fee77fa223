//! The two-proportion z-test the guard uses to tell a real error-rate increase from noise.
//!
//! Source: NIST/SEMATECH e-Handbook of Statistical Methods, §7.3.3 "How can we determine whether
//! two processes produce the same proportion of defectives?"
//! (<https://www.itl.nist.gov/div898/handbook/prc/section3/prc33.htm>): with `x₁` failures in
//! `n₁` trials and `x₂` in `n₂`, the pooled proportion `p̂ = (x₁ + x₂) / (n₁ + n₂)` and
//! `z = (p̂₁ − p̂₂) / √(p̂ (1 − p̂) (1/n₁ + 1/n₂))`, compared with the standard normal
//! distribution. The one-sided p-value of "sample 1 fails more often" is `P(Z ≥ z) = ½ erfc(z/√2)`.

/// The outcome of a one-sided two-proportion z-test of "the first sample fails more often".
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct ZTest {
    /// The z statistic (0 when neither sample has a failure, or both always fail).
    pub z: f64,
    /// `P(Z ≥ z)` under the null hypothesis of equal proportions, in [0, 1].
    pub p_value: f64,
}

/// The pooled two-proportion z-test of `failures_1 / trials_1` against `failures_2 / trials_2`
/// (one-sided, "sample 1 is worse"). `None` when a sample has no trials or counts more failures
/// than trials.
pub fn two_proportion_z_test(
    failures_1: u64,
    trials_1: u64,
    failures_2: u64,
    trials_2: u64,
) -> Option<ZTest> {
    if trials_1 == 0 || trials_2 == 0 || failures_1 > trials_1 || failures_2 > trials_2 {
        return None;
    }
    let (n1, n2) = (trials_1 as f64, trials_2 as f64);
    let (p1, p2) = (failures_1 as f64 / n1, failures_2 as f64 / n2);
    let pooled = (failures_1 + failures_2) as f64 / (n1 + n2);
    let variance = pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2);
    if variance <= 0.0 {
        // No failures at all, or nothing but failures: the samples cannot differ.
        return Some(ZTest {
            z: 0.0,
            p_value: 0.5,
        });
    }
    let z = (p1 - p2) / variance.sqrt();
    Some(ZTest {
        z,
        p_value: 0.5 * libm::erfc(z / std::f64::consts::SQRT_2),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nist_style_example_matches_the_hand_computation() {
        // 30/500 vs 20/500: p̂ = 0.05, se = √(0.05·0.95·0.004) = 0.013784, z = 0.02/0.013784.
        let t = two_proportion_z_test(30, 500, 20, 500).unwrap();
        assert!((t.z - 1.450_953).abs() < 1e-5, "{}", t.z);
        // P(Z ≥ 1.451) = 0.0734 (standard normal table).
        assert!((t.p_value - 0.0734).abs() < 1e-3, "{}", t.p_value);
    }

    #[test]
    fn equal_rates_give_z_zero_and_half() {
        let t = two_proportion_z_test(10, 1000, 10, 1000).unwrap();
        assert_eq!(t.z, 0.0);
        assert!((t.p_value - 0.5).abs() < 1e-12);
    }

    #[test]
    fn a_better_first_sample_has_a_large_p_value() {
        let t = two_proportion_z_test(1, 1000, 50, 1000).unwrap();
        assert!(t.z < -6.0 && t.p_value > 0.999_999);
    }

    #[test]
    fn no_failures_anywhere_is_no_difference() {
        assert_eq!(two_proportion_z_test(0, 10, 0, 10).unwrap().z, 0.0);
    }

    #[test]
    fn empty_or_impossible_samples_have_no_test() {
        assert!(two_proportion_z_test(0, 0, 1, 10).is_none());
        assert!(two_proportion_z_test(11, 10, 1, 10).is_none());
    }
}
