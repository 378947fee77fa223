//! One retry policy and one classifier of failed AWS calls for every function.
//!
//! [`classify`] sorts an SDK error the way the SDK's own standard retry strategy does: the
//! throttling and transient error codes of `aws_runtime::retries::classifiers`
//! ([`THROTTLING_ERRORS`], [`TRANSIENT_ERRORS`]), HTTP 429 as throttling, HTTP 5xx, time-outs,
//! dropped connections and unreadable responses as transient; plus the few service codes that
//! the SDK leaves to the caller ([`PROJECT_TRANSIENT_ERRORS`]). [`Backoff`] is the one back-off
//! (exponential, full jitter) with its injectable [`Sleeper`] and [`Jitter`].

mod backoff;

pub use aws_runtime::retries::classifiers::{THROTTLING_ERRORS, TRANSIENT_ERRORS};
pub use backoff::{
    Backoff, FixedJitter, Jitter, RandomJitter, RecordingSleeper, Sleeper, TokioSleeper,
};

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// Service error codes that mean "try again later" for this project's calls although the SDK
/// does not retry them itself: server faults some services send with a 4xx status, KMS
/// throttling behind DynamoDB, DynamoDB transaction conflicts, Step Functions' running-execution
/// limit and Glue's operation time-out.
pub const PROJECT_TRANSIENT_ERRORS: &[&str] = &[
    "InternalFailure",
    "InternalError",
    "InternalServerError",
    "InternalServerException",
    "InternalServiceError",
    "InternalServiceException",
    "ServiceUnavailable",
    "KmsThrottlingException",
    "TransactionConflictException",
    "ExecutionLimitExceeded",
    "OperationTimeoutException",
];

/// How a failed AWS call should be handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// The service asked to slow down (a throttling code or HTTP 429): retry after a back-off.
    Throttling,
    /// A server fault, time-out or transport failure: a retry may succeed.
    Transient,
    /// The request itself is wrong (validation, access, missing resource): no retry helps.
    Permanent,
}

impl ErrorClass {
    /// Whether a retry may succeed (throttling or transient).
    pub fn is_retryable(self) -> bool {
        self != Self::Permanent
    }
}

/// The class of a service error with `code` and HTTP `status`.
pub fn classify_code(code: &str, status: u16) -> ErrorClass {
    if status == 429 || THROTTLING_ERRORS.contains(&code) {
        ErrorClass::Throttling
    } else if (500..=599).contains(&status)
        || TRANSIENT_ERRORS.contains(&code)
        || PROJECT_TRANSIENT_ERRORS.contains(&code)
    {
        ErrorClass::Transient
    } else {
        ErrorClass::Permanent
    }
}

/// The class of any SDK error (every `aws_sdk_*::error::SdkError<E>`).
pub fn classify<E: ProvideErrorMetadata>(error: &SdkError<E, Response>) -> ErrorClass {
    match error {
        SdkError::ServiceError(context) => classify_code(
            context.err().code().unwrap_or_default(),
            context.raw().status().as_u16(),
        ),
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            ErrorClass::Transient
        }
        _ => ErrorClass::Permanent,
    }
}

/// Whether a retry of the failed call may succeed.
pub fn is_transient<E: ProvideErrorMetadata>(error: &SdkError<E, Response>) -> bool {
    classify(error).is_retryable()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_statuses_sort_like_the_sdk() {
        assert_eq!(
            classify_code("ThrottlingException", 400),
            ErrorClass::Throttling
        );
        assert_eq!(classify_code("SlowDown", 503), ErrorClass::Throttling);
        assert_eq!(classify_code("Anything", 429), ErrorClass::Throttling);
        assert_eq!(
            classify_code("ProvisionedThroughputExceededException", 400),
            ErrorClass::Throttling
        );
        assert_eq!(classify_code("RequestTimeout", 400), ErrorClass::Transient);
        assert_eq!(classify_code("Whatever", 503), ErrorClass::Transient);
        assert_eq!(
            classify_code("InternalServerException", 400),
            ErrorClass::Transient
        );
        assert_eq!(
            classify_code("KmsThrottlingException", 400),
            ErrorClass::Transient
        );
        assert_eq!(
            classify_code("ValidationException", 400),
            ErrorClass::Permanent
        );
        assert_eq!(
            classify_code("AccessDeniedException", 403),
            ErrorClass::Permanent
        );
        assert!(!ErrorClass::Permanent.is_retryable());
        assert!(ErrorClass::Throttling.is_retryable());
    }

    #[test]
    fn transport_failures_are_transient_and_construction_failures_are_not() {
        let timeout: SdkError<aws_smithy_types::error::ErrorMetadata, Response> =
            SdkError::timeout_error("slow");
        assert_eq!(classify(&timeout), ErrorClass::Transient);
        let construction: SdkError<aws_smithy_types::error::ErrorMetadata, Response> =
            SdkError::construction_failure("bad input");
        assert_eq!(classify(&construction), ErrorClass::Permanent);
    }
}
