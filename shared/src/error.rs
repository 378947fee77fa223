//! One error pattern for every function: a `thiserror` enum whose variant names are the Lambda
//! `errorType`s that ASL `Retry`/`Catch` match on.
//!
//! ```text
//! #[derive(Debug, thiserror::Error, strum::IntoStaticStr)]
//! pub enum EvaluateError {
//!     #[error("no object at {0}")]
//!     PredictionsNotFound(String),
//! }
//! impl shared::ErrorType for EvaluateError {
//!     fn error_type(&self) -> &'static str { self.into() }
//! }
//! impl From<EvaluateError> for lambda_runtime::Diagnostic {
//!     fn from(e: EvaluateError) -> Self { shared::diagnostic(&e) }
//! }
//! ```
//! The variant names are API: renaming one breaks every state machine that catches it.

use lambda_runtime::Diagnostic;

/// An error with a stable, machine-matchable name.
pub trait ErrorType: std::fmt::Display {
    /// The Lambda `errorType`: the name ASL `ErrorEquals` lists.
    fn error_type(&self) -> &'static str;
}

/// Turns a typed error into the Lambda runtime's error report, logging it once.
pub fn diagnostic<E: ErrorType>(error: &E) -> Diagnostic {
    let error_type = error.error_type();
    let message = error.to_string();
    tracing::error!(error_type, error_message = %message, "invocation failed");
    Diagnostic {
        error_type: error_type.to_string(),
        error_message: message,
    }
}
