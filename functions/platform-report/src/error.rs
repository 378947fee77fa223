//! The function's errors. Each variant's name is the Lambda `errorType`: never rename one.
//! A source that cannot be read is not an error: the report shows it as "no data".

/// Why a report run failed.
#[derive(Debug, thiserror::Error, strum::IntoStaticStr, strum::VariantNames)]
pub enum ReportError {
    /// The input is not `{"week_ending": "YYYY-MM-DD"}` (optional).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// A required environment variable is missing or malformed.
    #[error("configuration: {0}")]
    Configuration(String),
    /// The report could not be written to S3.
    #[error("cannot write s3://{bucket}/{key}: {message}")]
    ReportNotWritten {
        /// The bucket.
        bucket: String,
        /// The key.
        key: String,
        /// What S3 said.
        message: String,
    },
    /// The summary could not be published to the notifications topic.
    #[error("cannot publish the summary to {topic}: {message}")]
    SummaryNotPublished {
        /// The topic ARN.
        topic: String,
        /// What SNS said.
        message: String,
    },
}

shared::lambda_error!(ReportError);

impl From<shared::settings::SettingError> for ReportError {
    fn from(error: shared::settings::SettingError) -> Self {
        Self::Configuration(error.0)
    }
}
