//! Binary classification from scores in [0, 1]: counts at a threshold, and ROC-AUC, average
//! precision and the best-F1 threshold from a bounded histogram of the scores.
//!
//! # ROC-AUC and average precision in bounded memory
//! For a non-negative `f64` the IEEE-754 bit pattern, read as an integer, orders like the value.
//! [`ScoreHistogram`] counts positives and negatives per distinct bit pattern in a hash map.
//! When the distinct keys exceed a cap ([`OVERALL_MAX_BINS`], [`SEGMENT_MAX_BINS`] per
//! segment), keys are coarsened by dropping their lowest bit (`key >> 1`) until they fit, which
//! merges only neighbouring values. The final resolution is the smallest number of dropped bits
//! at which all scores fit, whatever the order rows and blocks were merged in, so results do
//! not depend on the thread count.
//!
//! With nothing merged (at most the cap of distinct scores) the figures are exact, with the
//! usual half credit for tied scores (as scikit-learn's `roc_auc_score`). Each bin records the
//! smallest score in it and whether it ever held two distinct values. Only such merged bins
//! introduce error, and it is computed and reported:
//! - ROC-AUC: a merged bin with `p` positives and `n` negatives is credited `p·n/2` pairs while
//!   the truth lies in `[0, p·n]`, so |error| ≤ ½ · Σ_merged p·n / (P·N)
//!   (`roc_auc_error_bound`; of the order ½ / bins for well-spread scores: about 2·10⁻⁶ at
//!   the overall cap);
//! - average precision (scikit-learn's step-wise sum Σ ΔRecall · Precision): inside a merged
//!   bin every precision the exact curve can take lies between (TP₀+1)/(TP₀+1+FP₀+n) and
//!   (TP₀+p)/(TP₀+p+FP₀) (TP₀, FP₀: counts above the bin), so |error| ≤ Σ_merged p/P · (that
//!   spread) (`average_precision_error_bound`);
//! - the best-F1 threshold is searched among bin boundaries (each bin's smallest score); the
//!   reported F1 is exactly the F1 at the reported threshold.
//!
//! Memory: at most [`OVERALL_MAX_BINS`] bins of 32 bytes in a table of 2^18 buckets (≈ 8.7 MB)
//! for the overall figures, whatever the row count, twice that while it is coarsened, and at
//! most [`SEGMENT_MAX_BINS`] per segment.

use crate::output::BinaryDetail;
use crate::tally::GroupStats;
use hashbrown::hash_map::Entry;
use hashbrown::HashMap;
use std::collections::BTreeMap;

/// Most bins of the overall histogram: one less than 7/8 of 2^18. hashbrown fills at most 7/8
/// of its buckets, and a push briefly holds one bin over the cap before coarsening: with a cap
/// of 2^18 the table would double to 2^19 buckets (17 MB) instead of 2^18 (8.7 MB).
pub const OVERALL_MAX_BINS: usize = (1 << 18) / 8 * 7 - 1;
/// Most bins of one segment's histogram.
pub const SEGMENT_MAX_BINS: usize = 1 << 10;
/// The scalar metrics a binary evaluation produces, by name.
pub const BINARY_METRICS: [&str; 8] = [
    "precision",
    "recall",
    "f1",
    "accuracy",
    "roc_auc",
    "average_precision",
    "best_f1",
    "best_f1_threshold",
];
/// Flag bit in [`Bin::low`] (the sign bit, never set for a score ≥ 0): the bin held two
/// distinct scores.
const MERGED: u64 = 1 << 63;

/// Positives and negatives of one score or range of scores.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Bin {
    positives: u64,
    negatives: u64,
    /// Bits of the smallest score in the bin, with [`MERGED`].
    low: u64,
}

impl Bin {
    fn low_bits(&self) -> u64 {
        self.low & !MERGED
    }

    fn merged(&self) -> bool {
        self.low & MERGED != 0
    }

    /// Takes in another bin of the same key.
    fn absorb(&mut self, other: &Bin) {
        let (a, b) = (self.low_bits(), other.low_bits());
        let merged = self.merged() || other.merged() || a != b;
        self.low = a.min(b) | if merged { MERGED } else { 0 };
        self.positives += other.positives;
        self.negatives += other.negatives;
    }
}

/// Counts per score, coarsened to at most `max_bins` keys (see the module doc).
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreHistogram {
    max_bins: usize,
    /// Low bits dropped from every key.
    shift: u32,
    bins: HashMap<u64, Bin>,
}

