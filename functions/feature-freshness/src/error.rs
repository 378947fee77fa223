//! The function's errors. Each variant's name is the Lambda `errorType` that the retraining
//! pipeline's `Retry`/`Catch` match: never rename one.
//!
//! Stale features are *not* an error: they are the result `{"fresh": false, ...}`, which the
//! pipeline waits on and re-checks.

/// Why a check could not be made.
#[derive(Debug, thiserror::Error, strum::IntoStaticStr, strum::VariantNames)]
pub enum FreshnessError {
    /// The event is not a valid request (a missing field, a scheduled time that is not RFC 3339).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The Glue Data Catalog has no such database or table.
    #[error("the Glue table {database}.{table} does not exist")]
    TableNotFound {
        /// The database.
        database: String,
        /// The table.
        table: String,
    },
    /// The table has no partition keys, so the age of its data cannot be told.
    #[error(
        "the Glue table {database}.{table} is not partitioned: its freshness cannot be checked"
    )]
    TableNotPartitioned {
        /// The database.
        database: String,
        /// The table.
        table: String,
    },
    /// A partition's values name no date (see [`crate::partition`] for the layouts read).
    #[error("partition {values:?} of {table} (keys {keys:?}) names no date")]
    PartitionNotDated {
        /// The table.
        table: String,
        /// The partition keys.
        keys: Vec<String>,
        /// The partition's values.
        values: Vec<String>,
    },
    /// Glue has no such job.
    #[error("the Glue job {0} does not exist")]
    JobNotFound(String),
    /// Glue throttled or failed (5xx, timeout, network) after the SDK's retries: worth a retry.
    #[error("Glue is unavailable ({operation}): {detail}")]
    GlueUnavailable {
        /// The API operation.
        operation: &'static str,
        /// What happened.
        detail: String,
    },
    /// Glue refused the request (e.g. access denied).
    #[error("Glue refused {operation}: {detail}")]
    GlueRequestRejected {
        /// The API operation.
        operation: &'static str,
        /// What happened.
        detail: String,
    },
}

shared::lambda_error!(FreshnessError);
