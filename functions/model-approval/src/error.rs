//! The function's errors. Each variant's name is the Lambda `errorType` (alarms and the
//! EventBridge target's dead-letter queue see it): never rename one.

/// Why an invocation failed.
#[derive(Debug, thiserror::Error, strum::IntoStaticStr, strum::VariantNames)]
pub enum ApprovalError {
    /// The payload is not a SageMaker model package state change event.
    #[error("invalid event: {0}")]
    InvalidEvent(String),
    /// A required environment variable is missing.
    #[error("configuration error: {0}")]
    Configuration(String),
    /// DynamoDB or Step Functions failed in a way a retry may fix (EventBridge retries the event).
    #[error("approval could not be delivered: {0}")]
    ApprovalDeliveryFailed(String),
}

shared::lambda_error!(ApprovalError);
