//! Settings from the environment (the template sets them), each with a checked range.

use crate::backoff::Backoff;
use crate::endpoint::WarmupRequest;
use crate::error::CacheWarmupError;
use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// Default TTL of a cache item after its forecast date, in days.
pub const DEFAULT_TTL_DAYS: u32 = 3;
/// Default number of BatchWriteItem calls in flight.
pub const DEFAULT_WRITE_CONCURRENCY: usize = 8;
/// Default number of warm-up requests.
pub const DEFAULT_WARMUP_REQUESTS: u32 = 3;
/// The placeholders a forecast location may use.
pub const PLACEHOLDERS: &[&str] = &["{date}", "{yyyy}", "{mm}", "{dd}"];

/// What to do with a malformed line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum MalformedPolicy {
    /// Report it (file and line), count it as a failed item, load the rest.
    #[default]
    Skip,
    /// Fail the run at the first one.
    Fail,
}

/// The function's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// `CACHE_TABLE_NAME`: the forecast cache table (required).
    pub table_name: String,
    /// `FORECAST_LOCATION`: where a date's forecasts are, with `{date}` (or `{yyyy}`, `{mm}`,
    /// `{dd}`), e.g. `s3://forecasts/daily/{date}/`. Optional when every event names its source.
    pub forecast_location: Option<String>,
    /// `KEY_FIELDS` (default `item_id`): comma-separated record fields forming the partition key.
    pub key_fields: Vec<String>,
    /// `TTL_DAYS` (default 3, 1–365): items expire this many days after their date's midnight UTC.
    pub ttl_days: u32,
    /// `MAX_FAILURE_SHARE` (default 0, 0–1): the share of items read that may fail to load
    /// before the run fails.
    pub max_failure_share: f64,
    /// `ON_MALFORMED` (`skip` | `fail`, default `skip`).
    pub on_malformed: MalformedPolicy,
    /// `WRITE_CONCURRENCY` (default 8, 1–64): BatchWriteItem calls in flight.
    pub write_concurrency: usize,
    /// `MAX_WRITE_ATTEMPTS` (default 10, 1–50), `BACKOFF_BASE_MS` (50), `BACKOFF_CAP_MS` (5000).
    pub backoff: Backoff,
    /// `FORECAST_TIME_ZONE` (default `UTC`): the zone in which a schedule's time names the date.
    pub time_zone: Tz,
    /// `ENDPOINT_NAME` (empty = no warm-up), `ENDPOINT_WARMUP_REQUESTS` (3, 0–20),
    /// `ENDPOINT_WARMUP_PAYLOAD` (`{}`), `ENDPOINT_WARMUP_CONTENT_TYPE` (`application/json`).
    pub endpoint: Option<WarmupRequest>,
}

impl Settings {
    /// Settings with defaults for everything but the table.
    pub fn new(table_name: impl Into<String>) -> Self {
        Self {
            table_name: table_name.into(),
            forecast_location: None,
            key_fields: vec!["item_id".to_string()],
            ttl_days: DEFAULT_TTL_DAYS,
            max_failure_share: 0.0,
            on_malformed: MalformedPolicy::Skip,
            write_concurrency: DEFAULT_WRITE_CONCURRENCY,
            backoff: Backoff::default(),
            time_zone: Tz::UTC,
            endpoint: None,
        }
    }

    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<Self, CacheWarmupError> {
        Self::from_lookup(shared::settings::process_env)
    }

    /// Reads the settings through `lookup` (a variable name to its value).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, CacheWarmupError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let bad = |name: &str, what: &str, text: &str| {
            CacheWarmupError::Configuration(format!("{name} must be {what}, got {text:?}"))
        };
        let integer =
            |name: &str, default: u64, min: u64, max: u64| -> Result<u64, CacheWarmupError> {
                match get(name) {
                    None => Ok(default),
                    Some(text) => match text.parse::<u64>() {
                        Ok(v) if (min..=max).contains(&v) => Ok(v),
                        _ => Err(bad(name, &format!("an integer from {min} to {max}"), &text)),
                    },
                }
            };
        let mut settings = Settings::new(get("CACHE_TABLE_NAME").ok_or_else(|| {
            CacheWarmupError::Configuration("CACHE_TABLE_NAME is not set".to_string())
        })?);
        if let Some(location) = get("FORECAST_LOCATION") {
            check_location(&location)?;
            settings.forecast_location = Some(location);
        }
        if let Some(fields) = get("KEY_FIELDS") {
            let fields: Vec<String> = fields
                .split(',')
                .map(|f| f.trim().to_string())
                .filter(|f| !f.is_empty())
                .collect();
            if fields.is_empty() {
                return Err(bad(
                    "KEY_FIELDS",
                    "a comma-separated list of field names",
                    "",
                ));
            }
            settings.key_fields = fields;
        }
        settings.ttl_days = integer("TTL_DAYS", u64::from(DEFAULT_TTL_DAYS), 1, 365)? as u32;
        if let Some(text) = get("MAX_FAILURE_SHARE") {
            settings.max_failure_share = match text.parse::<f64>() {
                Ok(v) if (0.0..=1.0).contains(&v) => v,
                _ => return Err(bad("MAX_FAILURE_SHARE", "a number from 0 to 1", &text)),
            };
        }
        if let Some(text) = get("ON_MALFORMED") {
            settings.on_malformed = match text.to_ascii_lowercase().as_str() {
                "skip" => MalformedPolicy::Skip,
                "fail" => MalformedPolicy::Fail,
                _ => return Err(bad("ON_MALFORMED", "\"skip\" or \"fail\"", &text)),
            };
        }
        settings.write_concurrency =
            integer("WRITE_CONCURRENCY", DEFAULT_WRITE_CONCURRENCY as u64, 1, 64)? as usize;
        settings.backoff.max_attempts = integer(
            "MAX_WRITE_ATTEMPTS",
            u64::from(settings.backoff.max_attempts),
            1,
            50,
        )? as u32;
        settings.backoff.base = std::time::Duration::from_millis(integer(
            "BACKOFF_BASE_MS",
            settings.backoff.base.as_millis() as u64,
            1,
            10_000,
        )?);
        settings.backoff.cap = std::time::Duration::from_millis(integer(
            "BACKOFF_CAP_MS",
            settings.backoff.cap.as_millis() as u64,
            1,
            60_000,
        )?);
        if let Some(text) = get("FORECAST_TIME_ZONE") {
            settings.time_zone = text
                .parse::<Tz>()
                .map_err(|_| bad("FORECAST_TIME_ZONE", "an IANA time zone name", &text))?;
        }
        if let Some(endpoint_name) = get("ENDPOINT_NAME") {
            settings.endpoint = Some(WarmupRequest {
                endpoint_name,
                requests: integer(
                    "ENDPOINT_WARMUP_REQUESTS",
                    u64::from(DEFAULT_WARMUP_REQUESTS),
                    0,
                    20,
                )? as u32,
                payload: get("ENDPOINT_WARMUP_PAYLOAD").unwrap_or_else(|| "{}".to_string()),
                content_type: get("ENDPOINT_WARMUP_CONTENT_TYPE")
                    .unwrap_or_else(|| "application/json".to_string()),
            });
        }
        Ok(settings)
    }

    /// The forecast location of `date` under the configured convention.
    pub fn location_for(&self, date: NaiveDate) -> Option<String> {
        self.forecast_location
            .as_deref()
            .map(|template| expand_location(template, date))
    }
}

