//! JSON Lines rows of outside files: `evaluate-model-metrics`' streaming reader of prediction
//! files (`JsonlTallier`), `drift-monitor`'s SageMaker Data Capture records (`CaptureTally::
//! add_line`, whose fast `scan::scan_record` must agree with serde), and `cache-warmup`'s
//! forecast records (`jsonl_item`).
//!
//! The first byte picks the chunk size the reader is fed in. Properties: no panic; chunks give
//! what one feed gives; a line the capture scanner accepts is one serde reads with the same
//! strings.
#![no_main]

use cache_warmup::record::{jsonl_item, ItemContext};
use drift_monitor::capture::{read_record, CaptureTally};
use drift_monitor::profile::Baseline;
use drift_monitor::scan::scan_record;
use evaluate_model_metrics::error::EvaluateError;
use evaluate_model_metrics::jsonl::JsonlTallier;
use evaluate_model_metrics::rows::Columns;
use evaluate_model_metrics::tally::Tally;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

type Strings = Option<(Option<String>, String, String)>;

fn owned(p: Option<drift_monitor::scan::RawPayload<'_>>) -> Strings {
    p.map(|p| {
        (
            p.content_type.map(str::to_string),
            p.data.to_string(),
            p.encoding.to_string(),
        )
    })
}

fn baseline() -> &'static Baseline {
    static BASELINE: OnceLock<Baseline> = OnceLock::new();
    BASELINE.get_or_init(|| {
        serde_json::from_str(include_str!(
            "../../events/drift-monitor/data/baseline.json"
        ))
        .expect("the sample baseline reads")
    })
}

fn tally(text: &[u8], chunk: usize) -> Result<Tally, EvaluateError> {
    let columns = Columns::regression("actual", "prediction", &["store.id"]);
    let mut parser = JsonlTallier::new("file://fuzz.jsonl".into(), columns);
    for piece in text.chunks(chunk.max(1)) {
        parser.feed(piece)?;
    }
    parser.finish()
}

fn outcome(result: Result<Tally, EvaluateError>) -> String {
    match result {
        Ok(tally) => format!(
            "{:?} {:?}",
            tally.overall(),
            tally.segment_summary(&["store.id".to_string()], 50)
        ),
        Err(e) => format!("error: {e}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, text)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(first) + 1;
    assert_eq!(
        outcome(tally(text, text.len())),
        outcome(tally(text, chunk)),
        "chunks of {chunk}"
    );

    let mut capture = CaptureTally::new(baseline());
    let context = ItemContext {
        key_fields: vec!["store_id".into(), "sku".into()],
        date: "2026-11-30".into(),
        version: "v1".into(),
        expires_at: 1_800_000_000,
    };
    for line in text.split(|&b| b == b'\n') {
        capture.add_line(line);
        let _ = jsonl_item(line, &context);
        let Ok(line) = std::str::from_utf8(line) else {
            continue;
        };
        if let Some(scanned) = scan_record(line) {
            // The oracle: the general reader the scanner leaves unusual records to.
            let by_serde = read_record(line.as_bytes(), |r| (owned(r.input), owned(r.output)))
                .unwrap_or_else(|| panic!("scanner accepted what serde refuses: {line:?}"));
            assert_eq!((owned(scanned.input), owned(scanned.output)), by_serde);
        }
    }
});
