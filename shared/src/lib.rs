//! What every Lambda function of the project shares: structured logging, AWS configuration,
//! typed Lambda errors with stable `errorType` names, CloudWatch Embedded Metric Format output,
//! and reading objects named by `s3://` or `file://` URIs as streams.
#![forbid(unsafe_code)]

pub mod aws;
pub mod clock;
pub mod error;
pub mod logging;
pub mod metrics;
pub mod prices;
pub mod storage;

pub use error::{diagnostic, ErrorType};
