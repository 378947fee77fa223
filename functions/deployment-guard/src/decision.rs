//! The guard's decision, a pure function of the two variants' numbers over one observation
//! window and the guardrails. No I/O here: [`crate::metrics`] and [`crate::endpoint`] fetch the
//! numbers, this module judges them.
//!
//! Order of the checks: too few invocations on either variant (or no latency datapoint) →
//! `wait`; a significant error-rate increase beyond the allowed one → `rollback`; a p99 latency
//! ratio beyond the allowed one → `rollback`; an online metric worse than allowed → `rollback`;
//! otherwise `promote` on the last traffic step and `continue` before it.

use crate::stats::{two_proportion_z_test, ZTest};
use serde::{Deserialize, Serialize};

/// What the state machine does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Every guardrail holds on the last step: the challenger takes all traffic.
    Promote,
    /// Every guardrail holds: shift to the next traffic step.
    Continue,
    /// A guardrail is broken: back to the champion.
    Rollback,
    /// Not enough evidence yet (too few invocations, missing datapoints): observe another window.
    Wait,
}

/// The limits a challenger must stay within, from the model catalogue's `deployment.guardrails`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Guardrails {
    /// Invocations each variant needs in the window before anything is decided.
    pub min_invocations: u64,
    /// The largest allowed increase of the error rate ((4xx + 5xx) / invocations), as an
    /// absolute difference of proportions (0.01 = one percentage point).
    pub max_error_rate_increase: f64,
    /// The one-sided significance level of the two-proportion z-test: an increase beyond the
    /// allowed one rolls back only when its p-value is below this (default 0.05).
    #[serde(default = "default_significance")]
    pub significance: f64,
    /// The largest allowed ratio of the challenger's p99 `ModelLatency` to the champion's.
    pub max_p99_latency_ratio: f64,
    /// An online quality metric (from evaluate-model-metrics on the captured predictions),
    /// when the model writes its predictions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub online_metric: Option<OnlineMetric>,
}

fn default_significance() -> f64 {
    0.05
}

pub use shared::direction::Direction;

/// An online metric of both variants and how much worse the challenger may be.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OnlineMetric {
    /// The metric's name as evaluate-model-metrics reports it (e.g. `mape`, `f1`).
    pub name: String,
    /// Which way is better.
    pub direction: Direction,
    /// The champion's value on the window's traffic.
    pub champion: f64,
    /// The challenger's value on the window's traffic.
    pub challenger: f64,
    /// The largest allowed relative degradation (0.05 = 5 % worse than the champion).
    pub max_relative_degradation: f64,
}

/// One variant's numbers over the window.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct VariantStats {
    /// `Invocations` (sum).
    pub invocations: u64,
    /// `Invocation4XXErrors` (sum).
    pub errors_4xx: u64,
    /// `Invocation5XXErrors` (sum).
    pub errors_5xx: u64,
    /// p99 of `ModelLatency`, in microseconds; `None` when CloudWatch has no datapoint.
    pub p99_latency_us: Option<f64>,
}

impl VariantStats {
    /// 4xx plus 5xx errors.
    pub fn errors(&self) -> u64 {
        self.errors_4xx.saturating_add(self.errors_5xx)
    }

    /// Errors per invocation, `None` without invocations.
    pub fn error_rate(&self) -> Option<f64> {
        (self.invocations > 0).then(|| self.errors() as f64 / self.invocations as f64)
    }
}

/// The decision and the numbers behind it.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Verdict {
    /// What to do.
    pub decision: Decision,
    /// Why, in one sentence.
    pub reason: String,
    /// Challenger error rate minus champion error rate (absolute), when both have invocations.
    pub error_rate_increase: Option<f64>,
    /// The z-test of "the challenger errs more often", when both have invocations.
    pub error_rate_test: Option<ZTest>,
    /// Challenger p99 latency / champion p99 latency, when both are known and the champion's
    /// is positive.
    pub p99_latency_ratio: Option<f64>,
    /// The challenger's relative degradation of the online metric (positive = worse).
    pub online_metric_degradation: Option<f64>,
}

