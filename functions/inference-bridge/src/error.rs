//! The function's errors. Each variant's name is the Lambda `errorType`: never rename one.
//!
//! Per-record problems are *not* errors of the invocation: a malformed record is counted and
//! skipped, a failed or unreachable workflow is reported in `batchItemFailures`. Only a payload
//! that is not a Kafka batch, or a broken configuration, fails the invocation.

/// Why an invocation failed as a whole.
#[derive(Debug, thiserror::Error, strum::IntoStaticStr, strum::VariantNames)]
pub enum InferenceBridgeError {
    /// The payload is not a Lambda Kafka event.
    #[error("invalid event: {0}")]
    InvalidEvent(String),
    /// A required environment variable is missing or invalid.
    #[error("configuration error: {0}")]
    Configuration(String),
}

shared::lambda_error!(InferenceBridgeError);
