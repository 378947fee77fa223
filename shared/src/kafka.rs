//! The Lambda Kafka event (MSK and self-managed) read record by record, each record's value
//! decoded, the records processed with bounded concurrency, and the partial batch response.
//! Shared by every function on a Kafka event source mapping (`drift-bridge`, `inference-bridge`).
//!
//! The envelope is read leniently: one record that does not fit
//! [`aws_lambda_events::event::kafka::KafkaRecord`] is rejected on its own instead of failing the
//! whole batch (which would block its partition). Records are grouped by their
//! `"<topic>-<partition>"` key and sorted by offset, the order Kafka guarantees.
//!
//! Partial batch response (`FunctionResponseTypes: [ReportBatchItemFailures]`), the shape Lambda's
//! Kafka event source mapping reads (as in AWS's Powertools batch utility):
//! `{"batchItemFailures": [{"itemIdentifier": {"partition": "<topic>-<partition>", "offset": 42}}]}`.
//! Lambda resumes each listed partition at the listed offset, so the first failed record of a
//! partition and everything after it are delivered again; other partitions move on.

use aws_lambda_events::event::kafka::KafkaRecord;
use futures::stream::{self, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::future::Future;

/// Where a record sits in Kafka: enough to find it again and to report it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordPosition {
    /// The topic (from the record, else from the batch key).
    pub topic: String,
    /// The partition number.
    pub partition: i64,
    /// The record's offset in its partition.
    pub offset: i64,
}

impl RecordPosition {
    /// The `"<topic>-<partition>"` identifier used in records maps and batch item failures.
    pub fn partition_key(&self) -> String {
        format!("{}-{}", self.topic, self.partition)
    }
}

/// One record of the batch, parsed or not.
#[derive(Debug, Clone)]
pub struct IncomingRecord {
    /// Where it is, as far as it could be read (`-1` for what is missing).
    pub position: RecordPosition,
    /// The record, or why it does not fit the Kafka record shape.
    pub record: Result<KafkaRecord, String>,
}

/// The records of one topic-partition, in offset order.
#[derive(Debug, Clone)]
pub struct PartitionRecords {
    /// The `"<topic>-<partition>"` key of the batch.
    pub key: String,
    /// Its records, sorted by offset.
    pub records: Vec<IncomingRecord>,
}

/// Whether a payload looks like a Lambda Kafka event.
pub fn is_kafka_event(payload: &Value) -> bool {
    payload.get("records").is_some_and(Value::is_object)
        && payload
            .get("eventSource")
            .and_then(Value::as_str)
            .is_none_or(|s| {
                s == "aws:kafka" || s == "SelfManagedKafka" || s == "aws:SelfManagedKafka"
            })
}

