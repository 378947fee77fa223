//! Kafka batches for the tests.

use serde_json::{json, Value};

/// A Kafka record at `partition`/`offset` of topic `inference-requests` whose value is `value`.
pub fn record(partition: i64, offset: i64, value: &Value) -> Value {
    json!({
        "topic": "inference-requests", "partition": partition, "offset": offset,
        "timestamp": 1764230400000_i64, "timestampType": "CREATE_TIME",
        "value": shared::kafka::encode_base64(value.to_string().as_bytes()), "headers": []
    })
}

/// A request for `demand-forecast` with id `id`.
pub fn request(id: &str) -> Value {
    json!({"request_id": id, "model_name": "demand-forecast", "features": [12.0, 3.5, 1.0]})
}

/// A Lambda MSK event holding `records`, keyed by their partitions.
pub fn batch(records: Vec<Value>) -> Value {
    let mut grouped = serde_json::Map::new();
    for r in records {
        let key = format!("inference-requests-{}", r["partition"]);
        if let Some(list) = grouped
            .entry(key)
            .or_insert_with(|| json!([]))
            .as_array_mut()
        {
            list.push(r);
        }
    }
    json!({
        "eventSource": "aws:kafka",
        "eventSourceArn": "arn:aws:kafka:eu-central-1:123456789012:cluster/ml/abc",
        "records": grouped
    })
}
