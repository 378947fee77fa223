//! First line: a JSONPath, reference path or intrinsic call; the rest: a JSON document.
//! Every evaluator must return a value or an error, never panic.
#![no_main]

use asl::clock::{parse_timestamp, SeededRng};
use asl::intrinsics::Call;
use asl::path::{Path, ReferencePath};
use asl::payload::Template;
use asl::scope::{no_context, Scope};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (expr, doc) = text.split_once('\n').unwrap_or((text, "{}"));
    let doc: Value = serde_json::from_str(doc).unwrap_or(Value::Null);
    let rng = SeededRng::new(1);
    let scope = Scope::new(&doc, &no_context, &rng);
    if let Ok(p) = Path::parse(expr) {
        if let Some(s) = scope.select(&p) {
            let _ = s.to_value();
        }
        let _ = p.bracket_notation();
    }
    if let Ok(r) = ReferencePath::parse(expr) {
        let mut d = doc.clone();
        let _ = r.write(&mut d, Value::Bool(true));
    }
    if let Ok(c) = Call::parse(expr) {
        let _ = c.eval(&scope);
    }
    if let Ok(t) = Template::dynamic(expr, "$") {
        let _ = t.eval(&scope);
    }
    let _ = asl::choice::string_matches(expr, expr);
    let _ = parse_timestamp(expr);
    let _ = asl::codec::base64_decode(expr);
});
