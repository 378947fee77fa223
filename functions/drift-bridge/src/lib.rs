//! `drift-bridge`: starts the retraining state machine when the monitoring system reports
//! `model.drift_detected`, exactly once per drift episode of a model.
//!
//! Input: the Lambda Kafka event of an MSK (or self-managed Kafka) event source mapping, or one
//! EventBridge event. Each Kafka record's value is a versioned JSON drift event
//! ([`event`]); other event types are counted and ignored, malformed records are logged with
//! topic/partition/offset, counted and skipped. A valid event opens an episode with a
//! conditional write in DynamoDB ([`dedup`]), then starts the state machine with a deterministic
//! execution name ([`naming`]); duplicates, replays and bursts inside the model's cooldown start
//! nothing. A transient failure (throttling, 5xx, network) is reported in the Kafka partial batch
//! response ([`kafka`]) so that only that record and its successors on the partition come back.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod aws_failure;
pub mod clock;
pub mod dedup;
pub mod error;
pub mod event;
pub mod kafka;
pub mod naming;
pub mod start;

use aws_failure::AwsFailure;
use clock::{Clock, SystemClock};
use dedup::{Claim, ClaimRequest};
use error::DriftBridgeError;
use event::{Decoded, DriftEvent};
use kafka::{IncomingRecord, KafkaBatchResponse, RecordPosition};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use shared::kafka::Disposition;
use shared::metrics::{MetricsLogger, Unit};
use start::{StartFailure, Started};
use std::sync::Arc;

/// The function's name: the `Service` metric dimension.
pub const SERVICE: &str = "drift-bridge";
/// Default cooldown per model: 6 hours.
pub const DEFAULT_COOLDOWN_SECONDS: i64 = 6 * 3600;
/// Default time a claim is kept after its cooldown (replay protection): 7 days.
pub const DEFAULT_RETENTION_SECONDS: i64 = 7 * 24 * 3600;
/// Default number of partitions processed at once.
pub const DEFAULT_PARTITION_CONCURRENCY: usize = 4;
/// How far in the future `detected_at` may be (clock skew between producer and bridge). A drift
/// "detected" later than that is rejected: it would otherwise block every real drift of its
/// model until its claim expires.
pub const MAX_CLOCK_SKEW_SECONDS: i64 = 15 * 60;

/// Settings from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `DEDUP_TABLE_NAME`: the claims table.
    pub table_name: String,
    /// `STATE_MACHINE_ARN`: the retraining state machine.
    pub state_machine_arn: String,
    /// `COOLDOWN_SECONDS` (default 21600): minimum time between two runs for one model.
    pub cooldown_seconds: i64,
    /// `DEDUP_RETENTION_SECONDS` (default 604800): how long a claim outlives its cooldown.
    pub retention_seconds: i64,
    /// `PARTITION_CONCURRENCY` (default 4): partitions processed at once (records of one
    /// partition are always processed in order).
    pub partition_concurrency: usize,
}

impl Settings {
    /// Settings with defaults for everything but the table and the state machine.
    pub fn new(table_name: impl Into<String>, state_machine_arn: impl Into<String>) -> Self {
        Self {
            table_name: table_name.into(),
            state_machine_arn: state_machine_arn.into(),
            cooldown_seconds: DEFAULT_COOLDOWN_SECONDS,
            retention_seconds: DEFAULT_RETENTION_SECONDS,
            partition_concurrency: DEFAULT_PARTITION_CONCURRENCY,
        }
    }

    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<Self, DriftBridgeError> {
        Self::from_lookup(shared::settings::process_env)
    }

    /// Reads the settings through `lookup` (a variable name to its value).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, DriftBridgeError> {
        let env = shared::settings::Env::new(lookup);
        let state_machine_arn = env.required("STATE_MACHINE_ARN")?;
        if !state_machine_arn.contains(":stateMachine:") {
            return Err(DriftBridgeError::Configuration(format!(
                "STATE_MACHINE_ARN is not a state machine ARN: {state_machine_arn:?}"
            )));
        }
        Ok(Self {
            table_name: env.required("DEDUP_TABLE_NAME")?,
            state_machine_arn,
            cooldown_seconds: env.integer_at_least(
                "COOLDOWN_SECONDS",
                DEFAULT_COOLDOWN_SECONDS,
                0,
            )?,
            retention_seconds: env.integer_at_least(
                "DEDUP_RETENTION_SECONDS",
                DEFAULT_RETENTION_SECONDS,
                0,
            )?,
            partition_concurrency: env.integer_at_least(
                "PARTITION_CONCURRENCY",
                DEFAULT_PARTITION_CONCURRENCY as i64,
                1,
            )? as usize,
        })
    }
}

