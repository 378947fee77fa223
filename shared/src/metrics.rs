//! Custom metrics in CloudWatch Embedded Metric Format (EMF): one JSON log line per flush, which
//! CloudWatch turns into metrics without any API call.
//!
//! Conventions (the dashboards and alarms rely on them):
//! - namespace `MlPipelines`, or `METRICS_NAMESPACE` when set;
//! - every metric carries the dimension `Service` (the function name); a logger may add one or
//!   more dimensions of its own (e.g. `Model`, `Check`), which together form its one dimension set.
//!
//! EMF allows at most 100 metrics per document and 30 dimensions per set: larger batches are split
//! across documents, extra dimensions are refused.

use serde_json::{json, Map, Value};
use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};

/// Where [`MetricsLogger::flush`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sink {
    /// Standard output: where Lambda's log capture (and so CloudWatch's EMF extraction) reads.
    Stdout,
    /// Standard error.
    Stderr,
    /// Nowhere: for local runs whose terminal output is for people.
    Discard,
}

static SINK: AtomicU8 = AtomicU8::new(0);

/// Sets where every logger of this process flushes to (stdout unless changed).
pub fn set_sink(sink: Sink) {
    SINK.store(sink as u8, Ordering::Relaxed);
}

fn sink() -> Sink {
    match SINK.load(Ordering::Relaxed) {
        1 => Sink::Stderr,
        2 => Sink::Discard,
        _ => Sink::Stdout,
    }
}

/// The default CloudWatch namespace of the project's custom metrics.
pub const DEFAULT_NAMESPACE: &str = "MlPipelines";
/// EMF's limit of metric definitions per document.
pub const MAX_METRICS_PER_DOCUMENT: usize = 100;
/// EMF's limit of dimensions per dimension set.
pub const MAX_DIMENSIONS: usize = 30;

/// CloudWatch metric units used by the project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A plain count.
    Count,
    /// Milliseconds.
    Milliseconds,
    /// Seconds.
    Seconds,
    /// A percentage (0–100).
    Percent,
    /// Bytes.
    Bytes,
    /// Count per second.
    CountPerSecond,
    /// No unit.
    None,
}

impl Unit {
    fn as_str(self) -> &'static str {
        match self {
            Unit::Count => "Count",
            Unit::Milliseconds => "Milliseconds",
            Unit::Seconds => "Seconds",
            Unit::Percent => "Percent",
            Unit::Bytes => "Bytes",
            Unit::CountPerSecond => "Count/Second",
            Unit::None => "None",
        }
    }
}

#[derive(Debug, Clone)]
struct Metric {
    name: String,
    unit: Unit,
    values: Vec<f64>,
}

/// Collects metrics for one dimension set and writes them as EMF documents.
#[derive(Debug, Clone)]
pub struct MetricsLogger {
    namespace: String,
    dimensions: Vec<(String, String)>,
    metrics: Vec<Metric>,
    properties: Map<String, Value>,
}

/// Errors from building a metrics logger.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MetricsError {
    /// More dimensions than EMF allows in one set.
    #[error("a dimension set holds at most {MAX_DIMENSIONS} dimensions")]
    TooManyDimensions,
}

