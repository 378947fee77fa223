//! CSV parsing on every core: the stream is read in blocks of whole lines; a block without
//! quotes is cut at line breaks into one slice per thread, each slice parsed by a fork of the
//! parser with its own tally, and the tallies merged (the statistics are mergeable sums).
//! Blocks with quotes, and small inputs, take the sequential path. Memory stays bounded by the
//! block size whatever the file size.

use crate::csv::CsvTallier;
use crate::error::EvaluateError;
use crate::tally::Tally;
use shared::storage::{ObjectStream, ObjectUri, StorageError};
use tokio::io::AsyncReadExt;

/// Bytes gathered before a block is parsed.
pub const BLOCK_BYTES: usize = 4 << 20;
/// Slices smaller than this are not worth a thread.
const MIN_SLICE_BYTES: usize = 256 << 10;

/// Reads the whole CSV stream through `parser`, in parallel where it can. A reader task fetches
/// the next block (from S3 or a file) while the current one is parsed, so download and parsing
/// overlap; at most [`READ_AHEAD_BLOCKS`] blocks wait, which bounds memory.
pub async fn tally_csv(
    stream: ObjectStream,
    uri: &ObjectUri,
    mut parser: CsvTallier,
) -> Result<Tally, EvaluateError> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    let (sender, mut receiver) = tokio::sync::mpsc::channel(READ_AHEAD_BLOCKS);
    // Parsed blocks go back to the reader for reuse: fresh 4 MiB buffers would cost a page
    // fault per page, every block.
    let (recycle, recycled) = std::sync::mpsc::channel::<Vec<u8>>();
    let reader = tokio::spawn(read_blocks(stream, uri.clone(), sender, recycled));
    let mut workers: Vec<CsvTallier> = Vec::new();
    // Bytes after the last line break seen, completed by the next block's first line.
    let mut tail: Vec<u8> = Vec::new();
    while let Some(chunk) = receiver.recv().await {
        let chunk = chunk?;
        let Some(first_break) = memchr::memchr(b'\n', &chunk) else {
            tail.extend_from_slice(&chunk);
            continue;
        };
        tail.extend_from_slice(&chunk[..=first_break]);
        parse_block(&mut parser, &mut workers, &tail, 1)?;
        tail.clear();
        // The rest of the block is parsed in place, without copying it.
        let rest = &chunk[first_break + 1..];
        let cut = memchr::memrchr(b'\n', rest).map_or(0, |i| i + 1);
        parse_block(&mut parser, &mut workers, &rest[..cut], threads)?;
        tail.extend_from_slice(&rest[cut..]);
        let _ = recycle.send(chunk);
    }
    // The reader ends by closing the channel; a panic there must not pass for the end of data.
    reader
        .await
        .map_err(|e| EvaluateError::StorageFailed(format!("the reader of {uri} stopped: {e}")))?;
    parse_block(&mut parser, &mut workers, &tail, 1)?;
    let mut tally = parser.finish()?;
    for worker in workers {
        tally.merge(worker.finish_fork());
    }
    Ok(tally)
}

/// Blocks waiting to be parsed while the next one is read.
pub const READ_AHEAD_BLOCKS: usize = 1;

/// Reads `stream` into blocks of about [`BLOCK_BYTES`] and sends them, then an error if one
/// happens; the channel closes at the end of the data.
async fn read_blocks(
    mut stream: ObjectStream,
    uri: ObjectUri,
    sender: tokio::sync::mpsc::Sender<Result<Vec<u8>, EvaluateError>>,
    recycled: std::sync::mpsc::Receiver<Vec<u8>>,
) {
    let fresh = |recycled: &std::sync::mpsc::Receiver<Vec<u8>>| match recycled.try_recv() {
        Ok(mut block) => {
            block.clear();
            block
        }
        Err(_) => Vec::with_capacity(BLOCK_BYTES),
    };
    let mut block = fresh(&recycled);
    loop {
        // `read_buf` into the block's free capacity lets a buffered stream skip its own buffer
        // (one copy fewer than fill_buf + extend).
        let read = match stream.read_buf(&mut block).await {
            Ok(read) => read,
            Err(e) => {
                let _ = sender
                    .send(Err(EvaluateError::from(StorageError::from_read(&uri, &e))))
                    .await;
                return;
            }
        };
        let at_end = read == 0;
        if (at_end && !block.is_empty()) || block.len() >= BLOCK_BYTES {
            let full = std::mem::replace(&mut block, fresh(&recycled));
            if sender.send(Ok(full)).await.is_err() {
                return; // the parser stopped (an error): nothing more to read
            }
        }
        if at_end {
            return;
        }
    }
}

