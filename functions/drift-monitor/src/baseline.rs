//! Baseline mode: one streaming pass over the training data builds every feature's profile.

use crate::build::{BuildSettings, FeatureBuilder};
use crate::cell::Cell;
use crate::error::DriftMonitorError;
use crate::input::{BaselineRequest, Format};
use crate::profile::{Baseline, BASELINE_SCHEMA_VERSION};
use crate::records::{next_line, CsvRecords};
use crate::Deps;
use serde::{Deserialize, Serialize};
use shared::storage::{self, Compression, ObjectUri, StorageError};

/// What baseline mode returns (the retraining pipeline's `WriteDriftBaseline` reads it; its JSON
/// schema is what `pipelines validate` checks those reads against).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BaselineOutput {
    /// Where the profile was written.
    pub baseline_uri: String,
    /// Training rows read.
    pub rows: u64,
    /// Features profiled.
    pub features: usize,
    /// Of which numeric.
    pub numeric_features: usize,
    /// Of which categorical.
    pub categorical_features: usize,
    /// Whether a prediction profile was built.
    pub has_prediction: bool,
    /// Whether every numeric profile is exact (no feature had more values than `sample_size`).
    pub exact: bool,
}

/// Builds the baseline profile that `request` describes and writes it to its `output_uri`.
pub async fn build_baseline(
    deps: &Deps,
    request: BaselineRequest,
) -> Result<BaselineOutput, DriftMonitorError> {
    request
        .validate()
        .map_err(DriftMonitorError::InvalidInput)?;
    let uri = ObjectUri::parse(&request.training_data_uri)
        .map_err(|e| DriftMonitorError::InvalidInput(e.to_string()))?;
    let output = ObjectUri::parse(&request.output_uri)
        .map_err(|e| DriftMonitorError::InvalidInput(e.to_string()))?;
    let format = request
        .format
        .or_else(|| Format::infer(uri.file_name()))
        .ok_or_else(|| {
            DriftMonitorError::InvalidInput(format!(
                "cannot tell the format of {uri}: name it with \"format\": \"csv\" or \"jsonl\""
            ))
        })?;
    let not_found = |uri| DriftMonitorError::TrainingDataNotFound { uri };
    let stream = storage::open(&uri, Compression::infer(uri.file_name()), deps.s3.as_ref())
        .await
        .map_err(|e| DriftMonitorError::from_storage(e, not_found))?;
    let settings = BuildSettings {
        bins: request.bins,
        ks_grid: request.ks_grid,
        sample_capacity: request.sample_size,
        min_category_share: request.min_category_share,
        max_categories: request.max_categories,
    };
    let mut table = match format {
        Format::Csv => read_csv(stream, &uri, &request, &settings).await?,
        Format::Jsonl => read_jsonl(stream, &uri, &request, &settings).await?,
    };
    if table.rows == 0 {
        return Err(DriftMonitorError::EmptyTrainingData {
            uri: uri.to_string(),
        });
    }
    let prediction = table.prediction.take().map(|p| p.finish(&settings));
    let features: Vec<_> = table
        .features
        .into_iter()
        .map(|(_, f)| f.finish(&settings))
        .collect();
    let baseline = Baseline {
        schema_version: BASELINE_SCHEMA_VERSION,
        model_name: request.model_name.clone(),
        model_version: request.model_version.clone(),
        source_uri: uri.to_string(),
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        rows: table.rows,
        features,
        prediction,
    };
    let numeric = |p: &crate::profile::FeatureProfile| {
        matches!(p.distribution, crate::profile::Distribution::Numeric(_))
    };
    let exact = baseline
        .features
        .iter()
        .chain(baseline.prediction.iter())
        .all(|p| match &p.distribution {
            crate::profile::Distribution::Numeric(n) => n.exact,
            crate::profile::Distribution::Categorical(_) => true,
        });
    let body = serde_json::to_vec(&baseline)
        .map_err(|e| DriftMonitorError::InvalidInput(format!("cannot encode the profile: {e}")))?;
    crate::sink::put(deps, &output, body).await?;
    let numeric_features = baseline.features.iter().filter(|p| numeric(p)).count();
    tracing::info!(rows = baseline.rows, features = baseline.features.len(), uri = %output, "baseline written");
    Ok(BaselineOutput {
        baseline_uri: output.to_string(),
        rows: baseline.rows,
        features: baseline.features.len(),
        numeric_features,
        categorical_features: baseline.features.len() - numeric_features,
        has_prediction: baseline.prediction.is_some(),
        exact,
    })
}

/// The builders and where each one's value is in a row.
struct Table {
    rows: u64,
    /// (column index, builder) per feature, in feature order.
    features: Vec<(usize, FeatureBuilder)>,
    prediction: Option<FeatureBuilder>,
    prediction_column: Option<usize>,
}