impl MetricsLogger {
    /// A logger for `service` (the `Service` dimension) in the configured namespace.
    pub fn new(service: &str) -> Self {
        let namespace = std::env::var("METRICS_NAMESPACE")
            .ok()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_NAMESPACE.to_string());
        Self::with_namespace(&namespace, service)
    }

    /// A logger with an explicit namespace.
    pub fn with_namespace(namespace: &str, service: &str) -> Self {
        Self {
            namespace: namespace.to_string(),
            dimensions: vec![("Service".to_string(), service.to_string())],
            metrics: Vec::new(),
            properties: Map::new(),
        }
    }

    /// Adds a dimension to this logger's dimension set.
    pub fn dimension(mut self, name: &str, value: &str) -> Result<Self, MetricsError> {
        if self.dimensions.len() >= MAX_DIMENSIONS {
            return Err(MetricsError::TooManyDimensions);
        }
        self.dimensions.retain(|(n, _)| n != name);
        self.dimensions.push((name.to_string(), value.to_string()));
        Ok(self)
    }

    /// Records one value of a metric; values of the same metric accumulate.
    /// Non-finite values are dropped, as CloudWatch rejects them.
    pub fn put(&mut self, name: &str, value: f64, unit: Unit) {
        if !value.is_finite() {
            return;
        }
        match self.metrics.iter_mut().find(|m| m.name == name) {
            Some(metric) => metric.values.push(value),
            None => self.metrics.push(Metric {
                name: name.to_string(),
                unit,
                values: vec![value],
            }),
        }
    }

    /// Adds a searchable property (not a metric) to the documents, e.g. an execution id.
    pub fn property(&mut self, name: &str, value: impl Into<Value>) {
        self.properties.insert(name.to_string(), value.into());
    }

    /// Whether any metric was recorded since the last flush.
    pub fn is_empty(&self) -> bool {
        self.metrics.is_empty()
    }

    /// The EMF documents for what was recorded, at `timestamp_ms` (milliseconds since the epoch),
    /// at most [`MAX_METRICS_PER_DOCUMENT`] metrics each.
    pub fn documents(&self, timestamp_ms: i64) -> Vec<Value> {
        let dimension_names: Vec<&str> = self.dimensions.iter().map(|(n, _)| n.as_str()).collect();
        self.metrics
            .chunks(MAX_METRICS_PER_DOCUMENT)
            .map(|chunk| {
                let definitions: Vec<Value> = chunk
                    .iter()
                    .map(|m| json!({"Name": m.name, "Unit": m.unit.as_str()}))
                    .collect();
                let mut document = self.properties.clone();
                for (name, value) in &self.dimensions {
                    document.insert(name.clone(), Value::String(value.clone()));
                }
                for metric in chunk {
                    let value = match metric.values.as_slice() {
                        [single] => json!(single),
                        many => json!(many),
                    };
                    document.insert(metric.name.clone(), value);
                }
                document.insert(
                    "_aws".to_string(),
                    json!({
                        "Timestamp": timestamp_ms,
                        "CloudWatchMetrics": [{
                            "Namespace": self.namespace,
                            "Dimensions": [dimension_names],
                            "Metrics": definitions,
                        }]
                    }),
                );
                Value::Object(document)
            })
            .collect()
    }

    /// Writes the documents to `out`, one per line, and clears the recorded metrics.
    pub fn flush_to(&mut self, out: &mut impl Write) -> std::io::Result<()> {
        let now = chrono::Utc::now().timestamp_millis();
        for document in self.documents(now) {
            writeln!(out, "{document}")?;
        }
        self.metrics.clear();
        Ok(())
    }

    /// Writes the documents to the process's [`Sink`] (stdout, where Lambda's log capture picks
    /// them up, unless [`set_sink`] chose otherwise). A failed write is logged, never raised:
    /// metrics must not fail an invocation.
    pub fn flush(&mut self) {
        let result = match sink() {
            Sink::Stdout => self.flush_to(&mut std::io::stdout().lock()),
            Sink::Stderr => self.flush_to(&mut std::io::stderr().lock()),
            Sink::Discard => {
                self.metrics.clear();
                Ok(())
            }
        };
        if let Err(error) = result {
            tracing::warn!(%error, "could not write EMF metrics");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_declares_every_metric_under_the_service_dimension() {
        let mut logger = MetricsLogger::with_namespace("Test", "evaluate-model-metrics")
            .dimension("Model", "demand-forecast")
            .unwrap();
        logger.put("Mape", 12.5, Unit::Percent);
        logger.put("RowsEvaluated", 10.0, Unit::Count);
        logger.property("ExecutionId", "abc");
        let docs = logger.documents(1_700_000_000_000);
        assert_eq!(docs.len(), 1);
        let doc = &docs[0];
        assert_eq!(doc["Service"], "evaluate-model-metrics");
        assert_eq!(doc["Model"], "demand-forecast");
        assert_eq!(doc["Mape"], 12.5);
        assert_eq!(doc["ExecutionId"], "abc");
        let cw = &doc["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(cw["Namespace"], "Test");
        assert_eq!(cw["Dimensions"], json!([["Service", "Model"]]));
        assert_eq!(
            cw["Metrics"][1],
            json!({"Name": "RowsEvaluated", "Unit": "Count"})
        );
        assert_eq!(doc["_aws"]["Timestamp"], 1_700_000_000_000_i64);
    }

    #[test]
    fn repeated_values_become_an_array() {
        let mut logger = MetricsLogger::with_namespace("Test", "svc");
        logger.put("Latency", 1.0, Unit::Milliseconds);
        logger.put("Latency", 2.0, Unit::Milliseconds);
        let docs = logger.documents(0);
        assert_eq!(docs[0]["Latency"], json!([1.0, 2.0]));
    }

    #[test]
    fn more_than_one_hundred_metrics_split_into_several_documents() {
        let mut logger = MetricsLogger::with_namespace("Test", "svc");
        for i in 0..250 {
            logger.put(&format!("M{i}"), i as f64, Unit::Count);
        }
        let docs = logger.documents(0);
        assert_eq!(docs.len(), 3);
        let declared: usize = docs
            .iter()
            .map(|d| {
                d["_aws"]["CloudWatchMetrics"][0]["Metrics"]
                    .as_array()
                    .unwrap()
                    .len()
            })
            .sum();
        assert_eq!(declared, 250);
        assert!(docs[2].get("M249").is_some());
        assert!(docs[0].get("M249").is_none());
    }

    #[test]
    fn non_finite_values_are_dropped() {
        let mut logger = MetricsLogger::with_namespace("Test", "svc");
        logger.put("Bad", f64::NAN, Unit::None);
        logger.put("Inf", f64::INFINITY, Unit::None);
        assert!(logger.is_empty());
    }

    #[test]
    fn a_thirty_first_dimension_is_refused() {
        let mut logger = MetricsLogger::with_namespace("Test", "svc");
        for i in 0..29 {
            logger = logger.dimension(&format!("D{i}"), "v").unwrap();
        }
        assert_eq!(
            logger.dimension("D29", "v").unwrap_err(),
            MetricsError::TooManyDimensions
        );
    }

    #[test]
    fn flush_writes_one_line_per_document_and_clears() {
        let mut logger = MetricsLogger::with_namespace("Test", "svc");
        logger.put("A", 1.0, Unit::Count);
        let mut out = Vec::new();
        logger.flush_to(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), 1);
        let parsed: Value = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(parsed["A"], 1.0);
        assert!(logger.is_empty());
    }
}
