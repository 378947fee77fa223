//! Records out of a byte stream: CSV records (RFC 4180 quoting, through `csv-core`) and lines,
//! read incrementally with reused buffers.

use shared::storage::ObjectStream;
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// CSV records of a stream, one at a time.
pub struct CsvRecords {
    reader: csv_core::Reader,
    stream: ObjectStream,
    output: Vec<u8>,
    ends: Vec<usize>,
    fields: usize,
    /// Records returned so far (the current record's 1-based number).
    pub record: u64,
}

impl CsvRecords {
    /// Reads CSV records from `stream`.
    pub fn new(stream: ObjectStream) -> Self {
        Self {
            reader: csv_core::Reader::new(),
            stream,
            output: vec![0; 4096],
            ends: vec![0; 64],
            fields: 0,
            record: 0,
        }
    }

    /// The next record's fields, or `None` at the end. A record that is not UTF-8 is an
    /// `InvalidData` error.
    pub async fn next(&mut self) -> std::io::Result<Option<Vec<&str>>> {
        let (mut written, mut ended) = (0usize, 0usize);
        loop {
            let input = self.stream.fill_buf().await?;
            let (result, read, out, end) = self.reader.read_record(
                input,
                &mut self.output[written..],
                &mut self.ends[ended..],
            );
            self.stream.consume(read);
            written += out;
            ended += end;
            match result {
                csv_core::ReadRecordResult::InputEmpty => continue,
                csv_core::ReadRecordResult::OutputFull => {
                    let len = self.output.len() * 2;
                    self.output.resize(len, 0);
                }
                csv_core::ReadRecordResult::OutputEndsFull => {
                    let len = self.ends.len() * 2;
                    self.ends.resize(len, 0);
                }
                csv_core::ReadRecordResult::Record => {
                    self.fields = ended;
                    self.record += 1;
                    return self.fields().map(Some);
                }
                csv_core::ReadRecordResult::End => return Ok(None),
            }
        }
    }

    fn fields(&self) -> std::io::Result<Vec<&str>> {
        let text = std::str::from_utf8(
            &self.output[..self.ends[..self.fields].last().copied().unwrap_or(0)],
        )
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        let mut start = 0;
        Ok(self.ends[..self.fields]
            .iter()
            .map(|&end| {
                let field = &text[start..end];
                start = end;
                field
            })
            .collect())
    }
}

/// Reads the next line of `stream` into `line` (cleared first, without its `\n` or `\r\n`);
/// `false` at the end.
pub async fn next_line(
    stream: &mut (impl AsyncBufRead + Unpin + ?Sized),
    line: &mut Vec<u8>,
) -> std::io::Result<bool> {
    line.clear();
    if stream.read_until(b'\n', line).await? == 0 {
        return Ok(false);
    }
    if line.last() == Some(&b'\n') {
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
    }
    Ok(true)
}

/// Splits an in-memory CSV text into records and calls `row` with each record's fields
/// (plain split when there are no quotes, `csv-core` otherwise). Empty lines are skipped.
pub fn for_each_csv_row(text: &str, mut row: impl FnMut(&[&str])) {
    let mut fields: Vec<&str> = Vec::with_capacity(32);
    if memchr::memchr(b'"', text.as_bytes()).is_none() {
        for line in text.split('\n') {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.is_empty() {
                continue;
            }
            fields.clear();
            fields.extend(line.split(','));
            row(&fields);
        }
        return;
    }
    let mut reader = csv_core::Reader::new();
    let mut output = vec![0u8; text.len() + 1];
    let mut ends = vec![0usize; text.len() + 1];
    let mut input = text.as_bytes();
    loop {
        let (result, read, written, ended) = reader.read_record(input, &mut output, &mut ends);
        input = &input[read..];
        match result {
            csv_core::ReadRecordResult::Record => {
                let Ok(record) = std::str::from_utf8(&output[..written]) else {
                    continue;
                };
                let mut start = 0;
                let owned: Vec<&str> = ends[..ended]
                    .iter()
                    .map(|&end| {
                        let field = record.get(start..end).unwrap_or("");
                        start = end;
                        field
                    })
                    .collect();
                if !(owned.len() == 1 && owned[0].is_empty()) {
                    row(&owned);
                }
            }
            csv_core::ReadRecordResult::End => return,
            // Output buffers hold the whole text, so they cannot fill; empty input ends it.
            csv_core::ReadRecordResult::InputEmpty
            | csv_core::ReadRecordResult::OutputFull
            | csv_core::ReadRecordResult::OutputEndsFull => {
                if input.is_empty() && result != csv_core::ReadRecordResult::InputEmpty {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        for_each_csv_row(text, |f| {
            out.push(f.iter().map(|s| s.to_string()).collect())
        });
        out
    }

    #[test]
    fn plain_and_quoted_csv_split_alike() {
        assert_eq!(
            rows("1,2,a\n3,,b\r\n"),
            vec![vec!["1", "2", "a"], vec!["3", "", "b"]]
        );
        assert_eq!(
            rows("1,\"x, y\",\"say \"\"hi\"\"\"\n"),
            vec![vec!["1", "x, y", "say \"hi\""]]
        );
    }

    #[tokio::test]
    async fn a_stream_yields_records_across_buffer_refills() {
        let text = format!("a,b\n{}\"q\nuoted\",2\n", "1,2\n".repeat(5000));
        let stream: ObjectStream = Box::pin(tokio::io::BufReader::with_capacity(
            7,
            std::io::Cursor::new(text.into_bytes()),
        ));
        let mut records = CsvRecords::new(stream);
        let header: Vec<String> = records
            .next()
            .await
            .unwrap()
            .unwrap()
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(header, ["a", "b"]);
        let mut count = 0;
        let mut last = Vec::new();
        while let Some(fields) = records.next().await.unwrap() {
            count += 1;
            last = fields.iter().map(|s| s.to_string()).collect();
        }
        assert_eq!(count, 5001);
        assert_eq!(last, ["q\nuoted", "2"]);
    }
}