impl ScoreHistogram {
    /// An empty histogram of at most `max_bins` bins.
    pub fn new(max_bins: usize) -> Self {
        Self {
            max_bins: max_bins.max(1),
            shift: 0,
            bins: HashMap::new(),
        }
    }

    /// Counts one score (in [0, 1]; −0 counts as 0).
    #[inline]
    pub fn push(&mut self, score: f64, positive: bool) {
        let bits = (score + 0.0).to_bits();
        let one = Bin {
            positives: u64::from(positive),
            negatives: u64::from(!positive),
            low: bits,
        };
        self.add(bits >> self.shift, &one);
        if self.bins.len() > self.max_bins {
            self.coarsen(self.shift + 1);
        }
    }

    #[inline]
    fn add(&mut self, key: u64, bin: &Bin) {
        match self.bins.entry(key) {
            Entry::Occupied(mut slot) => slot.get_mut().absorb(bin),
            Entry::Vacant(slot) => {
                slot.insert(*bin);
            }
        }
    }

    /// Drops key bits until at least `shift` are dropped and the bins fit: the smallest such
    /// shift is found on the sorted keys (shifting keeps them sorted, so distinct keys are
    /// counted in one pass per candidate), then the map is rebuilt once.
    #[cold]
    fn coarsen(&mut self, shift: u32) {
        let mut keys: Vec<u64> = self.bins.keys().copied().collect();
        keys.sort_unstable();
        let distinct = |by: u32| {
            let mut count = 0;
            let mut last = None;
            for key in &keys {
                let shifted = key >> by.min(63);
                if last != Some(shifted) {
                    count += 1;
                    last = Some(shifted);
                }
            }
            count
        };
        let mut shift = shift.max(self.shift).min(63);
        let mut fits = distinct(shift - self.shift);
        while fits > self.max_bins && shift < 63 {
            shift += 1;
            fits = distinct(shift - self.shift);
        }
        drop(keys);
        let by = (shift - self.shift).min(63);
        let old = std::mem::replace(&mut self.bins, HashMap::with_capacity(fits));
        for (key, bin) in old {
            self.add(key >> by, &bin);
        }
        self.shift = shift;
    }

    /// Folds another histogram in (at the coarser resolution of the two).
    pub fn merge(&mut self, other: &ScoreHistogram) {
        if other.bins.is_empty() {
            return;
        }
        if other.shift > self.shift {
            self.coarsen(other.shift);
        }
        let by = (self.shift - other.shift).min(63);
        for (key, bin) in &other.bins {
            self.add(key >> by, bin);
        }
        if self.bins.len() > self.max_bins {
            self.coarsen(self.shift + 1);
        }
    }

    /// ROC-AUC, average precision and the best F1 with their error bounds.
    pub fn curve(&self) -> Curve {
        let mut bins: Vec<(u64, Bin)> = self.bins.iter().map(|(&k, &b)| (k, b)).collect();
        bins.sort_unstable_by_key(|&(key, _)| key);
        let positives: u64 = bins.iter().map(|(_, b)| b.positives).sum();
        let negatives: u64 = bins.iter().map(|(_, b)| b.negatives).sum();
        let mut curve = Curve {
            positives,
            negatives,
            bins: bins.len() as u64,
            merged_bins: bins.iter().filter(|(_, b)| b.merged()).count() as u64,
            dropped_bits: self.shift,
            ..Curve::default()
        };
        // ROC-AUC, ascending: each positive beats the negatives below its bin, half the tied.
        let (mut credit, mut uncertain, mut below) = (0u128, 0u128, 0u128);
        for (_, bin) in &bins {
            let (p, n) = (u128::from(bin.positives), u128::from(bin.negatives));
            credit += p * (2 * below + n);
            if bin.merged() {
                uncertain += p * n;
            }
            below += n;
        }
        let pairs = u128::from(positives) * u128::from(negatives);
        if pairs > 0 {
            curve.roc_auc = Some(credit as f64 / (2 * pairs) as f64);
            curve.roc_auc_error_bound = 0.5 * uncertain as f64 / pairs as f64;
        }
        if positives == 0 {
            return curve;
        }
        // Average precision and F1, descending.
        let total = positives as f64;
        let (mut tp, mut fp) = (0u64, 0u64);
        let (mut ap, mut ap_bound, mut best) = (0.0, 0.0, (f64::NEG_INFINITY, 0.0));
        for (_, bin) in bins.iter().rev() {
            let (tp0, fp0) = (tp as f64, fp as f64);
            tp += bin.positives;
            fp += bin.negatives;
            let (t, f) = (tp as f64, fp as f64);
            if bin.positives > 0 {
                let weight = bin.positives as f64 / total;
                ap += weight * t / (t + f);
                if bin.merged() {
                    let high = t / (t + fp0);
                    let low = (tp0 + 1.0) / (tp0 + 1.0 + f);
                    ap_bound += weight * (high - low);
                }
            }
            let f1 = 2.0 * t / (t + f + total);
            if f1 > best.0 {
                best = (f1, f64::from_bits(bin.low_bits()));
            }
        }
        curve.average_precision = Some(ap);
        curve.average_precision_error_bound = ap_bound;
        curve.best_f1 = Some(best.0);
        curve.best_f1_threshold = Some(best.1);
        curve
    }
}

