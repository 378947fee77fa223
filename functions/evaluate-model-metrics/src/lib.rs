//! `evaluate-model-metrics`: the Lambda task of the retraining pipeline that measures a
//! candidate model on its evaluation predictions.
//!
//! It streams a CSV or JSON Lines file (optionally gzip) from S3 or a local path, never holding
//! it whole, and computes the task's metrics overall and per segment: for a regression MAPE,
//! WAPE, sMAPE, MAE, RMSE, bias and R² ([`stats`]); for a multiclass classifier accuracy,
//! per-class and averaged precision/recall/F1, the confusion matrix, log loss and top-k
//! accuracy ([`classes`]); for a binary scorer precision/recall/F1 at a threshold, ROC-AUC,
//! average precision and the best-F1 threshold ([`scores`]). It then judges the candidate by
//! its quality gate and compares it with the production model ([`gate`]). See
//! [`input::EvaluateInput`] and [`output::EvaluateOutput`] for the contract the state machine
//! relies on.
#![forbid(unsafe_code)]

pub mod block_parser;
pub mod blocks;
pub mod classes;
pub mod csv;
pub mod error;
pub mod gate;
pub mod input;
pub mod jsonl;
pub mod output;
pub mod parallel;
pub mod plain;
pub mod pool;
pub mod rows;
pub mod scores;
pub mod segment_index;
pub mod stats;
pub mod tally;

use block_parser::BlockParser;
use blocks::BlockSource;
use error::EvaluateError;
use input::{
    Direction, EvaluateInput, Format, Task, DEFAULT_POSITIVE_LABEL, DEFAULT_THRESHOLD,
    DEFAULT_WORST_SEGMENTS,
};
use output::{EvaluateOutput, NamedMetrics, RowCounts, SegmentSummary};
use parallel::{Plan, Split};
use rows::{BinaryLabels, Columns, RowTask};
use shared::metrics::{MetricsLogger, Unit};
use shared::storage::{self, Compression, ObjectUri};
use tally::{rank_segments, GroupStats, Groups, Ranking, Tally};

/// The function's name: the `Service` metric dimension.
pub const SERVICE: &str = "evaluate-model-metrics";

/// What the handler needs, built once per cold start.
#[derive(Debug, Clone, Default)]
pub struct Deps {
    s3: Option<aws_sdk_s3::Client>,
}

impl Deps {
    /// Clients from the standard AWS configuration (honours `AWS_ENDPOINT_URL`).
    pub async fn from_env() -> Self {
        let config = shared::aws::load_config().await;
        Self::with_s3(shared::aws::s3_client(&config))
    }

    /// Dependencies with the given S3 client.
    pub fn with_s3(s3: aws_sdk_s3::Client) -> Self {
        Self { s3: Some(s3) }
    }

    /// Dependencies for `file://` predictions only: no AWS client at all.
    pub fn local() -> Self {
        Self { s3: None }
    }
}

/// The Lambda entry point: decodes the event, then [`evaluate`]s it.
pub async fn handle(
    deps: &Deps,
    event: serde_json::Value,
) -> Result<EvaluateOutput, EvaluateError> {
    let input: EvaluateInput =
        serde_json::from_value(event).map_err(|e| EvaluateError::InvalidInput(e.to_string()))?;
    evaluate(deps, input).await
}

/// Evaluates the predictions that `input` names.
pub async fn evaluate(deps: &Deps, input: EvaluateInput) -> Result<EvaluateOutput, EvaluateError> {
    let started = std::time::Instant::now();
    input.validate().map_err(EvaluateError::InvalidInput)?;
    let uri = ObjectUri::parse(&input.predictions_uri)?;
    let compression = input
        .compression
        .unwrap_or_else(|| Compression::infer(uri.file_name()));
    let format = input
        .format
        .or_else(|| Format::infer(uri.file_name()))
        .ok_or_else(|| {
            EvaluateError::InvalidInput(format!(
                "cannot tell the format of {:?} from its name: set \"format\" to \"csv\" or \"jsonl\"",
                uri.file_name()
            ))
        })?;
    let columns = columns_for(&input);
    let tally = match format {
        Format::Csv => {
            tally(deps, &uri, compression, || {
                csv::CsvTallier::new(uri.to_string(), columns.clone())
            })
            .await?
        }
        Format::Jsonl => {
            tally(deps, &uri, compression, || {
                jsonl::JsonlTallier::new(uri.to_string(), columns.clone())
            })
            .await?
        }
    };
    let output = summarise(&input, &tally)?;
    emit_metrics(&output, started.elapsed());
    Ok(output)
}

