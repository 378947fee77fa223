//! Streaming CSV (RFC 4180, header row required). Chunks without a quote character take a fast
//! line splitter; chunks with quotes go through `csv-core`, which handles quoted separators and
//! line breaks. Both feed the same [`RowSink`].

use crate::block_parser::BlockParser;
use crate::error::EvaluateError;
use crate::plain::{field_roles, scan_record, FieldRole, PlainRow};
use crate::rows::{Columns, RowSink, RowTask};
use crate::tally::Tally;
use csv_core::{ReadRecordResult, Reader};

/// Where the columns asked for sit in each record.
#[derive(Debug, Clone)]
struct Layout {
    actual: usize,
    predicted: Option<usize>,
    scores: Vec<usize>,
    segments: Vec<usize>,
    /// Fields a data record must have: the largest index used, plus one.
    needed: usize,
    /// The roles of fields `0..needed` for the one-pass scanner, when it can serve the layout.
    roles: Option<Vec<FieldRole>>,
}

/// Incremental CSV parser: `feed` chunks in any sizes, then `finish`.
#[derive(Debug)]
pub struct CsvTallier {
    sink: RowSink,
    layout: Option<Layout>,
    /// Bytes of an incomplete record carried to the next chunk.
    pending: Vec<u8>,
    /// The length `pending` must reach before a long incomplete record is read again (0: at
    /// the next line break).
    retry_at: usize,
    /// Lines fully consumed so far.
    lines: u64,
    reader: Reader,
    record: Vec<u8>,
    ends: Vec<usize>,
    fields: Vec<(usize, usize)>,
    /// Whether plain lines may take the one-pass scanner (off only to compare the two paths).
    scanner: bool,
}

impl CsvTallier {
    /// A parser for the named columns of the file at `uri`.
    pub fn new(uri: String, columns: Columns) -> Self {
        Self {
            sink: RowSink::new(uri, columns),
            layout: None,
            pending: Vec::new(),
            retry_at: 0,
            lines: 0,
            reader: Reader::new(),
            record: vec![0; 4096],
            ends: vec![0; 64],
            fields: Vec::with_capacity(16),
            scanner: true,
        }
    }

    /// The same parser without the one-pass scanner: every line through the general path.
    /// Slower; it exists to check that both paths agree.
    pub fn without_scanner(mut self) -> Self {
        self.scanner = false;
        self
    }

