//! Writing items to the cache table: BatchWriteItem of at most 25 items, `UnprocessedItems` and
//! throttling retried with exponential back-off and full jitter ([`crate::backoff`]), a batch
//! that DynamoDB rejects as invalid split into single PutItems so that one bad item does not
//! sink 24 good ones. Errors that no retry fixes (missing table, access denied) stop the run.

use crate::backoff::{Backoff, Jitter, Sleeper};
use crate::record::{partition_key, Item};
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use std::sync::Arc;

/// BatchWriteItem's limit of items per request.
pub const BATCH_SIZE: usize = 25;

/// How one failed call is handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureKind {
    /// Throttling, 5xx, time-out, connection: retry with back-off.
    Transient,
    /// The request is invalid (e.g. an attribute DynamoDB refuses): the items are at fault.
    Invalid,
    /// Anything else (missing table, access denied, bad credentials): stop the run.
    Fatal,
}

/// A failed DynamoDB call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallFailure {
    /// How to handle it.
    pub kind: FailureKind,
    /// The error code (or the SDK's failure kind).
    pub code: String,
    /// The message for the logs.
    pub message: String,
}

impl std::fmt::Display for CallFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl CallFailure {
    /// Classifies an SDK error.
    pub fn from_sdk<E>(error: &SdkError<E>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        match error {
            SdkError::ServiceError(context) => {
                let code = context.err().code().unwrap_or("Unknown").to_string();
                let status = context.raw().status().as_u16();
                let kind = if shared::retry::classify_code(&code, status).is_retryable() {
                    FailureKind::Transient
                } else if code == "ValidationException" || code == "SerializationException" {
                    FailureKind::Invalid
                } else {
                    FailureKind::Fatal
                };
                Self {
                    kind,
                    code,
                    message: context.err().message().unwrap_or("").to_string(),
                }
            }
            SdkError::TimeoutError(_)
            | SdkError::DispatchFailure(_)
            | SdkError::ResponseError(_) => Self {
                kind: FailureKind::Transient,
                code: "network".to_string(),
                message: format!(
                    "{}",
                    aws_smithy_types::error::display::DisplayErrorContext(error)
                ),
            },
            _ => Self {
                kind: FailureKind::Fatal,
                code: "construction".to_string(),
                message: format!("{error:?}"),
            },
        }
    }

    /// Whether the code is a throttling one (the SDK's list, [`shared::retry::THROTTLING_ERRORS`]).
    pub fn is_throttling(&self) -> bool {
        shared::retry::THROTTLING_ERRORS.contains(&self.code.as_str())
    }
}

/// What happened to one batch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    /// Items DynamoDB accepted.
    pub written: u64,
    /// Items given up on (retries exhausted, or refused as invalid).
    pub failed: u64,
    /// Calls made (BatchWriteItem and PutItem).
    pub requests: u64,
    /// Calls that were retried after throttling.
    pub throttled: u64,
    /// Items that came back in `UnprocessedItems` (each time they did).
    pub unprocessed: u64,
    /// A few reasons for failed items, with their keys.
    pub problems: Vec<String>,
}

impl BatchOutcome {
    /// Adds `other` to these counts.
    pub fn merge(&mut self, other: BatchOutcome, keep_problems: usize) {
        self.written += other.written;
        self.failed += other.failed;
        self.requests += other.requests;
        self.throttled += other.throttled;
        self.unprocessed += other.unprocessed;
        let room = keep_problems.saturating_sub(self.problems.len());
        self.problems.extend(other.problems.into_iter().take(room));
    }
}

/// Writes batches to one table. Cheap to clone (clients and policies are shared).
#[derive(Debug, Clone)]
pub struct Writer {
    /// The client.
    pub client: aws_sdk_dynamodb::Client,
    /// The cache table.
    pub table: Arc<str>,
    /// The retry policy.
    pub backoff: Backoff,
    /// How to wait between attempts.
    pub sleeper: Arc<dyn Sleeper>,
    /// Where the jitter comes from.
    pub jitter: Arc<dyn Jitter>,
}

