//! The `model.drift_detected` event, schema version 1: the shape the drift bridge decodes
//! (`functions/drift-bridge/src/event.rs`, `events/drift-bridge/README.md`) and the template's
//! `DriftRetrainingRule` matches (`detail-type: model.drift_detected`, `detail.schema_version: 1`,
//! `detail.model_name` and `detail.event_id` present), put on EventBridge with `PutEvents`.

use crate::error::DriftMonitorError;
use crate::report::MonitorReport;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};

/// The event's `source`. The drift rule matches on detail-type and detail only, so any source
/// reaches it; this one names the producer (`aws.` prefixes are reserved for AWS).
pub const EVENT_SOURCE: &str = "ml-pipelines.drift-monitor";
/// The event's `detail-type` and `detail.event_type`.
pub const DRIFT_EVENT_TYPE: &str = "model.drift_detected";
/// The drift event schema version the bridge accepts.
pub const SCHEMA_VERSION: u64 = 1;

/// The event id of a model's window: the same for every run over that window, so a retried run
/// publishes an event the bridge deduplicates. `drift-monitor-<model>-<yyyymmddThhZ>-<hours>h`
/// (at most 56 printable ASCII characters).
pub fn event_id(model_name: &str, window_end: DateTime<Utc>, window_hours: u32) -> String {
    format!(
        "drift-monitor-{model_name}-{}-{window_hours}h",
        window_end.format("%Y%m%dT%HZ")
    )
}

/// The event's `detail` for a report that found drift (`None` otherwise). `detected_at` is the
/// window's end, so every run over one window sends the same detail. Beside the bridge's fields
/// it carries the headline feature, the window, every drifted feature and the report's URI
/// (extra fields are allowed within schema version 1).
pub fn drift_detail(report: &MonitorReport) -> Option<Value> {
    if !report.drift_detected {
        return None;
    }
    let event_id = report.event_id.as_ref()?;
    let (score, metric, value, threshold) = report.headline()?;
    let mut detail = json!({
        "schema_version": SCHEMA_VERSION,
        "event_id": event_id,
        "event_type": DRIFT_EVENT_TYPE,
        "model_name": report.model_name,
        "metric": metric,
        "value": value,
        "threshold": threshold,
        "detected_at": report.window_end,
        "feature": score.feature,
        "window_start": report.window_start,
        "window_end": report.window_end,
        "drifted_features": report.drifted_features,
        "rows": report.rows,
        "report_uri": report.report_uri,
    });
    if let Some(version) = &report.model_version {
        detail["model_version"] = json!(version);
    }
    Some(detail)
}

/// RFC 3339 with seconds and `Z`, as the report and the event write times.
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Puts one drift event on `bus`. A refused entry (`FailedEntryCount > 0`) or a failed call is
/// `PublishFailed`.
pub async fn publish(
    client: &aws_sdk_eventbridge::Client,
    bus: &str,
    detail: &Value,
) -> Result<(), DriftMonitorError> {
    let entry = aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
        .event_bus_name(bus)
        .source(EVENT_SOURCE)
        .detail_type(DRIFT_EVENT_TYPE)
        .detail(detail.to_string())
        .build();
    let output = client
        .put_events()
        .entries(entry)
        .send()
        .await
        .map_err(|e| {
            DriftMonitorError::PublishFailed(
                aws_smithy_types::error::display::DisplayErrorContext(&e).to_string(),
            )
        })?;
    if output.failed_entry_count() > 0 {
        let reason = output
            .entries()
            .iter()
            .find_map(|e| {
                e.error_code()
                    .map(|code| format!("{code}: {}", e.error_message().unwrap_or_default()))
            })
            .unwrap_or_else(|| "entry refused".to_string());
        return Err(DriftMonitorError::PublishFailed(reason));
    }
    Ok(())
}
