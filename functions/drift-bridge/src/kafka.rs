//! The Lambda Kafka event (MSK and self-managed) read record by record, and the partial batch
//! response.
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
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

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
    let record = serde_json::from_value::<KafkaRecord>(raw.clone()).map_err(|e| e.to_string());
    IncomingRecord {
        position: RecordPosition {
            topic,
            partition,
            offset,
        },
        record,
    }
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

/// The response to a Kafka batch: failed records for Lambda, counts for people.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KafkaBatchResponse {
    /// The first record to retry on each partition that had a transient failure.
    pub batch_item_failures: Vec<KafkaBatchItemFailure>,
    /// What happened to every record (ignored by Lambda).
    pub summary: crate::Summary,
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
}
