//! CloudWatch reads: one `GetMetricData` batch of metric statistics over the report's week, and
//! `ListMetrics` to find the dimension values (features, checks) a metric was published with.
//! A query without datapoints reads as `None` ("no data"), never as zero.

use aws_sdk_cloudwatch::types::{Dimension, DimensionFilter, Metric, MetricDataQuery, MetricStat};
use aws_sdk_cloudwatch::Client;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// Most queries one `GetMetricData` call takes (CloudWatch API reference).
pub const MAX_QUERIES: usize = 500;

/// One statistic of one metric over the whole window.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// The namespace, e.g. `AWS/States`.
    pub namespace: String,
    /// The metric name.
    pub name: String,
    /// Dimension name/value pairs.
    pub dimensions: Vec<(String, String)>,
    /// `Sum`, `Maximum`, `p50`, `p95`, ...
    pub stat: String,
}

impl Query {
    /// A query of `namespace`/`name` with `dimensions` and `stat`.
    pub fn new(namespace: &str, name: &str, dimensions: &[(&str, &str)], stat: &str) -> Self {
        Self {
            namespace: namespace.into(),
            name: name.into(),
            dimensions: dimensions
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            stat: stat.into(),
        }
    }
}

/// Queries gathered before one batched read; [`Batch::add`] returns the index to look up.
#[derive(Debug, Default)]
pub struct Batch {
    queries: Vec<Query>,
}

/// The answers of a batch: index → value, `None` when CloudWatch had no datapoints (or the read
/// failed, which `failure` then says).
#[derive(Debug, Default, Clone)]
pub struct Answers {
    values: HashMap<usize, f64>,
    /// Why the read of the counts and maxima failed, when it did (they then read as no data).
    pub failure: Option<String>,
    /// Why the read of the percentiles failed, when it did (durations then read as no data).
    pub percentile_failure: Option<String>,
}

impl Answers {
    /// The value of query `index`.
    pub fn get(&self, index: usize) -> Option<f64> {
        self.values.get(&index).copied()
    }
}

/// Folds the datapoints of one query: a `Sum` or `SampleCount` adds the periods up, `Maximum`
/// takes the largest, `Minimum` the smallest, anything else (percentiles, averages) the first
/// period's (the window is one period, so there is one).
pub fn fold(stat: &str, values: &[f64]) -> Option<f64> {
    let finite = values.iter().copied().filter(|v| v.is_finite());
    match stat {
        "Sum" | "SampleCount" => finite.clone().next().map(|_| finite.sum()),
        "Maximum" => finite.reduce(f64::max),
        "Minimum" => finite.reduce(f64::min),
        _ => finite.clone().next(),
    }
}

impl Batch {
    /// Adds a query; returns its index.
    pub fn add(&mut self, query: Query) -> usize {
        self.queries.push(query);
        self.queries.len() - 1
    }

    /// Reads every query over `[start, end)` with one period covering the window: the
    /// percentile statistics in calls of their own, so that a failure there (or a server
    /// without percentiles) leaves the counts readable.
    pub async fn read(&self, client: &Client, start: DateTime<Utc>, end: DateTime<Utc>) -> Answers {
        let (percentiles, plain): (Vec<usize>, Vec<usize>) =
            (0..self.queries.len()).partition(|&i| is_percentile(&self.queries[i].stat));
        let mut answers = Answers::default();
        for (indices, percentile) in [(plain, false), (percentiles, true)] {
            for chunk in indices.chunks(MAX_QUERIES) {
                match self.read_chunk(client, chunk, start, end).await {
                    Ok(values) => answers.values.extend(values),
                    Err(message) => {
                        tracing::warn!(%message, percentile, "GetMetricData failed: those metrics read as no data");
                        let slot = if percentile {
                            &mut answers.percentile_failure
                        } else {
                            &mut answers.failure
                        };
                        slot.get_or_insert(message);
                    }
                }
            }
        }
        answers
    }

