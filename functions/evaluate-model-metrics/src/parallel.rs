//! CSV parsing on every core. A reader cuts the input into blocks of whole lines
//! ([`crate::blocks`]); once the header is read, a pool of parser threads ([`crate::pool`])
//! takes quote-free blocks as they arrive, a tally per block, and the tallies are merged in
//! input order, so the result is the same to the last bit whatever the number of threads.
//! Threads never wait for each other, only for data.
//!
//! A block with a quote character may end inside a quoted field. Such blocks go to the threads
//! too, on a checked bet: each thread says whether its block ended on a record boundary, and
//! since the first block starts on one, every start is right if every end is. A lost bet (a
//! quoted line break at a block's end) ends the run with [`Split::Lost`], and the caller reads
//! the input again with quoted blocks parsed in order. Errors name their line in
//! the whole file: each block's line count is kept, and the first failing block in input order
//! wins. Memory stays bounded by the blocks in flight, whatever the file size.

use crate::block_parser::BlockParser;
use crate::blocks::{start_reader, Block, BlockSource};
use crate::error::EvaluateError;
use crate::pool::Pool;
use crate::tally::Tally;
use shared::storage::ObjectUri;
use std::sync::mpsc::Sender;

/// Bytes in a block.
pub const BLOCK_BYTES: usize = 4 << 20;
/// Blocks read ahead of the parsers.
pub const READ_AHEAD_BLOCKS: usize = 2;

/// How the work is cut: block size and parser threads.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Bytes in a block.
    pub block_bytes: usize,
    /// Parser threads.
    pub threads: usize,
    /// Whether blocks with quotes go to the threads too, on the bet that no quoted field spans
    /// two blocks. A lost bet ends the run with [`Split::Lost`]; read the input again with this
    /// off, and quoted blocks are parsed in order.
    pub split_quoted: bool,
}

impl Default for Plan {
    fn default() -> Self {
        Self {
            block_bytes: BLOCK_BYTES,
            threads: std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .min(8),
            split_quoted: true,
        }
    }
}

/// How a parallel read ended.
#[derive(Debug)]
pub enum Split {
    /// Every row, tallied.
    Done(Tally),
    /// A quoted field spans two blocks that went to different threads: nothing of this run
    /// counts; read the input again with [`Plan::split_quoted`] off.
    Lost,
}

/// Reads the whole input through `parser` (CSV or JSON Lines), in parallel where it can.
pub async fn tally_blocks<P: BlockParser>(
    source: BlockSource,
    uri: &ObjectUri,
    parser: P,
    plan: Plan,
) -> Result<Split, EvaluateError> {
    let (blocks, recycle, reader) = start_reader(source, uri, plan.block_bytes, READ_AHEAD_BLOCKS);
    let parsed = tokio::task::spawn_blocking(move || coordinate(blocks, recycle, parser, plan))
        .await
        .map_err(|e| EvaluateError::InvalidInput(format!("the parser stopped: {e}")));
    // The reader ends by closing its channel, or on its own once the parsers are gone; a panic
    // there must not pass for the end of the data.
    let read = reader
        .await
        .map_err(|e| EvaluateError::StorageFailed(format!("the reader of {uri} stopped: {e}")));
    let tally = parsed??;
    read?;
    Ok(tally)
}

/// Sends blocks to the pool while the parser says they can be split
/// ([`BlockParser::splittable`]), parses the rest in order here, and puts the results together.
fn coordinate<P: BlockParser>(
    mut blocks: tokio::sync::mpsc::Receiver<Result<Block, EvaluateError>>,
    recycle: Sender<Block>,
    mut parser: P,
    plan: Plan,
) -> Result<Split, EvaluateError> {
    let mut pool: Option<Pool> = None;
    let mut in_order = false;
    let mut outcome = Ok(());
    while let Some(block) = blocks.blocking_recv() {
        let block = match block {
            Ok(block) => block,
            Err(error) => {
                outcome = Err(error);
                break;
            }
        };
        let start = match read_header(&mut parser, &block) {
            Ok(start) => start,
            Err(error) => {
                outcome = Err(error);
                break;
            }
        };
        let body = &block[start..];
        if body.is_empty() {
            continue;
        }
        let splittable = parser.splittable(body, plan.split_quoted);
        if !in_order && splittable && block.ends_with(b"\n") && parser.at_record_boundary() {
            if pool.is_none() {
                pool = Pool::start(&parser, plan.threads, &recycle);
            }
            if let Some(pool) = &mut pool {
                if pool.dispatch(block, start) {
                    continue;
                }
                break; // a block failed: its error is reported below
            }
        }
        in_order = true;
        if let Err(error) = parser.feed(body) {
            outcome = Err(error);
            break;
        }
        let _ = recycle.send(block);
    }
    drop(blocks); // stops the reader if the input was not read to its end
    let Some(pool) = pool else {
        outcome?;
        return parser.finish().map(Split::Done);
    };
    // Blocks before the first failure were all parsed: the pool's errors come first in the file.
    let Some(pooled) = pool.finish()? else {
        return Ok(Split::Lost);
    };
    // The parser counted the header itself: add only the lines the pool read.
    outcome.map_err(|e| shift_line(e, pooled.lines))?;
    let rest = parser.finish().map_err(|e| shift_line(e, pooled.lines))?;
    let mut tally = pooled.tally;
    tally.merge(rest);
    Ok(Split::Done(tally))
}

