//! The function's errors. Each variant's name is the Lambda `errorType` (what the DLQ message and
//! the `Errors` metric's logs carry): never rename one.
//!
//! No variant ever holds the webhook URL: the URL is a secret, and error texts end up in logs.

/// Why a notification could not be delivered.
#[derive(Debug, thiserror::Error, strum::IntoStaticStr, strum::VariantNames)]
pub enum NotifyError {
    /// The invocation event is not an SNS event.
    #[error("invalid event: {0}")]
    InvalidEvent(String),
    /// The webhook secret could not be read from Secrets Manager (cold start).
    #[error("cannot read the Slack webhook secret {secret_id}: {detail}")]
    SecretUnavailable {
        /// The secret's name or ARN (not its value).
        secret_id: String,
        /// What went wrong.
        detail: String,
    },
    /// The secret does not hold a usable webhook URL (the value itself is never shown).
    #[error("the Slack webhook secret {secret_id} does not hold a usable webhook URL: {detail}")]
    InvalidWebhookUrl {
        /// The secret's name or ARN (not its value).
        secret_id: String,
        /// What is wrong with the value, without the value.
        detail: String,
    },
    /// A required setting (environment variable) is missing.
    #[error("missing configuration: {0}")]
    MissingConfiguration(String),
    /// Slack kept answering 5xx, or could not be reached, through every attempt.
    #[error("Slack is unavailable after {attempts} attempts: {last}")]
    SlackUnavailable {
        /// Attempts made.
        attempts: u32,
        /// The last failure (status or connection error, without the URL).
        last: String,
    },
    /// Slack kept answering 429 (rate limited) through every attempt, or asked for a wait longer
    /// than the invocation can afford.
    #[error("Slack rate-limited every attempt ({attempts} attempts; last Retry-After {retry_after_seconds} s)")]
    SlackRateLimited {
        /// Attempts made.
        attempts: u32,
        /// The last `Retry-After`, in seconds.
        retry_after_seconds: u64,
    },
    /// Slack refused the message (4xx other than 429), even in its plain-text form.
    #[error("Slack refused the message with HTTP {status}: {body}")]
    SlackRejected {
        /// The HTTP status.
        status: u16,
        /// Slack's answer (e.g. `invalid_blocks`, `no_service`), shortened.
        body: String,
    },
}

shared::lambda_error!(NotifyError);
