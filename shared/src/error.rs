//! One error pattern for every function: a `thiserror` enum whose variant names are the Lambda
//! `errorType`s that ASL `Retry`/`Catch` match on.
//!
//! ```text
//! #[derive(Debug, thiserror::Error, strum::IntoStaticStr, strum::VariantNames)]
//! pub enum EvaluateError {
//!     #[error("no object at {0}")]
//!     PredictionsNotFound(String),
//! }
//! shared::lambda_error!(EvaluateError);
//! ```
//! [`lambda_error!`](crate::lambda_error) writes the two impls every function needs
//! ([`ErrorType`] from the variant name, `From<E> for lambda_runtime::Diagnostic`), so there is
//! one error-to-Lambda mapping.
//! The variant names are API: renaming one breaks every state machine that catches it.

use lambda_runtime::Diagnostic;

/// An error with a stable, machine-matchable name.
pub trait ErrorType: std::fmt::Display {
    /// The Lambda `errorType`: the name ASL `ErrorEquals` lists.
    fn error_type(&self) -> &'static str;
}

/// Every `errorType` a function's error can have: the contract that `pipelines validate`
/// checks the state machines' `Retry`/`Catch` `ErrorEquals` against.
pub trait ErrorTypes {
    /// The names, as [`ErrorType::error_type`] gives them.
    const ERROR_TYPES: &'static [&'static str];
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

#[doc(hidden)]
pub use lambda_runtime::Diagnostic as __Diagnostic;

/// Makes a `thiserror` enum deriving `strum::IntoStaticStr` and `strum::VariantNames` a Lambda
/// error: its [`ErrorType`] is the variant's name, [`ErrorTypes`] lists every variant's, and
/// `lambda_runtime::Diagnostic::from` reports it through [`diagnostic`]. (A macro, because the
/// orphan rule forbids a blanket `From` impl for the runtime's type.)
#[macro_export]
macro_rules! lambda_error {
    ($error:ty) => {
        impl $crate::ErrorType for $error {
            fn error_type(&self) -> &'static str {
                self.into()
            }
        }

        impl $crate::ErrorTypes for $error {
            const ERROR_TYPES: &'static [&'static str] =
                <$error as ::strum::VariantNames>::VARIANTS;
        }

        impl From<$error> for $crate::error::__Diagnostic {
            fn from(error: $error) -> Self {
                $crate::diagnostic(&error)
            }
        }
    };
}
