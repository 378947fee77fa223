//! Streaming JSON Lines: one object per line; a column may be a dotted path into nested
//! objects (e.g. `SageMakerOutput.prediction`, as SageMaker batch transform writes with
//! `JoinSource: Input`). Values may be numbers or numeric strings.

use crate::block_parser::BlockParser;
use crate::error::EvaluateError;
use crate::rows::{describe_value, parse_number, Columns, RowSink, RowTask};
use crate::tally::Tally;
use serde_json::Value;

/// Incremental JSON Lines parser: `feed` chunks in any sizes, then `finish`.
#[derive(Debug)]
pub struct JsonlTallier {
    sink: RowSink,
    pending: Vec<u8>,
    lines: u64,
    segment_values: Vec<Vec<u8>>,
    /// Classification: the texts of the actual, the predicted (if named) and the score
    /// columns, in that order.
    values: Vec<Vec<u8>>,
}

impl JsonlTallier {
    /// A parser for the named columns of the file at `uri`.
    pub fn new(uri: String, columns: Columns) -> Self {
        let segments = columns.segments.len();
        Self {
            sink: RowSink::new(uri, columns),
            pending: Vec::new(),
            lines: 0,
            segment_values: vec![Vec::new(); segments],
            values: Vec::new(),
        }
    }

    /// Parses the complete lines in the carried tail + `chunk`.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), EvaluateError> {
        let mut pending = std::mem::take(&mut self.pending);
        let mut rest = chunk;
        if !pending.is_empty() {
            let Some(newline) = memchr::memchr(b'\n', chunk) else {
                pending.extend_from_slice(chunk);
                self.pending = pending;
                return Ok(());
            };
            pending.extend_from_slice(&chunk[..newline]);
            self.line(&pending)?;
            pending.clear();
            rest = &chunk[newline + 1..];
        }
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', rest) {
            self.line(&rest[start..end])?;
            start = end + 1;
        }
        pending.extend_from_slice(&rest[start..]);
        self.pending = pending;
        Ok(())
    }

    /// Parses the last line and returns the tally; a file without rows is `EmptyPredictions`.
    pub fn finish(self) -> Result<Tally, EvaluateError> {
        let uri = self.sink.uri.clone();
        let tally = self.finish_part()?;
        if tally.rows() == 0 {
            return Err(EvaluateError::EmptyPredictions { uri });
        }
        Ok(tally)
    }

    /// Parses the last line and returns the tally, empty or not (one part of a larger read).
    fn finish_part(mut self) -> Result<Tally, EvaluateError> {
        let pending = std::mem::take(&mut self.pending);
        if !pending.is_empty() {
            self.line(&pending)?;
        }
        Ok(self.sink.tally)
    }

    fn line(&mut self, raw: &[u8]) -> Result<(), EvaluateError> {
        self.lines += 1;
        let line = self.lines;
        if raw.trim_ascii().is_empty() {
            return Ok(());
        }
        let unparsable = |detail: String| EvaluateError::UnparsableRow {
            uri: self.sink.uri.clone(),
            line,
            detail,
        };
        let row: Value =
            serde_json::from_slice(raw).map_err(|e| unparsable(format!("not JSON: {e}")))?;
        if !row.is_object() {
            return Err(unparsable("expected a JSON object".into()));
        }
        let mut segment_values = std::mem::take(&mut self.segment_values);
        let segments = self.sink.columns.segments.iter();
        for (column, buffer) in segments.zip(&mut segment_values) {
            if let Err(error) = self.text(&row, column, line, buffer) {
                self.segment_values = segment_values;
                return Err(error);
            }
        }
        let result = self.push(&row, line, &segment_values);
        self.segment_values = segment_values;
        result
    }

    /// Tallies a row whose segment values are read.
    fn push(&mut self, row: &Value, line: u64, segments: &[Vec<u8>]) -> Result<(), EvaluateError> {
        let columns = &self.sink.columns;
        let segments = segments.iter().map(Vec::as_slice);
        if let (RowTask::Regression, Some(predicted)) = (&columns.task, &columns.predicted) {
            let actual = self.number(row, &columns.actual, line)?;
            let predicted = self.number(row, predicted, line)?;
            self.sink.push_numbers(actual, predicted, segments);
            return Ok(());
        }
        let names: Vec<&String> = std::iter::once(&columns.actual)
            .chain(&columns.predicted)
            .chain(&columns.scores)
            .collect();
        let mut values = std::mem::take(&mut self.values);
        values.resize_with(names.len(), Vec::new);
        let read = names
            .iter()
            .zip(&mut values)
            .try_for_each(|(column, buffer)| self.text(row, column, line, buffer));
        let result = read.and_then(|()| {
            let has_predicted = self.sink.columns.predicted.is_some();
            let actual = values.first().map(Vec::as_slice).unwrap_or_default();
            let predicted = values.get(1).filter(|_| has_predicted).map(Vec::as_slice);
            let scores = values.iter().skip(1 + usize::from(has_predicted));
            self.sink
                .push_record(line, actual, predicted, scores.map(Vec::as_slice), segments)
        });
        self.values = values;
        result
    }

    /// Copies the text of `column` (a string as it is, a number or boolean as JSON writes
    /// it) into `buffer`.
    fn text(
        &self,
        row: &Value,
        column: &str,
        line: u64,
        buffer: &mut Vec<u8>,
    ) -> Result<(), EvaluateError> {
        let value = lookup(row, column).ok_or_else(|| self.missing(row, column, line))?;
        buffer.clear();
        match value {
            Value::String(s) => buffer.extend_from_slice(s.as_bytes()),
            Value::Number(_) | Value::Bool(_) => {
                buffer.extend_from_slice(value.to_string().as_bytes())
            }
            other => {
                return Err(EvaluateError::UnparsableRow {
                    uri: self.sink.uri.clone(),
                    line,
                    detail: format!("column {column:?} holds {other}, not a string or number"),
                })
            }
        }
        Ok(())
    }

    fn number(&self, row: &Value, column: &str, line: u64) -> Result<f64, EvaluateError> {
        let value = lookup(row, column).ok_or_else(|| self.missing(row, column, line))?;
        let number = match value {
            Value::Number(n) => n.as_f64().filter(|v| v.is_finite()),
            Value::String(s) => parse_number(s.as_bytes()),
            _ => None,
        };
        number.ok_or_else(|| EvaluateError::UnparsableRow {
            uri: self.sink.uri.clone(),
            line,
            detail: format!(
                "column {column:?} holds {}, not a number",
                match value {
                    Value::String(s) => describe_value(s.as_bytes()),
                    other => other.to_string(),
                }
            ),
        })
    }

    fn missing(&self, row: &Value, column: &str, line: u64) -> EvaluateError {
        let available = row
            .as_object()
            .map(|o| o.keys().cloned().collect::<Vec<_>>().join(", "))
            .unwrap_or_default();
        EvaluateError::ColumnNotFound {
            column: column.to_string(),
            uri: self.sink.uri.clone(),
            line,
            available,
        }
    }
}

