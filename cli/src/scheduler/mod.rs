//! EventBridge Scheduler's rules, in one place: schedule expressions (`cron(...)`, `rate(...)`,
//! `at(...)`), time zones, `StartDate`/`EndDate`, fire times and daylight saving time as
//! Scheduler applies them. `pipelines schedule`, `list`, `validate` and `cost` all use it.
//!
//! Sources (read 2026-11-30): the EventBridge Scheduler User Guide, "Schedule types"
//! (rate-, cron-based and one-time schedules; time zones; daylight saving time), the
//! Scheduler API reference (`CreateSchedule`: `ScheduleExpression`, `StartDate`, `EndDate`)
//! and the EventBridge "Cron expressions reference" and "Rate expressions reference".
//!
//! Fire times, as Scheduler computes them:
//! - cron and at() are read in the schedule's time zone. A local time that daylight saving
//!   time skips does not fire; a local time that it repeats fires once, at its first
//!   occurrence.
//! - rate() counts real time (a day is 24 hours, also across a DST change), from
//!   `StartDate`, or, without one, from when the schedule is created: here, from the
//!   `--from` time given (its first invocation is then immediate, as AWS documents).
//! - `StartDate` (inclusive) and `EndDate` (exclusive) bound recurring schedules; Scheduler
//!   ignores both for one-time (at) schedules.
//! - Years run 1970–2199 in cron; nothing fires after 2199.

pub mod cron;
pub mod dst;

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
pub use cron::CronExpression;
pub use dst::DstNote;

/// A schedule that breaks one of Scheduler's rules. The message quotes the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, strum::IntoStaticStr)]
pub enum ScheduleError {
    /// The expression is not a valid `cron(...)`, `rate(...)` or `at(...)`.
    #[error("{expression}: {rule}")]
    InvalidExpression {
        /// The expression as written.
        expression: String,
        /// The rule it breaks.
        rule: String,
    },
    /// `ScheduleExpressionTimezone` is not an IANA time zone name.
    #[error("unknown time zone {0:?}: ScheduleExpressionTimezone takes an IANA name such as Europe/Berlin or UTC")]
    UnknownTimeZone(String),
    /// `StartDate` or `EndDate` is not an ISO 8601 timestamp.
    #[error("{field} {value:?} is not an ISO 8601 date and time such as 2027-01-01T00:00:00Z")]
    InvalidDate {
        /// `StartDate` or `EndDate`.
        field: &'static str,
        /// The text.
        value: String,
    },
    /// `StartDate` is not before `EndDate`.
    #[error("StartDate {start} is not before EndDate {end}: the schedule would never fire")]
    StartNotBeforeEnd {
        /// StartDate.
        start: String,
        /// EndDate.
        end: String,
    },
}

/// AWS's syntax line for rate expressions (EventBridge "Rate expressions reference").
pub const RULE_RATE: &str = "rate(value unit): value is a positive whole number, unit is minute | minutes | hour | hours | day | days. If the value is equal to 1, then the unit must be singular. If the value is greater than 1, the unit must be plural.";
/// AWS's syntax for one-time schedules.
pub const RULE_AT: &str =
    "a one-time schedule is at(yyyy-mm-ddThh:mm:ss), in the schedule's time zone";

/// A parsed schedule expression.
#[derive(Debug, Clone)]
pub enum Expression {
    /// `cron(...)`: local wall-clock minutes.
    Cron(Box<CronExpression>),
    /// `rate(...)`: a fixed real-time interval.
    Rate(Duration),
    /// `at(...)`: one local date and time.
    At(NaiveDateTime),
}

