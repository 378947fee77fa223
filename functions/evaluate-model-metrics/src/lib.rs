//! `evaluate-model-metrics`: the Lambda task of the retraining pipeline that measures a
//! candidate model on its evaluation predictions.
//!
//! It streams a CSV or JSON Lines file (optionally gzip) from S3 or a local path, never holding
//! it whole, and computes MAPE, WAPE, sMAPE, MAE, RMSE, bias and R² overall and per segment,
//! then compares the candidate with the production model. See [`input::EvaluateInput`] and
//! [`output::EvaluateOutput`] for the contract the state machine relies on.
#![forbid(unsafe_code)]

pub mod block_parser;
pub mod blocks;
pub mod csv;
pub mod error;
pub mod input;
pub mod jsonl;
pub mod output;
pub mod parallel;
pub mod plain;
pub mod pool;
pub mod rows;
pub mod segment_index;
pub mod stats;
pub mod swar;
pub mod tally;

use block_parser::BlockParser;
use blocks::BlockSource;
use error::EvaluateError;
use input::{EvaluateInput, Format, DEFAULT_WORST_SEGMENTS};
use output::{EvaluateOutput, RowCounts};
use parallel::{Plan, Split};
use rows::Columns;
use shared::metrics::{MetricsLogger, Unit};
use shared::storage::{self, Compression, ObjectUri};
use tally::Tally;

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
    let columns = Columns {
        actual: input.actual_column.clone(),
        predicted: input.predicted_column.clone(),
        segments: input.segment_columns.clone(),
    };
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

/// Turns a tally into the result, comparing with the production model.
pub fn summarise(input: &EvaluateInput, tally: &Tally) -> Result<EvaluateOutput, EvaluateError> {
    let Some(metrics) = tally.overall().metrics() else {
        return Err(EvaluateError::EmptyPredictions {
            uri: input.predictions_uri.clone(),
        });
    };
    let (Some(mape), Some(wape)) = (metrics.mape, metrics.wape) else {
        return Err(EvaluateError::MapeUndefined {
            uri: input.predictions_uri.clone(),
            rows: metrics.rows,
        });
    };
    let beats_production = input
        .production_metrics
        .as_ref()
        .is_none_or(|production| mape < production.mape);
    Ok(EvaluateOutput {
        model_uri: input.model_uri.clone(),
        model_name: input.model_name.clone(),
        predictions_uri: input.predictions_uri.clone(),
        mape,
        wape,
        smape: metrics.smape,
        mae: metrics.mae,
        rmse: metrics.rmse,
        bias: metrics.bias,
        r2: metrics.r2,
        rows: RowCounts {
            total: metrics.rows,
            evaluated: metrics.rows - metrics.zero_actual_rows,
            zero_actual_skipped: metrics.zero_actual_rows,
        },
        segments: tally.segment_summary(
            &input.segment_columns,
            input.worst_segments.unwrap_or(DEFAULT_WORST_SEGMENTS),
        ),
        production_metrics: input.production_metrics.clone(),
        beats_production,
    })
}

fn emit_metrics(output: &EvaluateOutput, elapsed: std::time::Duration) {
    let model = output.model_name.as_deref().unwrap_or("unknown");
    let Ok(mut metrics) = MetricsLogger::new(SERVICE).dimension("Model", model) else {
        return;
    };
    metrics.put("Mape", output.mape, Unit::Percent);
    metrics.put("Wape", output.wape, Unit::Percent);
    metrics.put("Rmse", output.rmse, Unit::None);
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
            assert!((a - b).abs() <= 1e-9 * a.abs(), "{a} vs {b}");
        }
    }
}
