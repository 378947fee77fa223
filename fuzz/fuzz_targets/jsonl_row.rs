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
use drift_monitor::capture::CaptureTally;
use drift_monitor::profile::Baseline;
use drift_monitor::scan::scan_record;
use evaluate_model_metrics::error::EvaluateError;
use evaluate_model_metrics::jsonl::JsonlTallier;
use evaluate_model_metrics::rows::Columns;
use evaluate_model_metrics::tally::Tally;
use libfuzzer_sys::fuzz_target;
use serde::Deserialize;
use std::borrow::Cow;
use std::sync::OnceLock;

/// The capture record as SageMaker writes it (the oracle for the scanner).
#[derive(Deserialize)]
struct Record<'a> {
    #[serde(rename = "captureData", borrow)]
    capture_data: CaptureData<'a>,
}

#[derive(Deserialize)]
struct CaptureData<'a> {
    #[serde(rename = "endpointInput", borrow, default)]
    endpoint_input: Option<Payload<'a>>,
    #[serde(rename = "endpointOutput", borrow, default)]
    endpoint_output: Option<Payload<'a>>,
}

#[derive(Deserialize)]
struct Payload<'a> {
    #[serde(rename = "observedContentType", borrow, default)]
    observed_content_type: Option<Cow<'a, str>>,
    #[serde(borrow)]
    data: Cow<'a, str>,
    #[serde(borrow)]
    encoding: Cow<'a, str>,
}

type Strings = Option<(Option<String>, String, String)>;

fn owned(p: &Option<Payload<'_>>) -> Strings {
    p.as_ref().map(|p| {
        (
            p.observed_content_type.as_deref().map(str::to_string),
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
            let record: Record = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("scanner accepted what serde refuses ({e}): {line:?}"));
            let fast = |p: Option<drift_monitor::scan::RawPayload<'_>>| -> Strings {
                p.map(|p| {
                    (
                        p.content_type.map(str::to_string),
                        p.data.to_string(),
                        p.encoding.to_string(),
                    )
                })
            };
            assert_eq!(
                fast(scanned.input),
                owned(&record.capture_data.endpoint_input)
            );
            assert_eq!(
                fast(scanned.output),
                owned(&record.capture_data.endpoint_output)
            );
        }
    }
});