    /// Parses the complete records in `pending` + `chunk`, keeping any incomplete tail.
    ///
    /// Linear in the bytes fed, however the chunks fall: the carried tail holds no complete
    /// record, so a chunk without a line break or carriage return cannot complete one and is
    /// only appended; and a long record still open after a try (a quoted field over many lines)
    /// is read again only once the carried bytes have doubled. Deferring changes no result,
    /// since records are read in order and `finish` reads what is left.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), EvaluateError> {
        if self.pending.is_empty() {
            let used = self.process(chunk, false)?;
            self.pending.extend_from_slice(&chunk[used..]);
            self.note_carried();
            return Ok(());
        }
        if self.pending.len() + chunk.len() < self.retry_at
            || memchr::memchr2(b'\n', b'\r', chunk).is_none()
        {
            self.pending.extend_from_slice(chunk);
            return Ok(());
        }
        // Complete the carried record with the chunk's first line, then parse the rest of the
        // chunk in place rather than copying it.
        let mut pending = std::mem::take(&mut self.pending);
        let split = memchr::memchr(b'\n', chunk).map_or(chunk.len(), |i| i + 1);
        pending.extend_from_slice(&chunk[..split]);
        let used = self.process(&pending, false)?;
        let rest = &chunk[split..];
        if used == pending.len() {
            pending.clear();
            let used_rest = self.process(rest, false)?;
            pending.extend_from_slice(&rest[used_rest..]);
        } else {
            // A quoted field spans the line break: keep accumulating.
            pending.drain(..used);
            pending.extend_from_slice(rest);
            let used = self.process(&pending, false)?;
            pending.drain(..used);
        }
        self.pending = pending;
        self.note_carried();
        Ok(())
    }

    /// Sets when a carried record is worth reading again: at the next line break while it is
    /// short, once it has doubled when it is long.
    fn note_carried(&mut self) {
        const LONG_RECORD: usize = 4096;
        self.retry_at = if self.pending.len() >= LONG_RECORD {
            2 * self.pending.len()
        } else {
            0
        };
    }

    /// A parser for a slice of the same file that starts on a line boundary after the header:
    /// same layout, an empty tally, lines counted from 0. `None` before the header is read.
    pub fn fork(&self) -> Option<Self> {
        let layout = self.layout.as_ref()?;
        let mut worker = CsvTallier::new(self.sink.uri.clone(), self.sink.columns.clone());
        worker.layout = Some(layout.clone());
        Some(worker)
    }

    /// Whether the parser stands at a record boundary after the header, so that what follows
    /// can go to forks.
    pub fn at_record_boundary(&self) -> bool {
        self.layout.is_some() && self.pending.is_empty()
    }

    /// Drops an incomplete record left at the end of the data fed so far, and says whether
    /// there was one (a fork's block then did not end on a record boundary).
    pub fn drop_incomplete_record(&mut self) -> bool {
        let incomplete = !self.pending.is_empty();
        self.pending.clear();
        self.retry_at = 0;
        incomplete
    }

    /// Whether the header has been read (the layout of records is known).
    pub fn has_header(&self) -> bool {
        self.layout.is_some()
    }

    /// Lines consumed so far.
    pub fn lines(&self) -> u64 {
        self.lines
    }

    /// The rows tallied so far, leaving an empty tally (a fork hands over one per block).
    pub fn take_tally(&mut self) -> Tally {
        std::mem::take(&mut self.sink.tally)
    }

    /// Parses what is left and returns the tally.
    pub fn finish(mut self) -> Result<Tally, EvaluateError> {
        let pending = std::mem::take(&mut self.pending);
        self.process(&pending, true)?;
        if self.layout.is_none() {
            return Err(EvaluateError::EmptyPredictions {
                uri: self.sink.uri.clone(),
            });
        }
        Ok(self.sink.tally)
    }

    fn process(&mut self, data: &[u8], last: bool) -> Result<usize, EvaluateError> {
        // A bare carriage return ends a record for csv-core, as for other CSV readers; the plain
        // path splits on line feeds only. Data with one takes the quoted path too, or a file
        // with quotes somewhere would read differently depending on where its chunks break.
        if memchr::memchr(b'"', data).is_none() && !has_bare_carriage_return(data) {
            self.process_plain(data, last)
        } else {
            self.process_quoted(data, last)
        }
    }

    /// Lines without any quote character: split on `\n` and `,` directly.
    fn process_plain(&mut self, data: &[u8], last: bool) -> Result<usize, EvaluateError> {
        let complete = memchr::memrchr(b'\n', data).map_or(0, |i| i + 1);
        let mut start = 0;
        while self.layout.is_none() && start < complete {
            let end = start + memchr::memchr(b'\n', &data[start..complete]).unwrap_or(0);
            self.lines += 1;
            self.plain_line(&data[start..end])?;
            start = end + 1;
        }
        match self.layout.as_ref().and_then(|l| l.roles.clone()) {
            Some(roles) => self.scan_plain_lines(&data[..complete], start, &roles)?,
            None => {
                let base = start;
                for offset in memchr::memchr_iter(b'\n', &data[base..complete]) {
                    let end = base + offset;
                    self.lines += 1;
                    self.plain_line(&data[start..end])?;
                    start = end + 1;
                }
            }
        }
        if last && complete < data.len() {
            self.lines += 1;
            self.plain_line(&data[complete..])?;
            return Ok(data.len());
        }
        Ok(complete)
    }

    /// The one-pass scanner over complete lines from `start`; lines it cannot read take the
    /// general path.
    fn scan_plain_lines(
        &mut self,
        data: &[u8],
        mut start: usize,
        roles: &[FieldRole],
    ) -> Result<(), EvaluateError> {
        let mut row = PlainRow::default();
        while start < data.len() {
            self.lines += 1;
            match scan_record(data, start, roles, &mut row) {
                Some(next) => {
                    self.push_scanned(data, &row);
                    start = next;
                }
                None => {
                    let end =
                        memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |i| start + i);
                    self.plain_line(&data[start..end])?;
                    start = end + 1;
                }
            }
        }
        Ok(())
    }

    /// Tallies a record the scanner read from `data`.
    #[inline]
    fn push_scanned(&mut self, data: &[u8], row: &PlainRow) {
        let segment_count = self.sink.columns.segments.len();
        let segments = row.segments[..segment_count]
            .iter()
            .map(|&(from, to)| &data[from..to]);
        self.sink.push_numbers(row.actual, row.predicted, segments);
    }

    fn plain_line(&mut self, line: &[u8]) -> Result<(), EvaluateError> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            return Ok(());
        }
        let limit = self.layout.as_ref().map_or(usize::MAX, |l| l.needed);
        self.fields.clear();
        // Lines are short: a plain scan beats a vectorised search's set-up here.
        let mut start = 0;
        for (i, &byte) in line.iter().enumerate() {
            if byte == b',' {
                self.fields.push((start, i));
                start = i + 1;
                if self.fields.len() >= limit {
                    break;
                }
            }
        }
        if self.fields.len() < limit {
            self.fields.push((start, line.len()));
        }
        let fields = std::mem::take(&mut self.fields);
        let result = self.record_fields(line, &fields);
        self.fields = fields;
        result
    }

    /// Records that may hold quotes. Simple ones (quoted fields without inner quotes or line
    /// breaks) take the one-pass scanner; any other record goes through `csv-core`, which
    /// handles quoted separators, escaped quotes and line breaks inside fields.
    fn process_quoted(&mut self, data: &[u8], last: bool) -> Result<usize, EvaluateError> {
        let mut roles = self.layout.as_ref().and_then(|l| l.roles.clone());
        let mut row = PlainRow::default();
        let mut pos = 0;
        loop {
            if let Some(roles) = &roles {
                while let Some(next) = scan_record(data, pos, roles, &mut row) {
                    self.lines += 1;
                    self.push_scanned(data, &row);
                    pos = next;
                }
            }
            // Line breaks between records (the \n of a CRLF, where csv-core stopped at the \r;
            // blank lines) are counted here, so that the next record's line number is right.
            while let Some(&byte) = data.get(pos) {
                match byte {
                    b'\n' => self.lines += 1,
                    b'\r' => {}
                    _ => break,
                }
                pos += 1;
            }
            if pos >= data.len() {
                return Ok(data.len());
            }
            match self.csv_core_record(data, pos, last)? {
                Some(next) => pos = next,
                None => return Ok(if last { data.len() } else { pos }),
            }
            if roles.is_none() {
                // The header may just have been read.
                roles = self.layout.as_ref().and_then(|l| l.roles.clone());
            }
        }
    }

    /// Reads the one record that starts at `start` with `csv-core` and tallies it; the index
    /// after it, or `None` when the data ends first (more is needed, or there is no record left).
    fn csv_core_record(
        &mut self,
        data: &[u8],
        start: usize,
        last: bool,
    ) -> Result<Option<usize>, EvaluateError> {
        self.reader.reset();
        let mut pos = start;
        let (mut out_len, mut ends_len) = (0, 0);
        loop {
            let input = if pos < data.len() {
                &data[pos..]
            } else if last {
                &[][..]
            } else {
                return Ok(None);
            };
            let (result, read, written, ended) = self.reader.read_record(
                input,
                &mut self.record[out_len..],
                &mut self.ends[ends_len..],
            );
            pos += read;
            out_len += written;
            ends_len += ended;
            match result {
                ReadRecordResult::InputEmpty => {
                    if !last {
                        return Ok(None);
                    }
                }
                ReadRecordResult::OutputFull => {
                    let grown = self.record.len() * 2;
                    self.record.resize(grown, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    let grown = self.ends.len() * 2;
                    self.ends.resize(grown, 0);
                }
                ReadRecordResult::Record => {
                    let line = self.lines + 1;
                    self.lines += memchr::memchr_iter(b'\n', &data[start..pos]).count() as u64;
                    self.fields.clear();
                    let mut field_start = 0;
                    for &end in &self.ends[..ends_len] {
                        self.fields.push((field_start, end));
                        field_start = end;
                    }
                    let record = std::mem::take(&mut self.record);
                    let fields = std::mem::take(&mut self.fields);
                    let result = self.record_fields_at(&record[..out_len], &fields, line);
                    self.record = record;
                    self.fields = fields;
                    result?;
                    return Ok(Some(pos));
                }
                ReadRecordResult::End => return Ok(None),
            }
        }
    }

    fn record_fields(
        &mut self,
        base: &[u8],
        fields: &[(usize, usize)],
    ) -> Result<(), EvaluateError> {
        let line = self.lines;
        self.record_fields_at(base, fields, line)
    }

    fn record_fields_at(
        &mut self,
        base: &[u8],
        fields: &[(usize, usize)],
        line: u64,
    ) -> Result<(), EvaluateError> {
        if fields.len() == 1 && fields[0].0 == fields[0].1 {
            return Ok(()); // a blank line
        }
        let Some(layout) = &self.layout else {
            self.layout = Some(self.header(base, fields, line)?);
            return Ok(());
        };
        if fields.len() < layout.needed {
            return Err(EvaluateError::UnparsableRow {
                uri: self.sink.uri.clone(),
                line,
                detail: format!(
                    "expected at least {} fields, found {}",
                    layout.needed,
                    fields.len()
                ),
            });
        }
        let field = |i: usize| &base[fields[i].0..fields[i].1];
        self.sink.push_record(
            line,
            field(layout.actual),
            layout.predicted.map(field),
            layout.scores.iter().map(|&i| field(i)),
            layout.segments.iter().map(|&i| field(i)),
        )
    }

    fn header(
        &self,
        base: &[u8],
        fields: &[(usize, usize)],
        line: u64,
    ) -> Result<Layout, EvaluateError> {
        let names: Vec<String> = fields
            .iter()
            .enumerate()
            .map(|(i, &(s, e))| {
                let raw = &base[s..e];
                let raw = if i == 0 {
                    raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw)
                } else {
                    raw
                };
                String::from_utf8_lossy(raw).trim().to_string()
            })
            .collect();
        let find = |column: &str| {
            names
                .iter()
                .position(|n| n == column)
                .ok_or_else(|| EvaluateError::ColumnNotFound {
                    column: column.to_string(),
                    uri: self.sink.uri.clone(),
                    line,
                    available: names.join(", "),
                })
        };
        let columns = &self.sink.columns;
        let actual = find(&columns.actual)?;
        let predicted = columns.predicted.as_deref().map(find).transpose()?;
        let find_all =
            |names: &[String]| names.iter().map(|c| find(c)).collect::<Result<Vec<_>, _>>();
        let scores = find_all(&columns.scores)?;
        let segments = find_all(&columns.segments)?;
        let needed = segments
            .iter()
            .chain(&scores)
            .copied()
            .chain([actual])
            .chain(predicted)
            .max()
            .unwrap_or(0)
            + 1;
        // The one-pass scanner reads two numbers: regressions only.
        let roles = match (&columns.task, predicted) {
            (RowTask::Regression, Some(predicted)) if self.scanner => {
                field_roles(actual, predicted, &segments, needed)
            }
            _ => None,
        };
        Ok(Layout {
            roles,
            actual,
            predicted,
            scores,
            segments,
            needed,
        })
    }
}

