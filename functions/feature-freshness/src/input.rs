//! The request: which table and job, how fresh, and as of when.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `{"database", "table", "job_name", "max_age_hours", "trigger"?, "started_at"?}`: the model's
/// `features` entry of the catalogue, plus what the retraining pipeline knows of the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FreshnessRequest {
    /// The Glue database of the feature table.
    pub database: String,
    /// The feature table.
    pub table: String,
    /// The Glue job that fills it.
    pub job_name: String,
    /// How old the newest partition and the job's last successful run may be, in hours.
    pub max_age_hours: f64,
    /// What started the run (the execution input's `trigger`): a schedule's
    /// `{"source": "schedule", "scheduled_time": "2026-11-29T02:00:00Z", ...}` names the time the
    /// check is made for.
    #[serde(default)]
    pub trigger: Option<Value>,
    /// When the execution started (RFC 3339): the time checked for when the trigger names none
    /// (manual and drift-triggered runs).
    #[serde(default)]
    pub started_at: Option<String>,
}

impl FreshnessRequest {
    /// Checks the fields and returns the time the features must be fresh at: the trigger's
    /// `scheduled_time`, else `started_at`.
    pub fn validate(&self) -> Result<DateTime<Utc>, String> {
        for (name, value) in [
            ("database", &self.database),
            ("table", &self.table),
            ("job_name", &self.job_name),
        ] {
            if value.trim().is_empty() {
                return Err(format!("{name} must not be empty"));
            }
        }
        if !(self.max_age_hours.is_finite() && self.max_age_hours > 0.0) {
            return Err(format!(
                "max_age_hours must be a positive number, got {}",
                self.max_age_hours
            ));
        }
        let scheduled = self
            .trigger
            .as_ref()
            .and_then(|t| t.get("scheduled_time"))
            .map(|t| {
                t.as_str()
                    .map(|s| ("trigger.scheduled_time", s))
                    .ok_or_else(|| format!("trigger.scheduled_time must be a string, got {t}"))
            })
            .transpose()?;
        let (field, text) = scheduled
            .or(self.started_at.as_deref().map(|s| ("started_at", s)))
            .ok_or("give trigger.scheduled_time or started_at: the time to check freshness at")?;
        DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| format!("{field} {text:?} is not an RFC 3339 time: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(extra: Value) -> FreshnessRequest {
        let mut base = json!({"database": "features", "table": "t", "job_name": "features-t", "max_age_hours": 30});
        if let (Some(b), Some(e)) = (base.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        serde_json::from_value(base).unwrap()
    }

    #[test]
    fn the_scheduled_time_wins_over_the_start_time() {
        let r = request(json!({
            "trigger": {"source": "schedule", "scheduled_time": "2026-11-29T02:00:00Z"},
            "started_at": "2026-11-29T02:03:10.5Z"
        }));
        assert_eq!(
            r.validate().unwrap().to_rfc3339(),
            "2026-11-29T02:00:00+00:00"
        );
        let manual =
            request(json!({"trigger": {"source": "manual"}, "started_at": "2026-11-29T09:15:00Z"}));
        assert_eq!(
            manual.validate().unwrap().to_rfc3339(),
            "2026-11-29T09:15:00+00:00"
        );
    }

    #[test]
    fn a_missing_or_unfilled_time_is_refused() {
        let err = request(json!({"trigger": {"source": "manual"}}))
            .validate()
            .unwrap_err();
        assert!(err.contains("started_at"), "{err}");
        let err = request(json!({"trigger": {"scheduled_time": "<aws.scheduler.scheduled-time>"}}))
            .validate()
            .unwrap_err();
        assert!(err.contains("RFC 3339"), "{err}");
        let err = request(json!({"max_age_hours": 0, "started_at": "2026-11-29T09:15:00Z"}))
            .validate()
            .unwrap_err();
        assert!(err.contains("max_age_hours"), "{err}");
    }
}
