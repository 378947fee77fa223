//! The drift event: what the monitoring system publishes on Kafka (base64 in the record value)
//! or as an EventBridge `detail`, and its decoder. Pure code: no I/O, never panics on any bytes.
//!
//! Schema version 1 (documented in `events/drift-bridge/README.md`):
//!
//! ```json
//! {"schema_version": 1, "event_id": "mon-7f3c", "event_type": "model.drift_detected",
//!  "model_name": "demand-forecast", "model_version": "2026-11-02", "metric": "psi",
//!  "value": 0.31, "threshold": 0.2, "detected_at": "2026-11-27T06:00:00Z"}
//! ```
//!
//! Fields not listed are allowed and ignored (producers may add some within version 1); a
//! breaking change bumps `schema_version`, which this decoder then rejects.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use shared::kafka::ValueError;

/// The event type that triggers retraining.
pub const DRIFT_EVENT_TYPE: &str = "model.drift_detected";
/// The schema version this decoder understands.
pub const SCHEMA_VERSION: u64 = 1;
/// Largest record value accepted, in bytes after base64 decoding.
pub const MAX_VALUE_BYTES: usize = 64 * 1024;
/// Longest event id.
pub const MAX_EVENT_ID: usize = 128;
/// Longest metric name and model version.
pub const MAX_LABEL: usize = 64;

/// A validated drift event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftEvent {
    /// The producer's unique id of this event (replays and duplicates carry the same id).
    pub event_id: String,
    /// The model that drifted: lowercase `[a-z0-9-]`, at most 21 characters.
    pub model_name: String,
    /// The model version being served when drift was detected, if the producer knows it.
    pub model_version: Option<String>,
    /// The drift metric, e.g. `psi`, `ks`, `mape`.
    pub metric: String,
    /// The metric's value.
    pub value: f64,
    /// The threshold it crossed.
    pub threshold: f64,
    /// When the drift was detected.
    pub detected_at: DateTime<Utc>,
}

impl DriftEvent {
    /// `detected_at` as RFC 3339 with millisecond precision and a `Z`.
    pub fn detected_at_text(&self) -> String {
        self.detected_at
            .to_rfc3339_opts(SecondsFormat::Millis, true)
    }
}

/// What a record's value turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub enum Decoded {
    /// A valid drift event.
    Drift(DriftEvent),
    /// A well-formed event of another type: not ours, counted as ignored.
    OtherType(String),
}

/// Why a record's value was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The record has no value (a tombstone).
    #[error("record has no value")]
    MissingValue,
    /// The value is not valid base64.
    #[error("value is not base64: {0}")]
    NotBase64(String),
    /// The value is larger than [`MAX_VALUE_BYTES`].
    #[error("value is {0} bytes, more than the {MAX_VALUE_BYTES} allowed")]
    TooLarge(usize),
    /// The value is not a JSON object.
    #[error("value is not a JSON object: {0}")]
    NotJson(String),
    /// The event has no string `event_type`.
    #[error("no string \"event_type\"")]
    MissingEventType,
    /// `schema_version` is missing or not one this decoder knows.
    #[error("unsupported schema_version {0} (expected {SCHEMA_VERSION})")]
    UnsupportedVersion(String),
    /// A field is missing, of the wrong type, or out of range.
    #[error("invalid drift event: {0}")]
    Invalid(String),
}

/// The wire form, before validation.
#[derive(Debug, Deserialize)]
struct Wire {
    event_id: String,
    model_name: String,
    #[serde(default)]
    model_version: Option<String>,
    metric: String,
    value: f64,
    threshold: f64,
    detected_at: String,
}

/// Decodes a Kafka record value: base64 ([`shared::kafka::value_bytes`]), then [`decode_json`].
pub fn decode_base64(value: Option<&str>) -> Result<Decoded, DecodeError> {
    let bytes = shared::kafka::value_bytes(value, MAX_VALUE_BYTES).map_err(|e| match e {
        ValueError::MissingValue => DecodeError::MissingValue,
        ValueError::NotBase64(reason) => DecodeError::NotBase64(reason),
        ValueError::TooLarge { size, .. } => DecodeError::TooLarge(size),
    })?;
    decode_json(&bytes)
}

