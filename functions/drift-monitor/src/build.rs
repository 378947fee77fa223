//! Building a feature's baseline profile from the training rows, in one pass and bounded memory:
//! numeric values go to a [`Reservoir`], category labels to a count table of at most
//! [`MAX_DISTINCT_CATEGORIES`] labels.

use crate::cell::Cell;
use crate::profile::{
    CategoricalProfile, CategoryShare, Distribution, FeatureProfile, NumericProfile,
};
use crate::sample::{bin_index, count_at_most, quantile_edges, Reservoir};
use hashbrown::HashMap;

/// Distinct labels counted per categorical feature; labels first seen after that are counted
/// straight into `__other__` (an identifier column cannot exhaust memory).
pub const MAX_DISTINCT_CATEGORIES: usize = 100_000;

/// How profiles are built (from the baseline request).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BuildSettings {
    /// Quantile bins per numeric feature.
    pub bins: usize,
    /// Points of the CDF grid kept for the KS statistic (at most `ks_grid + 1`).
    pub ks_grid: usize,
    /// Values sampled per numeric feature (exact below that).
    pub sample_capacity: usize,
    /// Smallest share of all rows for a category to keep its own bin.
    pub min_category_share: f64,
    /// Most categories kept per feature (the rest pooled).
    pub max_categories: usize,
}

/// A feature's profile while the rows stream by.
#[derive(Debug, Clone)]
pub struct FeatureBuilder {
    name: String,
    rows: u64,
    nulls: u64,
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    Numeric {
        sample: Reservoir,
        min: f64,
        max: f64,
        sum: f64,
    },
    Categorical {
        counts: HashMap<String, u64>,
        overflow: u64,
    },
}

impl FeatureBuilder {
    /// A numeric feature; `seed` makes its sample reproducible.
    pub fn numeric(name: &str, settings: &BuildSettings, seed: u64) -> Self {
        Self::with_kind(
            name,
            Kind::Numeric {
                sample: Reservoir::new(settings.sample_capacity, seed),
                min: f64::INFINITY,
                max: f64::NEG_INFINITY,
                sum: 0.0,
            },
        )
    }

    /// A categorical feature.
    pub fn categorical(name: &str) -> Self {
        Self::with_kind(
            name,
            Kind::Categorical {
                counts: HashMap::new(),
                overflow: 0,
            },
        )
    }

    fn with_kind(name: &str, kind: Kind) -> Self {
        Self {
            name: name.to_string(),
            rows: 0,
            nulls: 0,
            kind,
        }
    }

    /// The feature's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Adds one row's value; the reason when a numeric feature gets a value that is not a number.
    pub fn add(&mut self, cell: Cell<'_>) -> Result<(), String> {
        self.rows += 1;
        match &mut self.kind {
            Kind::Numeric {
                sample,
                min,
                max,
                sum,
            } => match cell.as_number() {
                Ok(Some(v)) => {
                    sample.push(v);
                    *min = min.min(v);
                    *max = max.max(v);
                    *sum += v;
                }
                Ok(None) => self.nulls += 1,
                Err(crate::cell::NotANumber) => {
                    return Err(format!(
                        "numeric feature {:?} holds {cell:?}; list it in categorical_features if it is a category",
                        self.name
                    ))
                }
            },
            Kind::Categorical { counts, overflow } => cell.with_label(|label| match label {
                None => self.nulls += 1,
                Some(label) => {
                    let distinct = counts.len();
                    match counts.get_mut(label) {
                        Some(count) => *count += 1,
                        None if distinct < MAX_DISTINCT_CATEGORIES => {
                            counts.insert(label.to_string(), 1);
                        }
                        None => *overflow += 1,
                    }
                }
            }),
        }
        Ok(())
    }

    /// The finished profile.
    pub fn finish(self, settings: &BuildSettings) -> FeatureProfile {
        let rows = self.rows;
        let share = |count: u64| {
            if rows == 0 {
                0.0
            } else {
                count as f64 / rows as f64
            }
        };
        let distribution = match self.kind {
            Kind::Numeric {
                sample,
                min,
                max,
                sum,
            } => {
                let non_null = sample.seen();
                let exact = sample.is_exact();
                let sorted = sample.into_sorted();
                let mean = if non_null == 0 {
                    0.0
                } else {
                    sum / non_null as f64
                };
                numeric_profile(&sorted, share(non_null), settings, exact, (min, max, mean))
            }
            Kind::Categorical { counts, overflow } => {
                let mut ranked: Vec<(String, u64)> = counts.into_iter().collect();
                ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                let mut categories = Vec::new();
                let mut other = overflow;
                for (value, count) in ranked {
                    let proportion = share(count);
                    if categories.len() < settings.max_categories
                        && proportion >= settings.min_category_share
                    {
                        categories.push(CategoryShare { value, proportion });
                    } else {
                        other += count;
                    }
                }
                Distribution::Categorical(CategoricalProfile {
                    categories,
                    other_proportion: share(other),
                })
            }
        };
        FeatureProfile {
            name: self.name,
            rows,
            null_count: self.nulls,
            null_rate: share(self.nulls),
            distribution,
        }
    }
}