/// What the handler needs, built once per cold start.
#[derive(Debug, Clone)]
pub struct Deps {
    dynamodb: aws_sdk_dynamodb::Client,
    sfn: aws_sdk_sfn::Client,
    settings: Settings,
    clock: Arc<dyn Clock>,
}

impl Deps {
    /// Clients from the standard AWS configuration (honours `AWS_ENDPOINT_URL`), settings from
    /// the environment, the system clock.
    pub async fn from_env() -> Result<Self, DriftBridgeError> {
        let settings = Settings::from_env()?;
        let config = shared::aws::load_config().await;
        Ok(Self::new(&config, settings))
    }

    /// Clients from `config`, with time limits per call (5 s per attempt, 20 s in all, the SDK's
    /// standard retries inside them) so that a hung call fails one record, not the invocation.
    pub fn new(config: &aws_config::SdkConfig, settings: Settings) -> Self {
        let config = shared::aws::with_call_timeouts(
            config,
            std::time::Duration::from_secs(5),
            Some(std::time::Duration::from_secs(20)),
        );
        Self::with_clients(
            aws_sdk_dynamodb::Client::new(&config),
            aws_sdk_sfn::Client::new(&config),
            settings,
        )
    }

    /// Dependencies with the given clients and the system clock.
    pub fn with_clients(
        dynamodb: aws_sdk_dynamodb::Client,
        sfn: aws_sdk_sfn::Client,
        settings: Settings,
    ) -> Self {
        Self {
            dynamodb,
            sfn,
            settings,
            clock: Arc::new(SystemClock),
        }
    }

    /// The same dependencies reading time from `clock`.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The settings in use.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }
}

/// Counts of what happened to the records (or the event) of one invocation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Records seen.
    pub records: u64,
    /// Executions this invocation started.
    pub started: u64,
    /// Events already handled (same event id, or its execution already existed).
    pub duplicate: u64,
    /// Valid drift events inside their model's cooldown (or older than its last episode).
    pub cooled_down: u64,
    /// Well-formed events of another type.
    pub ignored: u64,
    /// Malformed or invalid records, skipped.
    pub rejected: u64,
    /// Records handed back to Lambda for another delivery (a failed one and its successors).
    pub retried: u64,
    /// Names of the executions this invocation started.
    pub started_executions: Vec<String>,
}

impl Summary {
    fn count(&mut self, outcome: &Outcome) {
        self.records += 1;
        match outcome {
            Outcome::Started(name) => {
                self.started += 1;
                self.started_executions.push(name.clone());
            }
            Outcome::Duplicate => self.duplicate += 1,
            Outcome::CooledDown => self.cooled_down += 1,
            Outcome::Ignored => self.ignored += 1,
            Outcome::Rejected => self.rejected += 1,
            Outcome::Retry(_) => self.retried += 1,
        }
    }
}

/// What happened to one record or event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// This call started the named execution.
    Started(String),
    /// Already handled.
    Duplicate,
    /// Inside the model's cooldown.
    CooledDown,
    /// Not a drift event.
    Ignored,
    /// Malformed or refused; skipped.
    Rejected,
    /// A failure worth another delivery.
    Retry(AwsFailure),
}

/// Where a drift event came from: recorded in the execution input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A Kafka record.
    Kafka(RecordPosition),
    /// An EventBridge event, with its id.
    EventBridge(Option<String>),
}

/// One lock per model for the records of one invocation: partitions run concurrently, but two
/// records of the same model never race each other to open or re-drive its episode (which
/// would start the execution once but count it twice).
#[derive(Debug, Default)]
pub struct ModelLocks {
    locks: std::sync::Mutex<std::collections::HashMap<String, Arc<futures::lock::Mutex<()>>>>,
}