/// Decodes raw JSON bytes of a drift event.
pub fn decode_json(bytes: &[u8]) -> Result<Decoded, DecodeError> {
    if bytes.len() > MAX_VALUE_BYTES {
        return Err(DecodeError::TooLarge(bytes.len()));
    }
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| DecodeError::NotJson(e.to_string()))?;
    decode_value(value)
}

/// Decodes a JSON value (e.g. an EventBridge `detail`).
pub fn decode_value(value: Value) -> Result<Decoded, DecodeError> {
    let Value::Object(object) = &value else {
        return Err(DecodeError::NotJson(format!(
            "found {}",
            shared::json::kind(&value)
        )));
    };
    let event_type = object
        .get("event_type")
        .and_then(Value::as_str)
        .ok_or(DecodeError::MissingEventType)?;
    if event_type != DRIFT_EVENT_TYPE {
        return Ok(Decoded::OtherType(truncate(event_type, MAX_LABEL)));
    }
    match object.get("schema_version") {
        Some(Value::Number(n)) if n.as_u64() == Some(SCHEMA_VERSION) => {}
        Some(other) => {
            return Err(DecodeError::UnsupportedVersion(truncate(
                &other.to_string(),
                32,
            )))
        }
        None => return Err(DecodeError::UnsupportedVersion("(missing)".into())),
    }
    let wire: Wire =
        serde_json::from_value(value).map_err(|e| DecodeError::Invalid(e.to_string()))?;
    validate(wire).map(Decoded::Drift)
}

fn validate(wire: Wire) -> Result<DriftEvent, DecodeError> {
    let invalid = |m: String| Err(DecodeError::Invalid(m));
    if wire.event_id.is_empty()
        || wire.event_id.len() > MAX_EVENT_ID
        || !wire.event_id.bytes().all(|b| b.is_ascii_graphic())
    {
        return invalid(format!(
            "event_id must be 1-{MAX_EVENT_ID} printable ASCII characters without spaces, got {:?}",
            truncate(&wire.event_id, MAX_EVENT_ID)
        ));
    }
    if let Err(reason) = catalogue::check_model_name(&wire.model_name) {
        return invalid(reason);
    }
    if !is_label(&wire.metric) {
        return invalid(format!(
            "metric must be 1-{MAX_LABEL} characters of [A-Za-z0-9_.:-], got {:?}",
            truncate(&wire.metric, MAX_LABEL)
        ));
    }
    if let Some(version) = &wire.model_version {
        if version.is_empty() || version.len() > MAX_LABEL || version.chars().any(char::is_control)
        {
            return invalid(format!(
                "model_version must be 1-{MAX_LABEL} characters without control characters"
            ));
        }
    }
    if !wire.value.is_finite() || !wire.threshold.is_finite() {
        return invalid("value and threshold must be finite numbers".into());
    }
    let detected_at = DateTime::parse_from_rfc3339(&wire.detected_at)
        .map_err(|e| {
            DecodeError::Invalid(format!(
                "detected_at {:?} is not an RFC 3339 timestamp: {e}",
                truncate(&wire.detected_at, 40)
            ))
        })?
        .with_timezone(&Utc);
    Ok(DriftEvent {
        event_id: wire.event_id,
        model_name: wire.model_name,
        model_version: wire.model_version,
        metric: wire.metric,
        value: wire.value,
        threshold: wire.threshold,
        detected_at,
    })
}

fn is_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_LABEL
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-'))
}

