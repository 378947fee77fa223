//! Running one query on Athena: start (retrying throttling with back-off), poll with back-off
//! until it ends or the deadline passes (then stop it), read the result.

use crate::clock::Clock;
use crate::evaluate::ResultTable;
use aws_sdk_athena::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_athena::types::{QueryExecutionContext, QueryExecutionState, ResultConfiguration};
use chrono::{DateTime, Utc};
use std::time::Duration;

/// Most result pages read per query (checks return one row; a schema one row per column).
const MAX_RESULT_PAGES: usize = 10;

/// Where queries run.
#[derive(Debug, Clone)]
pub struct AthenaTarget {
    /// The workgroup (its settings decide the results location and the scan limit).
    pub workgroup: String,
    /// The data catalog (`AwsDataCatalog`).
    pub catalog: String,
    /// An explicit results location, when the workgroup does not enforce one.
    pub output_location: Option<String>,
}

pub use shared::retry::Backoff;

/// Back-off of starts and polls (the project's one policy, without jitter: one query's polls
/// need no spreading): 500 ms doubling to 5 s, bounded by the deadline rather than a count.
pub const POLL_BACKOFF: Backoff = Backoff {
    base: Duration::from_millis(500),
    cap: Duration::from_secs(5),
    max_attempts: u32::MAX,
};

/// Why a query gave no result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryError {
    /// StartQueryExecution was refused (after retries, for transient errors).
    Start {
        /// The error code.
        code: String,
        /// The message.
        message: String,
    },
    /// The query ended `FAILED` or `CANCELLED`.
    Ended {
        /// `FAILED` or `CANCELLED`.
        state: String,
        /// Athena's reason.
        reason: String,
    },
    /// The run's deadline passed first (the query, if started, was stopped).
    DeadlineExceeded,
    /// Reading the status or the result failed.
    Read(String),
}

impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            QueryError::Start { code, message } => {
                write!(f, "Athena refused the query ({code}): {message}")
            }
            QueryError::Ended { state, reason } if state == "CANCELLED" => {
                write!(f, "Athena query was cancelled: {reason}")
            }
            QueryError::Ended { reason, .. } => write!(f, "Athena query failed: {reason}"),
            QueryError::DeadlineExceeded => write!(
                f,
                "the run's deadline passed before the query finished (the query was stopped)"
            ),
            QueryError::Read(message) => write!(f, "could not read the query: {message}"),
        }
    }
}

/// A finished (or abandoned) query.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryRun {
    /// Its execution id, once started.
    pub query_execution_id: Option<String>,
    /// Its result.
    pub result: Result<ResultTable, QueryError>,
}

fn describe<E: ProvideErrorMetadata + std::fmt::Debug>(
    error: &SdkError<E>,
) -> (String, String, bool) {
    match error {
        SdkError::ServiceError(context) => {
            let code = context.err().code().unwrap_or("Unknown").to_string();
            let status = context.raw().status().as_u16();
            let transient = shared::retry::classify_code(&code, status).is_retryable();
            let message = context.err().message().unwrap_or_default().to_string();
            (code, message, transient)
        }
        SdkError::TimeoutError(_) => ("timeout".into(), format!("{error:?}"), true),
        SdkError::DispatchFailure(_) => ("dispatch".into(), format!("{error:?}"), true),
        SdkError::ResponseError(_) => ("response".into(), format!("{error:?}"), true),
        _ => ("construction".into(), format!("{error:?}"), false),
    }
}

/// Waits `delay`, or until `deadline` if that comes first. Returns false when the deadline has
/// already passed.
async fn wait(clock: &dyn Clock, delay: Duration, deadline: DateTime<Utc>) -> bool {
    let left = (deadline - clock.now()).to_std().unwrap_or(Duration::ZERO);
    if left.is_zero() {
        return false;
    }
    clock.sleep(delay.min(left)).await;
    true
}

/// One query to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// The SQL.
    pub sql: String,
    /// Its default schema.
    pub database: String,
    /// Makes the start idempotent across the SDK's own retries (32–128 characters).
    pub token: String,
}

