//! The function's errors. Each variant's name is the Lambda `errorType` that the retraining
//! state machine's `Retry`/`Catch` match: never rename one.

/// Why a registry step failed.
#[derive(Debug, thiserror::Error, strum::IntoStaticStr, strum::VariantNames)]
pub enum RegistryError {
    /// The request is not one of the actions, or a field is missing or malformed.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The model has no entry in the model catalogue (`config/models.yaml`).
    #[error("model {0} is not in the model catalogue (config/models.yaml)")]
    ModelNotInCatalogue(String),
    /// The model's package group does not exist (the template creates one per model).
    #[error("model package group {0} does not exist")]
    ModelPackageGroupNotFound(String),
    /// A model package named in the request does not exist.
    #[error("model package {0} does not exist")]
    ModelPackageNotFound(String),
    /// The serving version lacks what the pipeline needs (e.g. its metrics).
    #[error("registry record invalid: {0}")]
    RegistryRecordInvalid(String),
    /// SageMaker refused the request (validation, limits): retrying the same call cannot help.
    #[error("SageMaker refused {operation}: {message}")]
    RegistryRequestRejected {
        /// The API operation, e.g. `CreateModelPackage`.
        operation: &'static str,
        /// SageMaker's code and message.
        message: String,
    },
    /// Throttling, a 5xx, a time-out or a dropped connection: worth a retry.
    #[error("SageMaker {operation} unavailable: {message}")]
    RegistryUnavailable {
        /// The API operation.
        operation: &'static str,
        /// What happened.
        message: String,
    },
}

shared::lambda_error!(RegistryError);