/// At most `max` characters of `s` (on a character boundary), for log messages.
pub fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn sample() -> Value {
        json!({
            "schema_version": 1,
            "event_id": "mon-0001",
            "event_type": "model.drift_detected",
            "model_name": "demand-forecast",
            "model_version": "2026-11-02",
            "metric": "psi",
            "value": 0.31,
            "threshold": 0.2,
            "detected_at": "2026-11-27T07:00:00+01:00"
        })
    }

    fn b64(value: &Value) -> String {
        aws_smithy_types::base64::encode(value.to_string())
    }

    #[test]
    fn a_valid_event_decodes_with_its_time_in_utc() {
        let Decoded::Drift(event) = decode_base64(Some(&b64(&sample()))).unwrap() else {
            panic!("not a drift event");
        };
        assert_eq!(event.model_name, "demand-forecast");
        assert_eq!(event.model_version.as_deref(), Some("2026-11-02"));
        assert_eq!(event.value, 0.31);
        assert_eq!(event.detected_at_text(), "2026-11-27T06:00:00.000Z");
    }

    #[test]
    fn unknown_fields_are_tolerated_within_version_one() {
        let mut v = sample();
        v["dashboard_url"] = json!("https://example.invalid/d/1");
        assert!(matches!(decode_value(v), Ok(Decoded::Drift(_))));
    }

    #[test]
    fn other_event_types_are_ignored_not_rejected() {
        let v = json!({"event_type": "model.latency_high", "anything": 1});
        assert_eq!(
            decode_value(v),
            Ok(Decoded::OtherType("model.latency_high".into()))
        );
    }

    #[test]
    fn an_unknown_schema_version_is_rejected() {
        let mut v = sample();
        v["schema_version"] = json!(2);
        assert!(matches!(
            decode_value(v),
            Err(DecodeError::UnsupportedVersion(_))
        ));
        let mut v = sample();
        v.as_object_mut().unwrap().remove("schema_version");
        assert!(matches!(
            decode_value(v),
            Err(DecodeError::UnsupportedVersion(_))
        ));
    }

    #[test]
    fn each_broken_field_is_named_in_the_rejection() {
        let cases = [
            ("event_id", json!("")),
            ("event_id", json!("has space")),
            ("model_name", json!("Upper")),
            ("metric", json!("")),
            ("value", json!("0.3")),
            ("threshold", json!(null)),
            ("detected_at", json!("yesterday")),
            ("model_version", json!("")),
        ];
        for (field, bad) in cases {
            let mut v = sample();
            v[field] = bad;
            let error = decode_value(v).unwrap_err();
            assert!(
                matches!(error, DecodeError::Invalid(_)),
                "{field}: {error:?}"
            );
        }
    }

    #[test]
    fn transport_problems_are_rejected_with_their_reason() {
        assert_eq!(decode_base64(None), Err(DecodeError::MissingValue));
        assert!(matches!(
            decode_base64(Some("@@@not base64")),
            Err(DecodeError::NotBase64(_))
        ));
        let not_json = aws_smithy_types::base64::encode("{oops");
        assert!(matches!(
            decode_base64(Some(&not_json)),
            Err(DecodeError::NotJson(_))
        ));
        let array = aws_smithy_types::base64::encode("[1,2]");
        assert!(matches!(
            decode_base64(Some(&array)),
            Err(DecodeError::NotJson(_))
        ));
        let no_type = aws_smithy_types::base64::encode("{\"model_name\":\"m\"}");
        assert_eq!(
            decode_base64(Some(&no_type)),
            Err(DecodeError::MissingEventType)
        );
        let huge = "A".repeat(MAX_VALUE_BYTES * 2);
        assert!(matches!(
            decode_base64(Some(&huge)),
            Err(DecodeError::TooLarge(_))
        ));
    }

    proptest! {
        #[test]
        fn no_bytes_make_the_decoder_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            let _ = decode_json(&bytes);
            let _ = decode_base64(Some(&aws_smithy_types::base64::encode(&bytes)));
            let _ = decode_base64(Some(&String::from_utf8_lossy(&bytes)));
        }

        #[test]
        fn no_field_values_make_the_decoder_panic(
            id in ".{0,140}", model in ".{0,30}", metric in ".{0,70}", when in ".{0,40}",
            value in any::<f64>(), version in prop::option::of(".{0,70}"),
        ) {
            let v = json!({
                "schema_version": 1, "event_type": DRIFT_EVENT_TYPE, "event_id": id,
                "model_name": model, "metric": metric, "value": value, "threshold": 1.0,
                "detected_at": when, "model_version": version,
            });
            let _ = decode_value(v);
        }
    }
}
