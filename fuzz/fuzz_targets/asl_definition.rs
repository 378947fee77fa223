//! Amazon States Language definitions (`state-machines/*.asl.json`), as
//! `asl::StateMachine::from_json` parses and validates them. Property: no panic; a refused
//! definition says why.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(errors) = asl::StateMachine::from_json(text) {
        assert!(!errors.0.is_empty());
        let _ = errors.to_string();
    }
});
