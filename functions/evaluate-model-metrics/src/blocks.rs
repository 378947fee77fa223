//! The reader side of CSV parsing: the input cut into blocks of whole lines, read ahead of the
//! parsers. A local file is read with plain blocking reads (one copy, from the page cache into
//! the block); S3 objects and gzip streams through their async stream.

use crate::error::EvaluateError;
use shared::storage::{ObjectStream, ObjectUri, StorageError};
use std::io::Read;
use std::sync::mpsc::{Receiver, Sender};
use tokio::io::AsyncReadExt;

/// Where the bytes come from.
pub enum BlockSource {
    /// An async stream: an S3 object, or anything gzip-compressed.
    Stream(ObjectStream),
    /// A plain local file.
    File(std::fs::File),
}

/// A block of whole lines; only the last block of the input may lack its final line break.
pub type Block = Vec<u8>;

/// What the reader sends: blocks in input order, then an error if reading failed.
pub type BlockSender = tokio::sync::mpsc::Sender<Result<Block, EvaluateError>>;

/// Cuts the bytes read into blocks of about `block_bytes` that end on a line break; the part
/// after the last break moves to the start of the next block. Buffers come back through
/// `recycled` once parsed, so steady-state reading allocates nothing.
struct LineBlocks {
    current: Block,
    block_bytes: usize,
    recycled: Receiver<Block>,
}

impl LineBlocks {
    fn new(block_bytes: usize, recycled: Receiver<Block>) -> Self {
        let mut blocks = Self {
            current: Vec::new(),
            block_bytes: block_bytes.max(1),
            recycled,
        };
        blocks.current = blocks.fresh();
        blocks
    }

    fn fresh(&self) -> Block {
        match self.recycled.try_recv() {
            Ok(mut block) => {
                block.clear();
                block
            }
            Err(_) => Vec::with_capacity(self.block_bytes),
        }
    }

    /// Bytes the next read should ask for: up to the block size, or as much again when one
    /// line is longer than a block.
    fn wanted(&self) -> usize {
        if self.current.len() < self.block_bytes {
            self.block_bytes - self.current.len()
        } else {
            self.current.len()
        }
    }

    /// The block to send after a read, if the current one is full (`at_end`: whatever is left).
    fn take_full(&mut self, at_end: bool) -> Option<Block> {
        if at_end {
            if self.current.is_empty() {
                return None;
            }
            let next = self.fresh();
            return Some(std::mem::replace(&mut self.current, next));
        }
        if self.current.len() < self.block_bytes {
            return None;
        }
        let cut = memchr::memrchr(b'\n', &self.current)? + 1;
        let mut next = self.fresh();
        next.extend_from_slice(&self.current[cut..]);
        self.current.truncate(cut);
        Some(std::mem::replace(&mut self.current, next))
    }
}

/// Reads an async stream into line blocks and sends them; the channel closes at the end.
pub async fn read_stream(
    mut stream: ObjectStream,
    uri: ObjectUri,
    block_bytes: usize,
    sender: BlockSender,
    recycled: Receiver<Block>,
) {
    let mut blocks = LineBlocks::new(block_bytes, recycled);
    loop {
        let wanted = blocks.wanted();
        blocks.current.reserve(wanted);
        // `read_buf` into the block's free capacity lets a buffered stream skip its own buffer.
        let read = match stream.read_buf(&mut blocks.current).await {
            Ok(read) => read,
            Err(e) => {
                let error = EvaluateError::from(StorageError::from_read(&uri, &e));
                let _ = sender.send(Err(error)).await;
                return;
            }
        };
        if let Some(block) = blocks.take_full(read == 0) {
            if sender.send(Ok(block)).await.is_err() {
                return; // the parsers stopped (an error): nothing more to read
            }
        }
        if read == 0 {
            return;
        }
    }
}