/// Reads `uri` with a fresh parser from `new_parser` on every core. If a quoted field spanned
/// two blocks that went to different threads (CSV only: a JSON string cannot hold a raw line
/// break), the input is read again with quoted blocks parsed in order.
pub async fn tally<P: BlockParser>(
    deps: &Deps,
    uri: &ObjectUri,
    compression: Compression,
    new_parser: impl Fn() -> P,
) -> Result<Tally, EvaluateError> {
    let mut plan = Plan::default();
    loop {
        let source = open_blocks(deps, uri, compression).await?;
        match parallel::tally_blocks(source, uri, new_parser(), plan).await? {
            Split::Done(tally) => return Ok(tally),
            Split::Lost if plan.split_quoted => {
                tracing::info!(%uri, "a quoted field spans blocks: reading again, quoted blocks in order");
                plan.split_quoted = false;
            }
            // Without quoted blocks the threads only get quote-free ones, which always end on a
            // record boundary: kept as an error rather than a loop, should that ever change.
            Split::Lost => {
                return Err(EvaluateError::CorruptInput(format!(
                    "the records of {uri} could not be split between threads"
                )))
            }
        }
    }
}

/// The input as blocks: a plain local file by blocking reads, anything else as a stream.
async fn open_blocks(
    deps: &Deps,
    uri: &ObjectUri,
    compression: Compression,
) -> Result<BlockSource, EvaluateError> {
    Ok(match (uri, compression) {
        (ObjectUri::File(path), Compression::None) => {
            BlockSource::File(storage::open_file(uri, path)?)
        }
        _ => BlockSource::Stream(storage::open(uri, compression, deps.s3.as_ref()).await?),
    })
}

/// The columns `input` names and how its rows are read.
pub fn columns_for(input: &EvaluateInput) -> Columns {
    let (scores, task) = match input.task {
        Task::Regression => (Vec::new(), RowTask::Regression),
        Task::Multiclass => {
            let classes = input.classes.clone().unwrap_or_default();
            let scores = input
                .probability_columns
                .as_ref()
                .map(|by_class| {
                    classes
                        .iter()
                        .filter_map(|c| by_class.get(c).cloned())
                        .collect()
                })
                .unwrap_or_default();
            let top_k = input.top_k;
            (scores, RowTask::Multiclass { classes, top_k })
        }
        Task::Binary => {
            let positive = input
                .positive_label
                .as_deref()
                .unwrap_or(DEFAULT_POSITIVE_LABEL);
            let task = RowTask::Binary {
                labels: BinaryLabels::for_positive(positive),
                threshold: input.threshold.unwrap_or(DEFAULT_THRESHOLD),
            };
            (input.score_column.iter().cloned().collect(), task)
        }
    };
    Columns {
        actual: input.actual_column.clone(),
        predicted: input.predicted_column.clone(),
        scores,
        segments: input.segment_columns.clone(),
        task,
    }
}

/// The overall metrics of a task's statistics by name (`None`: no rows).
type Summarise<'a, S> = &'a dyn Fn(&S) -> Option<NamedMetrics>;