    async fn read_chunk(
        &self,
        client: &Client,
        chunk: &[usize],
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<HashMap<usize, f64>, String> {
        let period = i32::try_from((end - start).num_seconds())
            .unwrap_or(i32::MAX)
            .max(60);
        let queries: Vec<MetricDataQuery> = chunk
            .iter()
            .map(|&i| data_query(i, &self.queries[i], period))
            .collect();
        let mut raw: HashMap<usize, Vec<f64>> = HashMap::new();
        let mut token: Option<String> = None;
        loop {
            let page = client
                .get_metric_data()
                .set_metric_data_queries(Some(queries.clone()))
                .start_time(aws_smithy_types::DateTime::from_secs(start.timestamp()))
                .end_time(aws_smithy_types::DateTime::from_secs(end.timestamp()))
                .set_next_token(token.clone())
                .send()
                .await
                .map_err(|e| aws_sdk_cloudwatch::error::DisplayErrorContext(&e).to_string())?;
            for result in page.metric_data_results() {
                let Some(index) = result
                    .id()
                    .and_then(|id| id.strip_prefix('q'))
                    .and_then(|n| n.parse::<usize>().ok())
                else {
                    continue;
                };
                raw.entry(index).or_default().extend(result.values());
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => break,
            }
        }
        Ok(raw
            .into_iter()
            .filter_map(|(index, values)| {
                let stat = &self.queries.get(index)?.stat;
                fold(stat, &values).map(|v| (index, v))
            })
            .collect())
    }
}

/// Whether `stat` is a percentile (`p50`, `p99.9`): those go in calls of their own.
pub fn is_percentile(stat: &str) -> bool {
    stat.strip_prefix('p')
        .is_some_and(|rest| !rest.is_empty() && rest.parse::<f64>().is_ok())
}

fn data_query(index: usize, query: &Query, period: i32) -> MetricDataQuery {
    let dimensions: Vec<Dimension> = query
        .dimensions
        .iter()
        .map(|(k, v)| Dimension::builder().name(k).value(v).build())
        .collect();
    MetricDataQuery::builder()
        .id(format!("q{index}"))
        .metric_stat(
            MetricStat::builder()
                .metric(
                    Metric::builder()
                        .namespace(&query.namespace)
                        .metric_name(&query.name)
                        .set_dimensions(Some(dimensions))
                        .build(),
                )
                .period(period)
                .stat(&query.stat)
                .build(),
        )
        .return_data(true)
        .build()
}

/// The values of dimension `wanted` among the metrics `namespace`/`name` published with the
/// dimensions `fixed` (e.g. every `Feature` of `Psi` for one `Model`), sorted. A failed listing
/// reads as none (and is logged).
pub async fn dimension_values(
    client: &Client,
    namespace: &str,
    name: &str,
    fixed: &[(&str, &str)],
    wanted: &str,
) -> Vec<String> {
    let filters: Vec<DimensionFilter> = fixed
        .iter()
        .map(|(k, v)| DimensionFilter::builder().name(*k).value(*v).build())
        .collect();
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = match client
            .list_metrics()
            .namespace(namespace)
            .metric_name(name)
            .set_dimensions(Some(filters.clone()))
            .set_next_token(token.clone())
            .send()
            .await
        {
            Ok(page) => page,
            Err(e) => {
                tracing::warn!(error = %aws_sdk_cloudwatch::error::DisplayErrorContext(&e), "ListMetrics failed");
                break;
            }
        };
        for metric in page.metrics() {
            let dims = metric.dimensions();
            let matches = fixed.iter().all(|(k, v)| {
                dims.iter()
                    .any(|d| d.name() == Some(*k) && d.value() == Some(*v))
            });
            if let Some(value) = dims
                .iter()
                .find(|d| d.name() == Some(wanted))
                .and_then(|d| d.value())
            {
                if matches && dims.len() > fixed.len() {
                    out.push(value.to_string());
                }
            }
        }
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_datapoints_fold_to_no_data_not_zero() {
        assert_eq!(fold("Sum", &[]), None);
        assert_eq!(fold("p95", &[]), None);
        assert_eq!(fold("Sum", &[2.0, 3.0]), Some(5.0));
        assert_eq!(fold("Maximum", &[0.1, 0.4, 0.2]), Some(0.4));
        assert_eq!(fold("p50", &[f64::NAN, 7.0]), Some(7.0));
    }
}