impl ModelLocks {
    fn get(&self, model: &str) -> Arc<futures::lock::Mutex<()>> {
        let mut locks = self
            .locks
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        locks.entry(model.to_string()).or_default().clone()
    }
}

/// The response of one invocation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum BridgeResponse {
    /// To a Kafka batch: partial batch response plus counts.
    Kafka(KafkaBatchResponse),
    /// To an EventBridge event: counts.
    EventBridge(Summary),
}

impl BridgeResponse {
    /// The counts, whatever the source.
    pub fn summary(&self) -> &Summary {
        match self {
            BridgeResponse::Kafka(response) => &response.summary,
            BridgeResponse::EventBridge(summary) => summary,
        }
    }
}

/// The Lambda entry point: a Kafka batch or an EventBridge event.
pub async fn handle(deps: &Deps, payload: Value) -> Result<BridgeResponse, DriftBridgeError> {
    if kafka::is_kafka_event(&payload) {
        return Ok(BridgeResponse::Kafka(process_kafka(deps, &payload).await));
    }
    if payload.get("detail-type").is_some() && payload.get("detail").is_some() {
        return process_eventbridge(deps, payload)
            .await
            .map(BridgeResponse::EventBridge);
    }
    Err(DriftBridgeError::InvalidEvent(
        "expected a Lambda Kafka event (\"records\") or an EventBridge event (\"detail-type\", \"detail\")".into(),
    ))
}

/// Processes a Kafka batch: partitions concurrently, the records of a partition in order. After a
/// record's transient failure, the rest of its partition is left for the redelivery.
pub async fn process_kafka(deps: &Deps, payload: &Value) -> KafkaBatchResponse {
    let locks = ModelLocks::default();
    let batch =
        shared::kafka::process_batch(payload, deps.settings.partition_concurrency, |incoming| {
            let locks = &locks;
            async move {
                match process_record(deps, locks, &incoming).await {
                    outcome @ Outcome::Retry(_) => Disposition::Retry(outcome),
                    outcome => Disposition::Done(outcome),
                }
            }
        })
        .await;
    let mut response = KafkaBatchResponse {
        batch_item_failures: batch.failures,
        summary: Summary::default(),
    };
    for outcome in &batch.outcomes {
        response.summary.count(outcome);
    }
    // Lambda redelivers from the failed offset: the successors count as retried.
    response.summary.records += batch.skipped;
    response.summary.retried += batch.skipped;
    response.summary.started_executions.sort();
    emit_metrics(&response.summary);
    tracing::info!(
        records = response.summary.records,
        started = response.summary.started,
        duplicate = response.summary.duplicate,
        cooled_down = response.summary.cooled_down,
        ignored = response.summary.ignored,
        rejected = response.summary.rejected,
        retried = response.summary.retried,
        "kafka batch processed"
    );
    response
}

async fn process_record(deps: &Deps, locks: &ModelLocks, incoming: &IncomingRecord) -> Outcome {
    let position = &incoming.position;
    let decoded = match &incoming.record {
        Err(reason) => Err(format!("not a Kafka record: {reason}")),
        Ok(record) => event::decode_base64(record.value.as_deref()).map_err(|e| e.to_string()),
    };
    let outcome = match decoded {
        Err(reason) => {
            tracing::warn!(
                topic = %position.topic, partition = position.partition, offset = position.offset,
                reason = %reason, "rejected malformed drift record"
            );
            Outcome::Rejected
        }
        Ok(Decoded::OtherType(event_type)) => {
            tracing::debug!(
                topic = %position.topic, partition = position.partition, offset = position.offset,
                event_type = %event_type, "ignored event of another type"
            );
            Outcome::Ignored
        }
        Ok(Decoded::Drift(drift)) => {
            let lock = locks.get(&drift.model_name);
            let _guard = lock.lock().await;
            trigger(deps, &drift, &Origin::Kafka(position.clone())).await
        }
    };
    if let Outcome::Retry(failure) = &outcome {
        tracing::warn!(
            topic = %position.topic, partition = position.partition, offset = position.offset,
            operation = failure.operation, code = %failure.code, transient = failure.transient,
            error = %failure.message, "record will be redelivered"
        );
    }
    outcome
}