/// The segment summary of `groups`: each segment's metrics by `named`, ranked by the gate's
/// metric, or by `default` (metric, lower is better) without a gate.
fn segments_of<S: GroupStats>(
    input: &EvaluateInput,
    groups: &Groups<S>,
    named: Summarise<'_, S>,
    rows: fn(&S) -> u64,
    default: (&str, bool),
) -> SegmentSummary {
    let ranking = match &input.gate {
        Some(gate) => Ranking {
            metric: gate.metric.clone(),
            lower_is_better: gate.direction == Direction::LowerIsBetter,
        },
        None => Ranking {
            metric: default.0.into(),
            lower_is_better: default.1,
        },
    };
    let ranked = groups
        .segments()
        .filter_map(|(key, stats)| named(stats).map(|m| (key, rows(stats), m)))
        .collect();
    rank_segments(
        &input.segment_columns,
        groups.segment_count(),
        ranked,
        &ranking,
        input.worst_segments.unwrap_or(DEFAULT_WORST_SEGMENTS),
    )
}

/// Turns a tally into the result, judging the gate and comparing with the production model.
pub fn summarise(input: &EvaluateInput, tally: &Tally) -> Result<EvaluateOutput, EvaluateError> {
    let empty = || EvaluateError::EmptyPredictions {
        uri: input.predictions_uri.clone(),
    };
    let mut output = EvaluateOutput {
        model_uri: input.model_uri.clone(),
        model_name: input.model_name.clone(),
        predictions_uri: input.predictions_uri.clone(),
        task: input.task,
        mape: None,
        wape: None,
        smape: None,
        mae: None,
        rmse: None,
        bias: None,
        r2: None,
        metrics: NamedMetrics::new(),
        classification: None,
        binary: None,
        gate: None,
        rows: RowCounts {
            total: tally.rows(),
            evaluated: tally.rows(),
            zero_actual_skipped: 0,
        },
        segments: SegmentSummary {
            columns: input.segment_columns.clone(),
            count: 0,
            worst: Vec::new(),
        },
        production_metrics: input.production_metrics.clone(),
        beats_production: true,
    };
    match input.task {
        Task::Regression => {
            let metrics = tally.overall().metrics().ok_or_else(empty)?;
            if metrics.mape.is_none() || metrics.wape.is_none() {
                return Err(EvaluateError::MapeUndefined {
                    uri: input.predictions_uri.clone(),
                    rows: metrics.rows,
                });
            }
            output.mape = metrics.mape;
            output.wape = metrics.wape;
            output.smape = Some(metrics.smape);
            output.mae = Some(metrics.mae);
            output.rmse = Some(metrics.rmse);
            output.bias = Some(metrics.bias);
            output.r2 = metrics.r2;
            output.metrics = metrics.named();
            output.rows = RowCounts {
                total: metrics.rows,
                evaluated: metrics.rows - metrics.zero_actual_rows,
                zero_actual_skipped: metrics.zero_actual_rows,
            };
            let named = |s: &stats::ErrorStats| s.metrics().map(|m| m.named());
            output.segments = segments_of(
                input,
                &tally.regression,
                &named,
                |s| s.rows(),
                ("mape", true),
            );
        }
        Task::Multiclass => {
            let (probabilities, top_k) = (input.probability_columns.is_some(), input.top_k);
            let named = |s: &classes::ClassStats| s.metrics(probabilities, top_k.is_some());
            let overall = tally.classes.overall();
            output.metrics = named(&overall).ok_or_else(empty)?;
            let names = input.classes.clone().unwrap_or_default();
            output.classification = Some(overall.detail(&names, top_k));
            output.segments = segments_of(
                input,
                &tally.classes,
                &named,
                |s| s.rows(),
                ("accuracy", false),
            );
        }
        Task::Binary => {
            let threshold = input.threshold.unwrap_or(DEFAULT_THRESHOLD);
            let positive = input
                .positive_label
                .as_deref()
                .unwrap_or(DEFAULT_POSITIVE_LABEL);
            let overall = tally.scores.overall_kept().ok_or_else(empty)?;
            let (metrics, detail) = overall.metrics(threshold, positive).ok_or_else(empty)?;
            output.metrics = metrics;
            output.binary = Some(detail);
            let named = |s: &scores::ScoreStats| s.metrics(threshold, positive).map(|m| m.0);
            output.segments =
                segments_of(input, &tally.scores, &named, |s| s.rows(), ("f1", false));
        }
    }
    let production = input.production_metrics.as_ref();
    output.gate = input
        .gate
        .as_ref()
        .map(|g| gate::judge(g, &output.metrics, production));
    output.beats_production = match &output.gate {
        Some(verdict) => verdict.beats_production,
        None => match (output.mape, production.and_then(|p| p.get("mape"))) {
            (_, None) => true,
            (Some(mape), Some(theirs)) => mape < theirs,
            (None, Some(_)) => false,
        },
    };
    Ok(output)
}