/// Runs `query` on `target`, giving up at `deadline`.
pub async fn run(
    client: &aws_sdk_athena::Client,
    target: &AthenaTarget,
    clock: &dyn Clock,
    backoff: Backoff,
    query: &Query,
    deadline: DateTime<Utc>,
) -> QueryRun {
    let mut retry = 0;
    let id = loop {
        if clock.now() >= deadline {
            return QueryRun {
                query_execution_id: None,
                result: Err(QueryError::DeadlineExceeded),
            };
        }
        let mut request = client
            .start_query_execution()
            .query_string(&query.sql)
            .work_group(&target.workgroup)
            .client_request_token(&query.token)
            .query_execution_context(
                QueryExecutionContext::builder()
                    .catalog(&target.catalog)
                    .database(&query.database)
                    .build(),
            );
        if let Some(location) = &target.output_location {
            request = request.result_configuration(
                ResultConfiguration::builder()
                    .output_location(location)
                    .build(),
            );
        }
        match request.send().await {
            Ok(output) => match output.query_execution_id {
                Some(id) => break id,
                None => {
                    return QueryRun {
                        query_execution_id: None,
                        result: Err(QueryError::Read(
                            "StartQueryExecution returned no QueryExecutionId".into(),
                        )),
                    }
                }
            },
            Err(error) => {
                let (code, message, transient) = describe(&error);
                if !transient {
                    return QueryRun {
                        query_execution_id: None,
                        result: Err(QueryError::Start { code, message }),
                    };
                }
                let delay = backoff.ceiling(retry);
                tracing::warn!(%code, %message, wait_ms = delay.as_millis() as u64, "StartQueryExecution throttled or failed transiently; retrying");
                if !wait(clock, delay, deadline).await {
                    return QueryRun {
                        query_execution_id: None,
                        result: Err(QueryError::DeadlineExceeded),
                    };
                }
                retry += 1;
            }
        }
    };
    let result = poll(client, clock, backoff, &id, deadline).await;
    let result = match result {
        Ok(()) => read(client, &id).await,
        Err(QueryError::DeadlineExceeded) => {
            if let Err(error) = client
                .stop_query_execution()
                .query_execution_id(&id)
                .send()
                .await
            {
                let (code, message, _) = describe(&error);
                tracing::warn!(query_execution_id = %id, %code, %message, "could not stop the query");
            }
            Err(QueryError::DeadlineExceeded)
        }
        Err(other) => Err(other),
    };
    QueryRun {
        query_execution_id: Some(id),
        result,
    }
}

async fn poll(
    client: &aws_sdk_athena::Client,
    clock: &dyn Clock,
    backoff: Backoff,
    id: &str,
    deadline: DateTime<Utc>,
) -> Result<(), QueryError> {
    let mut retry = 0;
    loop {
        match client
            .get_query_execution()
            .query_execution_id(id)
            .send()
            .await
        {
            Ok(output) => {
                let status = output.query_execution.and_then(|q| q.status);
                let state = status.as_ref().and_then(|s| s.state.clone());
                match state {
                    Some(QueryExecutionState::Succeeded) => return Ok(()),
                    Some(
                        state @ (QueryExecutionState::Failed | QueryExecutionState::Cancelled),
                    ) => {
                        let reason = status
                            .as_ref()
                            .and_then(|s| {
                                s.athena_error
                                    .as_ref()
                                    .and_then(|e| e.error_message.clone())
                                    .or_else(|| s.state_change_reason.clone())
                            })
                            .unwrap_or_else(|| "no reason given".into());
                        return Err(QueryError::Ended {
                            state: state.as_str().to_string(),
                            reason,
                        });
                    }
                    _ => {}
                }
            }
            Err(error) => {
                let (code, message, transient) = describe(&error);
                if !transient {
                    return Err(QueryError::Read(format!(
                        "GetQueryExecution ({code}): {message}"
                    )));
                }
                tracing::warn!(query_execution_id = %id, %code, "GetQueryExecution failed transiently; polling on");
            }
        }
        if !wait(clock, backoff.ceiling(retry), deadline).await {
            return Err(QueryError::DeadlineExceeded);
        }
        retry += 1;
    }
}

async fn read(client: &aws_sdk_athena::Client, id: &str) -> Result<ResultTable, QueryError> {
    let mut table = ResultTable::default();
    let mut token: Option<String> = None;
    for page in 0..MAX_RESULT_PAGES {
        let output = client
            .get_query_results()
            .query_execution_id(id)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|error| {
                let (code, message, _) = describe(&error);
                QueryError::Read(format!("GetQueryResults ({code}): {message}"))
            })?;
        let Some(set) = output.result_set else {
            break;
        };
        if page == 0 {
            table.columns = set
                .result_set_metadata
                .as_ref()
                .map(|m| {
                    m.column_info()
                        .iter()
                        .map(|c| c.name().to_lowercase())
                        .collect()
                })
                .unwrap_or_default();
        }
        for (i, row) in set.rows().iter().enumerate() {
            let values: Vec<Option<String>> = row
                .data()
                .iter()
                .map(|d| d.var_char_value.clone())
                .collect();
            // A SELECT's first row repeats the column names.
            let is_header = page == 0
                && i == 0
                && !table.columns.is_empty()
                && values.len() == table.columns.len()
                && values.iter().zip(&table.columns).all(|(v, c)| {
                    v.as_deref().map(str::to_lowercase).as_deref() == Some(c.as_str())
                });
            if !is_header {
                table.rows.push(values);
            }
        }
        match output.next_token {
            Some(next) => token = Some(next),
            None => break,
        }
    }
    Ok(table)
}
