//! A bucket, an event bus with the template's drift rule pattern, and an SQS queue as the rule's
//! target, fresh for each test on the shared moto server.
#![allow(dead_code)]

use drift_monitor::{handle, Deps, Output};
use integration_tests::LocalAws;
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The reference fixtures (`bench/drift_reference.py`).
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/reference")
}

/// The pattern of the template's `DriftRetrainingRule`.
pub fn drift_rule_pattern() -> Value {
    json!({
        "detail-type": ["model.drift_detected"],
        "detail": {
            "schema_version": [1],
            "model_name": [{"exists": true}],
            "event_id": [{"exists": true}]
        }
    })
}

/// One test's AWS resources.
pub struct Aws {
    /// The handler's dependencies (publishing to `bus`).
    pub deps: Deps,
    /// The bucket.
    pub bucket: String,
    /// The event bus.
    pub bus: String,
    /// The queue the rule delivers to.
    pub queue_url: String,
    /// Clients.
    pub s3: aws_sdk_s3::Client,
    /// SQS client.
    pub sqs: aws_sdk_sqs::Client,
    /// The SDK configuration.
    pub config: aws_config::SdkConfig,
}

impl Aws {
    /// Fresh bucket, bus, rule and queue.
    pub async fn new() -> Self {
        let config = LocalAws::shared().sdk_config().await;
        let s3 = shared::aws::s3_client(&config);
        let events = aws_sdk_eventbridge::Client::new(&config);
        let sqs = aws_sdk_sqs::Client::new(&config);
        let bucket = LocalAws::unique_name("drift");
        s3.create_bucket()
            .bucket(&bucket)
            .send()
            .await
            .expect("bucket");
        let bus = LocalAws::unique_name("monitoring");
        events
            .create_event_bus()
            .name(&bus)
            .send()
            .await
            .expect("bus");
        let queue_url = sqs
            .create_queue()
            .queue_name(LocalAws::unique_name("drift-events"))
            .send()
            .await
            .expect("queue")
            .queue_url()
            .expect("queue url")
            .to_string();
        let queue_arn = sqs
            .get_queue_attributes()
            .queue_url(&queue_url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .expect("queue attributes")
            .attributes()
            .and_then(|a| {
                a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                    .cloned()
            })
            .expect("queue arn");
        let rule = LocalAws::unique_name("drift-retraining");
        events
            .put_rule()
            .name(&rule)
            .event_bus_name(&bus)
            .event_pattern(drift_rule_pattern().to_string())
            .send()
            .await
            .expect("rule");
        events
            .put_targets()
            .rule(&rule)
            .event_bus_name(&bus)
            .targets(
                aws_sdk_eventbridge::types::Target::builder()
                    .id("queue")
                    .arn(queue_arn)
                    .build()
                    .expect("target"),
            )
            .send()
            .await
            .expect("targets");
        Self {
            deps: Deps::new(&config, &bus),
            bucket,
            bus,
            queue_url,
            s3,
            sqs,
            config,
        }
    }

    /// `s3://<bucket>/<key>`.
    pub fn uri(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }

    /// Uploads `bytes` at `key`.
    pub async fn put(&self, key: &str, bytes: Vec<u8>) {
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .body(bytes.into())
            .send()
            .await
            .expect("put object");
    }

    /// Uploads the file at `path`, gzipped, at `key`; its URI.
    pub async fn upload_gzip(&self, key: &str, path: &Path) -> String {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder
            .write_all(&std::fs::read(path).expect("fixture"))
            .expect("gzip");
        self.put(key, encoder.finish().expect("gzip")).await;
        self.uri(key)
    }

    /// Builds the baseline from the reference training data at `models/baseline.json`.
    pub async fn baseline(&self) -> String {
        let training = self
            .upload_gzip("train/training.csv.gz", &fixtures().join("training.csv"))
            .await;
        let output = self.uri("models/baseline.json");
        handle(
            &self.deps,
            json!({"mode": "baseline", "model_name": "demand-forecast", "training_data_uri": training,
                   "categorical_features": ["store_type"], "prediction_column": "prediction",
                   "output_uri": output}),
        )
        .await
        .expect("baseline builds");
        output
    }

    /// Uploads a reference capture under `capture/<scenario>/yyyy/mm/dd/hh/`.
    pub async fn upload_capture(&self, scenario: &str) {
        let root = fixtures().join("capture").join(scenario);
        for hour in ["2026/11/29/09", "2026/11/29/10"] {
            let file = root.join(hour).join("capture.jsonl.gz");
            let key = format!("capture/{scenario}/{hour}/capture.jsonl.gz");
            self.put(&key, std::fs::read(&file).expect("capture fixture"))
                .await;
        }
    }

    /// The monitor request of `scenario` over 2026-11-29 08:00–11:00, with `extra` fields.
    pub fn monitor_request(&self, scenario: &str, extra: Value) -> Value {
        let mut request = json!({
            "mode": "monitor", "model_name": "demand-forecast",
            "baseline_uri": self.uri("models/baseline.json"),
            "capture_prefix": self.uri(&format!("capture/{scenario}")),
            "window_end": "2026-11-29T11:00:00Z", "window_hours": 3,
            "report_prefix": self.uri("reports"),
        });
        if let (Some(request), Some(extra)) = (request.as_object_mut(), extra.as_object()) {
            request.extend(extra.clone());
        }
        request
    }

    /// Runs the monitor on `scenario`; its report as JSON.
    pub async fn monitor(&self, scenario: &str, extra: Value) -> Value {
        let output = handle(&self.deps, self.monitor_request(scenario, extra))
            .await
            .unwrap_or_else(|e| panic!("monitor {scenario}: {e}"));
        let Output::Monitor(report) = output else {
            panic!("not a report")
        };
        serde_json::to_value(report).expect("report serialises")
    }

    /// The JSON object at `key`.
    pub async fn get_json(&self, key: &str) -> Value {
        let object = self
            .s3
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("get {key}: {e}"));
        let bytes = object.body.collect().await.expect("body").into_bytes();
        serde_json::from_slice(&bytes).expect("JSON object")
    }

    /// The EventBridge events the rule delivered to the queue so far (removed from it).
    pub async fn received_events(&self) -> Vec<Value> {
        let mut events = Vec::new();
        loop {
            let received = self
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(1)
                .send()
                .await
                .expect("receive");
            let messages = received.messages();
            if messages.is_empty() {
                return events;
            }
            for message in messages {
                events.push(
                    serde_json::from_str(message.body().unwrap_or("null")).expect("event JSON"),
                );
                if let Some(handle) = message.receipt_handle() {
                    self.sqs
                        .delete_message()
                        .queue_url(&self.queue_url)
                        .receipt_handle(handle)
                        .send()
                        .await
                        .expect("delete");
                }
            }
        }
    }
}
