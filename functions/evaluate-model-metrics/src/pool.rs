//! Parser threads over quote-free blocks of whole lines. Each block is parsed into its own
//! tally; the tallies are merged in input order as they come back, so floating-point sums are
//! added in the same order on every run and with any number of threads. At most the blocks in
//! flight wait to be merged, which bounds memory.
//!
//! Binary score histograms are the exception: they hold only integer counts and their
//! resolution does not depend on the merge order (see [`crate::scores`]), so each thread's
//! parser keeps filling one for all the blocks it parses, handed over once, at the end. Merging a histogram of
//! up to 229,376 bins per block on the coordinating thread was the run's bottleneck (measured: a
//! quarter of all CPU time on 10 million rows, and 146 MB of block histograms waiting).

use crate::block_parser::BlockParser;
use crate::blocks::Block;
use crate::error::EvaluateError;
use crate::parallel::shift_line;
use crate::scores::ScoreStats;
use crate::tally::{Groups, Tally};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// One block for a parser thread: its position among pooled blocks, the block and where its
/// data starts (after the header, in the first block).
type Job = (usize, Block, usize);

/// What became of one block.
enum Outcome {
    /// Parsed: its line count and tally.
    Parsed(usize, u64, Tally),
    /// Failed, with lines counted within the block.
    Failed(usize, EvaluateError),
    /// Parsed, but it ended inside a quoted field: the next block's start was a guess that
    /// failed.
    EndedInsideRecord(usize),
    /// Not parsed because an earlier block failed.
    Skipped,
    /// A thread's binary score counts of every block it parsed, sent when it stops.
    OrderFree(Box<Groups<ScoreStats>>),
}

/// Parser threads and the in-order merge of what they return.
pub struct Pool {
    jobs: SyncSender<Job>,
    outcomes: Receiver<Outcome>,
    workers: Vec<JoinHandle<()>>,
    /// The position of the first failed block so far (`usize::MAX`: none).
    failed: Arc<AtomicUsize>,
    next_index: usize,
    merged: InOrder,
}

/// What the pool read: its tally and the lines it consumed (the header is not among them).
pub struct Pooled {
    /// Every pooled block's rows, merged in input order.
    pub tally: Tally,
    /// Lines in the pooled blocks.
    pub lines: u64,
}

