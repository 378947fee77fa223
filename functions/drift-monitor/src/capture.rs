//! SageMaker Data Capture records and the rows in them.
//!
//! A capture file is JSON Lines, one inference per line (the format SageMaker Model Monitor
//! reads; see the "Data capture" page of the SageMaker developer guide):
//!
//! ```json
//! {"captureData": {
//!    "endpointInput":  {"observedContentType": "text/csv", "mode": "INPUT",  "data": "1.5,3,urban", "encoding": "CSV"},
//!    "endpointOutput": {"observedContentType": "text/csv; charset=utf-8", "mode": "OUTPUT", "data": "42.1", "encoding": "CSV"}},
//!  "eventMetadata": {"eventId": "8f45e35c-…", "inferenceTime": "2026-11-29T13:36:30Z"},
//!  "eventVersion": "0"}
//! ```
//!
//! `encoding` is `CSV` or `JSON` (the data as text) or `BASE64` (the bytes base64-encoded: then
//! `observedContentType` says whether they are CSV or JSON). A CSV input holds one row per
//! line, its fields in the baseline's feature order. A JSON input is one row (an object of
//! feature name → value, or an array in feature order), an array of rows, or
//! `{"instances": [rows]}` (rows may also be `{"features": [..]}`). A CSV output holds one
//! prediction per line (its first field); a JSON output is a number, an array of numbers, or
//! `{"predictions": [...]}` whose items are numbers or objects with `score` or `predicted_label`.

use crate::cell::{self, Cell};
use crate::profile::Baseline;
use crate::records::for_each_csv_row;
use crate::scan::{scan_record, RawPayload, RawRecord};
use crate::tally::LiveTally;
use serde::Deserialize;
use serde_json::Value;
use std::borrow::Cow;
use std::sync::Arc;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    Csv,
    Json,
}

/// A payload's text and how to read it, from its `data`, `encoding` and `observedContentType`;
/// `None` when it cannot be decoded.
fn decode<'a>(
    data: &'a str,
    encoding: &str,
    content_type: Option<&str>,
) -> Option<(Cow<'a, str>, Layout)> {
    match encoding {
        "CSV" => Some((Cow::Borrowed(data), Layout::Csv)),
        "JSON" => Some((Cow::Borrowed(data), Layout::Json)),
        "BASE64" => {
            let content_type = content_type.unwrap_or_default().to_ascii_lowercase();
            let layout = if content_type.contains("csv") {
                Layout::Csv
            } else if content_type.contains("json") {
                Layout::Json
            } else {
                return None;
            };
            let bytes = aws_smithy_types::base64::decode(data).ok()?;
            let text = String::from_utf8(bytes).ok()?;
            Some((Cow::Owned(text), layout))
        }
        _ => None,
    }
}

