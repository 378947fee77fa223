//! Warming the real-time SageMaker endpoint: a few InvokeEndpoint calls, one after the other (so
//! the first shows the cold latency and the next ones the warm one), with their latencies.

use aws_sdk_sagemakerruntime::primitives::Blob;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// What to send to the endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarmupRequest {
    /// The endpoint name.
    pub endpoint_name: String,
    /// How many calls.
    pub requests: u32,
    /// The request body.
    pub payload: String,
    /// Its content type.
    pub content_type: String,
}

/// The warm-up's report (`endpoint_warmup` in the output).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EndpointWarmup {
    /// The endpoint.
    pub endpoint_name: String,
    /// Calls made.
    pub requests: u32,
    /// Calls answered with a 2xx.
    pub succeeded: u32,
    /// Calls that failed.
    pub failed: u32,
    /// Each call's latency, in order, in milliseconds.
    pub latencies_ms: Vec<f64>,
    /// The first call's latency (the cold one), in milliseconds.
    pub first_ms: Option<f64>,
    /// The median latency of the successful calls, in milliseconds.
    pub median_ms: Option<f64>,
    /// The largest latency, in milliseconds.
    pub max_ms: Option<f64>,
    /// The first failure, if any.
    pub first_error: Option<String>,
}

/// Sends the warm-up requests and reports them. Failures are reported, never raised.
pub async fn warm_up(
    client: &aws_sdk_sagemakerruntime::Client,
    request: &WarmupRequest,
) -> EndpointWarmup {
    let mut latencies = Vec::with_capacity(request.requests as usize);
    let mut succeeded_latencies = Vec::new();
    let mut first_error = None;
    for _ in 0..request.requests {
        let started = Instant::now();
        let result = client
            .invoke_endpoint()
            .endpoint_name(&request.endpoint_name)
            .content_type(&request.content_type)
            .accept("application/json")
            .body(Blob::new(request.payload.as_bytes().to_vec()))
            .send()
            .await;
        let elapsed = round_ms(started.elapsed().as_secs_f64() * 1000.0);
        latencies.push(elapsed);
        match result {
            Ok(_) => succeeded_latencies.push(elapsed),
            Err(error) => {
                let text = format!(
                    "{}",
                    aws_smithy_types::error::display::DisplayErrorContext(&error)
                );
                tracing::warn!(endpoint = %request.endpoint_name, error = %text, "warm-up request failed");
                first_error.get_or_insert(text);
            }
        }
    }
    let succeeded = succeeded_latencies.len() as u32;
    EndpointWarmup {
        endpoint_name: request.endpoint_name.clone(),
        requests: request.requests,
        succeeded,
        failed: request.requests - succeeded,
        first_ms: latencies.first().copied(),
        median_ms: median(&mut succeeded_latencies),
        max_ms: latencies.iter().copied().reduce(f64::max),
        latencies_ms: latencies,
        first_error,
    }
}

fn round_ms(ms: f64) -> f64 {
    (ms * 1000.0).round() / 1000.0
}

fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[mid]
    } else {
        round_ms((values[mid - 1] + values[mid]) / 2.0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_is_the_middle_value_or_the_mean_of_the_two() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), Some(2.5));
    }
}
