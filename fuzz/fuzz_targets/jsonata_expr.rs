//! JSONata expressions of QueryLanguage JSONata definitions, as `asl::jsonata::Expr::parse`
//! compiles and checks them, then evaluated (`asl::jsonata::evaluate_language`: AWS's functions
//! `$partition`, `$range`, `$hash`, `$parse`, `$random`, `$uuid` bound) over a small input,
//! with a depth and time limit. Property: no panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::{json, Map};
use std::sync::LazyLock;
use std::time::Duration;

static INPUT: LazyLock<serde_json::Value> = LazyLock::new(|| {
    json!({"n": 5, "s": "a,b", "a": [1, 2.5, "x", null, [3]], "o": {"k": true, "e": {}}})
});

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let whole = asl::jsonata::Expr::parse(text);
    // The expression a definition holds: inside `{% %}` when the text is a template. What a
    // definition would refuse is never evaluated.
    let parsed = match asl::jsonata::template_expression(text) {
        Some(inner) => asl::jsonata::Expr::parse(inner).map(|_| inner),
        None => whole.map(|_| text),
    };
    if let Ok(source) = parsed {
        let _ = asl::jsonata::evaluate_language(
            source,
            Some(&INPUT),
            &Map::new(),
            Some(64),
            Some(Duration::from_millis(100)),
        );
    }
});
