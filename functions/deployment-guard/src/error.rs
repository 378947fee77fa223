//! The function's errors. Each variant's name is the Lambda `errorType` that model-deployment's
//! `Retry`/`Catch` match: never rename one.

use aws_sdk_sagemaker::error::{ProvideErrorMetadata, SdkError};

/// Why the guard could not decide.
#[derive(Debug, thiserror::Error, strum::IntoStaticStr, strum::VariantNames)]
pub enum GuardError {
    /// The request is malformed or a guardrail is out of range.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The endpoint does not exist.
    #[error("endpoint {0} does not exist")]
    EndpointNotFound(String),
    /// The endpoint exists but is not `InService` (still updating, failed, out of service).
    #[error("endpoint {endpoint} is {status}, not InService")]
    EndpointNotInService {
        /// The endpoint's name.
        endpoint: String,
        /// Its `EndpointStatus`.
        status: String,
    },
    /// A variant named in the request is not on the endpoint (as a production or shadow variant).
    #[error("variant {variant} is not on endpoint {endpoint} (variants: {present})")]
    VariantNotFound {
        /// The endpoint's name.
        endpoint: String,
        /// The missing variant.
        variant: String,
        /// The variants it has.
        present: String,
    },
    /// SageMaker or CloudWatch refused the request (validation, permissions): a retry cannot help.
    #[error("{operation} refused: {message}")]
    RequestRejected {
        /// The API operation, e.g. `GetMetricData`.
        operation: &'static str,
        /// The service's code and message.
        message: String,
    },
    /// Throttling, a 5xx, a time-out or a dropped connection: worth a retry.
    #[error("{operation} unavailable: {message}")]
    ServiceUnavailable {
        /// The API operation.
        operation: &'static str,
        /// What happened.
        message: String,
    },
}

shared::lambda_error!(GuardError);

/// The typed error of a failed SDK call of `operation` (SageMaker and CloudWatch share the
/// SDK's error type): throttling, 5xx and transport failures are `ServiceUnavailable`, other
/// service errors `RequestRejected`.
pub fn from_sdk<E>(operation: &'static str, error: &SdkError<E>) -> GuardError
where
    E: ProvideErrorMetadata + std::fmt::Debug,
{
    match error {
        SdkError::ServiceError(context) => {
            let code = context.err().code().unwrap_or("Unknown");
            let message = format!("{code}: {}", context.err().message().unwrap_or(""));
            let status = context.raw().status().as_u16();
            if shared::retry::classify_code(code, status).is_retryable() {
                GuardError::ServiceUnavailable { operation, message }
            } else {
                GuardError::RequestRejected { operation, message }
            }
        }
        other => GuardError::ServiceUnavailable {
            operation,
            message: format!("{other:?}").chars().take(500).collect(),
        },
    }
}