impl Pool {
    /// Starts `threads` parsers forked from `parser` (which has read the header); `None` when
    /// it has not. Parsed blocks go back to the reader through `recycle`.
    pub fn start<P: BlockParser>(
        parser: &P,
        threads: usize,
        recycle: &Sender<Block>,
    ) -> Option<Self> {
        let (jobs, queue) = std::sync::mpsc::sync_channel::<Job>(1);
        let (report, outcomes) = std::sync::mpsc::channel();
        let queue = Arc::new(Mutex::new(queue));
        let failed = Arc::new(AtomicUsize::new(usize::MAX));
        let workers = (0..threads.max(1))
            .map(|_| {
                let worker = parser.fork()?;
                let (queue, failed) = (queue.clone(), failed.clone());
                let (recycle, report) = (recycle.clone(), report.clone());
                Some(std::thread::spawn(move || {
                    work(worker, &queue, &failed, &recycle, &report)
                }))
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Self {
            jobs,
            outcomes,
            workers,
            failed,
            next_index: 0,
            merged: InOrder {
                lines_before: parser.lines(),
                ..InOrder::default()
            },
        })
    }

    /// Queues a block (waiting while every thread is busy); `false` once a block has failed,
    /// when nothing more is worth parsing.
    pub fn dispatch(&mut self, block: Block, start: usize) -> bool {
        while let Ok(outcome) = self.outcomes.try_recv() {
            self.merged.add(outcome);
        }
        if self.failed.load(Ordering::Relaxed) != usize::MAX {
            return false;
        }
        let index = self.next_index;
        self.next_index += 1;
        self.jobs.send((index, block, start)).is_ok()
    }

    /// Waits for every thread; the merged tally, or the error of the first failed block with
    /// its line in the whole file, or `None` when a block ended inside a quoted field before
    /// any failure (the blocks after it were cut in the wrong place).
    pub fn finish(self) -> Result<Option<Pooled>, EvaluateError> {
        let Pool {
            jobs,
            outcomes,
            workers,
            mut merged,
            next_index,
            ..
        } = self;
        drop(jobs);
        // The threads hold the only senders: this ends when the last one exits.
        for outcome in outcomes {
            merged.add(outcome);
        }
        let panicked = workers.into_iter().any(|w| w.join().is_err());
        if let Some(cut) = merged.ended_inside_record {
            if merged.first_error.as_ref().is_none_or(|(i, _)| *i > cut) {
                return Ok(None);
            }
        }
        if let Some((index, error)) = merged.first_error.take() {
            if merged.next == index {
                return Err(shift_line(error, merged.lines_before + merged.lines));
            }
        }
        if panicked || merged.next != next_index {
            return Err(EvaluateError::InvalidInput(
                "a CSV parser thread panicked".into(),
            ));
        }
        Ok(Some(Pooled {
            tally: merged.tally,
            lines: merged.lines,
        }))
    }
}

/// Merges block tallies in input order; blocks that arrive early wait.
#[derive(Default)]
struct InOrder {
    tally: Tally,
    /// The next block to merge.
    next: usize,
    waiting: BTreeMap<usize, (u64, Tally)>,
    /// Lines in the merged blocks.
    lines: u64,
    /// Lines before the first pooled block (the header).
    lines_before: u64,
    /// The failed block earliest in the input, with its error.
    first_error: Option<(usize, EvaluateError)>,
    /// The earliest block that ended inside a quoted field.
    ended_inside_record: Option<usize>,
}

impl InOrder {
    fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Parsed(index, lines, tally) => {
                self.waiting.insert(index, (lines, tally));
            }
            Outcome::Failed(index, error) => {
                if self.first_error.as_ref().is_none_or(|(i, _)| index < *i) {
                    self.first_error = Some((index, error));
                }
            }
            Outcome::EndedInsideRecord(index) => {
                self.ended_inside_record =
                    Some(self.ended_inside_record.map_or(index, |i| i.min(index)));
            }
            Outcome::Skipped => {}
            Outcome::OrderFree(scores) => self.tally.scores.merge(*scores),
        }
        while let Some((lines, tally)) = self.waiting.remove(&self.next) {
            self.tally.merge(tally);
            self.lines += lines;
            self.next += 1;
        }
    }
}

/// A parser thread: takes blocks until the queue closes. After a failure anywhere, blocks
/// later in the input are skipped; earlier ones are still parsed, since their line counts
/// place the error in the file.
fn work<P: BlockParser>(
    mut parser: P,
    queue: &Mutex<Receiver<Job>>,
    failed: &AtomicUsize,
    recycle: &Sender<Block>,
    report: &Sender<Outcome>,
) {
    loop {
        let job = queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .recv();
        let Ok((index, block, start)) = job else {
            let scores = std::mem::take(&mut parser.tally_mut().scores);
            if scores.rows() > 0 {
                let _ = report.send(Outcome::OrderFree(scores));
            }
            return;
        };
        let outcome = if index < failed.load(Ordering::Relaxed) {
            let before = parser.lines();
            match parser.feed(&block[start..]) {
                Ok(()) if parser.drop_incomplete_record() => {
                    // Blocks after this one started at a wrong place: none is worth parsing.
                    failed.fetch_min(index, Ordering::Relaxed);
                    parser.take_tally();
                    Outcome::EndedInsideRecord(index)
                }
                Ok(()) => {
                    let mut tally = parser.take_tally();
                    // The scores stay with the parser (see the module doc).
                    parser.tally_mut().scores = std::mem::take(&mut tally.scores);
                    Outcome::Parsed(index, parser.lines() - before, tally)
                }
                Err(error) => {
                    failed.fetch_min(index, Ordering::Relaxed);
                    Outcome::Failed(index, shift_line(error, 0u64.wrapping_sub(before)))
                }
            }
        } else {
            Outcome::Skipped
        };
        let _ = recycle.send(block);
        if report.send(outcome).is_err() {
            return;
        }
    }
}