/// Parses a schedule expression by AWS's rules.
pub fn parse(expression: &str) -> Result<Expression, ScheduleError> {
    let text = expression.trim();
    let invalid = |rule: String| ScheduleError::InvalidExpression {
        expression: text.to_string(),
        rule,
    };
    let inner = |prefix: &str| text.strip_prefix(prefix).and_then(|b| b.strip_suffix(')'));
    if let Some(body) = inner("cron(") {
        CronExpression::parse(body)
            .map(|c| Expression::Cron(Box::new(c)))
            .map_err(invalid)
    } else if let Some(body) = inner("rate(") {
        parse_rate(body).map(Expression::Rate).map_err(invalid)
    } else if let Some(body) = inner("at(") {
        NaiveDateTime::parse_from_str(body, "%Y-%m-%dT%H:%M:%S")
            .map(Expression::At)
            .map_err(|_| invalid(RULE_AT.into()))
    } else {
        Err(invalid(
            "a schedule expression is at(yyyy-mm-ddThh:mm:ss), rate(value unit) or cron(fields)"
                .into(),
        ))
    }
}

fn parse_rate(body: &str) -> Result<Duration, String> {
    let parts: Vec<&str> = body.split_whitespace().collect();
    let [value, unit] = parts[..] else {
        return Err(RULE_RATE.into());
    };
    let value: i64 = value
        .parse()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| RULE_RATE.to_string())?;
    let minutes = match unit {
        "minute" | "minutes" => 1,
        "hour" | "hours" => 60,
        "day" | "days" => 1440,
        _ => return Err(RULE_RATE.into()),
    };
    if (value == 1) == unit.ends_with('s') {
        return Err(RULE_RATE.into());
    }
    value
        .checked_mul(minutes)
        .and_then(Duration::try_minutes)
        .ok_or_else(|| RULE_RATE.to_string())
}

/// Parses an IANA time zone name.
pub fn time_zone(name: &str) -> Result<Tz, ScheduleError> {
    name.parse::<Tz>()
        .map_err(|_| ScheduleError::UnknownTimeZone(name.to_string()))
}

/// Parses a time given on the command line or as `StartDate`/`EndDate`: RFC 3339
/// (`2027-03-20T00:00:00Z`, `...+01:00`), or without an offset (`2027-03-20T00:00[:00]`,
/// `2027-03-20`), read as UTC.
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Some(t.and_utc());
        }
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

/// A schedule as Scheduler runs it: expression, time zone and bounds.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// The parsed expression.
    pub expression: Expression,
    /// The time zone the expression is read in.
    pub zone: Tz,
    /// `StartDate`: nothing fires before it.
    pub start: Option<DateTime<Utc>>,
    /// `EndDate`: nothing fires at or after it.
    pub end: Option<DateTime<Utc>>,
}

impl Schedule {
    /// Checks and builds a schedule from the template's (resolved) properties.
    pub fn new(
        expression: &str,
        timezone: &str,
        start: Option<&str>,
        end: Option<&str>,
    ) -> Result<Schedule, ScheduleError> {
        let date = |field: &'static str, text: Option<&str>| {
            text.map(|t| {
                parse_time(t).ok_or_else(|| ScheduleError::InvalidDate {
                    field,
                    value: t.to_string(),
                })
            })
            .transpose()
        };
        let (start, end) = (date("StartDate", start)?, date("EndDate", end)?);
        if let (Some(s), Some(e)) = (start, end) {
            if s >= e {
                return Err(ScheduleError::StartNotBeforeEnd {
                    start: iso(s),
                    end: iso(e),
                });
            }
        }
        Ok(Schedule {
            expression: parse(expression)?,
            zone: time_zone(timezone)?,
            start,
            end,
        })
    }

    /// Fire times at or after `from`, in order (possibly endless: take what you need).
    pub fn fires(&self, from: DateTime<Utc>) -> Box<dyn Iterator<Item = DateTime<Utc>> + '_> {
        match &self.expression {
            Expression::At(local) => Box::new(
                self.zone
                    .from_local_datetime(local)
                    .earliest()
                    .map(|t| t.with_timezone(&Utc))
                    .filter(|t| *t >= from)
                    .into_iter(),
            ),
            Expression::Rate(every) => {
                let every = *every;
                let anchor = self.start.unwrap_or(from);
                let skip = if from > anchor {
                    let (gap, step) = ((from - anchor).num_seconds(), every.num_seconds());
                    (gap + step - 1) / step
                } else {
                    0
                };
                let end = self.end;
                Box::new(
                    (skip..)
                        .map_while(move |k| {
                            every
                                .checked_mul(i32::try_from(k).ok()?)
                                .and_then(|d| anchor.checked_add_signed(d))
                        })
                        .take_while(move |t| end.is_none_or(|e| *t < e)),
                )
            }
            Expression::Cron(cron) => {
                let from = from.max(self.start.unwrap_or(from));
                // Start three hours early in wall-clock time, so that no offset change can
                // make the first local match fall after `from` unseen.
                let mut cursor = from.with_timezone(&self.zone).naive_local() - Duration::hours(3);
                let mut inclusive = true;
                let zone = self.zone;
                let end = self.end;
                Box::new(
                    std::iter::from_fn(move || loop {
                        let local = cron.next_local(cursor, inclusive)?;
                        cursor = local;
                        inclusive = false;
                        // A skipped local time has no instant; a repeated one fires at its first.
                        if let Some(t) = zone.from_local_datetime(&local).earliest() {
                            return Some(t.with_timezone(&Utc));
                        }
                    })
                    .skip_while(move |t| *t < from)
                    .take_while(move |t| end.is_none_or(|e| *t < e)),
                )
            }
        }
    }

    /// Where this schedule's local times meet a daylight saving change between `from` and `to`.
    pub fn dst_notes(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<DstNote> {
        dst::notes(self, from, to)
    }
}

