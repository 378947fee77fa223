//! Multiclass classification: streaming confusion counts and the metrics they yield.
//!
//! Definitions are scikit-learn's (`sklearn.metrics`, with `labels` = the declared classes and
//! `zero_division=0`):
//! - per class: precision = TP / predicted, recall = TP / support, F1 = 2·TP / (support +
//!   predicted), each 0 where its denominator is 0 (a class never predicted has precision 0);
//! - accuracy = Σ TP / rows; macro precision, recall and F1 = the unweighted mean over the
//!   declared classes; weighted F1 = Σ F1 · support / rows;
//! - log loss = mean of −ln(clip(p_true, ε, 1 − ε)), ε = `f64::EPSILON` (as `log_loss`);
//! - top-k accuracy: the true class is among the k highest probabilities, ties going to the
//!   class declared later (as `top_k_accuracy_score`, whose labels are sorted).

use crate::output::{ClassDetail, ClassificationDetail};
use crate::tally::GroupStats;
use std::collections::BTreeMap;

/// Largest |Σ p − 1| accepted for a row's class probabilities (absolute).
pub const SUM_TOLERANCE: f64 = 1e-3;

/// The scalar metrics a multiclass evaluation may produce, by name.
pub const MULTICLASS_METRICS: [&str; 7] = [
    "accuracy",
    "macro_f1",
    "weighted_f1",
    "macro_precision",
    "macro_recall",
    "log_loss",
    "top_k_accuracy",
];

/// What one row contributes: its classes as positions in the declared list, and the terms
/// computed from its probabilities (0 and false without them).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClassRow {
    /// Number of declared classes.
    pub classes: usize,
    /// The actual class.
    pub actual: usize,
    /// The predicted class.
    pub predicted: usize,
    /// −ln(clip(p_actual)).
    pub log_loss: f64,
    /// Whether the actual class is among the top k.
    pub top_k_hit: bool,
}

/// Confusion counts and loss sums of one group of rows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClassStats {
    classes: usize,
    /// Row-major `classes × classes`: actual row, predicted column.
    confusion: Vec<u64>,
    rows: u64,
    log_loss_sum: f64,
    top_k_hits: u64,
}

impl GroupStats for ClassStats {
    type Row = ClassRow;

    #[inline]
    fn push(&mut self, row: ClassRow) {
        if self.classes != row.classes {
            self.resize(row.classes);
        }
        if let Some(cell) = self
            .confusion
            .get_mut(row.actual * row.classes + row.predicted)
        {
            *cell += 1;
        }
        self.rows += 1;
        self.log_loss_sum += row.log_loss;
        self.top_k_hits += u64::from(row.top_k_hit);
    }

    fn merge(&mut self, other: &Self) {
        if other.rows == 0 {
            return;
        }
        if self.classes != other.classes {
            self.resize(other.classes);
        }
        for (mine, theirs) in self.confusion.iter_mut().zip(&other.confusion) {
            *mine += theirs;
        }
        self.rows += other.rows;
        self.log_loss_sum += other.log_loss_sum;
        self.top_k_hits += other.top_k_hits;
    }

    fn rows(&self) -> u64 {
        self.rows
    }
}

/// Per-class counts derived from the confusion matrix.
struct PerClass {
    true_positives: Vec<u64>,
    support: Vec<u64>,
    predicted: Vec<u64>,
}

/// `numerator / denominator`, 0 when the denominator is 0 (`zero_division=0`).
fn ratio(numerator: f64, denominator: f64) -> f64 {
    if denominator == 0.0 {
        0.0
    } else {
        numerator / denominator
    }
}

impl ClassStats {
    /// Only an empty group changes size (every row of a request has the same class count).
    fn resize(&mut self, classes: usize) {
        if self.rows == 0 {
            self.classes = classes;
            self.confusion = vec![0; classes * classes];
        }
    }

