//! EventBridge events as the functions read them: `drift-bridge`'s drift event `detail`
//! (`drift_bridge::event::decode_value`) and `model-approval`'s SageMaker Model Package State
//! Change (`model_approval::event::decode`). Property: no panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(event) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let _ = model_approval::event::decode(&event);
    // drift-bridge reads `detail` of an event whose detail-type is its drift event type; the
    // fuzzer's document is tried both as the whole event's detail and as the event.
    if let Some(detail) = event.get("detail") {
        if let Ok(drift_bridge::event::Decoded::Drift(drift)) =
            drift_bridge::event::decode_value(detail.clone())
        {
            let _ = drift.detected_at_text();
        }
    }
    if let Ok(drift_bridge::event::Decoded::Drift(drift)) = drift_bridge::event::decode_value(event)
    {
        let _ = drift.detected_at_text();
    }
});
