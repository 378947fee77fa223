//! Step Functions Local mock configurations (`events/*/mock-config.json`), as
//! `asl::MockConfig::parse` reads them. Property: no panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    if let Err(e) = asl::MockConfig::parse(&value) {
        let _ = e.to_string();
    }
});
