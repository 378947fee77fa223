//! `Retry`: retriers, error matching and back-off arithmetic.

use crate::clock::Rng;
use crate::error::names;

/// `JitterStrategy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Jitter {
    /// No jitter (the default).
    #[default]
    None,
    /// A random delay between 0 and the computed interval.
    Full,
}

/// One retrier of a `Retry` field.
#[derive(Debug, Clone, PartialEq)]
pub struct Retrier {
    /// Error names this retrier handles.
    pub error_equals: Vec<String>,
    /// Seconds before the first retry (default 1).
    pub interval_seconds: f64,
    /// Retries allowed (default 3; 0 means never).
    pub max_attempts: u32,
    /// Multiplier of the interval per attempt (default 2.0).
    pub backoff_rate: f64,
    /// Upper bound of an interval, in seconds.
    pub max_delay_seconds: Option<f64>,
    /// Jitter strategy.
    pub jitter: Jitter,
}

impl Default for Retrier {
    fn default() -> Retrier {
        Retrier {
            error_equals: Vec::new(),
            interval_seconds: 1.0,
            max_attempts: 3,
            backoff_rate: 2.0,
            max_delay_seconds: None,
            jitter: Jitter::None,
        }
    }
}

impl Retrier {
    /// The delay before retry number `attempt` (0 for the first retry), in milliseconds.
    pub fn delay_ms(&self, attempt: u32, rng: &dyn Rng) -> i64 {
        let mut secs = self.interval_seconds * self.backoff_rate.powi(attempt as i32);
        if let Some(max) = self.max_delay_seconds {
            secs = secs.min(max);
        }
        if self.jitter == Jitter::Full {
            secs *= rng.next_f64();
        }
        if !secs.is_finite() {
            return i64::MAX / 4;
        }
        (secs * 1000.0).round().clamp(0.0, (i64::MAX / 4) as f64) as i64
    }
}

/// Whether an `ErrorEquals` list matches `error`, with AWS's wildcard rules:
/// `States.ALL` matches every error except `States.Runtime` and `States.DataLimitExceeded`
/// (which cannot be retried or caught by the wildcard); `States.TaskFailed` matches every
/// error except `States.Timeout` and those two.
pub fn error_matches(error_equals: &[String], error: &str) -> bool {
    let terminal = error == names::RUNTIME || error == names::DATA_LIMIT_EXCEEDED;
    error_equals.iter().any(|e| {
        e == error
            || (e == names::ALL && !terminal)
            || (e == names::TASK_FAILED && !terminal && error != names::TIMEOUT)
    })
}

/// What the retriers decided for one failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Retry after `delay_ms` milliseconds, as the retrier at index `retrier` says.
    RetryAfter {
        /// Index of the retrier in the `Retry` list.
        retrier: usize,
        /// The back-off before the retry.
        delay_ms: i64,
    },
    /// No retrier applies, or the matching one is exhausted.
    GiveUp,
}

/// Picks the first retrier that matches `error` and counts the attempt in `counts`
/// (one counter per retrier).
pub fn decide(
    retriers: &[Retrier],
    counts: &mut [u32],
    error: &str,
    rng: &dyn Rng,
) -> RetryDecision {
    for (i, r) in retriers.iter().enumerate() {
        if error_matches(&r.error_equals, error) {
            if counts[i] >= r.max_attempts {
                return RetryDecision::GiveUp;
            }
            let delay_ms = r.delay_ms(counts[i], rng);
            counts[i] += 1;
            return RetryDecision::RetryAfter {
                retrier: i,
                delay_ms,
            };
        }
    }
    RetryDecision::GiveUp
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SeededRng;

    fn r(e: &str) -> Retrier {
        Retrier {
            error_equals: vec![e.to_string()],
            ..Retrier::default()
        }
    }

    #[test]
    fn intervals_grow_by_the_backoff_rate_and_stop_at_the_max_delay() {
        let rng = SeededRng::new(0);
        let mut rt = r("X");
        rt.interval_seconds = 2.0;
        rt.backoff_rate = 3.0;
        assert_eq!(rt.delay_ms(0, &rng), 2000);
        assert_eq!(rt.delay_ms(1, &rng), 6000);
        assert_eq!(rt.delay_ms(2, &rng), 18000);
        rt.max_delay_seconds = Some(10.0);
        assert_eq!(rt.delay_ms(2, &rng), 10000);
    }

    #[test]
    fn full_jitter_stays_below_the_interval() {
        let rng = SeededRng::new(3);
        let mut rt = r("X");
        rt.jitter = Jitter::Full;
        for a in 0..5 {
            let d = rt.delay_ms(a, &rng);
            assert!((0..=1000 * 2i64.pow(a)).contains(&d));
        }
    }

    #[test]
    fn retry_absorbs_up_to_max_attempts_then_gives_up() {
        let rng = SeededRng::new(0);
        let mut rt = r("Boom");
        rt.max_attempts = 2;
        let rs = vec![rt];
        let mut counts = vec![0];
        assert_eq!(
            decide(&rs, &mut counts, "Boom", &rng),
            RetryDecision::RetryAfter {
                retrier: 0,
                delay_ms: 1000
            }
        );
        assert_eq!(
            decide(&rs, &mut counts, "Boom", &rng),
            RetryDecision::RetryAfter {
                retrier: 0,
                delay_ms: 2000
            }
        );
        assert_eq!(
            decide(&rs, &mut counts, "Boom", &rng),
            RetryDecision::GiveUp
        );
    }

    #[test]
    fn max_attempts_zero_never_retries() {
        let rng = SeededRng::new(0);
        let mut rt = r("States.ALL");
        rt.max_attempts = 0;
        assert_eq!(decide(&[rt], &mut [0], "X", &rng), RetryDecision::GiveUp);
    }

    #[test]
    fn an_exhausted_matching_retrier_does_not_fall_through_to_later_ones() {
        let rng = SeededRng::new(0);
        let mut first = r("Boom");
        first.max_attempts = 0;
        let rs = vec![first, r("States.ALL")];
        assert_eq!(
            decide(&rs, &mut [0, 0], "Boom", &rng),
            RetryDecision::GiveUp
        );
    }

    #[test]
    fn wildcards_skip_terminal_errors() {
        let all = vec!["States.ALL".to_string()];
        assert!(error_matches(&all, "Custom"));
        assert!(!error_matches(&all, "States.Runtime"));
        assert!(!error_matches(&all, "States.DataLimitExceeded"));
        let tf = vec!["States.TaskFailed".to_string()];
        assert!(error_matches(&tf, "Custom"));
        assert!(!error_matches(&tf, "States.Timeout"));
        assert!(error_matches(
            &["States.DataLimitExceeded".to_string()],
            "States.DataLimitExceeded"
        ));
    }
}
