//! Error statistics overall and per segment, keyed by the raw bytes of the segment values.
//!
//! The per-row lookup is the hot spot of an evaluation: [`SegmentIndex`] maps a key to a dense
//! slot, and the statistics live in a vector indexed by slot.

use crate::output::{SegmentMetrics, SegmentSummary};
use crate::segment_index::SegmentIndex;
use crate::stats::ErrorStats;
use serde_json::{Map, Value};

/// Separates segment values inside a key (ASCII unit separator: never in a sane value).
pub const KEY_SEPARATOR: u8 = 0x1f;

/// Statistics of every row seen, overall and per segment. A row with a segment is added to its
/// segment only; the overall figures merge the segments when asked (one update per row).
#[derive(Debug, Default)]
pub struct Tally {
    unsegmented: ErrorStats,
    index: SegmentIndex,
    segments: Vec<ErrorStats>,
}

impl Tally {
    /// Adds a row whose segment key (values joined by [`KEY_SEPARATOR`]) is `key`;
    /// an empty key when there are no segment columns.
    #[inline]
    pub fn push(&mut self, actual: f64, predicted: f64, key: Option<&[u8]>) {
        match key {
            Some(key) => {
                let slot = self.slot(key);
                self.segments[slot].push(actual, predicted);
            }
            None => self.unsegmented.push(actual, predicted),
        }
    }

    /// Statistics of all rows.
    pub fn overall(&self) -> ErrorStats {
        let mut all = self.unsegmented;
        for segment in &self.segments {
            all.merge(segment);
        }
        all
    }

    #[inline]
    fn slot(&mut self, key: &[u8]) -> usize {
        let slot = self.index.slot(key);
        if slot == self.segments.len() {
            self.segments.push(ErrorStats::default());
        }
        slot
    }

    /// Folds another tally into this one.
    pub fn merge(&mut self, other: Tally) {
        self.unsegmented.merge(&other.unsegmented);
        for (key, slot) in other.index.iter() {
            let mine = self.slot(key);
            self.segments[mine].merge(&other.segments[slot]);
        }
    }

    /// The segment summary: count and the `worst` segments by MAPE.
    pub fn segment_summary(&self, columns: &[String], worst: usize) -> SegmentSummary {
        let mut ranked: Vec<(&[u8], crate::stats::Metrics)> = self
            .index
            .iter()
            .filter_map(|(key, slot)| self.segments[slot].metrics().map(|m| (key, m)))
            .collect();
        // Worst first; undefined MAPE last; ties broken by key so results are deterministic.
        ranked.sort_by(|(ka, a), (kb, b)| {
            let ma = a.mape.unwrap_or(f64::NEG_INFINITY);
            let mb = b.mape.unwrap_or(f64::NEG_INFINITY);
            mb.total_cmp(&ma).then_with(|| ka.cmp(kb))
        });
        let worst = ranked
            .into_iter()
            .take(worst)
            .map(|(key, m)| SegmentMetrics {
                key: key_map(columns, key),
                mape: m.mape,
                wape: m.wape,
                mae: m.mae,
                bias: m.bias,
                rows: m.rows,
            })
            .collect();
        SegmentSummary {
            columns: columns.to_vec(),
            count: self.index.len() as u64,
            worst,
        }
    }
}

fn key_map(columns: &[String], key: &[u8]) -> Map<String, Value> {
    columns
        .iter()
        .zip(key.split(|&b| b == KEY_SEPARATOR))
        .map(|(column, value)| {
            (
                column.clone(),
                Value::String(String::from_utf8_lossy(value).into_owned()),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_segments_come_first_and_undefined_mape_last() {
        let mut tally = Tally::default();
        tally.push(10.0, 11.0, Some(b"a")); // 10 %
        tally.push(10.0, 15.0, Some(b"b")); // 50 %
        tally.push(0.0, 1.0, Some(b"c")); // undefined
        tally.push(10.0, 12.0, Some(b"d")); // 20 %
        let summary = tally.segment_summary(&["store_id".into()], 10);
        let order: Vec<_> = summary
            .worst
            .iter()
            .map(|s| s.key["store_id"].clone())
            .collect();
        assert_eq!(order, ["b", "d", "a", "c"]);
        assert_eq!(summary.count, 4);
        assert_eq!(summary.worst[3].mape, None);
    }

    #[test]
    fn multi_column_keys_split_back_into_columns() {
        let mut tally = Tally::default();
        tally.push(1.0, 1.0, Some(b"s1\x1fsku9"));
        let summary = tally.segment_summary(&["store".into(), "sku".into()], 1);
        assert_eq!(summary.worst[0].key["store"], "s1");
        assert_eq!(summary.worst[0].key["sku"], "sku9");
    }

    #[test]
    fn long_and_short_keys_are_told_apart() {
        let long = [b'x'; 64];
        let mut tally = Tally::default();
        tally.push(1.0, 2.0, Some(&long));
        tally.push(1.0, 2.0, Some(&long[..30]));
        tally.push(1.0, 2.0, Some(&long[..31]));
        tally.push(1.0, 2.0, Some(&long));
        let summary = tally.segment_summary(&["k".into()], 10);
        assert_eq!(summary.count, 3);
        assert_eq!(summary.worst.iter().map(|s| s.rows).sum::<u64>(), 4);
    }

    #[test]
    fn merged_tallies_combine_segments() {
        let mut a = Tally::default();
        a.push(10.0, 11.0, Some(b"x"));
        let mut b = Tally::default();
        b.push(10.0, 13.0, Some(b"x"));
        b.push(10.0, 10.0, Some(b"y"));
        a.merge(b);
        let summary = a.segment_summary(&["k".into()], 5);
        assert_eq!(summary.count, 2);
        assert_eq!(summary.worst[0].rows, 2);
        assert_eq!(a.overall().rows(), 3);
    }
}