fn parse_block(
    parser: &mut CsvTallier,
    workers: &mut Vec<CsvTallier>,
    block: &[u8],
    threads: usize,
) -> Result<(), EvaluateError> {
    let parts = threads.min(block.len() / MIN_SLICE_BYTES).max(1);
    if parts == 1 || !parser.can_split(block) {
        return parser.feed(block);
    }
    while workers.len() < parts - 1 {
        match parser.fork() {
            Some(worker) => workers.push(worker),
            None => return parser.feed(block),
        }
    }
    let slices = split_at_lines(block, parts);
    let lines_before = parser.lines();
    let (first, rest) = slices
        .split_first()
        .map_or((block, &[][..]), |(f, r)| (*f, r));
    let results: Vec<Result<(), EvaluateError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = rest
            .iter()
            .zip(workers.iter_mut())
            .map(|(slice, worker)| scope.spawn(move || worker.feed(slice)))
            .collect();
        let mut results = vec![parser.feed(first)];
        results.extend(handles.into_iter().map(|h| {
            h.join().unwrap_or_else(|_| {
                Err(EvaluateError::InvalidInput(
                    "a parser thread panicked".into(),
                ))
            })
        }));
        results
    });
    // Report the first failing slice's error with its line number in the whole file.
    let mut base = lines_before;
    for (i, result) in results.into_iter().enumerate() {
        match result {
            Ok(()) if i == 0 => base = parser.lines(),
            Ok(()) => base += workers[i - 1].lines(),
            Err(error) if i == 0 => return Err(error),
            Err(error) => return Err(shift_line(error, base)),
        }
    }
    for worker in workers.iter_mut().take(parts - 1) {
        parser.absorb(worker);
    }
    Ok(())
}

/// Cuts `block` (complete lines) into `parts` slices of about equal size at line breaks.
pub fn split_at_lines(block: &[u8], parts: usize) -> Vec<&[u8]> {
    let mut slices = Vec::with_capacity(parts);
    let mut start = 0;
    for i in 1..parts {
        let target = (block.len() * i / parts).max(start);
        let end = match memchr::memchr(b'\n', &block[target..]) {
            Some(offset) => target + offset + 1,
            None => block.len(),
        };
        slices.push(&block[start..end]);
        start = end;
    }
    slices.push(&block[start..]);
    slices
}

