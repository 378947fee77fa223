//! The function's errors. Each variant's name is the Lambda `errorType` that a caller's
//! `Retry`/`Catch` (or an alarm's metric filter) matches: never rename one.
//!
//! A malformed line or an item that could not be written is *not* an error by itself: it is
//! counted, reported with its file and line, and the run fails only when the configured policy
//! says so ([`CacheWarmupError::MalformedRecord`] with `on_malformed = fail`) or when failures
//! exceed the configured share ([`CacheWarmupError::TooManyFailures`]).

use shared::storage::StorageError;

/// Why an invocation failed as a whole.
#[derive(Debug, thiserror::Error, strum::IntoStaticStr, strum::VariantNames)]
pub enum CacheWarmupError {
    /// The event is not a valid warm-up request (bad date, unknown field, no date at all).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// A required environment variable is missing or invalid.
    #[error("configuration error: {0}")]
    Configuration(String),
    /// No forecast file (or no forecast record) under the date's location.
    #[error("no forecasts for {date} at {location}: {detail}")]
    ForecastsNotFound {
        /// The forecast date.
        date: String,
        /// The prefix (or object) that was read.
        location: String,
        /// What was found instead.
        detail: String,
    },
    /// A malformed line with `on_malformed = fail`.
    #[error("malformed forecast record at {uri} line {line}: {reason}")]
    MalformedRecord {
        /// The file.
        uri: String,
        /// 1-based line number.
        line: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// Items that were read but not written exceed the configured share: the cache is partial.
    #[error(
        "partial load for {date}: {failed} of {read} items failed ({share:.4} > allowed {allowed:.4}); \
         {written} written, {malformed} malformed; first problems: {samples}"
    )]
    TooManyFailures {
        /// The forecast date.
        date: String,
        /// Items read.
        read: u64,
        /// Items written.
        written: u64,
        /// Items not written (malformed or failed writes).
        failed: u64,
        /// Of which malformed lines.
        malformed: u64,
        /// `failed / read`.
        share: f64,
        /// The configured maximum share.
        allowed: f64,
        /// A few problems, with file and line.
        samples: String,
    },
    /// The cache table refused the writes for a reason a retry does not fix (missing table,
    /// access denied, ...).
    #[error("cannot write to the cache table: {0}")]
    CacheWriteFailed(String),
    /// A transient storage failure (throttling, 5xx, network): worth a retry.
    #[error("{0}")]
    StorageUnavailable(String),
    /// A compressed forecast file is corrupt.
    #[error("{0}")]
    CorruptInput(String),
    /// Any other storage failure (e.g. access denied).
    #[error("{0}")]
    StorageFailed(String),
    /// The cache was loaded, but every warm-up request to the SageMaker endpoint failed.
    #[error("cache loaded ({written} items) but the endpoint warm-up failed: {detail}")]
    EndpointWarmupFailed {
        /// Items written to the cache before the warm-up.
        written: u64,
        /// The first failure.
        detail: String,
    },
}

shared::lambda_error!(CacheWarmupError);

impl CacheWarmupError {
    /// Maps a storage error met while reading forecasts for `date`.
    pub fn from_storage(date: &str, error: StorageError) -> Self {
        match error {
            StorageError::InvalidUri { .. } => CacheWarmupError::InvalidInput(error.to_string()),
            StorageError::NotFound { uri } => CacheWarmupError::ForecastsNotFound {
                date: date.to_string(),
                location: uri,
                detail: "no such object, bucket or directory".to_string(),
            },
            StorageError::Unavailable { .. } => {
                CacheWarmupError::StorageUnavailable(error.to_string())
            }
            StorageError::Corrupt { .. } => CacheWarmupError::CorruptInput(error.to_string()),
            StorageError::Failed { .. } => CacheWarmupError::StorageFailed(error.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::ErrorType;

    #[test]
    fn error_types_are_the_variant_names() {
        let error = CacheWarmupError::from_storage(
            "2026-11-27",
            StorageError::NotFound {
                uri: "s3://b/k".into(),
            },
        );
        assert_eq!(error.error_type(), "ForecastsNotFound");
        assert_eq!(
            CacheWarmupError::CacheWriteFailed("x".into()).error_type(),
            "CacheWriteFailed"
        );
    }
}