impl Writer {
    /// Writes at most [`BATCH_SIZE`] items (with distinct keys), retrying what DynamoDB leaves
    /// unprocessed or throttles. `Err` only for a failure that no retry fixes.
    pub async fn write_batch(&self, items: Vec<Item>) -> Result<BatchOutcome, CallFailure> {
        let mut outcome = BatchOutcome::default();
        let mut pending: Vec<WriteRequest> = Vec::with_capacity(items.len());
        for item in &items {
            pending.push(put_request(item.clone())?);
        }
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            outcome.requests += 1;
            let result = self
                .client
                .batch_write_item()
                .request_items(self.table.as_ref(), pending.clone())
                .send()
                .await;
            match result {
                Ok(output) => {
                    let unprocessed = output
                        .unprocessed_items
                        .and_then(|mut tables| tables.remove(self.table.as_ref()))
                        .unwrap_or_default();
                    outcome.written +=
                        (pending.len() - unprocessed.len().min(pending.len())) as u64;
                    if unprocessed.is_empty() {
                        return Ok(outcome);
                    }
                    outcome.unprocessed += unprocessed.len() as u64;
                    pending = unprocessed;
                }
                Err(error) => {
                    let failure = CallFailure::from_sdk(&error);
                    match failure.kind {
                        FailureKind::Fatal => return Err(failure),
                        FailureKind::Invalid => {
                            let items: Vec<Item> = pending
                                .into_iter()
                                .filter_map(|r| r.put_request.map(|p| p.item))
                                .collect();
                            let singles = self.write_singly(items).await?;
                            outcome.merge(singles, usize::MAX);
                            return Ok(outcome);
                        }
                        FailureKind::Transient => {
                            if failure.is_throttling() {
                                outcome.throttled += 1;
                            }
                            tracing::debug!(error = %failure, attempt, "BatchWriteItem will be retried");
                        }
                    }
                }
            }
            if attempt >= self.backoff.max_attempts {
                outcome.failed += pending.len() as u64;
                outcome.problems.push(format!(
                    "{} items still unprocessed after {attempt} attempts (first key {:?})",
                    pending.len(),
                    pending
                        .first()
                        .and_then(|r| r.put_request.as_ref())
                        .map(|p| partition_key(&p.item).to_string())
                        .unwrap_or_default()
                ));
                return Ok(outcome);
            }
            self.sleeper
                .sleep(self.backoff.delay(attempt - 1, self.jitter.fraction()))
                .await;
        }
    }

    /// Writes items one by one with PutItem, to find the ones DynamoDB refuses. When it refuses
    /// every item of a batch of several, the table itself is at fault (e.g. another key schema):
    /// that stops the run instead of trying every batch item by item.
    async fn write_singly(&self, items: Vec<Item>) -> Result<BatchOutcome, CallFailure> {
        let mut outcome = BatchOutcome::default();
        let count = items.len();
        let mut refused = 0;
        let mut first_refusal = None;
        for item in items {
            let key = partition_key(&item).to_string();
            let mut attempt: u32 = 0;
            loop {
                attempt += 1;
                outcome.requests += 1;
                let result = self
                    .client
                    .put_item()
                    .table_name(self.table.as_ref())
                    .set_item(Some(item.clone()))
                    .send()
                    .await;
                let failure = match result {
                    Ok(_) => {
                        outcome.written += 1;
                        break;
                    }
                    Err(error) => CallFailure::from_sdk(&error),
                };
                match failure.kind {
                    FailureKind::Fatal => return Err(failure),
                    FailureKind::Invalid => {
                        outcome.failed += 1;
                        refused += 1;
                        outcome
                            .problems
                            .push(format!("key {key:?} refused: {failure}"));
                        first_refusal.get_or_insert(failure);
                        break;
                    }
                    FailureKind::Transient => {
                        if failure.is_throttling() {
                            outcome.throttled += 1;
                        }
                    }
                }
                if attempt >= self.backoff.max_attempts {
                    outcome.failed += 1;
                    outcome
                        .problems
                        .push(format!("key {key:?} not written after {attempt} attempts"));
                    break;
                }
                self.sleeper
                    .sleep(self.backoff.delay(attempt - 1, self.jitter.fraction()))
                    .await;
            }
        }
        if count > 1 && refused == count {
            if let Some(failure) = first_refusal {
                return Err(CallFailure {
                    kind: FailureKind::Fatal,
                    message: format!(
                        "all {count} items of a batch refused (does the table's key schema match \
                         pk/forecast_date?): {}",
                        failure.message
                    ),
                    code: failure.code,
                });
            }
        }
        Ok(outcome)
    }
}

fn put_request(item: Item) -> Result<WriteRequest, CallFailure> {
    let put = PutRequest::builder()
        .set_item(Some(item))
        .build()
        .map_err(|e| CallFailure {
            kind: FailureKind::Fatal,
            code: "construction".to_string(),
            message: e.to_string(),
        })?;
    Ok(WriteRequest::builder().put_request(put).build())
}