/// Feeds `parser` the lines of `block` up to the end of the header, if it has not read it yet,
/// and returns where the data starts.
fn read_header<P: BlockParser>(parser: &mut P, block: &[u8]) -> Result<usize, EvaluateError> {
    let mut start = 0;
    while !parser.has_header() && start < block.len() {
        let end = memchr::memchr(b'\n', &block[start..]).map_or(block.len(), |i| start + i + 1);
        parser.feed(&block[start..end])?;
        start = end;
    }
    Ok(start)
}

/// Moves an error's line number by `base` lines (wrapping, so a negative shift works too).
pub(crate) fn shift_line(mut error: EvaluateError, base: u64) -> EvaluateError {
    if let Some(line) = error.line_mut() {
        *line = line.wrapping_add(base);
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csv::CsvTallier;
    use crate::rows::{Columns, RowTask};

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

    fn plan(block_bytes: usize, threads: usize) -> Plan {
        Plan {
            block_bytes,
            threads,
            split_quoted: true,
        }
    }

    fn columns() -> Columns {
        Columns::regression("actual", "prediction", &["store_id"])
    }

    fn sequential(data: &[u8]) -> Result<Tally, EvaluateError> {
        let mut parser = CsvTallier::new("file://memory.csv".into(), columns());
        parser.feed(data)?;
        parser.finish()
    }

    async fn parallel(data: &[u8], plan: Plan) -> Result<Tally, EvaluateError> {
        parallel_with(data, plan, columns()).await
    }

    async fn parallel_with(
        data: &[u8],
        plan: Plan,
        columns: Columns,
    ) -> Result<Tally, EvaluateError> {
        // As the handler does: a lost bet on quoted blocks means reading again, in order.
        let uri = ObjectUri::parse("file://memory.csv").unwrap();
        let mut plan = plan;
        loop {
            let stream = Box::pin(std::io::Cursor::new(data.to_vec()));
            let parser = CsvTallier::new("file://memory.csv".into(), columns.clone());
            match tally_blocks(BlockSource::Stream(stream), &uri, parser, plan).await? {
                Split::Done(tally) => return Ok(tally),
                Split::Lost => {
                    assert!(plan.split_quoted, "lost a bet that was not made");
                    plan.split_quoted = false;
                }
            }
        }
    }

    fn assert_same(one: &Tally, many: &Tally) {
        assert_eq!(many.overall().rows(), one.overall().rows());
        let (a, b) = (
            one.overall().metrics().unwrap(),
            many.overall().metrics().unwrap(),
        );
        assert!((a.mape.unwrap() - b.mape.unwrap()).abs() < 1e-9);
        assert!((a.r2.unwrap() - b.r2.unwrap()).abs() < 1e-9);
        // Sums added in another order may differ in the last bits: compare keys and counts
        // exactly, metrics closely.
        let columns = ["store_id".to_string()];
        let (a, b) = (
            one.segment_summary(&columns, 20),
            many.segment_summary(&columns, 20),
        );
        assert_eq!(a.count, b.count);
        for (x, y) in a.worst.iter().zip(&b.worst) {
            assert_eq!((&x.key, x.rows), (&y.key, y.rows));
            assert!((x.mape.unwrap() - y.mape.unwrap()).abs() < 1e-9);
            assert!((x.mae.unwrap() - y.mae.unwrap()).abs() < 1e-9);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn parallel_and_sequential_parsing_agree() {
        let data = big_csv(100_000, None);
        let one = sequential(&data).unwrap();
        for threads in [1, 2, 3, 4] {
            for block_bytes in [4096, 100_000, BLOCK_BYTES] {
                let many = parallel(&data, plan(block_bytes, threads)).await.unwrap();
                assert_same(&one, &many);
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_result_is_bit_identical_whatever_the_number_of_threads() {
        let data = big_csv(100_000, None);
        let columns = ["store_id".to_string()];
        let plan = |threads| plan(20_000, threads);
        let one = parallel(&data, plan(1)).await.unwrap();
        for threads in [2, 3, 8] {
            for _ in 0..3 {
                let many = parallel(&data, plan(threads)).await.unwrap();
                assert_eq!(many.overall(), one.overall());
                assert_eq!(
                    many.segment_summary(&columns, 20),
                    one.segment_summary(&columns, 20)
                );
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn binary_scores_kept_per_thread_give_the_sequential_histogram() {
        // 300,000 distinct scores: the overall histogram (and each segment's) must coarsen, in
        // each thread's own order; the result must still equal the one-pass histogram exactly.
        let mut text = String::from("label,region,score\n");
        for i in 0u64..300_000 {
            let score = (i.wrapping_mul(2_654_435_761) % 1_000_003) as f64 / 1_000_003.0;
            let label = u64::from(score + (i % 7) as f64 / 10.0 > 0.8);
            text.push_str(&format!("{label},r{},{score}\n", i % 5));
        }
        let data = text.into_bytes();
        let columns = Columns {
            actual: "label".into(),
            predicted: None,
            scores: vec!["score".into()],
            segments: vec!["region".into()],
            task: RowTask::Binary {
                labels: crate::rows::BinaryLabels::for_positive("1"),
                threshold: 0.5,
            },
        };
        let mut parser = CsvTallier::new("file://memory.csv".into(), columns.clone());
        parser.feed(&data).unwrap();
        let one = parser.finish().unwrap();
        let expected = one.scores.overall().metrics(0.5, "1").unwrap();
        assert!(
            expected.1.dropped_score_bits > 0,
            "the test must make it coarsen"
        );
        let by_segment = |tally: &Tally| -> Vec<(Vec<u8>, String)> {
            let mut segments: Vec<_> = tally
                .scores
                .segments()
                .map(|(key, stats)| (key.to_vec(), format!("{:?}", stats.metrics(0.5, "1"))))
                .collect();
            segments.sort();
            segments
        };
        for threads in [1, 2, 3, 8] {
            for block_bytes in [50_000, 1_000_000] {
                let many = parallel_with(&data, plan(block_bytes, threads), columns.clone())
                    .await
                    .unwrap();
                assert_eq!(many.scores.overall().metrics(0.5, "1").unwrap(), expected);
                assert_eq!(by_segment(&many), by_segment(&one), "{threads} threads");
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn quoted_records_across_blocks_give_the_sequential_result() {
        // Plain rows first (parsed by the pool), then rows with a quoted segment holding a line
        // break, so records straddle block boundaries, then a last line without a break.
        let mut text = String::from("store_id,actual,prediction\n");
        for i in 0..40_000 {
            let store = if i > 20_000 && i % 997 == 0 {
                "\"s\nmulti\"".to_string()
            } else {
                format!("s{}", i % 13)
            };
            text.push_str(&format!("{store},{},{}\n", 1 + i % 50, 2 + i % 41));
        }
        text.push_str("s1,3,4");
        let data = text.into_bytes();
        let one = sequential(&data).unwrap();
        for block_bytes in [1000, 65_536] {
            let many = parallel(&data, plan(block_bytes, 2)).await.unwrap();
            assert_same(&one, &many);
            assert!(many
                .segment_summary(&["store_id".into()], 20)
                .worst
                .iter()
                .any(|s| s.key["store_id"] == "s\nmulti"));
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn quoted_blocks_are_split_and_a_lost_bet_is_reported_not_guessed() {
        let uri = ObjectUri::parse("file://memory.csv").unwrap();
        let run = |data: Vec<u8>, split_quoted: bool| {
            let uri = uri.clone();
            async move {
                let stream = Box::pin(std::io::Cursor::new(data));
                let parser = CsvTallier::new("file://memory.csv".into(), columns());
                let plan = Plan {
                    split_quoted,
                    ..plan(4096, 2)
                };
                tally_blocks(BlockSource::Stream(stream), &uri, parser, plan).await
            }
        };
        // Quoted, but no quoted line break: the bet holds and every row is counted.
        let mut text = String::from("store_id,actual,prediction\n");
        for i in 0..5_000 {
            text.push_str(&format!("\"s{}\",{},{}\n", i % 7, 1 + i % 9, 2 + i % 5));
        }
        match run(text.clone().into_bytes(), true).await.unwrap() {
            Split::Done(tally) => assert_eq!(tally.overall().rows(), 5_000),
            Split::Lost => panic!("no quoted field spans a block"),
        }
        // A quoted line break in every row: some block ends inside one, and the run says so.
        let text = text.replace("\"s", "\"s\n");
        assert!(matches!(
            run(text.clone().into_bytes(), true).await.unwrap(),
            Split::Lost
        ));
        match run(text.into_bytes(), false).await.unwrap() {
            Split::Done(tally) => assert_eq!(tally.overall().rows(), 5_000),
            Split::Lost => panic!("nothing was split"),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_error_reports_its_line_in_the_whole_file() {
        let expected = |row: usize| row as u64 + 2; // header is line 1, row 0 is line 2
        for bad_row in [0, 77_777, 99_999] {
            let data = big_csv(100_000, Some(bad_row));
            for threads in [1, 2, 4] {
                match parallel(&data, plan(50_000, threads)).await {
                    Err(EvaluateError::UnparsableRow { line, .. }) => {
                        assert_eq!(line, expected(bad_row), "{threads} threads")
                    }
                    other => panic!("unexpected {other:?}"),
                }
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_first_of_several_errors_wins_and_in_order_errors_count_pooled_lines() {
        let mut data = big_csv(60_000, Some(50_000));
        // A later quoted block with its own bad row, and an unterminated last line.
        data.extend_from_slice(b"\"s2\",5,6\n\"s3\",x,1\n");
        let plan = plan(20_000, 2);
        let result = parallel(&data, plan).await;
        assert!(
            matches!(
                result,
                Err(EvaluateError::UnparsableRow { line: 50_002, .. })
            ),
            "{result:?}"
        );
        let mut data = big_csv(60_000, None);
        data.extend_from_slice(b"\"s2\",5,6\n\"s3\",x,1\n");
        let result = parallel(&data, plan).await;
        assert!(
            matches!(
                result,
                Err(EvaluateError::UnparsableRow { line: 60_003, .. })
            ),
            "{result:?}"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_header_spread_over_blocks_and_a_header_only_file_work() {
        let data = b"\n\n\"store_id\",actual,\"predic\ntion\"\ns1,1,2\ns2,3,4\n";
        let columns = Columns {
            predicted: Some("predic\ntion".into()),
            ..columns()
        };
        for block_bytes in [1, 7, 100] {
            let plan = plan(block_bytes, 2);
            let tally = parallel_with(data, plan, columns.clone()).await.unwrap();
            assert_eq!(tally.overall().rows(), 2, "block size {block_bytes}");
        }
        let tally = parallel(b"store_id,actual,prediction\n", plan(5, 2))
            .await
            .unwrap();
        assert_eq!(tally.overall().rows(), 0);
        let tally = parallel(b"store_id,actual,prediction\ns,1,2", plan(5, 2))
            .await
            .unwrap();
        assert_eq!(tally.overall().rows(), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn json_lines_go_to_the_threads_with_exact_error_lines() {
        use crate::jsonl::JsonlTallier;
        let columns = Columns {
            predicted: Some("SageMakerOutput.prediction".into()),
            ..columns()
        };
        let body = |bad: Option<usize>| {
            let mut text = String::new();
            for i in 0..30_000 {
                let predicted = if Some(i) == bad {
                    "\"oops\"".to_string()
                } else {
                    format!("{}", 2 + i % 41)
                };
                text.push_str(&format!(
                    "{{\"store_id\": \"s{}\", \"actual\": {}, \"SageMakerOutput\": {{\"prediction\": {predicted}}}}}\n",
                    i % 13,
                    1 + i % 50
                ));
            }
            text.into_bytes()
        };
        let uri = ObjectUri::parse("file://memory.jsonl").unwrap();
        let run = |data: Vec<u8>, threads: usize| {
            let (uri, columns) = (uri.clone(), columns.clone());
            async move {
                let stream = Box::pin(std::io::Cursor::new(data));
                let parser = JsonlTallier::new("file://memory.jsonl".into(), columns);
                match tally_blocks(
                    BlockSource::Stream(stream),
                    &uri,
                    parser,
                    plan(20_000, threads),
                )
                .await?
                {
                    Split::Done(tally) => Ok(tally),
                    Split::Lost => panic!("JSON Lines always split on line breaks"),
                }
            }
        };
        let mut sequential = JsonlTallier::new("file://memory.jsonl".into(), columns.clone());
        sequential.feed(&body(None)).unwrap();
        let one = sequential.finish().unwrap();
        for threads in [1, 2, 4] {
            let many = run(body(None), threads).await.unwrap();
            assert_same(&one, &many);
            match run(body(Some(23_456)), threads).await {
                Err(EvaluateError::UnparsableRow { line, .. }) => assert_eq!(line, 23_457),
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn any_blocks_and_threads_give_the_sequential_rows_or_error(
            rows in proptest::collection::vec((0usize..7, 0usize..8, 0usize..8), 0..60),
            block_bytes in 1usize..200,
            threads in 1usize..4,
        ) {
            const STORES: [&str; 7] =
                ["s1", "s2", "\"s,3\"", "\"multi\nline\"", "s5", "a\"b", "\"q\"\"\""];
            const NUMBERS: [&str; 8] = ["1.5", "2", "0", "-4.25", "abc", "\"7\"", "1e2", " 3 "];
            let mut text = String::from("store_id,actual,prediction\n");
            for &(store, actual, predicted) in &rows {
                text.push_str(&format!("{},{},{}\n", STORES[store], NUMBERS[actual], NUMBERS[predicted]));
            }
            let data = text.into_bytes();
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .build()
                .unwrap();
            let many = runtime.block_on(parallel(&data, plan(block_bytes, threads)));
            match (sequential(&data), many) {
                (Ok(one), Ok(many)) => {
                    proptest::prop_assert_eq!(one.overall().rows(), many.overall().rows());
                    let (a, b) = (one.overall().metrics(), many.overall().metrics());
                    if let (Some(a), Some(b)) = (a, b) {
                        proptest::prop_assert!((a.mae - b.mae).abs() < 1e-9);
                    }
                    let columns = ["store_id".to_string()];
                    proptest::prop_assert_eq!(
                        one.segment_summary(&columns, 10).count,
                        many.segment_summary(&columns, 10).count
                    );
                }
                (Err(one), Err(many)) => proptest::prop_assert_eq!(one.to_string(), many.to_string()),
                (one, many) => proptest::prop_assert!(
                    false,
                    "sequential {:?} vs parallel {:?}",
                    one.map(|t| t.overall().rows()),
                    many.map(|t| t.overall().rows())
                ),
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn classification_tallies_do_not_depend_on_the_thread_count() {
        use crate::rows::{BinaryLabels, RowTask};
        use std::fmt::Write;
        let mut text = String::from("label,region,p_a,p_b,p_c,score\n");
        for i in 0..20_000u64 {
            let a = (i * 7919 % 1000) as f64 / 1000.0;
            let b = (1.0 - a) * ((i * 31 % 100) as f64 / 100.0);
            let score = (i * 2_654_435_761 % 1_000_003) as f64 / 1_000_003.0;
            let label = ["a", "b", "c"][(i % 3) as usize];
            writeln!(text, "{label},r{},{a},{b},{},{score}", i % 5, 1.0 - a - b).unwrap();
        }
        let base = Columns {
            actual: "label".into(),
            segments: vec!["region".into()],
            ..Columns::default()
        };
        let multiclass = Columns {
            scores: ["p_a", "p_b", "p_c"].map(String::from).to_vec(),
            task: RowTask::Multiclass {
                classes: ["a", "b", "c"].map(String::from).to_vec(),
                top_k: Some(2),
            },
            ..base.clone()
        };
        let binary = Columns {
            scores: vec!["score".into()],
            task: RowTask::Binary {
                labels: BinaryLabels::Named("a".into()),
                threshold: 0.5,
            },
            ..base
        };
        for columns in [multiclass, binary] {
            let one = parallel_with(text.as_bytes(), plan(4096, 1), columns.clone())
                .await
                .unwrap();
            let many = parallel_with(text.as_bytes(), plan(4096, 3), columns.clone())
                .await
                .unwrap();
            assert_eq!(one.rows(), 20_000);
            assert_eq!(one.classes.overall(), many.classes.overall());
            assert_eq!(one.scores.overall(), many.scores.overall());
            // Score segments are kept per thread (see crate::pool): their order of first sight
            // may differ, so compare them by key (the summary ranks them with ties by key).
            let segments = |t: &Tally| {
                let classes: Vec<_> = t
                    .classes
                    .segments()
                    .map(|(k, s)| (k.to_vec(), s.clone()))
                    .collect();
                let mut scores: Vec<_> = t
                    .scores
                    .segments()
                    .map(|(k, s)| (k.to_vec(), s.clone()))
                    .collect();
                scores.sort_by(|a, b| a.0.cmp(&b.0));
                (classes, scores)
            };
            assert_eq!(segments(&one), segments(&many));
        }
    }
}
