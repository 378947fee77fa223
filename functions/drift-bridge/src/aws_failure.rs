//! One description of an AWS call failure, whatever the service: what failed, whether it is
//! worth retrying, and the message for the logs.

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

/// A failed AWS call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsFailure {
    /// The operation, e.g. `dynamodb:PutItem`.
    pub operation: &'static str,
    /// The service's error code, or the SDK's failure kind (`timeout`, `dispatch`, ...).
    pub code: String,
    /// Throttling, 5xx, time-outs and connection failures: a retry may succeed.
    pub transient: bool,
    /// The message for the logs.
    pub message: String,
}

impl std::fmt::Display for AwsFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} failed ({}): {}",
            self.operation, self.code, self.message
        )
    }
}

impl AwsFailure {
    /// Describes an SDK error of `operation` (DynamoDB and Step Functions share the error type).
    pub fn from_sdk<E>(operation: &'static str, error: &SdkError<E>) -> Self
    where
        E: ProvideErrorMetadata + std::fmt::Debug,
    {
        match error {
            SdkError::ServiceError(context) => {
                let code = context.err().code().unwrap_or("Unknown").to_string();
                let status = context.raw().status().as_u16();
                let transient = shared::retry::classify_code(&code, status).is_retryable();
                let message = context.err().message().unwrap_or("").to_string();
                Self {
                    operation,
                    code,
                    transient,
                    message,
                }
            }
            SdkError::TimeoutError(_) => Self::transient(operation, "timeout", error),
            SdkError::DispatchFailure(_) => Self::transient(operation, "dispatch", error),
            SdkError::ResponseError(_) => Self::transient(operation, "response", error),
            _ => Self {
                operation,
                code: "construction".to_string(),
                transient: false,
                message: format!("{error:?}"),
            },
        }
    }

    fn transient(operation: &'static str, code: &str, error: &dyn std::fmt::Debug) -> Self {
        Self {
            operation,
            code: code.to_string(),
            transient: true,
            message: format!("{error:?}"),
        }
    }
}
