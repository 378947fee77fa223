//! `drift-monitor`: measures whether a model's live inputs and predictions still look like the
//! data it was trained on, and starts the retraining loop when they do not.
//!
//! Two modes, one request type ([`input::Request`]):
//! - **baseline** ([`baseline::build_baseline`]): one streaming pass over the training data (CSV
//!   or JSON Lines, gzip, `s3://` or `file://`) builds a [`profile::Baseline`]: per numeric
//!   feature fixed quantile bins (edges stored) and a CDF grid for the KS statistic, per
//!   categorical feature its frequent categories (rare ones pooled into `__other__`), and the
//!   null rate; written as JSON.
//! - **monitor** ([`monitor::monitor`]): streams the SageMaker Data Capture files of a window
//!   (one folder per hour), computes per feature and for the prediction the Population
//!   Stability Index and, for numeric ones, the Kolmogorov–Smirnov statistic
//!   ([`stats`]), compares them with the thresholds, writes the report, emits the scores as EMF
//!   metrics, on drift publishes `model.drift_detected` to EventBridge ([`publish`]), and posts
//!   a summary to the notifications topic when one is configured ([`summary`]).
//!
//! Memory depends on the baseline (features × bins and grid points), never on the capture's
//! size: every file is read a line at a time.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod baseline;
pub mod build;
pub mod capture;
pub mod cell;
pub mod error;
pub mod input;
pub mod kafka_sink;
pub mod listing;
pub mod locate;
pub mod monitor;
pub mod profile;
pub mod publish;
pub mod records;
pub mod report;
pub mod sample;
pub mod scan;
pub mod sink;
pub mod stats;
pub mod summary;
pub mod tally;

use baseline::BaselineOutput;
use error::DriftMonitorError;
use input::Request;
use report::MonitorReport;
use serde::{Deserialize, Serialize};
use shared::clock::{Clock, SystemClock};
use std::sync::Arc;

/// The function's name: the `Service` metric dimension.
pub const SERVICE: &str = "drift-monitor";
/// The event bus used when `EVENT_BUS_NAME` is not set.
pub const DEFAULT_EVENT_BUS: &str = "default";

/// What the handler needs, built once per cold start.
#[derive(Debug, Clone)]
pub struct Deps {
    s3: Option<aws_sdk_s3::Client>,
    events: aws_sdk_eventbridge::Client,
    event_bus: String,
    sns: aws_sdk_sns::Client,
    notifications_topic_arn: Option<String>,
    kafka: Option<Arc<kafka_sink::KafkaSink>>,
    clock: Arc<dyn Clock>,
}

impl Deps {
    /// Clients from the standard AWS configuration (honours `AWS_ENDPOINT_URL`); the bus from
    /// `EVENT_BUS_NAME` (default `default`); the run summaries' topic from
    /// `NOTIFICATIONS_TOPIC_ARN` (none when unset: no summary is posted); the Kafka topic of
    /// the drift events from `DRIFT_KAFKA_*` ([`kafka_sink`]; none when unset). A wrong Kafka
    /// setting is an error: the function must not start and silently publish nowhere.
    pub async fn from_env() -> Result<Self, DriftMonitorError> {
        let config = shared::aws::load_config().await;
        let setting = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let bus = setting("EVENT_BUS_NAME").unwrap_or_else(|| DEFAULT_EVENT_BUS.to_string());
        let kafka =
            kafka_sink::KafkaSink::from_env(&config).map_err(DriftMonitorError::InvalidInput)?;
        Ok(Self::new(&config, bus)
            .with_notifications_topic(setting("NOTIFICATIONS_TOPIC_ARN"))
            .with_kafka(kafka))
    }

    /// Clients from `config`, publishing to `event_bus`, with the system clock and no
    /// notifications topic.
    pub fn new(config: &aws_config::SdkConfig, event_bus: impl Into<String>) -> Self {
        Self {
            s3: Some(shared::aws::s3_client(config)),
            events: aws_sdk_eventbridge::Client::new(config),
            event_bus: event_bus.into(),
            sns: aws_sdk_sns::Client::new(config),
            notifications_topic_arn: None,
            kafka: None,
            clock: Arc::new(SystemClock),
        }
    }

    /// The same dependencies also producing each drift event to a Kafka topic (or to none).
    pub fn with_kafka(mut self, sink: Option<kafka_sink::KafkaSink>) -> Self {
        self.kafka = sink.map(Arc::new);
        self
    }

    /// The same dependencies posting each monitor run's summary to `topic_arn` (an SNS topic
    /// ARN), or to no topic with `None`.
    pub fn with_notifications_topic(mut self, topic_arn: Option<String>) -> Self {
        self.notifications_topic_arn = topic_arn;
        self
    }

    /// Dependencies for `file://` locations only, publishing nowhere reachable: for local runs
    /// and benchmarks with `"publish": false` (no AWS call is made).
    pub fn local() -> Self {
        let config = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .build();
        Self {
            s3: None,
            events: aws_sdk_eventbridge::Client::new(&config),
            event_bus: DEFAULT_EVENT_BUS.to_string(),
            sns: aws_sdk_sns::Client::new(&config),
            notifications_topic_arn: None,
            kafka: None,
            clock: Arc::new(SystemClock),
        }
    }

    /// The same dependencies reading time from `clock` (the default window end).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }
}

/// What an invocation returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Output {
    /// The monitor report.
    Monitor(Box<MonitorReport>),
    /// The baseline summary.
    Baseline(BaselineOutput),
}

/// The Lambda entry point: decodes the request and runs its mode.
pub async fn handle(deps: &Deps, event: serde_json::Value) -> Result<Output, DriftMonitorError> {
    let request: Request = serde_json::from_value(event)
        .map_err(|e| DriftMonitorError::InvalidInput(e.to_string()))?;
    match request {
        Request::Baseline(request) => baseline::build_baseline(deps, request)
            .await
            .map(Output::Baseline),
        Request::Monitor(request) => monitor::monitor(deps, request)
            .await
            .map(|r| Output::Monitor(Box::new(r))),
    }
}
