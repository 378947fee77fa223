//! The function's errors. Each variant's name is the Lambda `errorType` that a caller's
//! `Retry`/`Catch` (or an alarm's filter) matches: never rename one.
//!
//! A check that cannot run (Athena failed, cancelled, or the deadline passed) is *not* an error
//! of the invocation: it is an `error` result in the summary and in the alert. The invocation
//! fails only when it cannot run at all, or when the alert for a run with problems could not be
//! published (so that Lambda's retry, or the state machine's, tries again).

/// Why an invocation failed as a whole.
#[derive(Debug, thiserror::Error, strum::IntoStaticStr, strum::VariantNames)]
pub enum DataQualityError {
    /// The payload is neither the Scheduler payload nor `{window_start, window_end, tables?}`,
    /// or names a table the rules file does not have.
    #[error("invalid event: {0}")]
    InvalidEvent(String),
    /// A required environment variable is missing or invalid.
    #[error("configuration error: {0}")]
    Configuration(String),
    /// The rules file does not validate (each problem names its table, check and field).
    #[error("invalid rules file: {0}")]
    RulesInvalid(String),
    /// The run found problems but SNS refused the alert.
    #[error("could not publish the data-quality alert: {0}")]
    AlertNotPublished(String),
}

shared::lambda_error!(DataQualityError);

impl From<shared::settings::SettingError> for DataQualityError {
    fn from(error: shared::settings::SettingError) -> Self {
        Self::Configuration(error.0)
    }
}
