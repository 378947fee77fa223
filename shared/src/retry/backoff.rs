//! Exponential back-off with full jitter (AWS Architecture Blog, "Exponential Backoff and
//! Jitter"): before retry `n` (0-based) wait a uniformly random time in
//! `[0, min(cap, base * 2^n))`. Sleeping and randomness are dependencies, so tests run retries
//! without waiting and check the delays.

use futures::future::BoxFuture;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// The retry policy of one call: exponential ceilings from `base` up to `cap`, `max_attempts` in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The first retry's ceiling.
    pub base: Duration,
    /// The largest ceiling.
    pub cap: Duration,
    /// Attempts in all (the first one included) before the remaining items count as failed.
    pub max_attempts: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::from_millis(50),
            cap: Duration::from_secs(5),
            max_attempts: 10,
        }
    }
}

impl Backoff {
    /// The ceiling before retry `retry` (0-based): `min(cap, base * 2^retry)`.
    pub fn ceiling(&self, retry: u32) -> Duration {
        let factor = 1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// The delay before retry `retry` for a jitter `fraction` in `[0, 1)`.
    pub fn delay(&self, retry: u32, fraction: f64) -> Duration {
        self.ceiling(retry).mul_f64(fraction.clamp(0.0, 1.0))
    }
}

/// Waits.
pub trait Sleeper: Send + Sync + std::fmt::Debug {
    /// A future that completes after `duration`.
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;
}

/// Tokio's timer.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSleeper;

impl Sleeper for TokioSleeper {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// A sleeper that does not wait but remembers what it was asked (tests).
#[derive(Debug, Default)]
pub struct RecordingSleeper {
    slept: Mutex<Vec<Duration>>,
}

impl RecordingSleeper {
    /// Every requested duration, in order.
    pub fn slept(&self) -> Vec<Duration> {
        self.slept
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

impl Sleeper for RecordingSleeper {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        self.slept
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(duration);
        Box::pin(std::future::ready(()))
    }
}

/// A source of jitter fractions in `[0, 1)`.
pub trait Jitter: Send + Sync + std::fmt::Debug {
    /// The next fraction.
    fn fraction(&self) -> f64;
}

/// A small xorshift64* generator seeded from the clock: jitter needs spread, not secrecy.
#[derive(Debug)]
pub struct RandomJitter {
    state: AtomicU64,
}

impl Default for RandomJitter {
    fn default() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x9E37_79B9_7F4A_7C15);
        Self::seeded(nanos ^ u64::from(std::process::id()).rotate_left(32))
    }
}

impl RandomJitter {
    /// A generator with a fixed seed (reproducible).
    pub fn seeded(seed: u64) -> Self {
        Self {
            state: AtomicU64::new(seed | 1),
        }
    }
}

impl Jitter for RandomJitter {
    fn fraction(&self) -> f64 {
        let mut next = 0;
        let _ = self
            .state
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |mut x| {
                x ^= x >> 12;
                x ^= x << 25;
                x ^= x >> 27;
                next = x;
                Some(x)
            });
        // The top 53 bits of the xorshift64* output, as a fraction in [0, 1).
        (next.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The same fraction every time (tests).
#[derive(Debug, Clone, Copy)]
pub struct FixedJitter(pub f64);

impl Jitter for FixedJitter {
    fn fraction(&self) -> f64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceilings_double_up_to_the_cap() {
        let backoff = Backoff {
            base: Duration::from_millis(100),
            cap: Duration::from_millis(1000),
            max_attempts: 5,
        };
        let ceilings: Vec<u128> = (0..6).map(|n| backoff.ceiling(n).as_millis()).collect();
        assert_eq!(ceilings, [100, 200, 400, 800, 1000, 1000]);
        assert_eq!(backoff.ceiling(200), Duration::from_millis(1000));
        assert_eq!(backoff.delay(2, 0.5), Duration::from_millis(200));
        assert_eq!(backoff.delay(2, 0.0), Duration::ZERO);
    }

    #[test]
    fn random_fractions_stay_in_the_unit_interval_and_spread() {
        let jitter = RandomJitter::seeded(42);
        let values: Vec<f64> = (0..10_000).map(|_| jitter.fraction()).collect();
        assert!(values.iter().all(|v| (0.0..1.0).contains(v)));
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        assert!((0.45..0.55).contains(&mean), "{mean}");
    }
}