/// Reads a local file into line blocks with blocking reads (run it off the async threads).
pub fn read_file(
    file: std::fs::File,
    uri: ObjectUri,
    block_bytes: usize,
    sender: BlockSender,
    recycled: Receiver<Block>,
) {
    let mut file = file;
    let mut blocks = LineBlocks::new(block_bytes, recycled);
    loop {
        let wanted = blocks.wanted() as u64;
        // `read_to_end` fills the free capacity without zeroing it first.
        let read = match (&mut file).take(wanted).read_to_end(&mut blocks.current) {
            Ok(read) => read,
            Err(e) => {
                let error = EvaluateError::from(StorageError::from_read(&uri, &e));
                let _ = sender.blocking_send(Err(error));
                return;
            }
        };
        if let Some(block) = blocks.take_full(read == 0) {
            if sender.blocking_send(Ok(block)).is_err() {
                return;
            }
        }
        if read == 0 {
            return;
        }
    }
}

/// Starts the reader for `source`; blocks arrive on the returned channel, and parsed blocks go
/// back through the returned sender for reuse.
pub fn start_reader(
    source: BlockSource,
    uri: &ObjectUri,
    block_bytes: usize,
    read_ahead: usize,
) -> (
    tokio::sync::mpsc::Receiver<Result<Block, EvaluateError>>,
    Sender<Block>,
    tokio::task::JoinHandle<()>,
) {
    let (sender, receiver) = tokio::sync::mpsc::channel(read_ahead.max(1));
    let (recycle, recycled) = std::sync::mpsc::channel::<Block>();
    let uri = uri.clone();
    let handle = match source {
        BlockSource::Stream(stream) => {
            tokio::spawn(read_stream(stream, uri, block_bytes, sender, recycled))
        }
        BlockSource::File(file) => {
            tokio::task::spawn_blocking(move || read_file(file, uri, block_bytes, sender, recycled))
        }
    };
    (receiver, recycle, handle)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn blocks_of(data: &[u8], block_bytes: usize, from_file: bool) -> Vec<Block> {
        let uri = ObjectUri::parse("file://memory.csv").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let source = if from_file {
            let path = dir.path().join("data.csv");
            std::fs::write(&path, data).unwrap();
            BlockSource::File(std::fs::File::open(path).unwrap())
        } else {
            BlockSource::Stream(Box::pin(std::io::Cursor::new(data.to_vec())))
        };
        let (mut receiver, _recycle, reader) = start_reader(source, &uri, block_bytes, 1);
        let mut blocks = Vec::new();
        while let Some(block) = receiver.recv().await {
            blocks.push(block.unwrap());
        }
        reader.await.unwrap();
        blocks
    }

    #[tokio::test]
    async fn blocks_hold_whole_lines_and_rebuild_the_input() {
        let mut data = Vec::new();
        for i in 0..5_000 {
            data.extend_from_slice(format!("line {i},{}\n", "x".repeat(i % 37)).as_bytes());
        }
        data.extend_from_slice(b"a last line without a break");
        for from_file in [false, true] {
            for block_bytes in [1, 100, 4096, 1 << 20] {
                let blocks = blocks_of(&data, block_bytes, from_file).await;
                assert_eq!(blocks.concat(), data, "block size {block_bytes}");
                let (last, whole) = blocks.split_last().unwrap();
                assert!(whole.iter().all(|b| b.ends_with(b"\n")));
                assert!(last.ends_with(b"without a break"));
            }
        }
    }

    #[tokio::test]
    async fn a_line_longer_than_a_block_stays_whole_and_empty_input_gives_no_block() {
        let data = format!("{}\nshort\n", "y".repeat(10_000)).into_bytes();
        let blocks = blocks_of(&data, 64, true).await;
        assert!(blocks[0].len() >= 10_001 && blocks[0][10_000] == b'\n');
        assert!(blocks.iter().all(|b| b.ends_with(b"\n")));
        assert_eq!(blocks.concat(), data);
        assert!(blocks_of(b"", 64, false).await.is_empty());
    }
}