fn numeric_profile(
    sorted: &[f64],
    non_null_share: f64,
    settings: &BuildSettings,
    exact: bool,
    (min, max, mean): (f64, f64, f64),
) -> Distribution {
    let n = sorted.len();
    let edges = quantile_edges(sorted, settings.bins.max(1));
    let mut bin_counts = vec![0u64; edges.len() + 1];
    for &v in sorted {
        bin_counts[bin_index(&edges, v)] += 1;
    }
    let of_sample = |count: usize| if n == 0 { 0.0 } else { count as f64 / n as f64 };
    let grid = cdf_grid(sorted, settings.ks_grid.max(1));
    let cdf = grid
        .iter()
        .map(|&g| of_sample(count_at_most(sorted, g)))
        .collect();
    Distribution::Numeric(NumericProfile {
        bin_proportions: bin_counts
            .iter()
            .map(|&c| of_sample(c as usize) * non_null_share)
            .collect(),
        bin_edges: edges,
        cdf_grid: grid,
        cdf,
        sample_size: n as u64,
        exact,
        min: if n == 0 { 0.0 } else { min },
        max: if n == 0 { 0.0 } else { max },
        mean,
    })
}

/// The CDF grid of `sorted`: every distinct value when there are at most `size + 1`, else the
/// order statistics at ranks `round(k (n-1) / size)`, `k = 0..=size`, without repeats.
pub fn cdf_grid(sorted: &[f64], size: usize) -> Vec<f64> {
    let mut distinct = sorted.to_vec();
    distinct.dedup();
    if distinct.len() <= size + 1 {
        return distinct;
    }
    let last = (sorted.len() - 1) as f64;
    let mut grid: Vec<f64> = (0..=size)
        .map(|k| sorted[(k as f64 * last / size as f64).round() as usize])
        .collect();
    grid.dedup();
    grid
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> BuildSettings {
        BuildSettings {
            bins: 4,
            ks_grid: 1000,
            sample_capacity: 1000,
            min_category_share: 0.2,
            max_categories: 2,
        }
    }

    #[test]
    fn numeric_bins_and_null_rate_are_shares_of_all_rows() {
        let mut b = FeatureBuilder::numeric("x", &settings(), 1);
        for i in 1..=8 {
            b.add(Cell::Number(i as f64)).unwrap();
        }
        b.add(Cell::Null).unwrap();
        b.add(Cell::Text("")).unwrap();
        let p = b.finish(&settings());
        assert_eq!(p.null_count, 2);
        assert_eq!(p.null_rate, 0.2);
        let Distribution::Numeric(n) = &p.distribution else {
            panic!("not numeric")
        };
        // np.quantile(1..8, [.25, .5, .75]) == [2.75, 4.5, 6.25]
        assert_eq!(n.bin_edges, vec![2.75, 4.5, 6.25]);
        assert_eq!(n.bin_proportions, vec![0.2, 0.2, 0.2, 0.2]);
        assert_eq!(n.cdf_grid, (1..=8).map(f64::from).collect::<Vec<_>>());
        assert_eq!(n.cdf.last(), Some(&1.0));
        assert!(n.exact);
        assert_eq!((n.min, n.max, n.mean), (1.0, 8.0, 4.5));
        let total: f64 = p.expected().iter().sum();
        assert!((total - 1.0).abs() < 1e-12);
    }

    #[test]
    fn a_word_in_a_numeric_feature_is_refused_with_its_name() {
        let mut b = FeatureBuilder::numeric("price", &settings(), 1);
        let error = b.add(Cell::Text("cheap")).unwrap_err();
        assert!(error.contains("price"), "{error}");
    }

    #[test]
    fn rare_and_surplus_categories_are_pooled() {
        let mut b = FeatureBuilder::categorical("c");
        for label in ["a", "a", "a", "a", "b", "b", "b", "c", "c", "d"] {
            b.add(Cell::Text(label)).unwrap();
        }
        let p = b.finish(&settings());
        let Distribution::Categorical(c) = &p.distribution else {
            panic!("not categorical")
        };
        let kept: Vec<&str> = c.categories.iter().map(|c| c.value.as_str()).collect();
        // c has 20 % but max_categories is 2; d has 10 % < min share.
        assert_eq!(kept, ["a", "b"]);
        assert!((c.other_proportion - 0.3).abs() < 1e-12);
    }

    #[test]
    fn the_grid_thins_out_only_past_its_size() {
        let sorted: Vec<f64> = (0..101).map(f64::from).collect();
        assert_eq!(cdf_grid(&sorted, 100).len(), 101);
        let thin = cdf_grid(&sorted, 10);
        assert_eq!(
            thin,
            (0..=10).map(|k| f64::from(k * 10)).collect::<Vec<_>>()
        );
    }
}