/// Processes one EventBridge event whose `detail` is a drift event. A failure worth retrying
/// fails the invocation (asynchronous invocations are retried by Lambda); an invalid event is
/// counted as rejected and not retried.
pub async fn process_eventbridge(deps: &Deps, payload: Value) -> Result<Summary, DriftBridgeError> {
    let id = payload
        .get("id")
        .and_then(Value::as_str)
        .map(str::to_string);
    let detail_type = payload
        .get("detail-type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut summary = Summary::default();
    let outcome = if detail_type != event::DRIFT_EVENT_TYPE {
        Outcome::Ignored
    } else {
        let detail = payload.get("detail").cloned().unwrap_or(Value::Null);
        match event::decode_value(detail) {
            Ok(Decoded::Drift(drift)) => {
                trigger(deps, &drift, &Origin::EventBridge(id.clone())).await
            }
            Ok(Decoded::OtherType(_)) => Outcome::Ignored,
            Err(reason) => {
                tracing::warn!(event_id = ?id, reason = %reason, "rejected malformed EventBridge drift event");
                Outcome::Rejected
            }
        }
    };
    if let Outcome::Retry(failure) = &outcome {
        return Err(DriftBridgeError::TriggerUnavailable(failure.to_string()));
    }
    summary.count(&outcome);
    emit_metrics(&summary);
    Ok(summary)
}

/// The StartExecution input for `drift`: the state machine's contract (`model_name`, `trigger`).
pub fn execution_input(drift: &DriftEvent, origin: &Origin, execution_name: &str) -> Value {
    let mut trigger = json!({
        "source": "drift",
        "event_id": drift.event_id,
        "event_type": event::DRIFT_EVENT_TYPE,
        "metric": drift.metric,
        "value": drift.value,
        "threshold": drift.threshold,
        "detected_at": drift.detected_at_text(),
        "episode": execution_name,
    });
    if let Some(version) = &drift.model_version {
        trigger["model_version"] = json!(version);
    }
    trigger["origin"] = match origin {
        Origin::Kafka(p) => {
            json!({"kind": "kafka", "topic": p.topic, "partition": p.partition, "offset": p.offset})
        }
        Origin::EventBridge(id) => json!({"kind": "eventbridge", "event_id": id}),
    };
    json!({"model_name": drift.model_name, "trigger": trigger})
}

/// Opens the drift episode of `drift` (or finds the open one) and makes sure its execution runs.
pub async fn trigger(deps: &Deps, drift: &DriftEvent, origin: &Origin) -> Outcome {
    let settings = &deps.settings;
    let now = deps.clock.now();
    if drift.detected_at > now + chrono::Duration::seconds(MAX_CLOCK_SKEW_SECONDS) {
        tracing::warn!(
            model = %drift.model_name, event_id = %drift.event_id, detected_at = %drift.detected_at_text(),
            "rejected drift event detected in the future"
        );
        return Outcome::Rejected;
    }
    let name = naming::execution_name(&drift.model_name, drift.detected_at, &drift.event_id);
    let input = execution_input(drift, origin, &name).to_string();
    let request = ClaimRequest {
        model_name: &drift.model_name,
        event_id: &drift.event_id,
        detected_at: drift.detected_at,
        execution_name: &name,
        execution_input: &input,
        now,
        cooldown_seconds: settings.cooldown_seconds,
        retention_seconds: settings.retention_seconds,
    };
    let claim = match dedup::claim(&deps.dynamodb, &settings.table_name, &request).await {
        Ok(claim) => claim,
        Err(failure) => return Outcome::Retry(failure),
    };
    let (name, input, same_event) = match claim {
        Claim::Opened => (name, input, true),
        Claim::Existing(existing) => {
            let same_event = existing.event_id == drift.event_id;
            if !existing.is_pending() {
                tracing::info!(
                    model = %drift.model_name, event_id = %drift.event_id,
                    episode = %existing.execution_name, same_event,
                    "drift already handled for this episode"
                );
                return if same_event {
                    Outcome::Duplicate
                } else {
                    Outcome::CooledDown
                };
            }
            // A claim whose start was never confirmed: drive it to the end, same name, same input.
            (
                existing.execution_name,
                existing.execution_input,
                same_event,
            )
        }
    };
    let started = match start::start(&deps.sfn, &settings.state_machine_arn, &name, &input).await {
        Ok(started) => started,
        Err(StartFailure::Failed(failure)) => return Outcome::Retry(failure),
        Err(StartFailure::Refused(failure)) => {
            tracing::error!(model = %drift.model_name, execution = %name, error = %failure, "StartExecution refused the input");
            return Outcome::Rejected;
        }
    };
    if let Err(failure) = dedup::mark_started(
        &deps.dynamodb,
        &settings.table_name,
        &drift.model_name,
        &name,
        started.arn(),
        now,
    )
    .await
    {
        // The execution runs; the claim stays `pending` and the next event re-drives it into
        // ExecutionAlreadyExists, which marks it then.
        tracing::warn!(model = %drift.model_name, execution = %name, error = %failure, "could not mark the claim started");
    }
    match started {
        Started::New(arn) => {
            tracing::info!(model = %drift.model_name, event_id = %drift.event_id, execution_arn = %arn, "retraining started");
            Outcome::Started(name)
        }
        Started::AlreadyExists(_) if same_event => Outcome::Duplicate,
        Started::AlreadyExists(_) => Outcome::CooledDown,
    }
}

fn emit_metrics(summary: &Summary) {
    let mut metrics = MetricsLogger::new(SERVICE);
    metrics.put("RecordsReceived", summary.records as f64, Unit::Count);
    metrics.put("RetrainingStarted", summary.started as f64, Unit::Count);
    metrics.put("DuplicateEvents", summary.duplicate as f64, Unit::Count);
    metrics.put("CooledDownEvents", summary.cooled_down as f64, Unit::Count);
    metrics.put("IgnoredEvents", summary.ignored as f64, Unit::Count);
    metrics.put("RejectedRecords", summary.rejected as f64, Unit::Count);
    metrics.put("RetriedRecords", summary.retried as f64, Unit::Count);
    metrics.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    use shared::settings::from_pairs as lookup;

    const ARN: &str = "arn:aws:states:eu-central-1:123456789012:stateMachine:ml-retraining";

    #[test]
    fn settings_have_defaults_for_everything_but_table_and_state_machine() {
        let settings = Settings::from_lookup(lookup(&[
            ("DEDUP_TABLE_NAME", "claims"),
            ("STATE_MACHINE_ARN", ARN),
        ]))
        .unwrap();
        assert_eq!(settings, Settings::new("claims", ARN));
        let tuned = Settings::from_lookup(lookup(&[
            ("DEDUP_TABLE_NAME", "claims"),
            ("STATE_MACHINE_ARN", ARN),
            ("COOLDOWN_SECONDS", "60"),
            ("PARTITION_CONCURRENCY", "1"),
        ]))
        .unwrap();
        assert_eq!(
            (tuned.cooldown_seconds, tuned.partition_concurrency),
            (60, 1)
        );
    }

    #[test]
    fn missing_or_invalid_settings_are_configuration_errors() {
        for pairs in [
            vec![("STATE_MACHINE_ARN", ARN)],
            vec![("DEDUP_TABLE_NAME", "claims")],
            vec![
                ("DEDUP_TABLE_NAME", "claims"),
                ("STATE_MACHINE_ARN", "ml-retraining"),
            ],
            vec![
                ("DEDUP_TABLE_NAME", "claims"),
                ("STATE_MACHINE_ARN", ARN),
                ("COOLDOWN_SECONDS", "-1"),
            ],
            vec![
                ("DEDUP_TABLE_NAME", "claims"),
                ("STATE_MACHINE_ARN", ARN),
                ("PARTITION_CONCURRENCY", "0"),
            ],
        ] {
            let error = Settings::from_lookup(lookup(&pairs)).unwrap_err();
            assert_eq!(
                shared::ErrorType::error_type(&error),
                "Configuration",
                "{pairs:?}"
            );
        }
    }

    #[test]
    fn the_summary_serialises_with_snake_case_counts() {
        let mut summary = Summary::default();
        summary.count(&Outcome::Started("n".into()));
        summary.count(&Outcome::Rejected);
        let json = serde_json::to_value(&summary).unwrap();
        assert_eq!(json["started"], 1);
        assert_eq!(json["cooled_down"], 0);
        assert_eq!(json["records"], 2);
        assert_eq!(json["started_executions"], json!(["n"]));
    }
}
