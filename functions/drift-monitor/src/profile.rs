//! The baseline profile: what the training data looked like, per feature, stored as JSON next to
//! the model artefacts. Schema version 1:
//!
//! ```json
//! {"schema_version": 1, "model_name": "demand-forecast", "source_uri": "s3://…/train.csv.gz",
//!  "created_at": "2026-11-29T02:10:00Z", "rows": 250000,
//!  "features": [
//!    {"name": "price", "kind": "numeric", "rows": 250000, "null_count": 12, "null_rate": 0.000048,
//!     "bin_edges": [9 inner edges], "bin_proportions": [10 shares of all rows],
//!     "cdf_grid": [≤ 1001 values], "cdf": [F(value) for each], "sample_size": 200000,
//!     "exact": false, "min": 0.5, "max": 412.0, "mean": 37.2},
//!    {"name": "store_type", "kind": "categorical", "rows": 250000, "null_count": 0, "null_rate": 0.0,
//!     "categories": [{"value": "urban", "proportion": 0.61}, …], "other_proportion": 0.004}],
//!  "prediction": {… one profile like the above, or null}}
//! ```
//!
//! Proportions are shares of all rows, nulls included: the bins (or categories, `__other__`)
//! plus `null_rate` sum to 1. `bin_edges` are inner edges of right-closed bins `(e[i-1], e[i]]`.
//! `cdf_grid`/`cdf` carry the baseline's distribution for the Kolmogorov–Smirnov statistic:
//! every distinct baseline value when there are at most `ks_grid + 1` of them (KS then exact),
//! else the order statistics at ranks `k/ks_grid` (KS within about `1/ks_grid` of exact).

use serde::{Deserialize, Serialize};

/// The profile format's version; a breaking change bumps it.
pub const BASELINE_SCHEMA_VERSION: u32 = 1;
/// The label that rare (and, when monitoring, unseen) categories are pooled under.
pub const OTHER_CATEGORY: &str = "__other__";

/// A model's baseline profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// [`BASELINE_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The model it describes.
    pub model_name: String,
    /// The model version, when the caller named it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_version: Option<String>,
    /// The training data it was built from.
    pub source_uri: String,
    /// When it was built (RFC 3339).
    pub created_at: String,
    /// Rows read.
    pub rows: u64,
    /// One profile per feature, in the order the live CSV requests list them.
    pub features: Vec<FeatureProfile>,
    /// The profile of the model's output, when the training data held a prediction column.
    #[serde(default)]
    pub prediction: Option<FeatureProfile>,
}

/// One feature's profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureProfile {
    /// The feature (column) name.
    pub name: String,
    /// Rows that had this feature's column (all rows of the training data).
    pub rows: u64,
    /// Rows where it was missing.
    pub null_count: u64,
    /// `null_count / rows`.
    pub null_rate: f64,
    /// The distribution.
    #[serde(flatten)]
    pub distribution: Distribution,
}

/// A numeric or categorical distribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Distribution {
    /// Quantile bins and a CDF grid.
    Numeric(NumericProfile),
    /// Category shares.
    Categorical(CategoricalProfile),
}

/// A numeric feature's distribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumericProfile {
    /// Inner edges of the quantile bins (ascending, distinct); `len + 1` bins.
    pub bin_edges: Vec<f64>,
    /// Share of all rows in each bin.
    pub bin_proportions: Vec<f64>,
    /// Points of the CDF grid (ascending, distinct; first = minimum, last = maximum).
    pub cdf_grid: Vec<f64>,
    /// `F(x)`: the share of non-null values at most each grid point.
    pub cdf: Vec<f64>,
    /// Values the edges and CDF were computed from.
    pub sample_size: u64,
    /// Whether the sample held every non-null value (edges and CDF exact).
    pub exact: bool,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Mean of the sample.
    pub mean: f64,
}

/// A categorical feature's distribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoricalProfile {
    /// The frequent categories, most frequent first, with their share of all rows.
    pub categories: Vec<CategoryShare>,
    /// Share of all rows in rarer categories, pooled under [`OTHER_CATEGORY`].
    pub other_proportion: f64,
}

/// One category's share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryShare {
    /// The category label.
    pub value: String,
    /// Its share of all rows.
    pub proportion: f64,
}

impl FeatureProfile {
    /// The expected proportions in PSI bin order: the bins (or categories then `__other__`),
    /// then the null bin.
    pub fn expected(&self) -> Vec<f64> {
        let mut shares = match &self.distribution {
            Distribution::Numeric(n) => n.bin_proportions.clone(),
            Distribution::Categorical(c) => {
                let mut v: Vec<f64> = c.categories.iter().map(|c| c.proportion).collect();
                v.push(c.other_proportion);
                v
            }
        };
        shares.push(self.null_rate);
        shares
    }

    /// Checks the invariants monitoring relies on; the reason when one is broken.
    pub fn validate(&self) -> Result<(), String> {
        let fail = |m: &str| Err(format!("feature {:?}: {m}", self.name));
        if !(0.0..=1.0).contains(&self.null_rate) {
            return fail("null_rate outside [0, 1]");
        }
        if let Distribution::Numeric(n) = &self.distribution {
            let ascending = |v: &[f64]| v.windows(2).all(|w| w[0] < w[1]);
            if n.bin_proportions.len() != n.bin_edges.len() + 1 {
                return fail("bin_proportions must have one more entry than bin_edges");
            }
            if !ascending(&n.bin_edges) || !ascending(&n.cdf_grid) {
                return fail("bin_edges and cdf_grid must be strictly ascending");
            }
            if n.cdf.len() != n.cdf_grid.len() {
                return fail("cdf and cdf_grid must have the same length");
            }
            if n.bin_edges
                .iter()
                .chain(&n.cdf_grid)
                .any(|v| !v.is_finite())
            {
                return fail("edges and grid points must be finite");
            }
        }
        Ok(())
    }
}

impl Baseline {
    /// Checks the version and every profile.
    pub fn validate(&self) -> Result<(), String> {
        if self.schema_version != BASELINE_SCHEMA_VERSION {
            return Err(format!(
                "schema_version {} (expected {BASELINE_SCHEMA_VERSION})",
                self.schema_version
            ));
        }
        if self.features.is_empty() {
            return Err("no features".into());
        }
        self.features
            .iter()
            .chain(self.prediction.iter())
            .try_for_each(FeatureProfile::validate)
    }
}
