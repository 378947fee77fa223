//! Statistics overall and per segment, keyed by the raw bytes of the segment values.
//!
//! The per-row lookup is the hot spot of an evaluation: [`SegmentIndex`] maps a key to a dense
//! slot, and the statistics live in a vector indexed by slot. [`Groups`] does this for any kind
//! of statistics ([`GroupStats`]); a [`Tally`] holds one per task (only the request's task
//! receives rows), so the parsers and the parallel reader stay the same for every task.

use crate::classes::ClassStats;
use crate::output::{SegmentMetrics, SegmentSummary};
use crate::scores::ScoreStats;
use crate::segment_index::SegmentIndex;
use crate::stats::ErrorStats;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Separates segment values inside a key (ASCII unit separator: never in a sane value).
pub const KEY_SEPARATOR: u8 = 0x1f;

/// Mergeable statistics of a group of rows.
pub trait GroupStats: Default + Clone {
    /// What one row contributes.
    type Row: Copy;
    /// Adds one row.
    fn push(&mut self, row: Self::Row);
    /// Folds another group's statistics into these.
    fn merge(&mut self, other: &Self);
    /// Rows seen.
    fn rows(&self) -> u64;
    /// Empty statistics for one segment (may be coarser than the overall ones).
    fn for_segment() -> Self {
        Self::default()
    }
    /// Whether the overall statistics are kept apart, every segmented row added to both,
    /// rather than merged from the segments when asked (for statistics a segment keeps coarser).
    const KEEPS_OVERALL: bool = false;
}

impl GroupStats for ErrorStats {
    type Row = (f64, f64);
    #[inline]
    fn push(&mut self, (actual, predicted): (f64, f64)) {
        ErrorStats::push(self, actual, predicted);
    }
    fn merge(&mut self, other: &Self) {
        ErrorStats::merge(self, other);
    }
    fn rows(&self) -> u64 {
        ErrorStats::rows(self)
    }
}

/// Statistics of every row seen, overall and per segment. Without [`GroupStats::KEEPS_OVERALL`]
/// a row with a segment is added to its segment only, and the overall figures merge the
/// segments when asked (one update per row).
#[derive(Debug, Default)]
pub struct Groups<S> {
    unsegmented: S,
    index: SegmentIndex,
    segments: Vec<S>,
}

impl<S: GroupStats> Groups<S> {
    /// Adds a row whose segment key (values joined by [`KEY_SEPARATOR`]) is `key`; `None`
    /// when there are no segment columns.
    #[inline]
    pub fn push(&mut self, row: S::Row, key: Option<&[u8]>) {
        match key {
            Some(key) => {
                let slot = self.slot(key);
                if let Some(segment) = self.segments.get_mut(slot) {
                    segment.push(row);
                }
                if S::KEEPS_OVERALL {
                    self.unsegmented.push(row);
                }
            }
            None => self.unsegmented.push(row),
        }
    }

    /// Statistics of all rows, without a copy where they are kept apart
    /// ([`GroupStats::KEEPS_OVERALL`]).
    pub fn overall_kept(&self) -> Option<&S> {
        S::KEEPS_OVERALL.then_some(&self.unsegmented)
    }

    /// Statistics of all rows.
    pub fn overall(&self) -> S {
        let mut all = self.unsegmented.clone();
        if !S::KEEPS_OVERALL {
            for segment in &self.segments {
                all.merge(segment);
            }
        }
        all
    }

    /// Rows seen.
    pub fn rows(&self) -> u64 {
        let segmented: u64 = if S::KEEPS_OVERALL {
            0
        } else {
            self.segments.iter().map(S::rows).sum()
        };
        self.unsegmented.rows() + segmented
    }

    #[inline]
    fn slot(&mut self, key: &[u8]) -> usize {
        let slot = self.index.slot(key);
        if slot == self.segments.len() {
            self.segments.push(S::for_segment());
        }
        slot
    }

    /// Folds another group set into this one.
    pub fn merge(&mut self, other: Groups<S>) {
        self.unsegmented.merge(&other.unsegmented);
        for (key, slot) in other.index.iter() {
            let mine = self.slot(key);
            if let (Some(theirs), Some(ours)) =
                (other.segments.get(slot), self.segments.get_mut(mine))
            {
                ours.merge(theirs);
            }
        }
    }

