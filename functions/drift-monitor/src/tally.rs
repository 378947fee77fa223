//! The live side of one feature: counts against its baseline profile's bins, CDF grid and
//! categories, in memory that depends on the profile only (never on the number of rows).

use crate::cell::Cell;
use crate::locate::SortedPoints;
use crate::profile::{Distribution, FeatureProfile};
use crate::stats::{ks_statistic, psi, GridCounts};
use hashbrown::HashMap;
use std::sync::Arc;

/// Live counts of one feature.
#[derive(Debug, Clone)]
pub struct LiveTally {
    profile: Arc<FeatureProfile>,
    nulls: u64,
    invalid: u64,
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    Numeric {
        bins: Vec<u64>,
        grid: GridCounts,
        /// The profile's bin edges and CDF grid, indexed (shared by the clones of a tally).
        edges: Arc<SortedPoints>,
        points: Arc<SortedPoints>,
    },
    Categorical {
        index: HashMap<String, usize>,
        /// One count per baseline category, then `__other__`.
        counts: Vec<u64>,
    },
}

/// The drift measures of one feature over a window.
#[derive(Debug, Clone, PartialEq)]
pub struct Measures {
    /// Rows counted.
    pub rows: u64,
    /// Share of rows without a value (invalid values included).
    pub null_rate: f64,
    /// Values that were not numbers in a numeric feature (counted as missing).
    pub invalid: u64,
    /// Population Stability Index against the baseline bins (null bin included).
    pub psi: f64,
    /// Kolmogorov–Smirnov statistic of the non-null values (numeric features with values only).
    pub ks: Option<f64>,
    /// Live proportions in PSI bin order (bins or categories, `__other__`, null).
    pub actual: Vec<f64>,
}

