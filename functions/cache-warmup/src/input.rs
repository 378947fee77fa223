//! The event: which date to load, and optionally from where.
//!
//! - The daily schedule sends `{"scheduled_time": "<aws.scheduler.scheduled-time>", "trigger": {...}}`:
//!   the date is the scheduled time's date in `FORECAST_TIME_ZONE`.
//! - A manual run names the date: `{"date": "2026-11-27"}`, optionally with `source_uri` (a
//!   prefix or one object, instead of the configured convention), `forecast_version` and
//!   `on_malformed`.
//!
//! An event with neither `date` nor `scheduled_time` is refused: a rerun must say which day it
//! reloads, never guess "today".

use crate::error::CacheWarmupError;
use crate::settings::MalformedPolicy;
use chrono::{DateTime, NaiveDate};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// The warm-up request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WarmupInput {
    /// The forecast date, `YYYY-MM-DD`.
    #[serde(default)]
    pub date: Option<String>,
    /// The schedule's fire time (RFC 3339), used when `date` is absent.
    #[serde(default)]
    pub scheduled_time: Option<String>,
    /// Where the forecasts are (`s3://bucket/prefix/`, `s3://bucket/key.jsonl`, `file://...`),
    /// instead of `FORECAST_LOCATION`.
    #[serde(default)]
    pub source_uri: Option<String>,
    /// The version stamped on every item; default: a hash of the files' names, sizes and ETags.
    #[serde(default)]
    pub forecast_version: Option<String>,
    /// Overrides `ON_MALFORMED` for this run.
    #[serde(default)]
    pub on_malformed: Option<MalformedPolicy>,
    /// Who asked (the schedule's ARN and attempt, an operator): logged, not used.
    #[serde(default)]
    pub trigger: Option<serde_json::Value>,
}

impl WarmupInput {
    /// Decodes the Lambda event.
    pub fn from_event(event: serde_json::Value) -> Result<Self, CacheWarmupError> {
        serde_json::from_value(event).map_err(|e| CacheWarmupError::InvalidInput(e.to_string()))
    }

    /// The forecast date: `date`, else `scheduled_time`'s date in `zone`.
    pub fn resolve_date(&self, zone: Tz) -> Result<NaiveDate, CacheWarmupError> {
        if let Some(text) = &self.date {
            return NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|e| {
                CacheWarmupError::InvalidInput(format!(
                    "date must be YYYY-MM-DD, got {text:?}: {e}"
                ))
            });
        }
        if let Some(text) = &self.scheduled_time {
            let at = DateTime::parse_from_rfc3339(text.trim()).map_err(|e| {
                CacheWarmupError::InvalidInput(format!(
                    "scheduled_time must be an RFC 3339 time, got {text:?}: {e}"
                ))
            })?;
            return Ok(at.with_timezone(&zone).date_naive());
        }
        Err(CacheWarmupError::InvalidInput(
            "no date: set \"date\" (YYYY-MM-DD) for a manual run; the schedule sends \"scheduled_time\""
                .to_string(),
        ))
    }

    /// `forecast_version`, when given and not blank.
    pub fn version(&self) -> Result<Option<String>, CacheWarmupError> {
        match self.forecast_version.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(v) if v.len() <= 128 => Ok(Some(v.to_string())),
            Some(_) => Err(CacheWarmupError::InvalidInput(
                "forecast_version is longer than 128 characters".to_string(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_explicit_date_wins_over_the_scheduled_time() {
        let input = WarmupInput::from_event(json!({
            "date": "2026-11-26", "scheduled_time": "2026-11-27T05:30:00Z"
        }))
        .unwrap();
        assert_eq!(
            input.resolve_date(Tz::UTC).unwrap(),
            NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
        );
    }

    #[test]
    fn the_scheduled_time_names_the_date_in_the_forecast_time_zone() {
        let input = WarmupInput::from_event(json!({
            "scheduled_time": "2026-11-26T23:30:00Z",
            "trigger": {"source": "schedule", "attempt": "1"}
        }))
        .unwrap();
        assert_eq!(
            input.resolve_date(chrono_tz::Europe::Berlin).unwrap(),
            NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
        );
        assert_eq!(
            input.resolve_date(Tz::UTC).unwrap(),
            NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
        );
    }

    #[test]
    fn a_missing_or_bad_date_and_unknown_fields_are_invalid_input() {
        for event in [
            json!({}),
            json!({"date": "27/11/2026"}),
            json!({"scheduled_time": "tomorrow"}),
            json!({"date": "2026-11-27", "dte": "typo"}),
        ] {
            let error = WarmupInput::from_event(event.clone())
                .and_then(|i| i.resolve_date(Tz::UTC).map(|_| ()))
                .unwrap_err();
            assert_eq!(
                shared::ErrorType::error_type(&error),
                "InvalidInput",
                "{event}"
            );
        }
    }
}
