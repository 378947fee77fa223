//! Each variant's CloudWatch metrics over the observation window: SageMaker publishes
//! `Invocations`, `Invocation4XXErrors`, `Invocation5XXErrors` (counts) and `ModelLatency`
//! (microseconds) in the `AWS/SageMaker` namespace per `EndpointName` and `VariantName`, shadow
//! variants included
//! (<https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html>).
//!
//! One `GetMetricData` call: the counts (`Sum`) and the p99 latency (the extended statistic
//! `p99`) of each variant; one period covers the whole window, so each query has at most one
//! datapoint.

use crate::decision::VariantStats;
use crate::error::{from_sdk, GuardError};
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
use aws_smithy_types::DateTime;
use std::collections::HashMap;

/// The CloudWatch namespace of SageMaker endpoint metrics.
pub const NAMESPACE: &str = "AWS/SageMaker";
/// The count metrics and the field each fills.
const COUNTS: [(&str, &str); 3] = [
    ("inv", "Invocations"),
    ("e4xx", "Invocation4XXErrors"),
    ("e5xx", "Invocation5XXErrors"),
];
/// The latency metric (microseconds).
const LATENCY: &str = "ModelLatency";

/// The observation window, `[start, end)` in epoch seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Start, epoch seconds.
    pub start: i64,
    /// End, epoch seconds.
    pub end: i64,
}

impl Window {
    /// The period of one datapoint for the whole window: its length rounded up to a multiple
    /// of 60 s (CloudWatch's rule for periods of a minute or more), at least 60.
    pub fn period(&self) -> i32 {
        let seconds = (self.end - self.start).max(60);
        let rounded = (seconds + 59) / 60 * 60;
        i32::try_from(rounded).unwrap_or(i32::MAX / 60 * 60)
    }
}

fn query(
    id: String,
    endpoint: &str,
    variant: &str,
    metric: &str,
    stat: &str,
    period: i32,
) -> MetricDataQuery {
    let dimensions = [("EndpointName", endpoint), ("VariantName", variant)]
        .into_iter()
        .map(|(name, value)| Dimension::builder().name(name).value(value).build())
        .collect();
    MetricDataQuery::builder()
        .id(id)
        .metric_stat(
            MetricStat::builder()
                .metric(
                    Metric::builder()
                        .namespace(NAMESPACE)
                        .metric_name(metric)
                        .set_dimensions(Some(dimensions))
                        .build(),
                )
                .period(period)
                .stat(stat)
                .build(),
        )
        .return_data(true)
        .build()
}

/// Every value of each query id (all pages).
async fn values(
    client: &aws_sdk_cloudwatch::Client,
    queries: Vec<MetricDataQuery>,
    window: Window,
) -> Result<HashMap<String, Vec<f64>>, GuardError> {
    let mut out: HashMap<String, Vec<f64>> = HashMap::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .get_metric_data()
            .set_metric_data_queries(Some(queries.clone()))
            .start_time(DateTime::from_secs(window.start))
            .end_time(DateTime::from_secs(window.end))
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| from_sdk("GetMetricData", &e))?;
        for result in page.metric_data_results() {
            if let Some(id) = result.id() {
                out.entry(id.to_string())
                    .or_default()
                    .extend(result.values().iter().copied().filter(|v| v.is_finite()));
            }
        }
        match page.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_string()),
            _ => return Ok(out),
        }
    }
}

/// A CloudWatch sum as a count (negative or fractional sums are rounded into range).
fn count(values: Option<&Vec<f64>>) -> u64 {
    let sum: f64 = values.map(|v| v.iter().sum()).unwrap_or(0.0);
    if sum.is_finite() && sum > 0.0 {
        sum.round() as u64
    } else {
        0
    }
}

/// The numbers of each of `variants` on `endpoint` over `window`, in the order given, from one
/// `GetMetricData` request (three sums and the p99 per variant). No datapoint means zero
/// invocations and errors and an unknown latency; several datapoints are summed, and for the
/// percentile the largest is kept.
pub async fn variant_stats(
    client: &aws_sdk_cloudwatch::Client,
    endpoint: &str,
    variants: &[&str],
    window: Window,
) -> Result<Vec<VariantStats>, GuardError> {
    let period = window.period();
    let queries = variants
        .iter()
        .enumerate()
        .flat_map(|(i, variant)| {
            COUNTS
                .iter()
                .map(move |(key, metric)| (format!("{key}_{i}"), *metric, "Sum"))
                .chain(std::iter::once((format!("p99_{i}"), LATENCY, "p99")))
                .map(move |(id, metric, stat)| query(id, endpoint, variant, metric, stat, period))
        })
        .collect();
    let values = values(client, queries, window).await?;
    Ok((0..variants.len())
        .map(|i| VariantStats {
            invocations: count(values.get(&format!("inv_{i}"))),
            errors_4xx: count(values.get(&format!("e4xx_{i}"))),
            errors_5xx: count(values.get(&format!("e5xx_{i}"))),
            p99_latency_us: values
                .get(&format!("p99_{i}"))
                .and_then(|v| v.iter().copied().reduce(f64::max)),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_period_covers_the_window_in_whole_minutes() {
        assert_eq!(
            Window {
                start: 0,
                end: 3600
            }
            .period(),
            3600
        );
        assert_eq!(
            Window {
                start: 0,
                end: 3601
            }
            .period(),
            3660
        );
        assert_eq!(Window { start: 0, end: 10 }.period(), 60);
    }

    #[test]
    fn sums_become_counts() {
        assert_eq!(count(Some(&vec![10.0, 5.4])), 15);
        assert_eq!(count(None), 0);
        assert_eq!(count(Some(&vec![-3.0])), 0);
    }
}