    /// Rows seen.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    fn per_class(&self) -> PerClass {
        let k = self.classes;
        let mut counts = PerClass {
            true_positives: vec![0; k],
            support: vec![0; k],
            predicted: vec![0; k],
        };
        for (i, row) in self.confusion.chunks(k.max(1)).enumerate().take(k) {
            for (j, &n) in row.iter().enumerate() {
                counts.support[i] += n;
                counts.predicted[j] += n;
                if i == j {
                    counts.true_positives[i] += n;
                }
            }
        }
        counts
    }

    /// Per-class precision, recall and F1 (in declared order).
    fn scores(&self) -> Vec<(f64, f64, f64, u64)> {
        let c = self.per_class();
        (0..self.classes)
            .map(|i| {
                let tp = c.true_positives[i] as f64;
                let (support, predicted) = (c.support[i] as f64, c.predicted[i] as f64);
                (
                    ratio(tp, predicted),
                    ratio(tp, support),
                    ratio(2.0 * tp, support + predicted),
                    c.support[i],
                )
            })
            .collect()
    }

    /// The scalar metrics by name; `log_loss` only `with_probabilities`, `top_k_accuracy`
    /// only `with_top_k`. `None` for an empty group.
    pub fn metrics(
        &self,
        with_probabilities: bool,
        with_top_k: bool,
    ) -> Option<BTreeMap<String, Option<f64>>> {
        if self.rows == 0 {
            return None;
        }
        let rows = self.rows as f64;
        let scores = self.scores();
        let k = scores.len().max(1) as f64;
        let mean =
            |pick: fn(&(f64, f64, f64, u64)) -> f64| scores.iter().map(pick).sum::<f64>() / k;
        let correct: u64 = self.per_class().true_positives.iter().sum();
        let weighted_f1 = scores.iter().map(|s| s.2 * s.3 as f64).sum::<f64>() / rows;
        let mut metrics = BTreeMap::from([
            ("accuracy".to_string(), Some(correct as f64 / rows)),
            ("macro_f1".to_string(), Some(mean(|s| s.2))),
            ("weighted_f1".to_string(), Some(weighted_f1)),
            ("macro_precision".to_string(), Some(mean(|s| s.0))),
            ("macro_recall".to_string(), Some(mean(|s| s.1))),
        ]);
        if with_probabilities {
            metrics.insert("log_loss".into(), Some(self.log_loss_sum / rows));
        }
        if with_top_k {
            metrics.insert("top_k_accuracy".into(), Some(self.top_k_hits as f64 / rows));
        }
        Some(metrics)
    }

    /// The per-class detail and confusion matrix, rows and columns in the order of `names`.
    pub fn detail(&self, names: &[String], top_k: Option<usize>) -> ClassificationDetail {
        let per_class = names
            .iter()
            .zip(self.scores())
            .map(|(class, (precision, recall, f1, support))| ClassDetail {
                class: class.clone(),
                precision,
                recall,
                f1,
                support,
            })
            .collect();
        ClassificationDetail {
            classes: names.to_vec(),
            per_class,
            confusion_matrix: self
                .confusion
                .chunks(self.classes.max(1))
                .map(<[u64]>::to_vec)
                .collect(),
            top_k,
        }
    }
}

/// The terms of one row's probabilities `p` (declared order) for actual class `actual`:
/// −ln(clip(p_actual, ε, 1 − ε)) and whether `actual` is among the `k` highest (ties to the
/// class declared later).
pub fn probability_terms(p: &[f64], actual: usize, k: Option<usize>) -> (f64, bool) {
    let p_actual = p.get(actual).copied().unwrap_or(0.0);
    let clipped = p_actual.clamp(f64::EPSILON, 1.0 - f64::EPSILON);
    let hit = k.is_some_and(|k| {
        let ahead = p
            .iter()
            .enumerate()
            .filter(|&(j, &q)| q > p_actual || (q == p_actual && j > actual))
            .count();
        ahead < k
    });
    (-clipped.ln(), hit)
}

/// The class with the highest probability, the first one on ties (as `numpy.argmax`).
pub fn argmax(p: &[f64]) -> usize {
    let mut best = 0;
    for (j, &q) in p.iter().enumerate() {
        if q > p[best] {
            best = j;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(actual: usize, predicted: usize) -> ClassRow {
        ClassRow {
            classes: 3,
            actual,
            predicted,
            log_loss: 0.0,
            top_k_hit: false,
        }
    }

    #[test]
    fn hand_counted_confusion_gives_the_textbook_scores() {
        let mut stats = ClassStats::default();
        // actual 0 → predicted 0, 0, 1; actual 1 → 1; actual 2 → 0 (class 2 never predicted).
        for (a, p) in [(0, 0), (0, 0), (0, 1), (1, 1), (2, 0)] {
            stats.push(row(a, p));
        }
        let m = stats.metrics(false, false).unwrap();
        assert_eq!(m["accuracy"], Some(3.0 / 5.0));
        // class 0: P 2/3 R 2/3 F1 2/3; class 1: P 1/2 R 1 F1 2/3; class 2: 0, 0, 0.
        let macro_f1 = (2.0 / 3.0 + 2.0 / 3.0) / 3.0;
        assert!((m["macro_f1"].unwrap() - macro_f1).abs() < 1e-15);
        assert!((m["macro_precision"].unwrap() - (2.0 / 3.0 + 0.5) / 3.0).abs() < 1e-15);
        assert!(!m.contains_key("log_loss"));
        let detail = stats.detail(&["a".into(), "b".into(), "c".into()], None);
        assert_eq!(detail.confusion_matrix, [[2, 1, 0], [0, 1, 0], [1, 0, 0]]);
        assert_eq!(detail.per_class[2].precision, 0.0);
        assert_eq!(detail.per_class[2].support, 1);
    }

    #[test]
    fn merged_groups_equal_one_pass() {
        let (mut a, mut b, mut whole) = Default::default();
        for (i, (x, y)) in [(0, 0), (1, 2), (2, 2), (1, 1)].into_iter().enumerate() {
            let half: &mut ClassStats = if i < 2 { &mut a } else { &mut b };
            half.push(row(x, y));
            GroupStats::push(&mut whole, row(x, y));
        }
        GroupStats::merge(&mut a, &b);
        assert_eq!(a, whole);
    }

    #[test]
    fn top_k_ties_go_to_the_later_class_and_argmax_to_the_first() {
        let p = [0.4, 0.4, 0.2];
        assert!(!probability_terms(&p, 0, Some(1)).1);
        assert!(probability_terms(&p, 1, Some(1)).1);
        assert!(probability_terms(&p, 0, Some(2)).1);
        assert_eq!(argmax(&p), 0);
        let (loss, _) = probability_terms(&[0.0, 1.0], 0, None);
        assert_eq!(loss, -f64::EPSILON.ln());
    }
}