/// A location must name the date, or every day would load the same files.
pub fn check_location(location: &str) -> Result<(), CacheWarmupError> {
    let has_date = location.contains("{date}")
        || ["{yyyy}", "{mm}", "{dd}"]
            .iter()
            .all(|p| location.contains(p));
    if !(location.starts_with("s3://") || location.starts_with("file://")) || !has_date {
        return Err(CacheWarmupError::Configuration(format!(
            "FORECAST_LOCATION must be an s3:// or file:// location containing {{date}} \
             (or {{yyyy}}, {{mm}} and {{dd}}), got {location:?}"
        )));
    }
    Ok(())
}

/// Replaces the placeholders of `template` with `date`'s parts.
pub fn expand_location(template: &str, date: NaiveDate) -> String {
    template
        .replace("{date}", &date.format("%Y-%m-%d").to_string())
        .replace("{yyyy}", &date.format("%Y").to_string())
        .replace("{mm}", &date.format("%m").to_string())
        .replace("{dd}", &date.format("%d").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    use shared::settings::from_pairs as lookup;

    #[test]
    fn everything_but_the_table_has_a_default() {
        let settings = Settings::from_lookup(lookup(&[("CACHE_TABLE_NAME", "cache")])).unwrap();
        assert_eq!(settings, Settings::new("cache"));
        let tuned = Settings::from_lookup(lookup(&[
            ("CACHE_TABLE_NAME", "cache"),
            (
                "FORECAST_LOCATION",
                "s3://b/forecasts/year={yyyy}/month={mm}/day={dd}/",
            ),
            ("KEY_FIELDS", "store_id, item_id"),
            ("MAX_FAILURE_SHARE", "0.01"),
            ("ON_MALFORMED", "FAIL"),
            ("FORECAST_TIME_ZONE", "Europe/Berlin"),
            ("ENDPOINT_NAME", "prod-demand-forecast"),
            ("ENDPOINT_WARMUP_REQUESTS", "5"),
        ]))
        .unwrap();
        assert_eq!(tuned.key_fields, ["store_id", "item_id"]);
        assert_eq!(tuned.on_malformed, MalformedPolicy::Fail);
        assert_eq!(tuned.time_zone, chrono_tz::Europe::Berlin);
        assert_eq!(tuned.endpoint.as_ref().map(|e| e.requests), Some(5));
        let date = NaiveDate::from_ymd_opt(2026, 11, 7).unwrap();
        assert_eq!(
            tuned.location_for(date).as_deref(),
            Some("s3://b/forecasts/year=2026/month=11/day=07/")
        );
    }

    #[test]
    fn invalid_settings_are_configuration_errors() {
        for pairs in [
            vec![],
            vec![
                ("CACHE_TABLE_NAME", "c"),
                ("FORECAST_LOCATION", "s3://b/forecasts/"),
            ],
            vec![
                ("CACHE_TABLE_NAME", "c"),
                ("FORECAST_LOCATION", "http://x/{date}/"),
            ],
            vec![("CACHE_TABLE_NAME", "c"), ("MAX_FAILURE_SHARE", "1.5")],
            vec![("CACHE_TABLE_NAME", "c"), ("TTL_DAYS", "0")],
            vec![("CACHE_TABLE_NAME", "c"), ("ON_MALFORMED", "ignore")],
            vec![("CACHE_TABLE_NAME", "c"), ("WRITE_CONCURRENCY", "0")],
            vec![
                ("CACHE_TABLE_NAME", "c"),
                ("FORECAST_TIME_ZONE", "Mars/Olympus"),
            ],
            vec![("CACHE_TABLE_NAME", "c"), ("KEY_FIELDS", " , ")],
        ] {
            let error = Settings::from_lookup(lookup(&pairs)).unwrap_err();
            assert_eq!(
                shared::ErrorType::error_type(&error),
                "Configuration",
                "{pairs:?}"
            );
        }
    }
}