impl BlockParser for CsvTallier {
    fn feed(&mut self, chunk: &[u8]) -> Result<(), EvaluateError> {
        CsvTallier::feed(self, chunk)
    }
    fn finish(self) -> Result<Tally, EvaluateError> {
        CsvTallier::finish(self)
    }
    fn has_header(&self) -> bool {
        CsvTallier::has_header(self)
    }
    fn fork(&self) -> Option<Self> {
        CsvTallier::fork(self)
    }
    fn lines(&self) -> u64 {
        CsvTallier::lines(self)
    }
    fn take_tally(&mut self) -> Tally {
        CsvTallier::take_tally(self)
    }
    fn tally_mut(&mut self) -> &mut Tally {
        &mut self.sink.tally
    }
    fn at_record_boundary(&self) -> bool {
        CsvTallier::at_record_boundary(self)
    }
    fn drop_incomplete_record(&mut self) -> bool {
        CsvTallier::drop_incomplete_record(self)
    }
    /// Quote-free blocks always end on a record boundary; quoted ones may not.
    fn splittable(&self, body: &[u8], split_quoted: bool) -> bool {
        split_quoted || memchr::memchr(b'"', body).is_none()
    }
}

/// Whether `data` has a `\r` followed by anything but `\n` (one at the very end may be the
/// first half of a CRLF split between chunks).
fn has_bare_carriage_return(data: &[u8]) -> bool {
    memchr::memchr_iter(b'\r', data).any(|i| data.get(i + 1).is_some_and(|&next| next != b'\n'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns(segments: &[&str]) -> Columns {
        Columns::regression("actual", "prediction", segments)
    }

    fn run(text: &[u8], chunk: usize, segments: &[&str]) -> Result<Tally, EvaluateError> {
        let mut parser = CsvTallier::new("file://t.csv".into(), columns(segments));
        for piece in text.chunks(chunk.max(1)) {
            parser.feed(piece)?;
        }
        parser.finish()
    }

    const SAMPLE: &[u8] =
        b"store_id,actual,prediction\ns1,10,11\ns2,20,18\r\n\ns1,0,1\n\"s,3\",\"5\",\"5\"\ns4,8,10";

    #[test]
    fn every_chunking_gives_the_same_tally() {
        let whole = run(SAMPLE, SAMPLE.len(), &["store_id"]).unwrap();
        for chunk in 1..SAMPLE.len() {
            let split = run(SAMPLE, chunk, &["store_id"]).unwrap();
            assert_eq!(split.overall(), whole.overall(), "chunk size {chunk}");
            assert_eq!(
                split.segment_summary(&["store_id".into()], 10),
                whole.segment_summary(&["store_id".into()], 10)
            );
        }
        let m = whole.overall().metrics().unwrap();
        assert_eq!(m.rows, 5);
        assert_eq!(m.zero_actual_rows, 1);
        let summary = whole.segment_summary(&["store_id".into()], 10);
        assert_eq!(summary.count, 4);
        assert!(summary.worst.iter().any(|s| s.key["store_id"] == "s,3"));
    }

    #[test]
    fn a_bare_carriage_return_reads_the_same_whatever_the_chunks() {
        // Found by the `csv_row` fuzz target: the quote-free chunk holding `20\r26` took the
        // plain path (`\r` as data) when fed alone, csv-core (`\r` ends the record) when fed
        // with the quote further on, so the error depended on the chunk size.
        let text = b"store_id,actual,prediction\ns1,1,2\ns2,20\r26,3\ns3,4,5\n\"s4\",6,7\n";
        let whole = run(text, text.len(), &["store_id"])
            .unwrap_err()
            .to_string();
        assert!(
            whole.contains("line 3: expected at least 3 fields"),
            "{whole}"
        );
        for chunk in 1..text.len() {
            let split = run(text, chunk, &["store_id"]).unwrap_err().to_string();
            assert_eq!(split, whole, "chunk size {chunk}");
        }
        assert!(has_bare_carriage_return(b"a\rb"));
        assert!(!has_bare_carriage_return(b"a\r\nb\r"));
    }

    #[test]
    fn records_longer_than_a_chunk_read_the_same_whatever_the_chunks() {
        // Long records are carried over many chunks and read again only once the carried bytes
        // have doubled: a plain 12 KB line, a quoted field over 3,000 lines, then a bad row whose
        // line number must still count every line before it.
        let mut text = b"store_id,actual,prediction\ns1,1,2\n".to_vec();
        text.extend_from_slice(format!("{},3,4\n", "x".repeat(12_000)).as_bytes());
        text.extend_from_slice(format!("\"{}\",5,6\ns2,7,8\n", "y\n".repeat(3_000)).as_bytes());
        let good_rows = text.len();
        text.extend_from_slice(b"s3,nine,10\n");
        let segments = &["store_id"];
        let whole = run(&text[..good_rows], good_rows, segments).unwrap();
        assert_eq!(whole.overall().metrics().unwrap().rows, 4);
        let error = run(&text, text.len(), segments).unwrap_err().to_string();
        assert!(error.contains("line 3006"), "{error}");
        for chunk in [1, 7, 100, 4095, 5000] {
            let split = run(&text[..good_rows], chunk, segments).unwrap();
            assert_eq!(split.overall(), whole.overall(), "chunk size {chunk}");
            assert_eq!(
                split.segment_summary(&["store_id".into()], 10),
                whole.segment_summary(&["store_id".into()], 10)
            );
            let split_error = run(&text, chunk, segments).unwrap_err().to_string();
            assert_eq!(split_error, error, "chunk size {chunk}");
        }
    }

    #[test]
    fn a_missing_column_names_the_column_and_what_is_there() {
        let err = run(b"store,actual,pred\n1,2,3\n", 64, &[]).unwrap_err();
        match err {
            EvaluateError::ColumnNotFound {
                column,
                available,
                line,
                ..
            } => {
                assert_eq!(column, "prediction");
                assert_eq!(available, "store, actual, pred");
                assert_eq!(line, 1);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn an_unparsable_value_reports_its_line() {
        for chunk in [3, 7, 1000] {
            let err = run(b"actual,prediction\n1,2\n3,4\n5,abc\n", chunk, &[]).unwrap_err();
            match err {
                EvaluateError::UnparsableRow { line, detail, .. } => {
                    assert_eq!(line, 4, "chunk {chunk}");
                    assert!(detail.contains("\"abc\""), "{detail}");
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    #[test]
    fn quoted_rows_report_their_line_too() {
        let err = run(b"actual,prediction\n\"1\",\"2\"\n\"x\",\"4\"\n", 1000, &[]).unwrap_err();
        assert!(
            matches!(err, EvaluateError::UnparsableRow { line: 3, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn a_short_row_is_unparsable() {
        let err = run(b"actual,prediction,store\n1,2,a\n3\n", 1000, &["store"]).unwrap_err();
        assert!(
            matches!(&err, EvaluateError::UnparsableRow { line: 3, detail, .. } if detail.contains("expected at least 3 fields")),
            "{err:?}"
        );
    }

    #[test]
    fn a_header_only_file_has_no_rows_and_an_empty_file_no_header() {
        let tally = run(b"actual,prediction\n", 1000, &[]).unwrap();
        assert_eq!(tally.overall().rows(), 0);
        assert!(matches!(
            run(b"", 1000, &[]).unwrap_err(),
            EvaluateError::EmptyPredictions { .. }
        ));
    }

    fn row_text(store: usize, actual: usize, predicted: usize, crlf: bool) -> String {
        const STORES: [&str; 10] = [
            "s1",
            "",
            "s 2",
            "a-store-key-longer-than-16",
            "s1\r",
            "x",
            "\"s1\"",
            "\"s,3\"",
            "\"a\"\"b\"",
            "\"multi\nline\"",
        ];
        const NUMBERS: [&str; 21] = [
            "12.5",
            "-3",
            " 4.25 ",
            "1e3",
            "",
            "abc",
            "0.0",
            "12345678.123",
            "1234567890123456",
            ".5",
            "5.",
            "-0.01",
            "7",
            "1.2.3",
            "+2",
            "99999.99",
            "\"12.5\"",
            "\" 7 \"",
            "\"x\"",
            "\"1\"\"\"",
            "\"3\"x",
        ];
        format!(
            "{},{},{}{}",
            STORES[store % STORES.len()],
            NUMBERS[actual % NUMBERS.len()],
            NUMBERS[predicted % NUMBERS.len()],
            if crlf { "\r\n" } else { "\n" }
        )
    }

    proptest::proptest! {
        #[test]
        fn the_scanner_and_the_general_paths_agree_on_any_rows(
            rows in proptest::collection::vec((0usize..10, 0usize..21, 0usize..21, proptest::bool::ANY), 0..40),
            extra_column in 0usize..5,
        ) {
            const EXTRA: [&str; 5] = ["", ",n", ",\"a,b\"", ",\"x\ny\"", ",a\rb"];
            let mut text = String::from(if extra_column > 0 {
                "store_id,actual,prediction,note\n"
            } else {
                "store_id,actual,prediction\n"
            });
            for (i, &(store, actual, predicted, crlf)) in rows.iter().enumerate() {
                let mut row = row_text(store, actual, predicted, crlf);
                // Each row's extra value varies, so plain and quoted ones mix.
                let extra = EXTRA[1 + (extra_column + i) % (EXTRA.len() - 1)];
                if extra_column > 0 {
                    row.insert_str(row.len() - if crlf { 2 } else { 1 }, extra);
                }
                text.push_str(&row);
            }
            let run = |scanner: bool| {
                let parser = CsvTallier::new("file://t.csv".into(), columns(&["store_id"]));
                let mut parser = if scanner { parser } else { parser.without_scanner() };
                parser.feed(text.as_bytes())?;
                parser.finish()
            };
            match (run(true), run(false)) {
                (Ok(fast), Ok(general)) => {
                    proptest::prop_assert_eq!(fast.overall(), general.overall());
                    let columns = ["store_id".to_string()];
                    proptest::prop_assert_eq!(
                        fast.segment_summary(&columns, 50),
                        general.segment_summary(&columns, 50)
                    );
                }
                (Err(fast), Err(general)) => {
                    proptest::prop_assert_eq!(fast.to_string(), general.to_string());
                }
                (fast, general) => proptest::prop_assert!(
                    false,
                    "scanner {:?} vs general {:?} on {:?}",
                    fast.map(|t| t.overall()),
                    general.map(|t| t.overall()),
                    text
                ),
            }
        }
    }

    #[test]
    fn quoted_files_with_crlf_report_the_physical_line() {
        // csv-core stops at a CRLF's \r; its \n must still count as a line.
        let text = b"store_id,actual,prediction\r\n\"s1\",1,2\r\ns1,1,2\r\n\"s,2\",3,\"x\"\r\n";
        for chunk in [5, 1000] {
            let err = run(text, chunk, &["store_id"]).unwrap_err();
            assert!(
                matches!(err, EvaluateError::UnparsableRow { line: 4, .. }),
                "chunk {chunk}: {err:?}"
            );
        }
    }

    #[test]
    fn a_bare_carriage_return_ends_a_record_in_quoted_files_as_csv_readers_do() {
        // "s1\r,..." is a record "s1" then a record ",\"12.5\",0.0" for csv-core; the scanner
        // must not read it as one line.
        let err = run(
            b"store_id,actual,prediction\ns1\r,\"12.5\",0.0\n",
            1000,
            &["store_id"],
        )
        .unwrap_err();
        assert!(
            matches!(&err, EvaluateError::UnparsableRow { line: 2, detail, .. } if detail.contains("expected at least 3 fields")),
            "{err:?}"
        );
    }

    #[test]
    fn simple_quoted_fields_read_like_plain_ones() {
        let quoted = run(
            b"store_id,actual,prediction\n\"s1\",\"10\",11\n\"s2\",20,\" 18 \"\r\n",
            1000,
            &["store_id"],
        )
        .unwrap();
        let plain = run(
            b"store_id,actual,prediction\ns1,10,11\ns2,20,18\n",
            1000,
            &["store_id"],
        )
        .unwrap();
        assert_eq!(quoted.overall(), plain.overall());
        let columns = ["store_id".to_string()];
        assert_eq!(
            quoted.segment_summary(&columns, 5),
            plain.segment_summary(&columns, 5)
        );
    }

    #[test]
    fn more_segment_columns_than_the_scanner_takes_still_parse_every_row() {
        let mut text = String::from("a,b,c,d,e,actual,prediction\n");
        for i in 0..100 {
            text.push_str(&format!(
                "{},b,c,d,{},{},{}\n",
                i % 3,
                i % 2,
                10 + i,
                11 + i
            ));
        }
        let tally = run(text.as_bytes(), 37, &["a", "b", "c", "d", "e"]).unwrap();
        assert_eq!(tally.overall().rows(), 100);
        let columns: Vec<String> = ["a", "b", "c", "d", "e"].map(String::from).to_vec();
        assert_eq!(tally.segment_summary(&columns, 10).count, 6);
    }

    #[test]
    fn a_byte_order_mark_and_padded_names_are_tolerated() {
        let tally = run(b"\xEF\xBB\xBF actual , prediction\n1,2\n", 1000, &[]).unwrap();
        assert_eq!(tally.overall().rows(), 1);
    }
}