/// Finds `column` in `row`: the exact key first, then a dotted path through nested objects.
fn lookup<'a>(row: &'a Value, column: &str) -> Option<&'a Value> {
    if let Some(value) = row.get(column) {
        return Some(value);
    }
    column
        .split('.')
        .try_fold(row, |value, part| value.get(part))
}

impl BlockParser for JsonlTallier {
    fn feed(&mut self, chunk: &[u8]) -> Result<(), EvaluateError> {
        JsonlTallier::feed(self, chunk)
    }
    /// Empty or not: the whole read decides whether there were rows.
    fn finish(self) -> Result<Tally, EvaluateError> {
        self.finish_part()
    }
    /// JSON Lines have no header.
    fn has_header(&self) -> bool {
        true
    }
    fn fork(&self) -> Option<Self> {
        Some(JsonlTallier::new(
            self.sink.uri.clone(),
            self.sink.columns.clone(),
        ))
    }
    fn lines(&self) -> u64 {
        self.lines
    }
    fn take_tally(&mut self) -> Tally {
        std::mem::take(&mut self.sink.tally)
    }
    fn tally_mut(&mut self) -> &mut Tally {
        &mut self.sink.tally
    }
    fn at_record_boundary(&self) -> bool {
        self.pending.is_empty()
    }
    fn drop_incomplete_record(&mut self) -> bool {
        let incomplete = !self.pending.is_empty();
        self.pending.clear();
        incomplete
    }
    /// A JSON string cannot hold a raw line break: every line break ends a record.
    fn splittable(&self, _body: &[u8], _split_quoted: bool) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns(segments: &[&str]) -> Columns {
        Columns::regression("actual", "SageMakerOutput.prediction", segments)
    }

    fn run(text: &[u8], chunk: usize) -> Result<Tally, EvaluateError> {
        let mut parser = JsonlTallier::new("file://t.jsonl".into(), columns(&["store_id"]));
        for piece in text.chunks(chunk) {
            parser.feed(piece)?;
        }
        parser.finish()
    }

    const SAMPLE: &[u8] =
        br#"{"store_id": "s1", "actual": 10, "SageMakerOutput": {"prediction": 11}}
{"store_id": 7, "actual": "20", "SageMakerOutput": {"prediction": 18.5}}

{"store_id": "s1", "actual": 0, "SageMakerOutput": {"prediction": 1}}"#;

    #[test]
    fn nested_columns_numeric_strings_and_any_chunking_work() {
        let whole = run(SAMPLE, SAMPLE.len()).unwrap();
        assert_eq!(whole.overall().rows(), 3);
        for chunk in 1..SAMPLE.len() {
            assert_eq!(
                run(SAMPLE, chunk).unwrap().overall(),
                whole.overall(),
                "chunk {chunk}"
            );
        }
        let summary = whole.segment_summary(&["store_id".into()], 5);
        assert_eq!(summary.count, 2);
        assert!(summary.worst.iter().any(|s| s.key["store_id"] == "7"));
    }

    #[test]
    fn broken_json_reports_its_line() {
        let err = run(
            b"{\"store_id\":\"a\",\"actual\":1,\"SageMakerOutput\":{\"prediction\":1}}\n{oops\n",
            5,
        )
        .unwrap_err();
        assert!(
            matches!(err, EvaluateError::UnparsableRow { line: 2, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn a_missing_nested_column_is_column_not_found() {
        let err = run(b"{\"store_id\":\"a\",\"actual\":1,\"prediction\":2}\n", 100).unwrap_err();
        assert!(
            matches!(&err, EvaluateError::ColumnNotFound { column, .. } if column == "SageMakerOutput.prediction"),
            "{err:?}"
        );
    }

    #[test]
    fn null_values_are_unparsable() {
        let err = run(
            b"{\"store_id\":\"a\",\"actual\":null,\"SageMakerOutput\":{\"prediction\":2}}\n",
            100,
        )
        .unwrap_err();
        assert!(
            matches!(err, EvaluateError::UnparsableRow { line: 1, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn an_empty_file_is_empty_predictions() {
        assert!(matches!(
            run(b"\n\n", 100).unwrap_err(),
            EvaluateError::EmptyPredictions { .. }
        ));
    }
}
