//! JSONata expressions of QueryLanguage JSONata definitions, as `asl::jsonata::Expr::parse`
//! compiles and checks them. Property: no panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = asl::jsonata::Expr::parse(text);
    if let Some(inner) = asl::jsonata::template_expression(text) {
        let _ = asl::jsonata::Expr::parse(inner);
    }
});
