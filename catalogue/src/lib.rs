//! The model catalogue, `config/models.yaml`: every model the platform retrains, one entry each.
//! Typed here; the evaluation part is kept as the JSON object evaluate-model-metrics takes
//! (its request type is the one source of truth for those fields, and `pipelines validate`
//! checks every entry against it). No AWS, no I/O beyond reading the file.
#![forbid(unsafe_code)]

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// The catalogue as checked in, embedded at build time (the retraining pipeline's
/// `model-registry` step answers from it, so a deployed function and the file agree).
pub const EMBEDDED: &str = include_str!("../../config/models.yaml");

/// The catalogue's path from the project root.
pub const PATH: &str = "config/models.yaml";

/// Longest model name: the retraining pipeline's contract (`<env>-<model>-<32 hex>` within
/// SageMaker's 63 characters with an environment name of up to 8).
pub const MAX_MODEL_NAME: usize = 21;

/// The whole catalogue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    /// Model name → entry, in name order.
    pub models: BTreeMap<String, Model>,
}

/// One model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    /// What it predicts, for people.
    pub description: String,
    /// `regression`, `multiclass` or `binary`.
    pub task: String,
    /// evaluate-model-metrics' request fields for this model (columns, classes, gate, ...),
    /// without the per-run ones (`model_uri`, `predictions_uri`, `production_metrics`).
    pub evaluation: Map<String, Value>,
    /// Whether a person approves each version before it deploys.
    pub approval: Approval,
    /// The weekly retraining slot.
    pub schedule: Schedule,
    /// The feature table it trains on.
    pub features: Features,
    /// The drift monitor's thresholds.
    pub drift: Drift,
    /// How a candidate is validated on live traffic before it takes over (model-deployment);
    /// the defaults of [`Deployment`] when the entry has no `deployment` section.
    #[serde(default)]
    pub deployment: Deployment,
}

/// How model-deployment validates a candidate on live traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeploymentMode {
    /// Champion and challenger as production variants, the challenger's share raised in steps.
    Ab,
    /// The challenger as a shadow variant (a copy of live requests, answers discarded).
    Shadow,
}

/// A model's `deployment` section. Shares are percentages of production traffic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deployment {
    /// `ab` (default) or `shadow`.
    #[serde(default = "default_mode")]
    pub mode: DeploymentMode,
    /// A/B: the challenger's first share, 1–99 % (default 10).
    #[serde(default = "default_initial_share")]
    pub initial_share: u32,
    /// A/B: the later shares, increasing, each below 100 (default `[50]`); passing the last one
    /// promotes the challenger to 100 %.
    #[serde(default = "default_steps")]
    pub steps: Vec<u32>,
    /// The observation window after each change, in seconds (60–86,400; default 3,600).
    #[serde(default = "default_window_seconds")]
    pub window_seconds: u64,
    /// How many extra windows the guard may ask for (`wait`: too few invocations) before the
    /// candidate is rolled back for lack of evidence (0–24; default 2).
    #[serde(default = "default_max_waits")]
    pub max_waits: u32,
    /// The deployment-guard's guardrails (its `Guardrails` type decides; `pipelines validate`
    /// checks them): `min_invocations`, `max_error_rate_increase`, `significance`,
    /// `max_p99_latency_ratio`, optional `online_metric`.
    #[serde(default = "default_guardrails")]
    pub guardrails: Map<String, Value>,
}

fn default_mode() -> DeploymentMode {
    DeploymentMode::Ab
}
fn default_initial_share() -> u32 {
    10
}
fn default_steps() -> Vec<u32> {
    vec![50]
}
fn default_window_seconds() -> u64 {
    3600
}
fn default_max_waits() -> u32 {
    2
}
fn default_guardrails() -> Map<String, Value> {
    let mut g = Map::new();
    g.insert("min_invocations".into(), 1000.into());
    g.insert("max_error_rate_increase".into(), 0.01.into());
    g.insert("significance".into(), 0.05.into());
    g.insert("max_p99_latency_ratio".into(), 1.2.into());
    g
}

impl Default for Deployment {
    fn default() -> Self {
        Self {
            mode: default_mode(),
            initial_share: default_initial_share(),
            steps: default_steps(),
            window_seconds: default_window_seconds(),
            max_waits: default_max_waits(),
            guardrails: default_guardrails(),
        }
    }
}