fn shift_line(error: EvaluateError, base: u64) -> EvaluateError {
    match error {
        EvaluateError::UnparsableRow { uri, line, detail } => EvaluateError::UnparsableRow {
            uri,
            line: line + base,
            detail,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rows::Columns;

    #[test]
    fn slices_cover_the_block_and_end_on_line_breaks() {
        let block = b"a\nbb\nccc\ndddd\neeeee\n";
        for parts in 1..8 {
            let slices = split_at_lines(block, parts);
            assert_eq!(slices.len(), parts);
            assert_eq!(slices.concat(), block.to_vec());
            for slice in slices.iter().filter(|s| !s.is_empty()) {
                assert_eq!(slice.last(), Some(&b'\n'));
            }
        }
    }

    fn big_csv(rows: usize, bad_row: Option<usize>) -> Vec<u8> {
        let mut text = String::from("store_id,actual,prediction\n");
        for i in 0..rows {
            if Some(i) == bad_row {
                text.push_str("s1,1,oops\n");
            } else {
                let actual = (i % 97) as f64;
                text.push_str(&format!("s{},{actual},{}\n", i % 13, actual * 1.1 + 0.5));
            }
        }
        text.into_bytes()
    }

    fn columns() -> Columns {
        Columns {
            actual: "actual".into(),
            predicted: "prediction".into(),
            segments: vec!["store_id".into()],
        }
    }

    fn sequential(data: &[u8]) -> Result<Tally, EvaluateError> {
        let mut parser = CsvTallier::new("file://x.csv".into(), columns());
        parser.feed(data)?;
        parser.finish()
    }

    fn parallel(data: &[u8], threads: usize) -> Result<Tally, EvaluateError> {
        let mut parser = CsvTallier::new("file://x.csv".into(), columns());
        let mut workers = Vec::new();
        let header_end = memchr::memchr(b'\n', data).unwrap() + 1;
        parser.feed(&data[..header_end])?;
        parse_block(&mut parser, &mut workers, &data[header_end..], threads)?;
        let mut tally = parser.finish()?;
        for worker in workers {
            tally.merge(worker.finish_fork());
        }
        Ok(tally)
    }

    #[test]
    fn parallel_and_sequential_parsing_agree() {
        let data = big_csv(200_000, None);
        let one = sequential(&data).unwrap();
        for threads in [2, 3, 4] {
            let many = parallel(&data, threads).unwrap();
            assert_eq!(many.overall().rows(), one.overall().rows());
            let (a, b) = (
                one.overall().metrics().unwrap(),
                many.overall().metrics().unwrap(),
            );
            assert!((a.mape.unwrap() - b.mape.unwrap()).abs() < 1e-9);
            assert!((a.r2.unwrap() - b.r2.unwrap()).abs() < 1e-9);
            assert_eq!(
                one.segment_summary(&["store_id".into()], 20).count,
                many.segment_summary(&["store_id".into()], 20).count
            );
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn streamed_blocks_with_quoted_line_breaks_give_the_sequential_result() {
        // Over two blocks of rows, some with a quoted segment holding a line break, so records
        // straddle the reader's block boundaries.
        let mut text = String::from("store_id,actual,prediction\n");
        let mut i = 0;
        while text.len() < 2 * BLOCK_BYTES + 12_345 {
            let store = if i % 997 == 0 {
                "\"s\nmulti\"".to_string()
            } else {
                format!("s{}", i % 13)
            };
            text.push_str(&format!("{store},{},{}\n", 1 + i % 50, 2 + i % 41));
            i += 1;
        }
        let data = text.into_bytes();
        let uri = ObjectUri::parse("file://memory.csv").unwrap();
        let stream: ObjectStream = Box::pin(std::io::Cursor::new(data.clone()));
        let streamed = tally_csv(
            stream,
            &uri,
            CsvTallier::new("file://memory.csv".into(), columns()),
        )
        .await
        .unwrap();
        let one = sequential(&data).unwrap();
        assert_eq!(streamed.overall().rows(), one.overall().rows());
        let (a, b) = (
            one.overall().metrics().unwrap(),
            streamed.overall().metrics().unwrap(),
        );
        assert!((a.mape.unwrap() - b.mape.unwrap()).abs() < 1e-9);
        let columns = ["store_id".to_string()];
        assert_eq!(
            one.segment_summary(&columns, 20).count,
            streamed.segment_summary(&columns, 20).count
        );
        assert!(streamed
            .segment_summary(&columns, 20)
            .worst
            .iter()
            .any(|s| s.key["store_id"] == "s\nmulti"));
    }

    #[test]
    fn an_error_in_a_later_slice_reports_its_line_in_the_whole_file() {
        let data = big_csv(200_000, Some(150_000));
        let expected = 150_000 + 2; // header is line 1, row 0 is line 2
        for threads in [1, 2, 4] {
            match parallel(&data, threads).unwrap_err() {
                EvaluateError::UnparsableRow { line, .. } => {
                    assert_eq!(line, expected, "{threads} threads")
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    }
}