impl Table {
    /// Builders for the columns `header` holds, as `request` selects them.
    fn new(
        header: &[String],
        uri: &ObjectUri,
        request: &BaselineRequest,
        settings: &BuildSettings,
    ) -> Result<Self, DriftMonitorError> {
        let position = |name: &str| {
            header
                .iter()
                .position(|c| c == name)
                .ok_or_else(|| DriftMonitorError::ColumnNotFound {
                    column: name.to_string(),
                    uri: uri.to_string(),
                    available: header.join(", "),
                })
        };
        let names: Vec<String> = match &request.feature_columns {
            Some(names) => names.clone(),
            None => header
                .iter()
                .filter(|c| {
                    !request.exclude_columns.contains(c)
                        && request.prediction_column.as_ref() != Some(c)
                })
                .cloned()
                .collect(),
        };
        if names.is_empty() {
            return Err(DriftMonitorError::InvalidInput(format!(
                "no feature columns left in {uri}"
            )));
        }
        for name in &request.categorical_features {
            if !names.contains(name) {
                return Err(DriftMonitorError::InvalidInput(format!(
                    "categorical feature {name:?} is not one of the features"
                )));
            }
        }
        let mut features = Vec::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            let builder = if request.categorical_features.contains(name) {
                FeatureBuilder::categorical(name)
            } else {
                FeatureBuilder::numeric(name, settings, 0x5EED_0000 + i as u64)
            };
            features.push((position(name)?, builder));
        }
        let (prediction, prediction_column) = match &request.prediction_column {
            None => (None, None),
            Some(name) => {
                let builder = if request.categorical_prediction {
                    FeatureBuilder::categorical(name)
                } else {
                    FeatureBuilder::numeric(name, settings, 0x5EED_FFFF)
                };
                (Some(builder), Some(position(name)?))
            }
        };
        Ok(Self {
            rows: 0,
            features,
            prediction,
            prediction_column,
        })
    }

    /// Adds one row; `cell(i)` is column `i`'s value.
    fn add<'a>(&mut self, cell: impl Fn(usize) -> Cell<'a>) -> Result<(), String> {
        self.rows += 1;
        for (column, builder) in &mut self.features {
            builder.add(cell(*column))?;
        }
        if let (Some(builder), Some(column)) = (&mut self.prediction, self.prediction_column) {
            builder.add(cell(column))?;
        }
        Ok(())
    }
}

fn read_error(uri: &ObjectUri, error: &std::io::Error, line: u64) -> DriftMonitorError {
    match StorageError::from_read(uri, error) {
        StorageError::Corrupt { .. }
            if error.kind() == std::io::ErrorKind::InvalidData
                && error
                    .get_ref()
                    .is_some_and(|e| e.is::<std::str::Utf8Error>()) =>
        {
            DriftMonitorError::UnparsableRow {
                uri: uri.to_string(),
                line,
                detail: "not UTF-8".to_string(),
            }
        }
        other => DriftMonitorError::from_storage(other, |uri| {
            DriftMonitorError::TrainingDataNotFound { uri }
        }),
    }
}

async fn read_csv(
    stream: shared::storage::ObjectStream,
    uri: &ObjectUri,
    request: &BaselineRequest,
    settings: &BuildSettings,
) -> Result<Table, DriftMonitorError> {
    let mut records = CsvRecords::new(stream);
    let header: Vec<String> = match records.next().await {
        Ok(Some(fields)) => fields.iter().map(|f| f.trim().to_string()).collect(),
        Ok(None) => {
            return Err(DriftMonitorError::EmptyTrainingData {
                uri: uri.to_string(),
            })
        }
        Err(e) => return Err(read_error(uri, &e, 1)),
    };
    let mut table = Table::new(&header, uri, request, settings)?;
    loop {
        let line = records.record + 1;
        let fields = match records.next().await {
            Ok(Some(fields)) => fields,
            Ok(None) => break,
            Err(e) => return Err(read_error(uri, &e, line)),
        };
        if fields.len() == 1 && fields[0].is_empty() {
            continue;
        }
        let unparsable = |detail: String| DriftMonitorError::UnparsableRow {
            uri: uri.to_string(),
            line,
            detail,
        };
        if fields.len() != header.len() {
            return Err(unparsable(format!(
                "{} fields, the header has {}",
                fields.len(),
                header.len()
            )));
        }
        table.add(|i| Cell::Text(fields[i])).map_err(unparsable)?;
    }
    Ok(table)
}

async fn read_jsonl(
    mut stream: shared::storage::ObjectStream,
    uri: &ObjectUri,
    request: &BaselineRequest,
    settings: &BuildSettings,
) -> Result<Table, DriftMonitorError> {
    let mut line = Vec::new();
    let mut number = 0u64;
    let mut table: Option<(Vec<String>, Table)> = None;
    loop {
        number += 1;
        match next_line(&mut stream, &mut line).await {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(read_error(uri, &e, number)),
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let unparsable = |detail: String| DriftMonitorError::UnparsableRow {
            uri: uri.to_string(),
            line: number,
            detail,
        };
        let object = match serde_json::from_slice::<serde_json::Value>(&line) {
            Ok(serde_json::Value::Object(object)) => object,
            Ok(_) => return Err(unparsable("not a JSON object".into())),
            Err(e) => return Err(unparsable(e.to_string())),
        };
        if table.is_none() {
            let columns: Vec<String> = object.keys().cloned().collect();
            let built = Table::new(&columns, uri, request, settings)?;
            table = Some((columns, built));
        }
        if let Some((columns, table)) = &mut table {
            table
                .add(|i| {
                    object
                        .get(&columns[i])
                        .map_or(Some(Cell::Null), Cell::from_json)
                        .unwrap_or(Cell::Text("<nested JSON>"))
                })
                .map_err(unparsable)?;
        }
    }
    table
        .map(|(_, t)| t)
        .ok_or_else(|| DriftMonitorError::EmptyTrainingData {
            uri: uri.to_string(),
        })
}
