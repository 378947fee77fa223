//! Gathers the week: per workflow from `AWS/States`, per model from the registry and the drift
//! monitor's metrics, and the data-quality function's metrics. Every number is `Option`: `None`
//! is "no data" (no datapoints, or the source could not be read), never zero.

use crate::metrics::{dimension_values, Batch, Query};
use crate::registry::{self, RegistryWeek};
use crate::Deps;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// Namespace of the Step Functions metrics.
pub const STATES_NAMESPACE: &str = "AWS/States";
/// The drift monitor's `Service` dimension (functions/drift-monitor).
pub const DRIFT_SERVICE: &str = "drift-monitor";
/// The data-quality function's `Service` dimension (functions/data-quality).
pub const DATA_QUALITY_SERVICE: &str = "data-quality";

/// A workflow the report covers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Workflow {
    /// Its short name, e.g. `ml-retraining`.
    pub name: String,
    /// The state machine's ARN (the `StateMachineArn` dimension).
    pub arn: String,
    /// State transitions of one execution, when known (CloudWatch has no per-state-machine
    /// transition count; `pipelines cost` measures it from a local run).
    pub transitions_per_execution: Option<u64>,
}

/// One workflow's week.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkflowWeek {
    /// The workflow.
    pub workflow: Workflow,
    /// `ExecutionsStarted`.
    pub started: Option<f64>,
    /// `ExecutionsSucceeded`.
    pub succeeded: Option<f64>,
    /// `ExecutionsFailed`.
    pub failed: Option<f64>,
    /// `ExecutionsTimedOut`.
    pub timed_out: Option<f64>,
    /// `ExecutionsAborted`.
    pub aborted: Option<f64>,
    /// p50 of `ExecutionTime`, ms.
    pub p50_ms: Option<f64>,
    /// p95 of `ExecutionTime`, ms.
    pub p95_ms: Option<f64>,
    /// Started executions × transitions per execution.
    pub transitions: Option<f64>,
    /// Transitions × the Standard price (list price, before the free tier), USD.
    pub cost_usd: Option<f64>,
}

/// One model's week.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelWeek {
    /// The catalogue name.
    pub name: String,
    /// Its package group (`<env>-<model>`).
    pub group: String,
    /// The registry's record, or why it could not be read.
    pub registry: Result<RegistryWeek, String>,
    /// Drift-monitor runs that detected drift (`DriftDetected` sum).
    pub drift_detected_runs: Option<f64>,
    /// Most features drifted in one run (`FeaturesDrifted` maximum).
    pub max_features_drifted: Option<f64>,
    /// Each monitored feature's highest PSI of the week (`Psi` maximum), sorted by name.
    pub psi: Vec<(String, Option<f64>)>,
    /// The catalogue's PSI levels (warn, act).
    pub psi_levels: (f64, f64),
}

/// One data-quality check that failed during the week.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailingCheck {
    /// `database.table`.
    pub table: String,
    /// The check's name.
    pub check: String,
    /// Runs in which it failed (`CheckFailed` sum).
    pub failures: f64,
}

/// The data-quality week.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataQualityWeek {
    /// `ChecksRun` sum.
    pub checks_run: Option<f64>,
    /// `ChecksFailed` sum.
    pub checks_failed: Option<f64>,
    /// `ChecksErrored` sum.
    pub checks_errored: Option<f64>,
    /// The checks that failed, most failures first.
    pub failing: Vec<FailingCheck>,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The environment.
    pub environment: String,
    /// First instant of the week (inclusive).
    pub start: DateTime<Utc>,
    /// Last instant (exclusive).
    pub end: DateTime<Utc>,
    /// Per workflow.
    pub workflows: Vec<WorkflowWeek>,
    /// Per model.
    pub models: Vec<ModelWeek>,
    /// Data quality.
    pub data_quality: DataQualityWeek,
    /// The price of one Standard transition used, USD, and the date it was read.
    pub transition_price: (f64, String),
    /// Why the metrics could not be read, if they could not.
    pub metrics_failure: Option<String>,
    /// Why the duration percentiles could not be read, if they could not.
    pub durations_failure: Option<String>,
}

impl Report {
    /// The week's estimated Step Functions cost, when any workflow's is known.
    pub fn total_cost_usd(&self) -> Option<f64> {
        let known: Vec<f64> = self.workflows.iter().filter_map(|w| w.cost_usd).collect();
        (!known.is_empty()).then(|| known.iter().sum())
    }
}

