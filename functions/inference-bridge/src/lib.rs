//! `inference-bridge`: consumes the inference-request topic on MSK and runs the
//! `realtime-inference` Express workflow synchronously (`StartSyncExecution`) for each request.
//!
//! Each record's value is a JSON [`request::InferenceRequest`] (base64 in the Kafka event). The
//! Kafka handling (per-record decoding, partitions processed `PARTITION_CONCURRENCY` at a time,
//! the records of one partition in offset order, `batchItemFailures`) is [`shared::kafka`], the
//! same code the drift bridge runs.
//!
//! What happens to a record:
//! - malformed (not base64, not JSON, unknown field, bad request id, model name or features):
//!   logged with topic/partition/offset, counted in `RejectedRecords`, and **not** retried: the
//!   same bytes would fail the same way on every delivery and block the partition for good;
//! - workflow `SUCCEEDED` with `outcome` `predicted` or `duplicate` (the prediction of that request
//!   id was already written: a redelivered record writes nothing new);
//! - workflow `FAILED`/`TIMED_OUT`/`ABORTED` (the endpoint failed after the workflow's own
//!   retries), or Step Functions throttled or unreachable: reported in `batchItemFailures`, so
//!   Lambda delivers that record and its successors again. Redelivery is safe because the
//!   workflow's write is conditional on the request id;
//! - refused by Step Functions (`InvalidExecutionInput`, `InvalidName`), or failed by the
//!   workflow's own validation (`InvalidRequest`): rejected, not retried.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod error;
pub mod request;
pub mod run;

use error::InferenceBridgeError;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use shared::kafka::{Disposition, IncomingRecord, KafkaBatchResponse, RecordPosition};
use shared::metrics::{MetricsLogger, Unit};

/// The function's name: the `Service` metric dimension.
pub const SERVICE: &str = "inference-bridge";
/// Default number of partitions processed at once.
pub const DEFAULT_PARTITION_CONCURRENCY: usize = 8;

/// Settings from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `STATE_MACHINE_ARN`: the `realtime-inference` Express state machine.
    pub state_machine_arn: String,
    /// `PARTITION_CONCURRENCY` (default 8): partitions processed at once; the records of one
    /// partition are always processed one after the other, in offset order.
    pub partition_concurrency: usize,
}

impl Settings {
    /// Settings with the default concurrency.
    pub fn new(state_machine_arn: impl Into<String>) -> Self {
        Self {
            state_machine_arn: state_machine_arn.into(),
            partition_concurrency: DEFAULT_PARTITION_CONCURRENCY,
        }
    }

    /// Reads the settings through `lookup` (a variable name to its value).
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, InferenceBridgeError> {
        let arn = lookup("STATE_MACHINE_ARN")
            .filter(|v| v.contains(":stateMachine:"))
            .ok_or_else(|| {
                InferenceBridgeError::Configuration(
                    "STATE_MACHINE_ARN must be a state machine ARN".into(),
                )
            })?;
        let partition_concurrency = match lookup("PARTITION_CONCURRENCY") {
            None => DEFAULT_PARTITION_CONCURRENCY,
            Some(text) => match text.trim().parse::<usize>() {
                Ok(n) if n >= 1 => n,
                _ => {
                    return Err(InferenceBridgeError::Configuration(format!(
                        "PARTITION_CONCURRENCY must be an integer >= 1, got {text:?}"
                    )))
                }
            },
        };
        Ok(Self {
            state_machine_arn: arn,
            partition_concurrency,
        })
    }
}

/// What the handler needs, built once per cold start.
#[derive(Debug, Clone)]
pub struct Deps {
    sfn: aws_sdk_sfn::Client,
    settings: Settings,
}

impl Deps {
    /// The client from the standard AWS configuration (honours `AWS_ENDPOINT_URL`), settings
    /// from the environment.
    pub async fn from_env() -> Result<Self, InferenceBridgeError> {
        let settings = Settings::from_lookup(shared::settings::process_env)?;
        let config = shared::aws::load_config().await;
        // An Express synchronous execution may run up to 5 minutes; a hung call fails one record.
        let config = shared::aws::with_call_timeouts(
            &config,
            std::time::Duration::from_secs(60),
            Some(std::time::Duration::from_secs(120)),
        );
        Ok(Self::with_client(
            aws_sdk_sfn::Client::new(&config),
            settings,
        ))
    }

    /// Dependencies with the given client.
    pub fn with_client(sfn: aws_sdk_sfn::Client, settings: Settings) -> Self {
        Self { sfn, settings }
    }
}

/// What happened to one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The workflow wrote the prediction.
    Predicted,
    /// The prediction of this request id was already written; nothing new.
    Duplicate,
    /// Malformed or refused: skipped, never retried.
    Rejected,
    /// Worth another delivery (the reason is logged).
    Retry,
}