/// Judges `challenger` against `champion`. `last_step` says whether passing means `promote`
/// (the challenger already has its final share, or a shadow variant) or `continue`.
pub fn decide(
    champion: &VariantStats,
    challenger: &VariantStats,
    guardrails: &Guardrails,
    last_step: bool,
) -> Verdict {
    let increase = champion
        .error_rate()
        .zip(challenger.error_rate())
        .map(|(base, new)| new - base);
    let test = two_proportion_z_test(
        challenger.errors(),
        challenger.invocations,
        champion.errors(),
        champion.invocations,
    );
    let ratio = match (champion.p99_latency_us, challenger.p99_latency_us) {
        (Some(base), Some(new)) if base > 0.0 => Some(new / base),
        _ => None,
    };
    let degradation = guardrails
        .online_metric
        .as_ref()
        .and_then(relative_degradation);
    let verdict = |decision, reason: String| Verdict {
        decision,
        reason,
        error_rate_increase: increase,
        error_rate_test: test,
        p99_latency_ratio: ratio,
        online_metric_degradation: degradation,
    };

    let fewest = champion.invocations.min(challenger.invocations);
    if fewest < guardrails.min_invocations {
        return verdict(
            Decision::Wait,
            format!(
                "too few invocations to decide: champion {}, challenger {}, need {} each",
                champion.invocations, challenger.invocations, guardrails.min_invocations
            ),
        );
    }
    if let (Some(increase), Some(test)) = (increase, test) {
        if increase > guardrails.max_error_rate_increase {
            if test.p_value < guardrails.significance {
                return verdict(
                    Decision::Rollback,
                    format!(
                        "the error rate rose by {increase:.4} (allowed {}), significant (z = {:.2}, p = {:.4} < {})",
                        guardrails.max_error_rate_increase, test.z, test.p_value, guardrails.significance
                    ),
                );
            }
            return verdict(
                Decision::Wait,
                format!(
                    "the error rate rose by {increase:.4} (allowed {}) but not significantly (p = {:.4} ≥ {}): observing longer",
                    guardrails.max_error_rate_increase, test.p_value, guardrails.significance
                ),
            );
        }
    }
    let Some(ratio) = ratio else {
        return verdict(
            Decision::Wait,
            "no p99 ModelLatency datapoint for both variants in the window".into(),
        );
    };
    if ratio > guardrails.max_p99_latency_ratio {
        return verdict(
            Decision::Rollback,
            format!(
                "p99 model latency is {ratio:.2}x the champion's (allowed {}x)",
                guardrails.max_p99_latency_ratio
            ),
        );
    }
    if let (Some(metric), Some(degradation)) = (&guardrails.online_metric, degradation) {
        if degradation > metric.max_relative_degradation {
            return verdict(
                Decision::Rollback,
                format!(
                    "online {} is {:.1} % worse than the champion's (allowed {:.1} %)",
                    metric.name,
                    degradation * 100.0,
                    metric.max_relative_degradation * 100.0
                ),
            );
        }
    }
    if last_step {
        verdict(
            Decision::Promote,
            "every guardrail holds on the last step".into(),
        )
    } else {
        verdict(
            Decision::Continue,
            "every guardrail holds: next traffic step".into(),
        )
    }
}

/// How much worse the challenger is, relative to the champion (positive = worse); `None` when
/// the champion's value is zero or a value is not finite.
fn relative_degradation(metric: &OnlineMetric) -> Option<f64> {
    if metric.champion == 0.0 || !metric.champion.is_finite() || !metric.challenger.is_finite() {
        return None;
    }
    let change = (metric.challenger - metric.champion) / metric.champion.abs();
    Some(match metric.direction {
        Direction::LowerIsBetter => change,
        Direction::HigherIsBetter => -change,
    })
}

