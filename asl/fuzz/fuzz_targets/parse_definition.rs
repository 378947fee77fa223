//! Parses arbitrary text as a definition; runs the ones that validate, with a small history
//! budget so that loops end.
#![no_main]

use asl::{ExecutionOptions, StateMachine};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(sm) = StateMachine::from_json(text) else {
        return;
    };
    // Distributed Map children have their own histories: skip them to keep runs bounded.
    if text.contains("DISTRIBUTED") || text.contains("ArrayRange") {
        return;
    }
    let opts = ExecutionOptions {
        record_history: true,
        max_history_events: 300,
        ..ExecutionOptions::default()
    };
    let r = sm.run_blocking(serde_json::json!({"a": [1, 2, {"b": "x"}], "s": "2024-01-01T00:00:00Z"}), &opts);
    let _ = r.to_json(true);
});