/// Counts of what happened to the records of one invocation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Records seen (successors of a failed record included).
    pub records: u64,
    /// Predictions written.
    pub predicted: u64,
    /// Redelivered requests whose prediction already existed.
    pub duplicate: u64,
    /// Malformed or refused records, skipped.
    pub rejected: u64,
    /// Records handed back to Lambda for another delivery (a failed one and its successors).
    pub retried: u64,
}

/// The Lambda entry point: a Kafka batch.
pub async fn handle(
    deps: &Deps,
    payload: Value,
) -> Result<KafkaBatchResponse<Summary>, InferenceBridgeError> {
    if !shared::kafka::is_kafka_event(&payload) {
        return Err(InferenceBridgeError::InvalidEvent(
            "expected a Lambda Kafka event with \"records\"".into(),
        ));
    }
    let batch = shared::kafka::process_batch(
        &payload,
        deps.settings.partition_concurrency,
        |incoming| async move {
            match process_record(deps, &incoming).await {
                Outcome::Retry => Disposition::Retry(Outcome::Retry),
                outcome => Disposition::Done(outcome),
            }
        },
    )
    .await;
    let mut summary = Summary {
        records: batch.skipped,
        retried: batch.skipped,
        ..Summary::default()
    };
    for outcome in &batch.outcomes {
        summary.records += 1;
        match outcome {
            Outcome::Predicted => summary.predicted += 1,
            Outcome::Duplicate => summary.duplicate += 1,
            Outcome::Rejected => summary.rejected += 1,
            Outcome::Retry => summary.retried += 1,
        }
    }
    emit_metrics(&summary);
    tracing::info!(
        records = summary.records,
        predicted = summary.predicted,
        duplicate = summary.duplicate,
        rejected = summary.rejected,
        retried = summary.retried,
        "kafka batch processed"
    );
    Ok(KafkaBatchResponse {
        batch_item_failures: batch.failures,
        summary,
    })
}

/// The execution input of one request: the request and where it came from.
pub fn execution_input(request: &request::InferenceRequest, position: &RecordPosition) -> Value {
    json!({
        "request_id": request.request_id,
        "model_name": request.model_name,
        "features": request.features,
        "origin": {"topic": position.topic, "partition": position.partition, "offset": position.offset},
    })
}

async fn process_record(deps: &Deps, incoming: &IncomingRecord) -> Outcome {
    let position = &incoming.position;
    let decoded = match &incoming.record {
        Err(reason) => Err(format!("not a Kafka record: {reason}")),
        Ok(record) => request::decode_base64(record.value.as_deref()).map_err(|e| e.to_string()),
    };
    let request = match decoded {
        Ok(request) => request,
        Err(reason) => {
            tracing::warn!(
                topic = %position.topic, partition = position.partition, offset = position.offset,
                reason = %reason, "rejected malformed inference request"
            );
            return Outcome::Rejected;
        }
    };
    let input = execution_input(&request, position).to_string();
    let outcome = run::run(&deps.sfn, &deps.settings.state_machine_arn, &input).await;
    match &outcome {
        run::RunOutcome::Predicted => Outcome::Predicted,
        run::RunOutcome::Duplicate => Outcome::Duplicate,
        run::RunOutcome::Refused(reason) => {
            tracing::warn!(request_id = %request.request_id, offset = position.offset, reason = %reason, "request refused");
            Outcome::Rejected
        }
        run::RunOutcome::Failed(reason) => {
            tracing::warn!(
                request_id = %request.request_id, topic = %position.topic,
                partition = position.partition, offset = position.offset,
                reason = %reason, "record will be redelivered"
            );
            Outcome::Retry
        }
    }
}

fn emit_metrics(summary: &Summary) {
    let mut metrics = MetricsLogger::new(SERVICE);
    metrics.put("RecordsReceived", summary.records as f64, Unit::Count);
    metrics.put("Predictions", summary.predicted as f64, Unit::Count);
    metrics.put("DuplicateRequests", summary.duplicate as f64, Unit::Count);
    metrics.put("RejectedRecords", summary.rejected as f64, Unit::Count);
    metrics.put("RetriedRecords", summary.retried as f64, Unit::Count);
    metrics.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:states:eu-central-1:123456789012:stateMachine:realtime-inference";

    #[test]
    fn settings_need_a_state_machine_arn_and_a_positive_concurrency() {
        let ok = Settings::from_lookup(|n| (n == "STATE_MACHINE_ARN").then(|| ARN.to_string()));
        assert_eq!(ok.unwrap(), Settings::new(ARN));
        for pairs in [
            vec![],
            vec![("STATE_MACHINE_ARN", "realtime-inference")],
            vec![("STATE_MACHINE_ARN", ARN), ("PARTITION_CONCURRENCY", "0")],
        ] {
            let error = Settings::from_lookup(|n| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == n)
                    .map(|(_, v)| v.to_string())
            })
            .unwrap_err();
            assert_eq!(shared::ErrorType::error_type(&error), "Configuration");
        }
    }
}
