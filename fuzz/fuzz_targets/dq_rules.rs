//! The data-quality rules file (`config/data-quality/rules.yaml`, or the one the event names),
//! as `data_quality::rules::parse` reads it. Property: no panic; every error names a location.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(errors) = data_quality::rules::parse(text) {
        assert!(!errors.0.is_empty());
        let _ = errors.to_string();
    }
});