/// Counts of one window of capture (or one file of it), against a baseline. Cloning an empty
/// Reads `line` as a capture record with serde (the general reader that [`scan_record`]
/// leaves unusual records to) and passes its payloads to `f`; `None` when it is not one.
pub fn read_record<T>(line: &[u8], f: impl FnOnce(RawRecord<'_>) -> T) -> Option<T> {
    fn raw<'p>(p: &'p Option<Payload<'_>>) -> Option<RawPayload<'p>> {
        p.as_ref().map(|p| RawPayload {
            content_type: p.observed_content_type.as_deref(),
            data: &p.data,
            encoding: &p.encoding,
        })
    }
    let record = serde_json::from_slice::<Record>(line).ok()?;
    let data = &record.capture_data;
    Some(f(RawRecord {
        input: raw(&data.endpoint_input),
        output: raw(&data.endpoint_output),
    }))
}

/// tally is cheap (the profiles are shared), so each file can be counted on its own and merged.
#[derive(Debug, Clone)]
pub struct CaptureTally {
    /// One tally per baseline feature, in feature order.
    pub features: Vec<LiveTally>,
    /// The prediction's tally, when the baseline has a prediction profile.
    pub prediction: Option<LiveTally>,
    /// Capture records (lines) read.
    pub records: u64,
    /// Lines that are not capture records, or whose input cannot be decoded.
    pub malformed_records: u64,
    /// Input rows that do not fit the features (wrong field count, not a row).
    pub malformed_rows: u64,
    /// Input rows counted.
    pub rows: u64,
}

impl CaptureTally {
    /// Empty counts against `baseline`.
    pub fn new(baseline: &Baseline) -> Self {
        let tally = |p: &crate::profile::FeatureProfile| LiveTally::new(Arc::new(p.clone()));
        Self {
            features: baseline.features.iter().map(tally).collect(),
            prediction: baseline.prediction.as_ref().map(tally),
            records: 0,
            malformed_records: 0,
            malformed_rows: 0,
            rows: 0,
        }
    }

    /// Adds the counts of another tally of the same baseline.
    pub fn merge(&mut self, other: CaptureTally) {
        for (mine, theirs) in self.features.iter_mut().zip(other.features) {
            mine.merge(theirs);
        }
        if let (Some(mine), Some(theirs)) = (&mut self.prediction, other.prediction) {
            mine.merge(theirs);
        }
        self.records += other.records;
        self.malformed_records += other.malformed_records;
        self.malformed_rows += other.malformed_rows;
        self.rows += other.rows;
    }

    /// Counts one capture line.
    pub fn add_line(&mut self, line: &[u8]) {
        if line.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        self.records += 1;
        // The usual record by the fast scanner; anything it is not sure of by serde.
        if let Some(record) = std::str::from_utf8(line).ok().and_then(scan_record) {
            return self.add_record(record);
        }
        if read_record(line, |record| self.add_record(record)).is_none() {
            self.malformed_records += 1;
        }
    }

    /// Counts one capture record's input rows and predictions.
    fn add_record(&mut self, record: RawRecord<'_>) {
        fn text(p: RawPayload<'_>) -> Option<(Cow<'_, str>, Layout)> {
            decode(p.data, p.encoding, p.content_type)
        }
        let Some((text_in, layout)) = record.input.and_then(text) else {
            self.malformed_records += 1;
            return;
        };
        let text_out = record
            .output
            .filter(|_| self.prediction.is_some())
            .and_then(text);
        let text = text_in;
        match layout {
            Layout::Csv if memchr::memchr(b'"', text.as_bytes()).is_none() => {
                for line in text.split('\n') {
                    let line = line.strip_suffix('\r').unwrap_or(line);
                    if !line.is_empty() {
                        self.add_plain_csv_row(line);
                    }
                }
            }
            Layout::Csv => for_each_csv_row(&text, |fields| self.add_positional_text(fields)),
            Layout::Json => match serde_json::from_str::<Value>(&text) {
                Ok(value) => self.add_json_rows(&value),
                Err(_) => self.malformed_rows += 1,
            },
        }
        if let Some((text, layout)) = text_out {
            self.add_predictions(&text, layout);
        }
    }

    /// One CSV row without quotes (nor line breaks): what [`Self::add_positional_text`] does
    /// with its fields split at commas, in one pass that reads plain decimals as it finds them.
    fn add_plain_csv_row(&mut self, line: &str) {
        let bytes = line.as_bytes();
        if memchr::memchr_iter(b',', bytes).count() + 1 != self.features.len() {
            self.malformed_rows += 1;
            return;
        }
        self.rows += 1;
        let mut start = 0;
        for tally in &mut self.features {
            let rest = &bytes[start..];
            if tally.is_numeric() {
                if let Some((value, len)) = cell::plain_decimal(rest) {
                    if matches!(rest.get(len), None | Some(b',')) {
                        tally.add_number(value);
                        start += len + 1;
                        continue;
                    }
                }
            }
            let len = memchr::memchr(b',', rest).unwrap_or(rest.len());
            // Commas are ASCII: the cut is at a character boundary.
            tally.add(Cell::Text(line.get(start..start + len).unwrap_or_default()));
            start += len + 1;
        }
    }

    fn add_positional_text(&mut self, fields: &[&str]) {
        if fields.len() != self.features.len() {
            self.malformed_rows += 1;
            return;
        }
        self.rows += 1;
        for (tally, field) in self.features.iter_mut().zip(fields) {
            tally.add(Cell::Text(field));
        }
    }

    fn add_json_rows(&mut self, value: &Value) {
        match value {
            Value::Object(object) => match object.get("instances") {
                Some(Value::Array(rows)) => rows.iter().for_each(|row| self.add_json_row(row)),
                _ => self.add_json_row(value),
            },
            Value::Array(items)
                if items.iter().all(|i| i.is_array() || i.is_object()) && !items.is_empty() =>
            {
                items.iter().for_each(|row| self.add_json_row(row));
            }
            Value::Array(_) => self.add_json_row(value),
            _ => self.malformed_rows += 1,
        }
    }

    fn add_json_row(&mut self, row: &Value) {
        match row {
            Value::Object(object) => {
                if let Some(features @ Value::Array(_)) = object.get("features") {
                    return self.add_json_row(features);
                }
                self.rows += 1;
                for tally in &mut self.features {
                    let name = &tally.profile().name;
                    let cell = object.get(name).map_or(Some(Cell::Null), Cell::from_json);
                    tally.add(cell.unwrap_or(Cell::Text("<nested JSON>")));
                }
            }
            Value::Array(values) if values.len() == self.features.len() => {
                self.rows += 1;
                for (tally, value) in self.features.iter_mut().zip(values) {
                    tally.add(Cell::from_json(value).unwrap_or(Cell::Text("<nested JSON>")));
                }
            }
            _ => self.malformed_rows += 1,
        }
    }

    fn add_predictions(&mut self, text: &str, layout: Layout) {
        let Some(tally) = &mut self.prediction else {
            return;
        };
        match layout {
            Layout::Csv if memchr::memchr(b'"', text.as_bytes()).is_none() => {
                // As `for_each_csv_row` splits it: lines, then the first field of each.
                for line in text.split('\n') {
                    let line = line.strip_suffix('\r').unwrap_or(line);
                    if line.is_empty() {
                        continue;
                    }
                    let first = line.split(',').next().unwrap_or_default();
                    match cell::plain_decimal(first.as_bytes()) {
                        Some((value, len)) if len == first.len() && tally.is_numeric() => {
                            tally.add_number(value)
                        }
                        _ => tally.add(Cell::Text(first)),
                    }
                }
            }
            Layout::Csv => for_each_csv_row(text, |fields| {
                if let Some(first) = fields.first() {
                    tally.add(Cell::Text(first));
                }
            }),
            Layout::Json => {
                if let Ok(value) = serde_json::from_str::<Value>(text) {
                    let items = match &value {
                        Value::Object(o) => match o.get("predictions") {
                            Some(Value::Array(items)) => items.as_slice(),
                            _ => std::slice::from_ref(&value),
                        },
                        Value::Array(items) => items.as_slice(),
                        _ => std::slice::from_ref(&value),
                    };
                    for item in items {
                        let item = match item {
                            Value::Object(o) => o
                                .get("score")
                                .or_else(|| o.get("predicted_label"))
                                .unwrap_or(&Value::Null),
                            Value::Array(a) => a.first().unwrap_or(&Value::Null),
                            other => other,
                        };
                        if let Some(cell) = Cell::from_json(item) {
                            tally.add(cell);
                        }
                    }
                }
            }
        }
    }
}