/// Splits a Kafka event into per-partition record lists. Never fails: whatever cannot be read
/// becomes a record carrying its error.
pub fn partitions(payload: &Value) -> Vec<PartitionRecords> {
    let Some(records) = payload.get("records").and_then(Value::as_object) else {
        return Vec::new();
    };
    let mut grouped: BTreeMap<String, Vec<IncomingRecord>> = BTreeMap::new();
    for (key, list) in records {
        let items: Vec<&Value> = match list {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        for raw in items {
            let incoming = read_record(key, raw);
            grouped.entry(key.clone()).or_default().push(incoming);
        }
    }
    grouped
        .into_iter()
        .map(|(key, mut records)| {
            records.sort_by_key(|r| r.position.offset);
            PartitionRecords { key, records }
        })
        .collect()
}

fn read_record(key: &str, raw: &Value) -> IncomingRecord {
    let (key_topic, key_partition) = split_key(key);
    let topic = raw
        .get("topic")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or(key_topic);
    let partition = raw
        .get("partition")
        .and_then(number)
        .unwrap_or(key_partition);
    let offset = raw.get("offset").and_then(number).unwrap_or(-1);
    let record = if fractional_timestamp(raw) {
        Err("timestamp is not a whole number of milliseconds".to_string())
    } else {
        serde_json::from_value::<KafkaRecord>(raw.clone()).map_err(|e| e.to_string())
    };
    IncomingRecord {
        position: RecordPosition {
            topic,
            partition,
            offset,
        },
        record,
    }
}

/// Whether the record's `timestamp` (a number, or a string read as one) has a fractional part:
/// `aws_lambda_events` 1.2 asserts, and so panics, on one instead of refusing it.
fn fractional_timestamp(raw: &Value) -> bool {
    let number = match raw.get("timestamp") {
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.parse::<f64>().ok(),
        _ => None,
    };
    number.is_some_and(|n| n.fract() != 0.0)
}

/// `"my-topic-3"` → `("my-topic", 3)`; the topic may itself contain hyphens.
fn split_key(key: &str) -> (String, i64) {
    match key.rsplit_once('-') {
        Some((topic, partition)) => match partition.parse() {
            Ok(p) => (topic.to_string(), p),
            Err(_) => (key.to_string(), -1),
        },
        None => (key.to_string(), -1),
    }
}

fn number(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// The response to a Kafka batch: failed records for Lambda, the function's own counts (`S`)
/// for people.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KafkaBatchResponse<S> {
    /// The first record to retry on each partition that had a transient failure.
    pub batch_item_failures: Vec<KafkaBatchItemFailure>,
    /// What happened to every record (ignored by Lambda).
    pub summary: S,
}

/// One entry of `batchItemFailures`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KafkaBatchItemFailure {
    /// Which record.
    pub item_identifier: KafkaItemIdentifier,
}

/// A record as Lambda's Kafka event source mapping identifies it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KafkaItemIdentifier {
    /// `"<topic>-<partition>"`.
    pub partition: String,
    /// The record's offset.
    pub offset: i64,
}

impl From<&RecordPosition> for KafkaBatchItemFailure {
    fn from(position: &RecordPosition) -> Self {
        Self {
            item_identifier: KafkaItemIdentifier {
                partition: position.partition_key(),
                offset: position.offset,
            },
        }
    }
}

/// Why a record's value could not be turned into bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// The record has no value (a tombstone).
    #[error("record has no value")]
    MissingValue,
    /// The value is not valid base64.
    #[error("value is not base64: {0}")]
    NotBase64(String),
    /// The value is larger than the limit, in bytes after base64 decoding.
    #[error("value is {size} bytes, more than the {limit} allowed")]
    TooLarge {
        /// The (estimated, for base64 text) size in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
}

/// Decodes a record's base64 `value` (Lambda's Kafka event carries values base64-encoded) into
/// at most `max_bytes` bytes. Oversized text is refused before anything is allocated for it
/// (4 base64 characters per 3 bytes). Never panics.
pub fn value_bytes(value: Option<&str>, max_bytes: usize) -> Result<Vec<u8>, ValueError> {
    let text = value.ok_or(ValueError::MissingValue)?;
    let estimated = text.len() / 4 * 3;
    if estimated > max_bytes.saturating_add(3) {
        return Err(ValueError::TooLarge {
            size: estimated,
            limit: max_bytes,
        });
    }
    let bytes = aws_smithy_types::base64::decode(text.trim())
        .map_err(|e| ValueError::NotBase64(e.to_string()))?;
    if bytes.len() > max_bytes {
        return Err(ValueError::TooLarge {
            size: bytes.len(),
            limit: max_bytes,
        });
    }
    Ok(bytes)
}

/// Encodes bytes as a Kafka record value (base64), as producers' values reach Lambda.
pub fn encode_base64(bytes: &[u8]) -> String {
    aws_smithy_types::base64::encode(bytes)
}

/// What a record handler decided about one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition<O> {
    /// Handled (whatever the outcome, including "rejected, do not deliver again").
    Done(O),
    /// Worth another delivery: this record and its successors on the partition come back.
    Retry(O),
}

/// The result of [`process_batch`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchOutcome<O> {
    /// The outcome of every record the handler saw, in no particular order across partitions.
    pub outcomes: Vec<O>,
    /// Records after a failed one on its partition, left unprocessed for the redelivery.
    pub skipped: u64,
    /// One entry per partition with a record to retry, sorted by partition key.
    pub failures: Vec<KafkaBatchItemFailure>,
}