impl LiveTally {
    /// Empty counts for `profile`.
    pub fn new(profile: Arc<FeatureProfile>) -> Self {
        let kind = match &profile.distribution {
            Distribution::Numeric(n) => Kind::Numeric {
                bins: vec![0; n.bin_edges.len() + 1],
                grid: GridCounts::new(n.cdf_grid.len()),
                edges: Arc::new(SortedPoints::new(&n.bin_edges)),
                points: Arc::new(SortedPoints::new(&n.cdf_grid)),
            },
            Distribution::Categorical(c) => Kind::Categorical {
                index: c
                    .categories
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (c.value.clone(), i))
                    .collect(),
                counts: vec![0; c.categories.len() + 1],
            },
        };
        Self {
            profile,
            nulls: 0,
            invalid: 0,
            kind,
        }
    }

    /// The profile this tally counts against.
    pub fn profile(&self) -> &FeatureProfile {
        &self.profile
    }

    /// Counts one row's value.
    #[inline]
    pub fn add(&mut self, cell: Cell<'_>) {
        match &mut self.kind {
            Kind::Numeric {
                bins,
                grid,
                edges,
                points,
            } => match cell.as_number() {
                Ok(Some(v)) => {
                    bins[edges.lower_bound(v)] += 1;
                    grid.add(points, v);
                }
                Ok(None) => self.nulls += 1,
                Err(crate::cell::NotANumber) => {
                    self.nulls += 1;
                    self.invalid += 1;
                }
            },
            Kind::Categorical { index, counts } => cell.with_label(|label| match label {
                None => self.nulls += 1,
                Some(label) => {
                    let other = counts.len() - 1;
                    counts[index.get(label).copied().unwrap_or(other)] += 1;
                }
            }),
        }
    }

    /// Adds the counts of another tally of the same profile.
    pub fn merge(&mut self, other: LiveTally) {
        self.nulls += other.nulls;
        self.invalid += other.invalid;
        let add = |mine: &mut Vec<u64>, theirs: &[u64]| {
            mine.iter_mut().zip(theirs).for_each(|(a, b)| *a += b)
        };
        match (&mut self.kind, &other.kind) {
            (
                Kind::Numeric { bins, grid, .. },
                Kind::Numeric {
                    bins: b, grid: g, ..
                },
            ) => {
                add(bins, b);
                add(&mut grid.cells, &g.cells);
                add(&mut grid.at, &g.at);
            }
            (Kind::Categorical { counts, .. }, Kind::Categorical { counts: c, .. }) => {
                add(counts, c)
            }
            _ => {}
        }
    }

    /// Rows counted.
    pub fn rows(&self) -> u64 {
        let values: u64 = match &self.kind {
            Kind::Numeric { bins, .. } => bins.iter().sum(),
            Kind::Categorical { counts, .. } => counts.iter().sum(),
        };
        values + self.nulls
    }

    /// PSI and KS against the baseline.
    pub fn measures(&self) -> Measures {
        let rows = self.rows();
        let share = |c: u64| {
            if rows == 0 {
                0.0
            } else {
                c as f64 / rows as f64
            }
        };
        let (counts, ks) = match (&self.kind, &self.profile.distribution) {
            (Kind::Numeric { bins, grid, .. }, Distribution::Numeric(n)) => {
                (bins.as_slice(), ks_statistic(&n.cdf, grid))
            }
            (Kind::Categorical { counts, .. }, _) => (counts.as_slice(), None),
            (Kind::Numeric { bins, .. }, _) => (bins.as_slice(), None),
        };
        let mut actual: Vec<f64> = counts.iter().map(|&c| share(c)).collect();
        actual.push(share(self.nulls));
        Measures {
            rows,
            null_rate: share(self.nulls),
            invalid: self.invalid,
            psi: psi(&self.profile.expected(), &actual),
            ks,
            actual,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::{BuildSettings, FeatureBuilder};

    const SETTINGS: BuildSettings = BuildSettings {
        bins: 10,
        ks_grid: 1000,
        sample_capacity: 100_000,
        min_category_share: 0.01,
        max_categories: 50,
    };

    fn numeric(values: impl Iterator<Item = f64>) -> Arc<FeatureProfile> {
        let mut b = FeatureBuilder::numeric("x", &SETTINGS, 1);
        values.for_each(|v| b.add(Cell::Number(v)).unwrap());
        Arc::new(b.finish(&SETTINGS))
    }

    #[test]
    fn the_same_data_scores_zero() {
        let profile = numeric((0..1000).map(f64::from));
        let mut live = LiveTally::new(profile.clone());
        (0..1000).for_each(|v| live.add(Cell::Number(f64::from(v))));
        let m = live.measures();
        assert!(m.psi.abs() < 1e-12, "{}", m.psi);
        assert!(m.ks.unwrap() < 1e-12);
        assert_eq!(m.rows, 1000);
    }

    #[test]
    fn a_shifted_feature_scores_high_and_a_feature_gone_null_too() {
        let profile = numeric((0..1000).map(f64::from));
        let mut shifted = LiveTally::new(profile.clone());
        (500..1500).for_each(|v| shifted.add(Cell::Number(f64::from(v))));
        let m = shifted.measures();
        assert!(m.psi > 0.25, "{}", m.psi);
        assert!((m.ks.unwrap() - 0.5).abs() < 1e-9);
        let mut gone = LiveTally::new(profile.clone());
        (0..1000).for_each(|_| gone.add(Cell::Null));
        let m = gone.measures();
        assert!(m.psi > 1.0 && m.ks.is_none() && m.null_rate == 1.0);
    }

    #[test]
    fn unseen_categories_count_as_other_and_invalid_numbers_as_missing() {
        let mut b = FeatureBuilder::categorical("c");
        ["a", "b"]
            .iter()
            .cycle()
            .take(100)
            .for_each(|l| b.add(Cell::Text(l)).unwrap());
        let profile = Arc::new(b.finish(&SETTINGS));
        let mut live = LiveTally::new(profile.clone());
        ["a", "b", "new"]
            .iter()
            .cycle()
            .take(99)
            .for_each(|l| live.add(Cell::Text(l)));
        let m = live.measures();
        assert!((m.actual[2] - 1.0 / 3.0).abs() < 1e-12, "{:?}", m.actual);
        assert!(m.psi > 0.25);

        let profile = numeric((0..10).map(f64::from));
        let mut live = LiveTally::new(profile.clone());
        live.add(Cell::Text("oops"));
        live.add(Cell::Number(3.0));
        let m = live.measures();
        assert_eq!((m.invalid, m.null_rate), (1, 0.5));
    }
}
