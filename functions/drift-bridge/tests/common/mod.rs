//! Builders shared by the drift-bridge tests: drift events, Kafka records and batches.
#![allow(dead_code)]

use serde_json::{json, Value};

/// The topic the samples use.
pub const TOPIC: &str = "model-monitoring";

/// A drift event (the JSON a monitoring system publishes).
pub fn drift(event_id: &str, model: &str, detected_at: &str) -> Value {
    json!({
        "schema_version": 1,
        "event_id": event_id,
        "event_type": "model.drift_detected",
        "model_name": model,
        "model_version": "2026-11-02",
        "metric": "psi",
        "value": 0.31,
        "threshold": 0.2,
        "detected_at": detected_at,
    })
}

/// A Kafka record whose value is `payload` (base64 of its bytes).
pub fn record(partition: i64, offset: i64, payload: &[u8]) -> Value {
    json!({
        "topic": TOPIC,
        "partition": partition,
        "offset": offset,
        "timestamp": 1_795_766_400_000_i64,
        "timestampType": "CREATE_TIME",
        "key": aws_smithy_types::base64::encode("model"),
        "value": aws_smithy_types::base64::encode(payload),
        "headers": [{"content-type": [97, 112, 112, 108, 105, 99, 97, 116, 105, 111, 110, 47, 106, 115, 111, 110]}]
    })
}

/// A Kafka record holding the JSON `event`.
pub fn json_record(partition: i64, offset: i64, event: &Value) -> Value {
    record(partition, offset, event.to_string().as_bytes())
}

/// A Lambda MSK event from records (grouped by their partition).
pub fn batch(records: Vec<Value>) -> Value {
    let mut map = serde_json::Map::new();
    for r in records {
        let key = format!("{TOPIC}-{}", r["partition"]);
        if let Some(list) = map
            .entry(key)
            .or_insert_with(|| Value::Array(Vec::new()))
            .as_array_mut()
        {
            list.push(r);
        }
    }
    json!({
        "eventSource": "aws:kafka",
        "eventSourceArn": "arn:aws:kafka:us-east-1:123456789012:cluster/monitoring/abcd1234-0000-0000-0000-000000000000-1",
        "bootstrapServers": "b-1.monitoring.kafka.us-east-1.amazonaws.com:9098",
        "records": map,
    })
}