/// Runs `handle` over every record of a Kafka event: up to `concurrency` partitions at once, the
/// records of one partition strictly in offset order. After a record's [`Disposition::Retry`],
/// the rest of its partition is not handled (Lambda resumes the partition at that offset).
pub async fn process_batch<O, F, Fut>(
    payload: &Value,
    concurrency: usize,
    handle: F,
) -> BatchOutcome<O>
where
    F: Fn(IncomingRecord) -> Fut,
    Fut: Future<Output = Disposition<O>>,
{
    let handle = &handle;
    let per_partition: Vec<(Vec<O>, u64, Option<KafkaBatchItemFailure>)> =
        stream::iter(partitions(payload))
            .map(|partition| async move {
                let mut outcomes = Vec::new();
                let mut skipped = 0;
                let mut failure = None;
                for incoming in partition.records {
                    if failure.is_some() {
                        skipped += 1;
                        continue;
                    }
                    let position = incoming.position.clone();
                    match handle(incoming).await {
                        Disposition::Done(outcome) => outcomes.push(outcome),
                        Disposition::Retry(outcome) => {
                            failure = Some(KafkaBatchItemFailure::from(&position));
                            outcomes.push(outcome);
                        }
                    }
                }
                (outcomes, skipped, failure)
            })
            .buffer_unordered(concurrency.max(1))
            .collect()
            .await;
    let mut batch = BatchOutcome {
        outcomes: Vec::new(),
        skipped: 0,
        failures: Vec::new(),
    };
    for (outcomes, skipped, failure) in per_partition {
        batch.outcomes.extend(outcomes);
        batch.skipped += skipped;
        batch.failures.extend(failure);
    }
    batch.failures.sort_by(|a, b| {
        a.item_identifier
            .partition
            .cmp(&b.item_identifier.partition)
    });
    batch
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_library_fixture_reads_as_one_partition() {
        let event: Value =
            serde_json::from_str(include_str!("../tests/fixtures/example-kafka-event.json"))
                .unwrap();
        assert!(is_kafka_event(&event));
        let parts = partitions(&event);
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].key, "AWSKafkaTopic-0");
        let first = &parts[0].records[0];
        assert!(first.record.is_ok(), "{:?}", first.record);
        assert_eq!(first.position.partition_key(), "AWSKafkaTopic-0");
        assert_eq!(first.position.offset, 0);
    }

    #[test]
    fn a_fractional_timestamp_is_refused_not_a_panic() {
        // Found by the `kafka_record` fuzz target: aws_lambda_events' millisecond timestamp
        // asserts on a fraction, which would fail the whole batch.
        for timestamp in [json!(179576.4), json!("179576.4"), json!(0.5)] {
            let event = json!({"records": {"t-0": [
                {"topic": "t", "partition": 0, "offset": 1, "timestamp": timestamp,
                 "timestampType": "CREATE_TIME", "value": "e30=", "headers": []}
            ]}});
            let record = &partitions(&event)[0].records[0];
            assert_eq!(record.position.offset, 1);
            let err = record.record.as_ref().unwrap_err();
            assert!(err.contains("whole number of milliseconds"), "{err}");
        }
        for timestamp in [json!(179576), json!("179576"), json!(179576.0)] {
            let event = json!({"records": {"t-0": [
                {"topic": "t", "partition": 0, "offset": 1, "timestamp": timestamp,
                 "timestampType": "CREATE_TIME", "value": "e30=", "headers": []}
            ]}});
            let record = &partitions(&event)[0].records[0];
            assert!(record.record.is_ok(), "{timestamp}: {:?}", record.record);
        }
    }

    #[test]
    fn records_are_sorted_by_offset_and_a_broken_one_stands_alone() {
        let event = json!({
            "eventSource": "aws:kafka",
            "records": {
                "drift-events-2": [
                    {"topic": "drift-events", "partition": 2, "offset": 9, "timestamp": 1, "timestampType": "CREATE_TIME", "value": "e30=", "headers": []},
                    {"topic": "drift-events", "partition": 2, "offset": 7, "timestamp": 1, "timestampType": "CREATE_TIME", "value": "e30=", "headers": []},
                    {"partition": 2, "offset": 8, "headers": "not a list"}
                ]
            }
        });
        let parts = partitions(&event);
        let offsets: Vec<i64> = parts[0].records.iter().map(|r| r.position.offset).collect();
        assert_eq!(offsets, [7, 8, 9]);
        assert!(parts[0].records[1].record.is_err());
        assert_eq!(parts[0].records[1].position.topic, "drift-events");
    }

    #[test]
    fn a_batch_item_failure_has_the_shape_lambda_reads() {
        let position = RecordPosition {
            topic: "drift-events".into(),
            partition: 3,
            offset: 42,
        };
        let failure = KafkaBatchItemFailure::from(&position);
        assert_eq!(
            serde_json::to_value(&failure).unwrap(),
            json!({"itemIdentifier": {"partition": "drift-events-3", "offset": 42}})
        );
    }

    #[test]
    fn an_eventbridge_event_is_not_a_kafka_event() {
        assert!(!is_kafka_event(
            &json!({"detail-type": "model.drift_detected", "detail": {}})
        ));
        assert!(!is_kafka_event(
            &json!({"eventSource": "aws:sqs", "records": {}})
        ));
    }

    #[test]
    fn a_value_is_decoded_and_its_problems_are_named() {
        let encoded = aws_smithy_types::base64::encode("{\"a\":1}");
        assert_eq!(value_bytes(Some(&encoded), 64).unwrap(), b"{\"a\":1}");
        assert_eq!(value_bytes(None, 64), Err(ValueError::MissingValue));
        assert!(matches!(
            value_bytes(Some("@@@"), 64),
            Err(ValueError::NotBase64(_))
        ));
        let big = aws_smithy_types::base64::encode([b'x'; 100]);
        assert!(matches!(
            value_bytes(Some(&big), 64),
            Err(ValueError::TooLarge { limit: 64, .. })
        ));
    }

    fn record(topic: &str, partition: i64, offset: i64) -> Value {
        json!({"topic": topic, "partition": partition, "offset": offset, "timestamp": 1,
               "timestampType": "CREATE_TIME", "value": "e30=", "headers": []})
    }

    #[tokio::test]
    async fn a_retry_stops_its_partition_and_only_its_partition() {
        let event = json!({
            "eventSource": "aws:kafka",
            "records": {
                "t-0": [record("t", 0, 1), record("t", 0, 2), record("t", 0, 3)],
                "t-1": [record("t", 1, 5), record("t", 1, 6)]
            }
        });
        let batch = process_batch(&event, 2, |incoming| async move {
            let p = incoming.position;
            if p.partition == 0 && p.offset == 2 {
                Disposition::Retry(p.offset)
            } else {
                Disposition::Done(p.offset)
            }
        })
        .await;
        let mut seen = batch.outcomes.clone();
        seen.sort();
        assert_eq!(seen, [1, 2, 5, 6]);
        assert_eq!(batch.skipped, 1);
        assert_eq!(
            serde_json::to_value(&batch.failures).unwrap(),
            json!([{"itemIdentifier": {"partition": "t-0", "offset": 2}}])
        );
    }

    #[tokio::test]
    async fn no_more_partitions_than_the_limit_run_at_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let records: serde_json::Map<String, Value> = (0..8)
            .map(|p| (format!("t-{p}"), json!([record("t", p, 0)])))
            .collect();
        let event = json!({"eventSource": "aws:kafka", "records": records});
        let running = AtomicUsize::new(0);
        let peak = AtomicUsize::new(0);
        let batch = process_batch(&event, 3, |_| async {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            tokio::task::yield_now().await;
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            running.fetch_sub(1, Ordering::SeqCst);
            Disposition::Done(())
        })
        .await;
        assert_eq!(batch.outcomes.len(), 8);
        assert_eq!(peak.load(Ordering::SeqCst), 3);
    }
}
