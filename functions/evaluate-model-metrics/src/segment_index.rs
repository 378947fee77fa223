//! Segment key → slot, the per-row lookup of an evaluation with segments.
//!
//! Keys of up to 16 bytes (store ids, SKUs, regions: nearly all of them) are packed into two
//! machine words and live in an open-addressing table, so a lookup hashes two words, loads one
//! entry and compares it with integer compares: no pointer to chase, no `memcmp` call. Longer keys
//! use an ordinary hash map.

use hashbrown::HashMap;

/// Longest key kept in the packed table.
const PACKED_KEY_BYTES: usize = 16;

/// One slot of the packed table; `meta == 0` marks it empty.
#[derive(Debug, Clone, Copy, Default)]
struct PackedEntry {
    words: [u64; 2],
    /// `(slot + 1) << 8 | key length`.
    meta: u64,
}

/// Maps segment keys (raw bytes) to dense slots `0, 1, 2, ...` in order of first sight.
#[derive(Debug, Default)]
pub struct SegmentIndex {
    packed: Vec<PackedEntry>,
    long: HashMap<Box<[u8]>, u32>,
    /// Every key by slot, for reporting.
    keys: Vec<Box<[u8]>>,
}

impl SegmentIndex {
    /// The slot of `key`, given the next free one when the key is new.
    #[inline]
    pub fn slot(&mut self, key: &[u8]) -> usize {
        let Some((words, len)) = pack(key) else {
            return self.long_slot(key);
        };
        if self.packed.is_empty() {
            self.packed = vec![PackedEntry::default(); 64];
        }
        let mask = self.packed.len() - 1;
        let mut at = hash(words, len) & mask;
        loop {
            let entry = self.packed[at];
            if entry.meta == 0 {
                return self.insert_packed(at, words, len, key);
            }
            if entry.words == words && entry.meta & 0xff == len {
                return (entry.meta >> 8) as usize - 1;
            }
            at = (at + 1) & mask;
        }
    }

    #[cold]
    fn insert_packed(&mut self, at: usize, words: [u64; 2], len: u64, key: &[u8]) -> usize {
        let slot = self.keys.len();
        self.keys.push(key.into());
        self.packed[at] = PackedEntry {
            words,
            meta: ((slot as u64 + 1) << 8) | len,
        };
        if self.packed_len() * 2 > self.packed.len() {
            self.grow();
        }
        slot
    }

    fn packed_len(&self) -> usize {
        self.keys.len() - self.long.len()
    }

    /// Doubles the packed table, keeping it at most half full so probes stay short.
    fn grow(&mut self) {
        let doubled = vec![PackedEntry::default(); self.packed.len() * 2];
        let old = std::mem::replace(&mut self.packed, doubled);
        let mask = self.packed.len() - 1;
        for entry in old.into_iter().filter(|e| e.meta != 0) {
            let mut at = hash(entry.words, entry.meta & 0xff) & mask;
            while self.packed[at].meta != 0 {
                at = (at + 1) & mask;
            }
            self.packed[at] = entry;
        }
    }

    #[cold]
    fn long_slot(&mut self, key: &[u8]) -> usize {
        if let Some(&slot) = self.long.get(key) {
            return slot as usize;
        }
        let slot = self.keys.len();
        self.keys.push(key.into());
        self.long.insert(key.into(), slot as u32);
        slot
    }

    /// Keys seen.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no key was seen.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Every key with its slot, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], usize)> {
        self.keys
            .iter()
            .enumerate()
            .map(|(slot, key)| (&**key, slot))
    }
}

/// Two words and the length that identify a key of at most [`PACKED_KEY_BYTES`] bytes.
/// Longer pieces overlap (first and last 8 or 4 bytes): with the length, still one-to-one.
#[inline]
fn pack(key: &[u8]) -> Option<([u64; 2], u64)> {
    let len = key.len();
    let word8 = |at: usize| {
        key.get(at..at + 8)
            .map(|b| u64::from_le_bytes(b.try_into().unwrap_or_default()))
    };
    let word4 = |at: usize| {
        key.get(at..at + 4)
            .map(|b| u64::from(u32::from_le_bytes(b.try_into().unwrap_or_default())))
    };
    let words = match len {
        8..=PACKED_KEY_BYTES => [word8(0)?, word8(len - 8)?],
        4..=7 => [word4(0)?, word4(len - 4)?],
        1..=3 => [
            u64::from(key[0]) | u64::from(key[len / 2]) << 8 | u64::from(key[len - 1]) << 16,
            0,
        ],
        0 => [0, 0],
        _ => return None,
    };
    Some((words, len as u64))
}

/// A fast mix of the packed words (a folded 128-bit multiply, as in foldhash), then a
/// Fibonacci multiply so the low bits the table uses depend on every input bit.
#[inline]
fn hash(words: [u64; 2], len: u64) -> usize {
    const K0: u64 = 0x243f_6a88_85a3_08d3;
    const K1: u64 = 0x1319_8a2e_0370_7344;
    let product = u128::from(words[0] ^ K0) * u128::from(words[1] ^ K1 ^ len);
    let folded = (product as u64) ^ ((product >> 64) as u64);
    (folded.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_distinct_key_gets_its_own_slot_in_order_of_first_sight() {
        let mut keys: Vec<Vec<u8>> = Vec::new();
        for len in 0..40 {
            for fill in [b'a', b'b'] {
                let mut key = vec![b'x'; len];
                if let Some(last) = key.last_mut() {
                    *last = fill;
                }
                keys.push(key);
            }
        }
        keys.push(b"store-0001".to_vec());
        keys.push(b"store-0001\0".to_vec());
        keys.push(b"\0".to_vec());
        keys.dedup();
        let mut index = SegmentIndex::default();
        let mut expected = std::collections::HashMap::new();
        for key in &keys {
            let next = expected.len();
            expected.entry(key.clone()).or_insert(next);
        }
        for _ in 0..2 {
            for key in &keys {
                assert_eq!(index.slot(key), expected[key], "{key:?}");
            }
        }
        assert_eq!(index.len(), expected.len());
        for (key, slot) in index.iter() {
            assert_eq!(expected[key], slot);
        }
    }

    #[test]
    fn the_table_grows_past_many_keys() {
        let mut index = SegmentIndex::default();
        for i in 0..50_000u32 {
            assert_eq!(index.slot(format!("s{i}").as_bytes()), i as usize);
        }
        for i in (0..50_000u32).rev() {
            assert_eq!(index.slot(format!("s{i}").as_bytes()), i as usize);
        }
    }

    proptest::proptest! {
        #[test]
        fn packing_is_one_to_one(a in proptest::collection::vec(0u8..4, 0..17), b in proptest::collection::vec(0u8..4, 0..17)) {
            proptest::prop_assert_eq!(pack(&a) == pack(&b), a == b);
        }
    }
}
