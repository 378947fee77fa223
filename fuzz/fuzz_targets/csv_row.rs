//! CSV rows of outside files: `evaluate-model-metrics`' streaming reader of prediction files
//! (`CsvTallier`, one-pass scanner and csv-core paths), `drift-monitor`'s reader of training
//! data and capture CSV (`records::for_each_csv_row`), and `cache-warmup`'s forecast rows
//! (`CsvHeader::parse`, `csv_item`).
//!
//! The first byte picks a chunk size (the reader is fed in pieces of that size) and whether the
//! usual header is put in front. Properties: no panic; the scanner and the general path give
//! the same tally or the same error (as the crate's proptest checks on generated rows); feeding
//! in chunks gives what feeding at once gives.
#![no_main]

use cache_warmup::record::{csv_item, split_csv_line, CsvHeader, ItemContext};
use evaluate_model_metrics::csv::CsvTallier;
use evaluate_model_metrics::error::EvaluateError;
use evaluate_model_metrics::rows::Columns;
use evaluate_model_metrics::tally::Tally;
use libfuzzer_sys::fuzz_target;

const HEADER: &[u8] = b"store_id,actual,prediction\n";

fn tally(text: &[u8], chunk: usize, scanner: bool) -> Result<Tally, EvaluateError> {
    let columns = Columns::regression("actual", "prediction", &["store_id"]);
    let parser = CsvTallier::new("file://fuzz.csv".into(), columns);
    let mut parser = if scanner {
        parser
    } else {
        parser.without_scanner()
    };
    for piece in text.chunks(chunk.max(1)) {
        parser.feed(piece)?;
    }
    parser.finish()
}

/// What must agree: the overall figures and the segments (Debug text, so NaNs compare), or
/// the error's message.
fn outcome(result: Result<Tally, EvaluateError>) -> String {
    match result {
        Ok(tally) => format!(
            "{:?} {:?}",
            tally.overall(),
            tally.segment_summary(&["store_id".to_string()], 50)
        ),
        Err(e) => format!("error: {e}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(first >> 1) + 1;
    let text: Vec<u8> = if first & 1 == 1 {
        [HEADER, rest].concat()
    } else {
        rest.to_vec()
    };

    let whole = outcome(tally(&text, text.len(), true));
    assert_eq!(
        whole,
        outcome(tally(&text, text.len(), false)),
        "scanner vs general"
    );
    assert_eq!(
        whole,
        outcome(tally(&text, chunk, true)),
        "chunks of {chunk}"
    );

    if let Ok(text) = std::str::from_utf8(&text) {
        let mut rows = 0usize;
        drift_monitor::records::for_each_csv_row(text, |fields| {
            assert!(!fields.is_empty());
            rows += 1;
        });
    }

    let context = ItemContext {
        key_fields: vec!["store_id".into()],
        date: "2026-11-30".into(),
        version: "v1".into(),
        expires_at: 1_800_000_000,
    };
    let mut lines = text.split(|&b| b == b'\n');
    if let Some(header) = lines.next().map(|l| l.strip_suffix(b"\r").unwrap_or(l)) {
        if let Ok(header) = CsvHeader::parse(header, &context) {
            for line in lines {
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                let _ = split_csv_line(line);
                let _ = csv_item(line, &header, &context);
            }
        }
    }
});