/// CloudWatch metric name of a result metric: `roc_auc` → `RocAuc`.
fn metric_name(name: &str) -> String {
    name.split('_')
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn emit_metrics(output: &EvaluateOutput, elapsed: std::time::Duration) {
    let model = output.model_name.as_deref().unwrap_or("unknown");
    let Ok(mut metrics) = MetricsLogger::new(SERVICE).dimension("Model", model) else {
        return;
    };
    for (name, value) in &output.metrics {
        let unit = match name.as_str() {
            "mape" | "wape" | "smape" => Unit::Percent,
            _ => Unit::None,
        };
        if let Some(value) = value {
            metrics.put(&metric_name(name), *value, unit);
        }
    }
    metrics.put("RowsEvaluated", output.rows.total as f64, Unit::Count);
    metrics.put(
        "ZeroActualRows",
        output.rows.zero_actual_skipped as f64,
        Unit::Count,
    );
    metrics.put(
        "BeatsProduction",
        f64::from(u8::from(output.beats_production)),
        Unit::Count,
    );
    if let Some(gate) = &output.gate {
        metrics.put("GatePassed", f64::from(u8::from(gate.passed)), Unit::Count);
    }
    metrics.put(
        "EvaluationDuration",
        elapsed.as_secs_f64() * 1000.0,
        Unit::Milliseconds,
    );
    metrics.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event_for(path: &std::path::Path) -> serde_json::Value {
        serde_json::json!({
            "model_uri": "s3://models/m.tar.gz",
            "predictions_uri": format!("file://{}", path.display()),
            "actual_column": "actual",
            "predicted_column": "prediction",
            "segment_columns": ["store_id"]
        })
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn quoted_line_breaks_across_blocks_are_read_again_in_order_with_the_same_result() {
        shared::metrics::set_sink(shared::metrics::Sink::Discard);
        // Over two 4 MiB blocks, every store id quoted, and in one file each holds a line break,
        // so a block ends inside a quoted field and the handler must read the file again.
        let dir = tempfile::tempdir().unwrap();
        let (mut plain, mut broken) = (String::new(), String::new());
        for text in [&mut plain, &mut broken] {
            text.push_str("store_id,actual,prediction\n");
        }
        let mut i: u64 = 0;
        while plain.len() < 9 << 20 {
            let (actual, predicted) = (1 + i % 97, 2 + i % 89);
            plain.push_str(&format!("\"s{}\",{actual},{predicted}\n", i % 13));
            broken.push_str(&format!("\"s\n{}\",{actual},{predicted}\n", i % 13));
            i += 1;
        }
        let mut outputs = Vec::new();
        for (name, text) in [("plain.csv", &plain), ("broken.csv", &broken)] {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            outputs.push(handle(&Deps::local(), event_for(&path)).await.unwrap());
        }
        let (plain, broken) = (&outputs[0], &outputs[1]);
        assert_eq!(plain.rows.total, i);
        assert_eq!(broken.rows.total, i);
        assert_eq!(plain.segments.count, broken.segments.count);
        // The same rows, summed in another order (in parallel vs in order): equal but for the
        // last bits.
        for (a, b) in [
            (plain.mape, broken.mape),
            (plain.wape, broken.wape),
            (plain.rmse, broken.rmse),
        ] {
            let (a, b) = (a.unwrap(), b.unwrap());
            assert!((a - b).abs() <= 1e-9 * a.abs(), "{a} vs {b}");
        }
    }
}
