//! The function's errors. Each variant's name is the Lambda `errorType`: never rename one.

use model_registry::error::RegistryError;
use model_registry::sdk_error::{classify, Failure};

/// Why a clean-up run failed.
#[derive(Debug, thiserror::Error, strum::IntoStaticStr, strum::VariantNames)]
pub enum CleanupError {
    /// The input is not `{"retention_days": N, "dry_run": bool}` (both optional).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// A required environment variable is missing or malformed.
    #[error("configuration: {0}")]
    Configuration(String),
    /// Throttling, a 5xx, a time-out or a dropped connection: worth a retry next week.
    #[error("SageMaker {operation} unavailable: {message}")]
    SageMakerUnavailable {
        /// The API operation, e.g. `ListModels`.
        operation: &'static str,
        /// What happened.
        message: String,
    },
    /// SageMaker refused a call (permissions, validation).
    #[error("SageMaker refused {operation}: {message}")]
    SageMakerRequestRejected {
        /// The API operation.
        operation: &'static str,
        /// SageMaker's code and message.
        message: String,
    },
    /// Some deletions failed after the others went through; the log lists each.
    #[error("{failed} of {attempted} deletions failed, first: {first}")]
    DeletionsFailed {
        /// How many failed.
        failed: usize,
        /// How many were tried.
        attempted: usize,
        /// The first failure's text.
        first: String,
    },
}

shared::lambda_error!(CleanupError);

/// What a failed SageMaker call means here: `None` when the named resource does not exist (it
/// went between listing and reading), else the typed error. The sorting is the model registry's
/// (`model_registry::sdk_error::classify`), so both functions read SageMaker's answers alike.
pub fn sagemaker<E>(
    operation: &'static str,
    error: &aws_sdk_sagemaker::error::SdkError<E>,
) -> Option<CleanupError>
where
    E: aws_sdk_sagemaker::error::ProvideErrorMetadata + std::fmt::Debug,
{
    match classify(operation, error) {
        Failure::NotFound => None,
        Failure::Other(RegistryError::RegistryRequestRejected { operation, message }) => {
            Some(CleanupError::SageMakerRequestRejected { operation, message })
        }
        Failure::Other(RegistryError::RegistryUnavailable { operation, message }) => {
            Some(CleanupError::SageMakerUnavailable { operation, message })
        }
        Failure::Other(other) => Some(CleanupError::SageMakerRequestRejected {
            operation,
            message: other.to_string(),
        }),
    }
}

/// [`sagemaker`] for calls whose "not found" is itself an error (a listing).
pub fn required<E>(
    operation: &'static str,
    error: &aws_sdk_sagemaker::error::SdkError<E>,
) -> CleanupError
where
    E: aws_sdk_sagemaker::error::ProvideErrorMetadata + std::fmt::Debug,
{
    sagemaker(operation, error).unwrap_or(CleanupError::SageMakerRequestRejected {
        operation,
        message: "not found".into(),
    })
}
