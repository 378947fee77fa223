//! The function's errors. Each variant's name is the Lambda `errorType` that a caller's
//! `Retry`/`Catch` (or an alarm's filter) matches: never rename one.
//!
//! Per-record problems of a Kafka batch are *not* errors of the invocation: a malformed record
//! is counted and skipped, a transient failure is reported in `batchItemFailures`. Only an
//! invocation that cannot be understood at all, a broken configuration, or a transient failure
//! of a single EventBridge event fails the invocation.

/// Why an invocation failed as a whole.
#[derive(Debug, thiserror::Error, strum::IntoStaticStr, strum::VariantNames)]
pub enum DriftBridgeError {
    /// The payload is neither a Lambda Kafka event nor an EventBridge event.
    #[error("invalid event: {0}")]
    InvalidEvent(String),
    /// A required environment variable is missing or invalid.
    #[error("configuration error: {0}")]
    Configuration(String),
    /// DynamoDB or Step Functions failed for an EventBridge-delivered drift event (worth a retry).
    #[error("could not trigger retraining: {0}")]
    TriggerUnavailable(String),
}

shared::lambda_error!(DriftBridgeError);

impl From<shared::settings::SettingError> for DriftBridgeError {
    fn from(error: shared::settings::SettingError) -> Self {
        Self::Configuration(error.0)
    }
}
