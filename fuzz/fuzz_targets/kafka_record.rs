//! The Lambda Kafka event as `drift-bridge` and `inference-bridge` read it: the envelope split
//! into per-partition records (`shared::kafka::partitions`), each record's base64 value decoded
//! (`shared::kafka::value_bytes`) and read as a drift event (`drift_bridge::event`).
//! Properties: no panic; partitions come sorted by offset; any bytes survive a base64 round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use shared::kafka;

/// The limit the bridges pass (drift events are small JSON documents).
const MAX_VALUE_BYTES: usize = 256 * 1024;

fuzz_target!(|data: &[u8]| {
    // The value itself: base64 round trip of the raw bytes.
    if data.len() <= MAX_VALUE_BYTES {
        let text = kafka::encode_base64(data);
        assert_eq!(
            kafka::value_bytes(Some(&text), MAX_VALUE_BYTES).as_deref(),
            Ok(data)
        );
    }
    // The bytes as a record value (not necessarily base64) and as the decoded JSON.
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = kafka::value_bytes(Some(text), 64);
        let _ = drift_bridge::event::decode_base64(Some(text));
    }
    let _ = drift_bridge::event::decode_json(data);

    // The bytes as the whole event.
    let Ok(payload) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let _ = kafka::is_kafka_event(&payload);
    for partition in kafka::partitions(&payload) {
        assert!(partition
            .records
            .windows(2)
            .all(|w| w[0].position.offset <= w[1].position.offset));
        for incoming in &partition.records {
            let _ = incoming.position.partition_key();
            if let Ok(record) = &incoming.record {
                let _ = drift_bridge::event::decode_base64(record.value.as_deref());
            }
        }
    }
});