/// What the histogram yields.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Curve {
    /// Positive rows.
    pub positives: u64,
    /// Negative rows.
    pub negatives: u64,
    /// ROC-AUC; `None` without both classes.
    pub roc_auc: Option<f64>,
    /// Largest possible |computed − exact| ROC-AUC (0: exact).
    pub roc_auc_error_bound: f64,
    /// Average precision; `None` without positives.
    pub average_precision: Option<f64>,
    /// Largest possible |computed − exact| average precision (0: exact).
    pub average_precision_error_bound: f64,
    /// The highest F1 over the thresholds searched; `None` without positives.
    pub best_f1: Option<f64>,
    /// The lowest score counted positive for [`Curve::best_f1`] (`score ≥ threshold`).
    pub best_f1_threshold: Option<f64>,
    /// Bins in the histogram.
    pub bins: u64,
    /// Bins that hold more than one distinct score.
    pub merged_bins: u64,
    /// Low bits dropped from the scores' bit patterns.
    pub dropped_bits: u32,
}

/// What one row contributes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreRow {
    /// Whether the label is the positive one.
    pub positive: bool,
    /// The score, in [0, 1].
    pub score: f64,
    /// Whether `score ≥ threshold`.
    pub predicted_positive: bool,
}

/// Counts at the threshold and the score histogram of one group of rows.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreStats {
    true_positives: u64,
    false_positives: u64,
    true_negatives: u64,
    false_negatives: u64,
    histogram: ScoreHistogram,
}

impl Default for ScoreStats {
    /// The overall statistics: [`OVERALL_MAX_BINS`].
    fn default() -> Self {
        Self::with_max_bins(OVERALL_MAX_BINS)
    }
}

impl GroupStats for ScoreStats {
    type Row = ScoreRow;
    const KEEPS_OVERALL: bool = true;

    #[inline]
    fn push(&mut self, row: ScoreRow) {
        match (row.positive, row.predicted_positive) {
            (true, true) => self.true_positives += 1,
            (false, true) => self.false_positives += 1,
            (false, false) => self.true_negatives += 1,
            (true, false) => self.false_negatives += 1,
        }
        self.histogram.push(row.score, row.positive);
    }

    fn merge(&mut self, other: &Self) {
        self.true_positives += other.true_positives;
        self.false_positives += other.false_positives;
        self.true_negatives += other.true_negatives;
        self.false_negatives += other.false_negatives;
        self.histogram.merge(&other.histogram);
    }

    fn rows(&self) -> u64 {
        ScoreStats::rows(self)
    }

    /// [`SEGMENT_MAX_BINS`].
    fn for_segment() -> Self {
        Self::with_max_bins(SEGMENT_MAX_BINS)
    }
}

impl ScoreStats {
    fn with_max_bins(max_bins: usize) -> Self {
        Self {
            true_positives: 0,
            false_positives: 0,
            true_negatives: 0,
            false_negatives: 0,
            histogram: ScoreHistogram::new(max_bins),
        }
    }

    /// Rows seen.
    pub fn rows(&self) -> u64 {
        self.true_positives + self.false_positives + self.true_negatives + self.false_negatives
    }

