//! The inference request: what producers publish on the inference-request topic (base64 JSON in
//! the Kafka record value), and its decoder. Pure code: no I/O, never panics on any bytes.
//!
//! ```json
//! {"request_id": "req-0001", "model_name": "demand-forecast", "features": [12.0, 3.5, 1.0]}
//! ```
//!
//! Unknown fields are refused (`deny_unknown_fields`): a producer's typo must not be silently
//! dropped from what the model sees.

use serde::{Deserialize, Serialize};

/// Largest record value accepted, in bytes after base64 decoding.
pub const MAX_VALUE_BYTES: usize = 64 * 1024;
/// Longest request id: it becomes a DynamoDB key and part of log lines.
pub const MAX_REQUEST_ID: usize = 128;
/// Most features in one request.
pub const MAX_FEATURES: usize = 1024;

/// A validated inference request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InferenceRequest {
    /// The producer's id of this request: 1-128 characters of `[A-Za-z0-9_.:-]`. A redelivered
    /// record carries the same id, which is what makes its prediction write idempotent.
    pub request_id: String,
    /// The catalogue model to ask (`catalogue::valid_model_name`); its endpoint is
    /// `<env>-<model_name>`.
    pub model_name: String,
    /// The feature vector, in the model's column order: finite numbers, 1 to [`MAX_FEATURES`].
    pub features: Vec<f64>,
}

/// Why a record's value was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The value is missing, not base64, or too large.
    #[error(transparent)]
    Value(#[from] shared::kafka::ValueError),
    /// The value is not a JSON request of the expected shape.
    #[error("value is not an inference request: {0}")]
    NotJson(String),
    /// A field is out of range.
    #[error("invalid inference request: {0}")]
    Invalid(String),
}

/// Decodes a Kafka record value: base64, then [`decode_json`].
pub fn decode_base64(value: Option<&str>) -> Result<InferenceRequest, DecodeError> {
    let bytes = shared::kafka::value_bytes(value, MAX_VALUE_BYTES)?;
    decode_json(&bytes)
}

/// Decodes and validates the JSON bytes of a request.
pub fn decode_json(bytes: &[u8]) -> Result<InferenceRequest, DecodeError> {
    let request: InferenceRequest =
        serde_json::from_slice(bytes).map_err(|e| DecodeError::NotJson(e.to_string()))?;
    validate(request)
}

fn validate(request: InferenceRequest) -> Result<InferenceRequest, DecodeError> {
    let id = &request.request_id;
    if id.is_empty()
        || id.len() > MAX_REQUEST_ID
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-'))
    {
        return Err(DecodeError::Invalid(format!(
            "request_id must be 1-{MAX_REQUEST_ID} characters of [A-Za-z0-9_.:-], got {:?}",
            truncate(id, 40)
        )));
    }
    catalogue::check_model_name(&request.model_name).map_err(DecodeError::Invalid)?;
    if request.features.is_empty() || request.features.len() > MAX_FEATURES {
        return Err(DecodeError::Invalid(format!(
            "features must hold 1-{MAX_FEATURES} numbers, got {}",
            request.features.len()
        )));
    }
    if !request.features.iter().all(|f| f.is_finite()) {
        return Err(DecodeError::Invalid(
            "features must be finite numbers".into(),
        ));
    }
    Ok(request)
}

/// At most `max` characters of `s`, for messages.
fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn b64(value: &serde_json::Value) -> String {
        aws_smithy_types_b64(value.to_string().as_bytes())
    }

    fn aws_smithy_types_b64(bytes: &[u8]) -> String {
        shared::kafka::encode_base64(bytes)
    }

    fn sample() -> serde_json::Value {
        json!({"request_id": "req-0001", "model_name": "demand-forecast", "features": [12.0, 3.5, 1]})
    }

    #[test]
    fn a_valid_request_decodes() {
        let request = decode_base64(Some(&b64(&sample()))).unwrap();
        assert_eq!(request.request_id, "req-0001");
        assert_eq!(request.model_name, "demand-forecast");
        assert_eq!(request.features, [12.0, 3.5, 1.0]);
    }

    #[test]
    fn each_broken_field_is_rejected() {
        for (field, bad) in [
            ("request_id", json!("")),
            ("request_id", json!("has space")),
            ("request_id", json!("x".repeat(MAX_REQUEST_ID + 1))),
            ("model_name", json!("Demand_Forecast")),
            ("model_name", json!("a".repeat(22))),
            ("features", json!([])),
            ("features", json!(vec![1.0; MAX_FEATURES + 1])),
        ] {
            let mut v = sample();
            v[field] = bad;
            let error = decode_json(v.to_string().as_bytes()).unwrap_err();
            assert!(
                matches!(error, DecodeError::Invalid(_)),
                "{field}: {error:?}"
            );
        }
    }

    #[test]
    fn wrong_types_missing_and_unknown_fields_are_not_requests() {
        let mut typo = sample();
        typo["featurs"] = json!([1.0]);
        let mut missing = sample();
        missing.as_object_mut().unwrap().remove("features");
        let mut text = sample();
        text["features"] = json!(["1.0"]);
        for v in [typo, missing, text, json!([1, 2]), json!(null)] {
            assert!(
                matches!(
                    decode_json(v.to_string().as_bytes()),
                    Err(DecodeError::NotJson(_))
                ),
                "{v}"
            );
        }
    }

    #[test]
    fn transport_problems_are_rejected_with_their_reason() {
        assert!(matches!(decode_base64(None), Err(DecodeError::Value(_))));
        assert!(matches!(
            decode_base64(Some("@@")),
            Err(DecodeError::Value(_))
        ));
        let huge = "A".repeat(MAX_VALUE_BYTES * 2);
        assert!(matches!(
            decode_base64(Some(&huge)),
            Err(DecodeError::Value(_))
        ));
    }

    proptest! {
        #[test]
        fn no_bytes_make_the_decoder_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            let _ = decode_json(&bytes);
            let _ = decode_base64(Some(&aws_smithy_types_b64(&bytes)));
            let _ = decode_base64(Some(&String::from_utf8_lossy(&bytes)));
        }

        #[test]
        fn no_field_values_make_the_decoder_panic(
            id in ".{0,140}", model in ".{0,30}",
            features in prop::collection::vec(any::<f64>(), 0..8),
        ) {
            let v = json!({"request_id": id, "model_name": model, "features": features});
            let _ = decode_json(v.to_string().as_bytes());
        }

        #[test]
        fn every_well_formed_request_round_trips(
            id in "[A-Za-z0-9_.:-]{1,128}", model in "[a-z0-9]{1,21}",
            features in prop::collection::vec(-1e9f64..1e9, 1..16),
        ) {
            let v = json!({"request_id": id, "model_name": model, "features": features});
            let decoded = decode_base64(Some(&b64(&v))).unwrap();
            prop_assert_eq!(decoded.request_id, id);
            prop_assert_eq!(decoded.features, features);
        }
    }
}
