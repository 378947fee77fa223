//! The retry policy of the cache writes: the project's one back-off, [`shared::retry`].
pub use shared::retry::{
    Backoff, FixedJitter, Jitter, RandomJitter, RecordingSleeper, Sleeper, TokioSleeper,
};
