//! What every Lambda function of the project shares: structured logging, AWS configuration,
//! typed Lambda errors with stable `errorType` names, CloudWatch Embedded Metric Format output,
//! reading objects named by `s3://` or `file://` URIs as streams (feature `s3`), one retry policy
//! and classifier of transient AWS errors, and Lambda's Kafka batches
//! (per-record decoding, bounded concurrency, partial batch failures), and plain decimals and
//! CSV delimiters read from bytes a word at a time.
#![forbid(unsafe_code)]

pub mod aws;
pub mod clock;
pub mod decimal;
pub mod direction;
pub mod error;
pub mod json;
pub mod kafka;
pub mod lambda;
pub mod local;
pub mod logging;
pub mod metrics;
#[cfg(feature = "sns")]
pub mod notify;
pub mod prices;
pub mod retry;
pub mod settings;
#[cfg(feature = "s3")]
pub mod storage;
pub mod swar;

pub use error::{diagnostic, ErrorType, ErrorTypes};