/// Checks the guardrails' ranges; the message names the field.
pub fn validate(guardrails: &Guardrails) -> Result<(), String> {
    let g = guardrails;
    if !(0.0..=1.0).contains(&g.max_error_rate_increase) {
        return Err(format!(
            "guardrails.max_error_rate_increase must be in [0, 1], got {}",
            g.max_error_rate_increase
        ));
    }
    if !(g.significance > 0.0 && g.significance < 1.0) {
        return Err(format!(
            "guardrails.significance must be in (0, 1), got {}",
            g.significance
        ));
    }
    if !(g.max_p99_latency_ratio.is_finite() && g.max_p99_latency_ratio >= 1.0) {
        return Err(format!(
            "guardrails.max_p99_latency_ratio must be a number ≥ 1, got {}",
            g.max_p99_latency_ratio
        ));
    }
    if let Some(m) = &g.online_metric {
        if !(m.max_relative_degradation.is_finite() && m.max_relative_degradation >= 0.0) {
            return Err(format!(
                "guardrails.online_metric.max_relative_degradation must be ≥ 0, got {}",
                m.max_relative_degradation
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guardrails() -> Guardrails {
        Guardrails {
            min_invocations: 500,
            max_error_rate_increase: 0.01,
            significance: 0.05,
            max_p99_latency_ratio: 1.2,
            online_metric: None,
        }
    }

    fn stats(invocations: u64, errors_5xx: u64, p99_ms: f64) -> VariantStats {
        VariantStats {
            invocations,
            errors_4xx: 0,
            errors_5xx,
            p99_latency_us: Some(p99_ms * 1000.0),
        }
    }

    #[test]
    fn a_clear_win_continues_before_the_last_step_and_promotes_on_it() {
        let champion = stats(9000, 90, 40.0);
        let challenger = stats(1000, 8, 38.0);
        let v = decide(&champion, &challenger, &guardrails(), false);
        assert_eq!(v.decision, Decision::Continue, "{}", v.reason);
        assert!(v.error_rate_increase.unwrap() < 0.0);
        assert!((v.p99_latency_ratio.unwrap() - 0.95).abs() < 1e-9);
        let v = decide(&champion, &challenger, &guardrails(), true);
        assert_eq!(v.decision, Decision::Promote);
    }

    #[test]
    fn a_clear_loss_on_errors_rolls_back() {
        // 1 % vs 6 %: an increase of 5 points, z ≈ 10.
        let v = decide(
            &stats(9000, 90, 40.0),
            &stats(1000, 60, 40.0),
            &guardrails(),
            false,
        );
        assert_eq!(v.decision, Decision::Rollback, "{}", v.reason);
        let test = v.error_rate_test.unwrap();
        assert!(test.z > 5.0 && test.p_value < 1e-6, "{test:?}");
        assert!((v.error_rate_increase.unwrap() - 0.05).abs() < 1e-12);
    }

    #[test]
    fn four_hundreds_count_as_errors() {
        let mut challenger = stats(1000, 0, 40.0);
        challenger.errors_4xx = 60;
        let v = decide(&stats(9000, 90, 40.0), &challenger, &guardrails(), false);
        assert_eq!(v.decision, Decision::Rollback, "{}", v.reason);
    }

    #[test]
    fn a_clear_loss_on_latency_rolls_back() {
        let v = decide(
            &stats(9000, 90, 40.0),
            &stats(1000, 10, 60.0),
            &guardrails(),
            true,
        );
        assert_eq!(v.decision, Decision::Rollback, "{}", v.reason);
        assert!((v.p99_latency_ratio.unwrap() - 1.5).abs() < 1e-9);
        assert!(v.reason.contains("latency"));
    }

    #[test]
    fn noise_with_few_invocations_waits_even_when_it_looks_bad() {
        // 3 errors in 40 requests (7.5 %) is alarming on its face but decides nothing.
        let v = decide(
            &stats(9000, 90, 40.0),
            &stats(40, 3, 90.0),
            &guardrails(),
            false,
        );
        assert_eq!(v.decision, Decision::Wait, "{}", v.reason);
        assert!(v.reason.contains("too few invocations"));
    }

    #[test]
    fn an_increase_beyond_the_limit_that_is_not_significant_waits() {
        // 12/500 vs 6/500: +1.2 points > 1 point allowed, but p ≈ 0.08.
        let v = decide(
            &stats(500, 6, 40.0),
            &stats(500, 12, 40.0),
            &guardrails(),
            false,
        );
        assert_eq!(v.decision, Decision::Wait, "{}", v.reason);
        assert!(v.error_rate_test.unwrap().p_value > 0.05);
    }

    #[test]
    fn a_significant_increase_within_the_limit_continues() {
        let mut g = guardrails();
        g.max_error_rate_increase = 0.05;
        let v = decide(&stats(9000, 90, 40.0), &stats(9000, 200, 40.0), &g, false);
        assert!(v.error_rate_test.unwrap().p_value < 0.05);
        assert_eq!(v.decision, Decision::Continue, "{}", v.reason);
    }

    #[test]
    fn missing_datapoints_wait() {
        // No datapoint at all: zero invocations.
        let v = decide(
            &VariantStats::default(),
            &VariantStats::default(),
            &guardrails(),
            true,
        );
        assert_eq!(v.decision, Decision::Wait);
        assert!(v.error_rate_increase.is_none() && v.error_rate_test.is_none());
        // Invocations but no latency datapoint for the challenger.
        let mut challenger = stats(1000, 5, 40.0);
        challenger.p99_latency_us = None;
        let v = decide(&stats(9000, 90, 40.0), &challenger, &guardrails(), true);
        assert_eq!(v.decision, Decision::Wait, "{}", v.reason);
        assert!(v.reason.contains("ModelLatency"));
    }

    #[test]
    fn a_worse_online_metric_rolls_back_in_either_direction() {
        let mut g = guardrails();
        g.online_metric = Some(OnlineMetric {
            name: "mape".into(),
            direction: Direction::LowerIsBetter,
            champion: 10.0,
            challenger: 11.0,
            max_relative_degradation: 0.05,
        });
        let v = decide(&stats(9000, 90, 40.0), &stats(1000, 8, 40.0), &g, true);
        assert_eq!(v.decision, Decision::Rollback, "{}", v.reason);
        assert!((v.online_metric_degradation.unwrap() - 0.1).abs() < 1e-12);
        g.online_metric = Some(OnlineMetric {
            name: "f1".into(),
            direction: Direction::HigherIsBetter,
            champion: 0.80,
            challenger: 0.82,
            max_relative_degradation: 0.05,
        });
        let v = decide(&stats(9000, 90, 40.0), &stats(1000, 8, 40.0), &g, true);
        assert_eq!(v.decision, Decision::Promote, "{}", v.reason);
    }

    #[test]
    fn guardrails_out_of_range_are_refused() {
        let mut g = guardrails();
        g.max_p99_latency_ratio = 0.5;
        assert!(validate(&g).unwrap_err().contains("max_p99_latency_ratio"));
        let mut g = guardrails();
        g.significance = 0.0;
        assert!(validate(&g).unwrap_err().contains("significance"));
        assert!(validate(&guardrails()).is_ok());
    }
}