    /// Every segment: its key and statistics, in order of first sight.
    pub fn segments(&self) -> impl Iterator<Item = (&[u8], &S)> {
        self.index
            .iter()
            .filter_map(|(key, slot)| self.segments.get(slot).map(|s| (key, s)))
    }

    /// Number of distinct segments.
    pub fn segment_count(&self) -> u64 {
        self.index.len() as u64
    }
}

/// The statistics of a read, one set per task; only the request's task receives rows.
#[derive(Debug, Default)]
pub struct Tally {
    /// Forecast errors (task `regression`; boxed like the others, so a tally moves cheaply).
    pub regression: Box<Groups<ErrorStats>>,
    /// Confusion counts (task `multiclass`; boxed, so an unused one costs a pointer).
    pub classes: Box<Groups<ClassStats>>,
    /// Score counts (task `binary`; boxed, so an unused one costs a pointer).
    pub scores: Box<Groups<ScoreStats>>,
}

impl Tally {
    /// Adds a regression row (see [`Groups::push`]).
    #[inline]
    pub fn push(&mut self, actual: f64, predicted: f64, key: Option<&[u8]>) {
        self.regression.push((actual, predicted), key);
    }

    /// Regression statistics of all rows.
    pub fn overall(&self) -> ErrorStats {
        self.regression.overall()
    }

    /// Data rows tallied, whatever the task.
    pub fn rows(&self) -> u64 {
        self.regression.rows() + self.classes.rows() + self.scores.rows()
    }

    /// Folds another tally into this one.
    pub fn merge(&mut self, other: Tally) {
        self.regression.merge(*other.regression);
        self.classes.merge(*other.classes);
        self.scores.merge(*other.scores);
    }

    /// The regression segment summary: count and the `worst` segments by MAPE.
    pub fn segment_summary(&self, columns: &[String], worst: usize) -> SegmentSummary {
        let ranked = self
            .regression
            .segments()
            .filter_map(|(key, stats)| stats.metrics().map(|m| (key, m.rows, m.named())))
            .collect();
        rank_segments(
            columns,
            self.regression.segment_count(),
            ranked,
            &Ranking::default(),
            worst,
        )
    }
}

/// How segments are ranked: by a metric, worst first.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranking {
    /// The metric's name, as in the result's `metrics`.
    pub metric: String,
    /// Whether lower values are better (then the worst segment has the highest value).
    pub lower_is_better: bool,
}

impl Default for Ranking {
    /// MAPE, lower is better: the regression default.
    fn default() -> Self {
        Self {
            metric: "mape".into(),
            lower_is_better: true,
        }
    }
}

/// A segment to rank: its key, rows and metrics by name.
pub type RankedSegment<'a> = (&'a [u8], u64, BTreeMap<String, Option<f64>>);

/// The segment summary from each segment's key, rows and named metrics: the `worst` ones by
/// `ranking`, worst first; segments without the metric last; ties broken by key, so results
/// are deterministic.
pub fn rank_segments(
    columns: &[String],
    count: u64,
    mut ranked: Vec<RankedSegment<'_>>,
    ranking: &Ranking,
    worst: usize,
) -> SegmentSummary {
    let badness = |metrics: &BTreeMap<String, Option<f64>>| match metrics
        .get(&ranking.metric)
        .copied()
        .flatten()
    {
        Some(v) if ranking.lower_is_better => v,
        Some(v) => -v,
        None => f64::NEG_INFINITY,
    };
    ranked.sort_by(|(ka, _, a), (kb, _, b)| {
        badness(b).total_cmp(&badness(a)).then_with(|| ka.cmp(kb))
    });
    let worst = ranked
        .into_iter()
        .take(worst)
        .map(|(key, rows, metrics)| {
            let get = |name: &str| metrics.get(name).copied().flatten();
            SegmentMetrics {
                key: key_map(columns, key),
                mape: get("mape"),
                wape: get("wape"),
                mae: get("mae"),
                bias: get("bias"),
                rows,
                metrics,
            }
        })
        .collect();
    SegmentSummary {
        columns: columns.to_vec(),
        count,
        worst,
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
        assert_eq!(a.rows(), 3);
    }
}