impl Deployment {
    /// The rule a section breaks, if any (guardrails aside: their type lives in
    /// deployment-guard).
    pub fn check(&self) -> Result<(), String> {
        if !(1..=99).contains(&self.initial_share) {
            return Err(format!(
                "deployment.initial_share must be 1 to 99 (%), got {}",
                self.initial_share
            ));
        }
        let mut previous = self.initial_share;
        for step in &self.steps {
            if *step <= previous || *step >= 100 {
                return Err(format!(
                    "deployment.steps must increase from initial_share and stay below 100 (passing the last promotes to 100 %), got {:?} after {}",
                    self.steps, self.initial_share
                ));
            }
            previous = *step;
        }
        if !(60..=86_400).contains(&self.window_seconds) {
            return Err(format!(
                "deployment.window_seconds must be 60 to 86400, got {}",
                self.window_seconds
            ));
        }
        if self.max_waits > 24 {
            return Err(format!(
                "deployment.max_waits must be 0 to 24, got {}",
                self.max_waits
            ));
        }
        Ok(())
    }

    /// Every traffic share of the challenger in order: `initial_share`, then `steps`.
    pub fn shares(&self) -> Vec<u32> {
        std::iter::once(self.initial_share)
            .chain(self.steps.iter().copied())
            .collect()
    }

    /// The champion's weight beside each share (`100 - share`).
    pub fn champion_weights(&self) -> Vec<u32> {
        self.shares()
            .iter()
            .map(|s| 100u32.saturating_sub(*s))
            .collect()
    }
}

/// How a version that passes its gate is approved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Approval {
    /// Registered `Approved` and deployed at once.
    Auto,
    /// Registered `PendingManualApproval`; deployed once a person approves it.
    Manual,
}

/// An EventBridge Scheduler slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// `cron(...)` or `rate(...)`, as `ScheduleExpression`.
    pub expression: String,
    /// An IANA zone, as `ScheduleExpressionTimezone`.
    pub timezone: String,
}

/// The Glue Data Catalog table of a model's features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Features {
    /// The Glue database.
    pub database: String,
    /// The table.
    pub table: String,
    /// How old its newest partition (and the feature job's last successful run) may be at the
    /// run's scheduled time, in hours.
    pub max_age_hours: f64,
    /// The Glue job that fills the table; named `features-*` (the template's IAM grants
    /// `glue:GetJobRuns` on `job/features-*` only).
    pub job: String,
    /// Seconds the retraining pipeline waits before it checks stale features again.
    pub recheck_seconds: u32,
    /// How many checks in all before the pipeline fails with `FeaturesStale` (at least 1).
    pub max_checks: u32,
}

/// The prefix every feature job's name carries (the template's IAM scope).
pub const FEATURE_JOB_PREFIX: &str = "features-";

/// Population Stability Index thresholds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Drift {
    /// Worth a look.
    pub psi_warn: f64,
    /// Retrain.
    pub psi_act: f64,
    /// The features the drift baseline profiles as categories (category frequencies) rather
    /// than numbers (quantile bins); default: the evaluation's `segment_columns`.
    #[serde(default)]
    pub categorical_features: Option<Vec<String>>,
}

/// A catalogue that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    /// The file cannot be read.
    #[error("cannot read {path}: {message}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
    /// The YAML does not have the catalogue's shape.
    #[error("{path} is not a valid model catalogue: {message}")]
    Shape {
        /// The file.
        path: String,
        /// The parser's message (field and line).
        message: String,
    },
    /// An entry breaks a rule (name, task, thresholds).
    #[error("{path}: models.{model}: {message}")]
    Entry {
        /// The file.
        path: String,
        /// The model.
        model: String,
        /// What is wrong.
        message: String,
    },
}

impl Catalogue {
    /// Parses catalogue text; `path` names it in errors.
    pub fn parse(text: &str, path: &str) -> Result<Catalogue, CatalogueError> {
        let catalogue: Catalogue =
            serde_norway::from_str(text).map_err(|e| CatalogueError::Shape {
                path: path.into(),
                message: e.to_string(),
            })?;
        catalogue.check(path)?;
        Ok(catalogue)
    }

