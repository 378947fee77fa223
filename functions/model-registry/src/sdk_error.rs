//! SageMaker call failures sorted into the function's typed errors.

use crate::error::RegistryError;
use aws_sdk_sagemaker::error::{ProvideErrorMetadata, SdkError};

/// How a failed call reads.
#[derive(Debug)]
pub enum Failure {
    /// The named resource does not exist (SageMaker answers `ValidationException` or
    /// `ResourceNotFound` with "does not exist" / "not found").
    NotFound,
    /// Any other failure, already typed.
    Other(RegistryError),
}

/// The typed error for an SDK error of `operation`: `not_found` when SageMaker says the named
/// resource does not exist, else throttling/5xx/transport as `RegistryUnavailable` and the
/// rest as `RegistryRequestRejected`.
pub fn typed<E>(
    operation: &'static str,
    error: &SdkError<E>,
    not_found: RegistryError,
) -> RegistryError
where
    E: ProvideErrorMetadata + std::fmt::Debug,
{
    match classify(operation, error) {
        Failure::NotFound => not_found,
        Failure::Other(error) => error,
    }
}

/// Sorts an SDK error of `operation`.
pub fn classify<E>(operation: &'static str, error: &SdkError<E>) -> Failure
where
    E: ProvideErrorMetadata + std::fmt::Debug,
{
    match error {
        SdkError::ServiceError(context) => {
            let code = context.err().code().unwrap_or("Unknown");
            let message = context.err().message().unwrap_or("").to_string();
            let status = context.raw().status().as_u16();
            let lower = message.to_ascii_lowercase();
            if code == "ResourceNotFound"
                || (code == "ValidationException"
                    && (lower.contains("does not exist") || lower.contains("not found")))
            {
                Failure::NotFound
            } else if shared::retry::classify_code(code, status).is_retryable() {
                Failure::Other(RegistryError::RegistryUnavailable {
                    operation,
                    message: format!("{code}: {message}"),
                })
            } else {
                Failure::Other(RegistryError::RegistryRequestRejected {
                    operation,
                    message: format!("{code}: {message}"),
                })
            }
        }
        other => Failure::Other(RegistryError::RegistryUnavailable {
            operation,
            message: format!("{other:?}").chars().take(500).collect(),
        }),
    }
}