    /// The scalar metrics by name ([`BINARY_METRICS`]) and the detail; `None` for an empty
    /// group. Precision, recall and F1 are 0 where their denominator is 0 (scikit-learn's
    /// `zero_division=0`).
    pub fn metrics(
        &self,
        threshold: f64,
        positive_label: &str,
    ) -> Option<(BTreeMap<String, Option<f64>>, BinaryDetail)> {
        let rows = self.rows();
        if rows == 0 {
            return None;
        }
        let curve = self.histogram.curve();
        let tp = self.true_positives as f64;
        let (fp, fn_) = (self.false_positives as f64, self.false_negatives as f64);
        let ratio = |a: f64, b: f64| if b == 0.0 { 0.0 } else { a / b };
        let values = [
            Some(ratio(tp, tp + fp)),
            Some(ratio(tp, tp + fn_)),
            Some(ratio(2.0 * tp, 2.0 * tp + fp + fn_)),
            Some((self.true_positives + self.true_negatives) as f64 / rows as f64),
            curve.roc_auc,
            curve.average_precision,
            curve.best_f1,
            curve.best_f1_threshold,
        ];
        let metrics = BINARY_METRICS
            .iter()
            .zip(values)
            .map(|(name, value)| (name.to_string(), value))
            .collect();
        let detail = BinaryDetail {
            positive_label: positive_label.to_string(),
            threshold,
            true_positives: self.true_positives,
            false_positives: self.false_positives,
            true_negatives: self.true_negatives,
            false_negatives: self.false_negatives,
            roc_auc_error_bound: curve.roc_auc_error_bound,
            average_precision_error_bound: curve.average_precision_error_bound,
            score_bins: curve.bins,
            merged_score_bins: curve.merged_bins,
            dropped_score_bits: curve.dropped_bits,
        };
        Some((metrics, detail))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// ROC-AUC by counting pairs: the definition.
    fn pairwise_auc(rows: &[(f64, bool)]) -> f64 {
        let (mut credit, mut pairs) = (0.0, 0.0);
        for &(s, p) in rows.iter().filter(|r| r.1) {
            for &(t, _) in rows.iter().filter(|r| !r.1) {
                pairs += 1.0;
                credit += if s > t {
                    1.0
                } else if s == t {
                    0.5
                } else {
                    0.0
                };
            }
            let _ = p;
        }
        credit / pairs
    }

    fn histogram(rows: &[(f64, bool)], max_bins: usize) -> ScoreHistogram {
        let mut h = ScoreHistogram::new(max_bins);
        for &(s, p) in rows {
            h.push(s, p);
        }
        h
    }

    #[test]
    fn tied_scores_get_half_credit_and_nothing_merged_is_exact() {
        let rows = [
            (0.5, true),
            (0.5, false),
            (0.9, true),
            (0.1, false),
            (0.5, true),
        ];
        let curve = histogram(&rows, 100).curve();
        assert_eq!(curve.roc_auc, Some(pairwise_auc(&rows)));
        assert_eq!(curve.roc_auc_error_bound, 0.0);
        assert_eq!(curve.merged_bins, 0);
        // Descending: 0.9 (1 TP) → P 1; 0.5 (3 TP, 1 FP) → P 3/4; AP = 1/3 + 2/3 · 3/4.
        assert_eq!(curve.average_precision, Some(1.0 / 3.0 + 2.0 / 3.0 * 0.75));
    }

    #[test]
    fn one_class_has_no_auc() {
        let curve = histogram(&[(0.2, false), (0.4, false)], 10).curve();
        assert_eq!(curve.roc_auc, None);
        assert_eq!(curve.average_precision, None);
        assert_eq!(curve.best_f1, None);
    }

    proptest! {
        #[test]
        fn coarse_histograms_stay_within_their_bound_in_any_merge_order(
            rows in prop::collection::vec((0.0f64..=1.0, any::<bool>()), 2..300),
            cut in 0usize..300,
            max_bins in 1usize..64,
        ) {
            prop_assume!(rows.iter().any(|r| r.1) && rows.iter().any(|r| !r.1));
            let whole = histogram(&rows, max_bins);
            let cut = cut.min(rows.len());
            let mut left = histogram(&rows[..cut], max_bins);
            left.merge(&histogram(&rows[cut..], max_bins));
            let (a, b) = (whole.curve(), left.curve());
            prop_assert_eq!(&a, &b);
            let exact = pairwise_auc(&rows);
            let auc = a.roc_auc.unwrap();
            prop_assert!((auc - exact).abs() <= a.roc_auc_error_bound + 1e-12, "{} vs {} ± {}", auc, exact, a.roc_auc_error_bound);
            let fine = histogram(&rows, 1000).curve();
            prop_assert!((a.average_precision.unwrap() - fine.average_precision.unwrap()).abs()
                <= a.average_precision_error_bound + 1e-12);
            prop_assert!(a.bins as usize <= max_bins);
        }
    }
}