    /// Reads and parses the catalogue at `root/config/models.yaml`.
    pub fn load(root: &Path) -> Result<Catalogue, CatalogueError> {
        let path = root.join(PATH);
        let text = std::fs::read_to_string(&path).map_err(|e| CatalogueError::Read {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Catalogue::parse(&text, PATH)
    }

    /// The catalogue built into this binary.
    pub fn embedded() -> Result<Catalogue, CatalogueError> {
        Catalogue::parse(EMBEDDED, PATH)
    }

    /// The entry of `name`.
    pub fn model(&self, name: &str) -> Option<&Model> {
        self.models.get(name)
    }

    fn check(&self, path: &str) -> Result<(), CatalogueError> {
        if self.models.is_empty() {
            return Err(CatalogueError::Shape {
                path: path.into(),
                message: "models is empty".into(),
            });
        }
        for (name, model) in &self.models {
            let fail = |message: String| CatalogueError::Entry {
                path: path.into(),
                model: name.clone(),
                message,
            };
            if !valid_model_name(name) {
                return Err(fail(format!(
                    "the name must be lowercase letters, digits and single hyphens, at most {MAX_MODEL_NAME} characters"
                )));
            }
            if !["regression", "multiclass", "binary"].contains(&model.task.as_str()) {
                return Err(fail(format!(
                    "task {:?} is not regression, multiclass or binary",
                    model.task
                )));
            }
            for per_run in ["model_uri", "predictions_uri", "production_metrics", "task"] {
                if model.evaluation.contains_key(per_run) {
                    return Err(fail(format!(
                        "evaluation.{per_run} is set per run (task comes from the entry's task)"
                    )));
                }
            }
            if !model.evaluation.contains_key("gate") {
                return Err(fail(
                    "evaluation.gate is required: every model is gated".into(),
                ));
            }
            if model.features.max_age_hours.is_nan() || model.features.max_age_hours <= 0.0 {
                return Err(fail(
                    "features.max_age_hours must be a positive number".into(),
                ));
            }
            if !model.features.job.starts_with(FEATURE_JOB_PREFIX)
                || model.features.job.len() == FEATURE_JOB_PREFIX.len()
            {
                return Err(fail(format!(
                    "features.job must be named {FEATURE_JOB_PREFIX}<name> (the template grants glue:GetJobRuns on job/{FEATURE_JOB_PREFIX}*)"
                )));
            }
            if model.features.max_checks == 0 || model.features.recheck_seconds == 0 {
                return Err(fail(
                    "features.max_checks and features.recheck_seconds must be at least 1".into(),
                ));
            }
            model.deployment.check().map_err(fail)?;
            if !(0.0 < model.drift.psi_warn && model.drift.psi_warn <= model.drift.psi_act) {
                return Err(fail(
                    "drift: need 0 < psi_warn <= psi_act (0.1 and 0.25 are the usual values)"
                        .into(),
                ));
            }
        }
        Ok(())
    }
}

impl Model {
    /// The evaluation request of this model without the per-run fields: its `evaluation`
    /// plus `task`.
    pub fn evaluation_request(&self) -> Map<String, Value> {
        let mut request = self.evaluation.clone();
        request.insert("task".into(), Value::String(self.task.clone()));
        request
    }

    /// The features the drift baseline profiles as categories: `drift.categorical_features`,
    /// else the evaluation's `segment_columns` (strings only), else none.
    pub fn drift_categorical_features(&self) -> Vec<String> {
        if let Some(features) = &self.drift.categorical_features {
            return features.clone();
        }
        self.evaluation
            .get("segment_columns")
            .and_then(Value::as_array)
            .map(|columns| {
                columns
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The gate's metric name, when the gate names one.
    pub fn gate_metric(&self) -> Option<&str> {
        self.evaluation.get("gate")?.get("metric")?.as_str()
    }
}

/// [`valid_model_name`] with the reason functions give when they refuse a name: "model_name must
/// be 1-21 lowercase letters, digits and single inner hyphens, got \"...\"" (the name cut to 40
/// characters).
pub fn check_model_name(name: &str) -> Result<(), String> {
    if valid_model_name(name) {
        return Ok(());
    }
    let shown: String = name.chars().take(40).collect();
    Err(format!(
        "model_name must be 1-{MAX_MODEL_NAME} lowercase letters, digits and single inner hyphens, got {shown:?}"
    ))
}

/// The retraining pipeline's model name rule: `^[a-z0-9](-?[a-z0-9])*$`, at most 21 characters.
pub fn valid_model_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_MODEL_NAME
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_names_follow_the_retraining_contract() {
        for good in ["a", "demand-forecast", "m1", "abcdefghijklmnopqrstu"] {
            assert_eq!(check_model_name(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "Demand",
            "demand_forecast",
            "-a",
            "a-",
            "a--b",
            "abcdefghijklmnopqrstuv",
            "dé",
        ] {
            let reason = check_model_name(bad).unwrap_err();
            assert!(reason.starts_with("model_name must be 1-21 "), "{reason}");
            assert!(reason.ends_with(&format!("got {bad:?}")), "{reason}");
        }
        let long = "x".repeat(100);
        assert!(check_model_name(&long)
            .unwrap_err()
            .ends_with(&format!("got {:?}", &long[..40])));
    }

    #[test]
    fn a_model_without_a_deployment_section_gets_the_defaults_and_its_plan() {
        let text = "models:\n  m:\n    description: d\n    task: regression\n    evaluation: {actual_column: a, predicted_column: p, gate: {metric: mape, direction: lower_is_better, threshold: 15}}\n    approval: auto\n    schedule: {expression: cron(0 2 ? * SUN *), timezone: UTC}\n    features: {database: f, table: t, job: features-m, max_age_hours: 24, recheck_seconds: 600, max_checks: 3}\n    drift: {psi_warn: 0.1, psi_act: 0.25}\n";
        let catalogue = Catalogue::parse(text, "x").unwrap();
        let deployment = &catalogue.model("m").unwrap().deployment;
        assert_eq!(deployment.mode, DeploymentMode::Ab);
        assert_eq!(deployment.shares(), [10, 50]);
        assert_eq!(deployment.champion_weights(), [90, 50]);
        assert_eq!(deployment.guardrails["min_invocations"], 1000);
        let with = text.replace(
            "    drift:",
            "    deployment: {mode: shadow, window_seconds: 600}\n    drift:",
        );
        let deployment = &Catalogue::parse(&with, "x").unwrap().models["m"].deployment;
        assert_eq!(
            (deployment.mode, deployment.window_seconds),
            (DeploymentMode::Shadow, 600)
        );
        for (bad, field) in [
            ("{steps: [50, 40]}", "deployment.steps"),
            ("{steps: [100]}", "deployment.steps"),
            ("{initial_share: 0}", "deployment.initial_share"),
            ("{window_seconds: 5}", "deployment.window_seconds"),
            ("{max_waits: 99}", "deployment.max_waits"),
            ("{mode: canary}", "mode"),
        ] {
            let err = Catalogue::parse(
                &text.replace("    drift:", &format!("    deployment: {bad}\n    drift:")),
                "x",
            )
            .unwrap_err()
            .to_string();
            assert!(err.contains(field), "{bad}: {err}");
        }
    }

    #[test]
    fn the_checked_in_catalogue_has_the_three_kinds_of_model() {
        let catalogue = Catalogue::embedded().unwrap();
        let tasks: Vec<&str> = catalogue.models.values().map(|m| m.task.as_str()).collect();
        for task in ["regression", "multiclass", "binary"] {
            assert!(tasks.contains(&task), "no {task} model");
        }
        let forecast = catalogue.model("demand-forecast").unwrap();
        assert_eq!(forecast.gate_metric(), Some("mape"));
        assert_eq!(forecast.evaluation_request()["task"], "regression");
    }

    #[test]
    fn entries_breaking_a_rule_are_refused_with_the_model_named() {
        let entry = |name: &str, body: &str| {
            format!(
                "models:\n  {name}:\n    description: d\n{body}\n    approval: auto\n    schedule: {{expression: cron(0 2 ? * SUN *), timezone: UTC}}\n    features: {{database: f, table: t, max_age_hours: 24, job: features-t, recheck_seconds: 60, max_checks: 2}}\n    drift: {{psi_warn: 0.1, psi_act: 0.25}}\n"
            )
        };
        let ok = "    task: regression\n    evaluation: {actual_column: a, predicted_column: p, gate: {metric: mape, direction: lower_is_better, threshold: 15}}";
        assert!(Catalogue::parse(&entry("m", ok), "x").is_ok());
        let err = Catalogue::parse(&entry("Bad_Name", ok), "x")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("models.Bad_Name") && err.contains("lowercase"),
            "{err}"
        );
        let err = Catalogue::parse(&entry("m", &ok.replace("regression", "ranking")), "x")
            .unwrap_err()
            .to_string();
        assert!(err.contains("ranking"), "{err}");
        let no_gate =
            "    task: regression\n    evaluation: {actual_column: a, predicted_column: p}";
        let err = Catalogue::parse(&entry("m", no_gate), "x")
            .unwrap_err()
            .to_string();
        assert!(err.contains("gate is required"), "{err}");
        let bad_job = entry("m", ok).replace("job: features-t", "job: etl-t");
        let err = Catalogue::parse(&bad_job, "x").unwrap_err().to_string();
        assert!(err.contains("features.job"), "{err}");
        let no_checks = entry("m", ok).replace("max_checks: 2", "max_checks: 0");
        let err = Catalogue::parse(&no_checks, "x").unwrap_err().to_string();
        assert!(err.contains("max_checks"), "{err}");
        let typo = entry("m", ok).replace("approval: auto", "aproval: auto");
        assert!(Catalogue::parse(&typo, "x")
            .unwrap_err()
            .to_string()
            .contains("aproval"));
    }
}