/// Reads every source for `[start, end)`.
pub async fn gather(deps: &Deps, start: DateTime<Utc>, end: DateTime<Utc>) -> Report {
    let s = &deps.settings;
    let cw = &deps.cloudwatch;
    let ns = s.metrics_namespace.as_str();
    let mut batch = Batch::default();
    let states = |name: &str, arn: &str, stat: &str| {
        Query::new(STATES_NAMESPACE, name, &[("StateMachineArn", arn)], stat)
    };
    let workflow_ids: Vec<[usize; 7]> = s
        .workflows
        .iter()
        .map(|w| {
            [
                batch.add(states("ExecutionsStarted", &w.arn, "Sum")),
                batch.add(states("ExecutionsSucceeded", &w.arn, "Sum")),
                batch.add(states("ExecutionsFailed", &w.arn, "Sum")),
                batch.add(states("ExecutionsTimedOut", &w.arn, "Sum")),
                batch.add(states("ExecutionsAborted", &w.arn, "Sum")),
                batch.add(states("ExecutionTime", &w.arn, "p50")),
                batch.add(states("ExecutionTime", &w.arn, "p95")),
            ]
        })
        .collect();
    let mut model_ids = Vec::new();
    for model in &s.models {
        let dims = [("Service", DRIFT_SERVICE), ("Model", model.as_str())];
        let features = dimension_values(cw, ns, "Psi", &dims, "Feature").await;
        let psi: Vec<(String, usize)> = features
            .into_iter()
            .map(|f| {
                let q = Query::new(
                    ns,
                    "Psi",
                    &[dims[0], dims[1], ("Feature", f.as_str())],
                    "Maximum",
                );
                (f.clone(), batch.add(q))
            })
            .collect();
        model_ids.push((
            batch.add(Query::new(ns, "DriftDetected", &dims, "Sum")),
            batch.add(Query::new(ns, "FeaturesDrifted", &dims, "Maximum")),
            psi,
        ));
    }
    let dq = [("Service", DATA_QUALITY_SERVICE)];
    let dq_ids = [
        batch.add(Query::new(ns, "ChecksRun", &dq, "Sum")),
        batch.add(Query::new(ns, "ChecksFailed", &dq, "Sum")),
        batch.add(Query::new(ns, "ChecksErrored", &dq, "Sum")),
    ];
    let mut check_ids = Vec::new();
    for table in dimension_values(cw, ns, "CheckFailed", &dq, "Table").await {
        let fixed = [dq[0], ("Table", table.as_str())];
        for check in dimension_values(cw, ns, "CheckFailed", &fixed, "Check").await {
            let q = Query::new(
                ns,
                "CheckFailed",
                &[fixed[0], fixed[1], ("Check", check.as_str())],
                "Sum",
            );
            check_ids.push((table.clone(), check, batch.add(q)));
        }
    }
    let answers = batch.read(cw, start, end).await;
    let price = s.prices.standard_transition_usd;
    let workflows = s
        .workflows
        .iter()
        .zip(workflow_ids)
        .map(|(w, ids)| {
            let started = answers.get(ids[0]);
            let transitions = started
                .zip(w.transitions_per_execution)
                .map(|(n, per)| n * per as f64);
            WorkflowWeek {
                workflow: w.clone(),
                started,
                succeeded: answers.get(ids[1]),
                failed: answers.get(ids[2]),
                timed_out: answers.get(ids[3]),
                aborted: answers.get(ids[4]),
                p50_ms: answers.get(ids[5]),
                p95_ms: answers.get(ids[6]),
                transitions,
                cost_usd: transitions.map(|t| t * price),
            }
        })
        .collect();
    let mut models = Vec::new();
    for (model, (drift, drifted, psi)) in s.models.iter().zip(model_ids) {
        let group = format!("{}-{model}", s.environment);
        let levels = deps
            .catalogue
            .model(model)
            .map(|m| (m.drift.psi_warn, m.drift.psi_act))
            .unwrap_or((0.1, 0.25));
        models.push(ModelWeek {
            registry: registry::week(&deps.sagemaker, &group, start, end).await,
            name: model.clone(),
            group,
            drift_detected_runs: answers.get(drift),
            max_features_drifted: answers.get(drifted),
            psi: psi.into_iter().map(|(f, i)| (f, answers.get(i))).collect(),
            psi_levels: levels,
        });
    }
    let mut failing: Vec<FailingCheck> = check_ids
        .into_iter()
        .filter_map(|(table, check, i)| {
            answers
                .get(i)
                .filter(|n| *n > 0.0)
                .map(|failures| FailingCheck {
                    table,
                    check,
                    failures,
                })
        })
        .collect();
    failing.sort_by(|a, b| {
        b.failures
            .total_cmp(&a.failures)
            .then(a.check.cmp(&b.check))
    });
    Report {
        environment: s.environment.clone(),
        start,
        end,
        workflows,
        models,
        data_quality: DataQualityWeek {
            checks_run: answers.get(dq_ids[0]),
            checks_failed: answers.get(dq_ids[1]),
            checks_errored: answers.get(dq_ids[2]),
            failing,
        },
        transition_price: (price, s.prices.read_on.clone()),
        metrics_failure: answers.failure,
        durations_failure: answers.percentile_failure,
    }
}