/// Scheduler's rules on a schedule's other properties, from the `CreateSchedule` API reference:
/// `State` is ENABLED or DISABLED; `FlexibleTimeWindow.Mode` is OFF or FLEXIBLE, and FLEXIBLE needs
/// `MaximumWindowInMinutes` from 1 to 1440; `Target.RetryPolicy.MaximumEventAgeInSeconds` is 60 to
/// 86400 and `MaximumRetryAttempts` 0 to 185. Only literal values are checked (an intrinsic
/// function is left to deploy time). Returns (field, problem) pairs.
pub fn property_problems(properties: &serde_json::Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let literal = |path: &str| -> Option<String> {
        match properties.pointer(path)? {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    let mut one_of = |field: &str, path: &str, allowed: &[&str]| {
        if let Some(value) = literal(path) {
            if !allowed.contains(&value.as_str()) {
                out.push((
                    field.to_string(),
                    format!("{value:?} is not one of {}", allowed.join(" | ")),
                ));
            }
        }
    };
    one_of("State", "/State", &["ENABLED", "DISABLED"]);
    one_of(
        "FlexibleTimeWindow.Mode",
        "/FlexibleTimeWindow/Mode",
        &["OFF", "FLEXIBLE"],
    );
    let ranges = [
        (
            "FlexibleTimeWindow.MaximumWindowInMinutes",
            "/FlexibleTimeWindow/MaximumWindowInMinutes",
            1,
            1440,
        ),
        (
            "Target.RetryPolicy.MaximumEventAgeInSeconds",
            "/Target/RetryPolicy/MaximumEventAgeInSeconds",
            60,
            86_400,
        ),
        (
            "Target.RetryPolicy.MaximumRetryAttempts",
            "/Target/RetryPolicy/MaximumRetryAttempts",
            0,
            185,
        ),
    ];
    for (field, path, min, max) in ranges {
        if let Some(value) = literal(path) {
            if !value.parse::<i64>().is_ok_and(|v| (min..=max).contains(&v)) {
                out.push((
                    field.to_string(),
                    format!("{value} is not a whole number from {min} to {max}"),
                ));
            }
        }
    }
    if literal("/FlexibleTimeWindow/Mode").as_deref() == Some("FLEXIBLE")
        && properties
            .pointer("/FlexibleTimeWindow/MaximumWindowInMinutes")
            .is_none()
    {
        out.push((
            "FlexibleTimeWindow.MaximumWindowInMinutes".into(),
            "required when Mode is FLEXIBLE (1 to 1440)".into(),
        ));
    }
    out
}

/// ISO 8601 in UTC to the second: `2027-03-21T01:00:00Z`.
pub fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests;
