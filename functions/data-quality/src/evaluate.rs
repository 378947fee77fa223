//! Deciding pass / fail from a query's result: pure functions over the result table.

use crate::rules::{normalise_type, Rule};
use crate::window::{text, Window};
use serde::Serialize;

/// A query's result: column names (lowercase) and rows of nullable text values, as Athena
/// returns them (the header row already removed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResultTable {
    /// Column names, lowercase.
    pub columns: Vec<String>,
    /// Rows; `None` is SQL NULL.
    pub rows: Vec<Vec<Option<String>>>,
}

impl ResultTable {
    /// A table from column names and rows (tests, fixtures).
    pub fn new(columns: &[&str], rows: Vec<Vec<Option<&str>>>) -> Self {
        Self {
            columns: columns.iter().map(|c| c.to_lowercase()).collect(),
            rows: rows
                .into_iter()
                .map(|r| r.into_iter().map(|v| v.map(str::to_string)).collect())
                .collect(),
        }
    }

    fn index(&self, column: &str) -> Result<usize, String> {
        self.columns
            .iter()
            .position(|c| c == column)
            .ok_or_else(|| {
                format!(
                    "unexpected result: no column {column:?} (got {})",
                    self.columns.join(", ")
                )
            })
    }

    /// The first row's `column`, as a number (`None` for NULL).
    fn number(&self, column: &str) -> Result<Option<f64>, String> {
        let i = self.index(column)?;
        let row = self
            .rows
            .first()
            .ok_or_else(|| "unexpected result: no row".to_string())?;
        match row.get(i).cloned().flatten() {
            None => Ok(None),
            Some(text) => text
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .map(Some)
                .ok_or_else(|| format!("unexpected result: {column} = {text:?} is not a number")),
        }
    }

    fn count(&self, column: &str) -> Result<f64, String> {
        Ok(self.number(column)?.unwrap_or(0.0))
    }
}

/// A check's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Within its limits.
    Pass,
    /// Outside its limits.
    Fail,
    /// Could not be decided (the query failed, timed out or returned something unexpected).
    Error,
}

impl Status {
    /// `pass`, `fail`, `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Error => "error",
        }
    }
}

/// What a check found.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Pass, fail or error.
    pub status: Status,
    /// The measured value (row count, age in minutes, null share, violations, differences).
    pub observed: Option<f64>,
    /// The limit it was compared with.
    pub threshold: Option<f64>,
    /// Why it failed or could not run; a note on a pass.
    pub message: Option<String>,
}

impl Outcome {
    /// An error outcome with `message`.
    pub fn error(message: impl Into<String>) -> Self {
        Self {
            status: Status::Error,
            observed: None,
            threshold: None,
            message: Some(message.into()),
        }
    }

    fn decided(failed: bool, observed: Option<f64>, threshold: f64, message: String) -> Self {
        Self {
            status: if failed { Status::Fail } else { Status::Pass },
            observed,
            threshold: Some(threshold),
            message: failed.then_some(message),
        }
    }
}

fn round(value: f64, digits: i32) -> f64 {
    let factor = 10f64.powi(digits);
    (value * factor).round() / factor
}

fn percent(share: f64) -> String {
    let p = round(share * 100.0, 2);
    format!("{p}%")
}

/// Decides a check from its query's result.
pub fn evaluate(rule: &Rule, result: &ResultTable, window: &Window) -> Outcome {
    match decide(rule, result, window) {
        Ok(outcome) => outcome,
        Err(message) => Outcome::error(message),
    }
}

fn violations(result: &ResultTable, max: u64, what: &str) -> Result<Outcome, String> {
    let v = result.count("violations")?;
    Ok(Outcome::decided(
        v > max as f64,
        Some(v),
        max as f64,
        format!("{v} {what} (at most {max} allowed)"),
    ))
}

fn decide(rule: &Rule, result: &ResultTable, window: &Window) -> Result<Outcome, String> {
    match rule {
        Rule::RowCount { min, max } => {
            let n = result.count("observed")?;
            if n < *min as f64 {
                return Ok(Outcome::decided(
                    true,
                    Some(n),
                    *min as f64,
                    format!("row count {n} is below the minimum {min}"),
                ));
            }
            if let Some(max) = max.filter(|m| n > *m as f64) {
                return Ok(Outcome::decided(
                    true,
                    Some(n),
                    max as f64,
                    format!("row count {n} is above the maximum {max}"),
                ));
            }
            Ok(Outcome::decided(false, Some(n), *min as f64, String::new()))
        }
        Rule::Freshness {
            max_age_minutes,
            lookback_hours,
        } => {
            let threshold = *max_age_minutes as f64;
            match result.number("newest")? {
                None => Ok(Outcome::decided(
                    true,
                    None,
                    threshold,
                    format!(
                        "no row in the {lookback_hours} hours before {}",
                        text(window.end)
                    ),
                )),
                Some(newest) => {
                    let age = round((window.end.timestamp() as f64 - newest) / 60.0, 1).max(0.0);
                    Ok(Outcome::decided(
                        age > threshold,
                        Some(age),
                        threshold,
                        format!(
                            "the newest row is {age} minutes old at {}, more than {max_age_minutes}",
                            text(window.end)
                        ),
                    ))
                }
            }
        }
        Rule::NullRate { column, max_rate } => {
            let total = result.count("total")?;
            let nulls = result.count("violations")?;
            if total == 0.0 {
                return Ok(Outcome {
                    status: Status::Pass,
                    observed: None,
                    threshold: Some(*max_rate),
                    message: Some("no rows in the window".into()),
                });
            }
            let rate = round(nulls / total, 6);
            Ok(Outcome::decided(
                rate > *max_rate,
                Some(rate),
                *max_rate,
                format!(
                    "null rate of {column} {} ({nulls} of {total} rows) exceeds {}",
                    percent(rate),
                    percent(*max_rate)
                ),
            ))
        }
        Rule::Range {
            column,
            min,
            max,
            max_violations,
        } => {
            let bounds = match (min, max) {
                (Some(lo), Some(hi)) => format!("[{lo}, {hi}]"),
                (Some(lo), None) => format!(">= {lo}"),
                (None, Some(hi)) => format!("<= {hi}"),
                (None, None) => "any".into(),
            };
            violations(
                result,
                *max_violations,
                &format!("rows with {column} outside {bounds}"),
            )
        }
        Rule::Unique {
            columns,
            max_violations,
        } => violations(
            result,
            *max_violations,
            &format!("duplicate rows for the key ({})", columns.join(", ")),
        ),
        Rule::AcceptedValues {
            column,
            max_violations,
            ..
        } => violations(
            result,
            *max_violations,
            &format!("rows with a value of {column} that is not accepted"),
        ),
        Rule::CustomSql { max_violations, .. } => violations(result, *max_violations, "violations"),
        Rule::Schema {
            columns,
            allow_extra_columns,
        } => {
            let name = result.index("column_name")?;
            let kind = result.index("data_type")?;
            let actual: Vec<(String, String)> = result
                .rows
                .iter()
                .filter_map(|r| {
                    let n = r.get(name).cloned().flatten()?;
                    let t = r.get(kind).cloned().flatten().unwrap_or_default();
                    Some((n.to_lowercase(), normalise_type(&t)))
                })
                .collect();
            let mut differences = Vec::new();
            for (column, expected) in columns {
                match actual.iter().find(|(n, _)| n == column) {
                    None => differences.push(format!("missing {column}")),
                    Some((_, t)) if !same_type(expected, t) => {
                        differences.push(format!("{column} is {t}, expected {expected}"))
                    }
                    Some(_) => {}
                }
            }
            if !allow_extra_columns {
                for (n, t) in &actual {
                    if !columns.iter().any(|(c, _)| c == n) {
                        differences.push(format!("unexpected {n} ({t})"));
                    }
                }
            }
            let count = differences.len() as f64;
            let shown: Vec<&str> = differences.iter().take(10).map(String::as_str).collect();
            let more = differences.len().saturating_sub(10);
            Ok(Outcome::decided(
                !differences.is_empty(),
                Some(count),
                0.0,
                format!(
                    "schema drift: {}{}",
                    shown.join("; "),
                    if more > 0 {
                        format!("; and {more} more")
                    } else {
                        String::new()
                    }
                ),
            ))
        }
    }
}

/// `timestamp` matches `timestamp(3)`; otherwise the normalised names must be equal.
fn same_type(expected: &str, actual: &str) -> bool {
    actual == expected
        || (!expected.contains('(')
            && actual.starts_with(expected)
            && actual[expected.len()..].starts_with('('))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};

    fn hour() -> Window {
        let at = |t: &str| DateTime::parse_from_rfc3339(t).unwrap().with_timezone(&Utc);
        Window {
            start: at("2026-11-27T06:00:00Z"),
            end: at("2026-11-27T07:00:00Z"),
        }
    }

    fn one(column: &str, value: Option<&str>) -> ResultTable {
        ResultTable::new(&[column], vec![vec![value]])
    }

    fn totals(total: &str, violations: &str) -> ResultTable {
        ResultTable::new(
            &["total", "violations"],
            vec![vec![Some(total), Some(violations)]],
        )
    }

    #[test]
    fn row_count_below_the_minimum_fails_with_observed_and_threshold() {
        let rule = Rule::RowCount {
            min: 50000,
            max: None,
        };
        let o = evaluate(&rule, &one("observed", Some("1204")), &hour());
        assert_eq!(o.status, Status::Fail);
        assert_eq!((o.observed, o.threshold), (Some(1204.0), Some(50000.0)));
        assert_eq!(
            o.message.as_deref(),
            Some("row count 1204 is below the minimum 50000")
        );
        let o = evaluate(&rule, &one("observed", Some("50000")), &hour());
        assert_eq!((o.status, o.message), (Status::Pass, None));
    }

    #[test]
    fn row_count_above_a_maximum_fails_against_the_maximum() {
        let rule = Rule::RowCount {
            min: 1,
            max: Some(10),
        };
        let o = evaluate(&rule, &one("observed", Some("11")), &hour());
        assert_eq!((o.status, o.threshold), (Status::Fail, Some(10.0)));
    }

    #[test]
    fn freshness_measures_age_at_the_window_end() {
        let rule = Rule::Freshness {
            max_age_minutes: 90,
            lookback_hours: 24,
        };
        // 06:48 UTC → 12 minutes before 07:00; Athena prints doubles in E notation.
        let newest = (hour().end.timestamp() - 12 * 60) as f64;
        let o = evaluate(&rule, &one("newest", Some(&format!("{newest:E}"))), &hour());
        assert_eq!(
            (o.status, o.observed, o.threshold),
            (Status::Pass, Some(12.0), Some(90.0))
        );
        let stale = (hour().end.timestamp() - 200 * 60) as f64;
        let o = evaluate(&rule, &one("newest", Some(&stale.to_string())), &hour());
        assert_eq!((o.status, o.observed), (Status::Fail, Some(200.0)));
        let o = evaluate(&rule, &one("newest", None), &hour());
        assert_eq!((o.status, o.observed), (Status::Fail, None));
        assert!(o.message.unwrap().contains("no row in the 24 hours"));
    }

    #[test]
    fn null_rate_compares_the_share_of_nulls() {
        let rule = Rule::NullRate {
            column: "store_id".into(),
            max_rate: 0.01,
        };
        let o = evaluate(&rule, &totals("1000", "42"), &hour());
        assert_eq!(
            (o.status, o.observed, o.threshold),
            (Status::Fail, Some(0.042), Some(0.01))
        );
        assert_eq!(
            o.message.as_deref(),
            Some("null rate of store_id 4.2% (42 of 1000 rows) exceeds 1%")
        );
        assert_eq!(
            evaluate(&rule, &totals("1000", "10"), &hour()).status,
            Status::Pass
        );
        let empty = evaluate(&rule, &totals("0", "0"), &hour());
        assert_eq!((empty.status, empty.observed), (Status::Pass, None));
    }

    #[test]
    fn violation_counts_compare_with_max_violations() {
        let rule = Rule::Range {
            column: "amount".into(),
            min: Some(0.0),
            max: None,
            max_violations: 2,
        };
        assert_eq!(
            evaluate(&rule, &totals("10", "2"), &hour()).status,
            Status::Pass
        );
        let o = evaluate(&rule, &totals("10", "3"), &hour());
        assert_eq!(
            (o.status, o.observed, o.threshold),
            (Status::Fail, Some(3.0), Some(2.0))
        );
        assert_eq!(
            o.message.as_deref(),
            Some("3 rows with amount outside >= 0 (at most 2 allowed)")
        );
        let unique = Rule::Unique {
            columns: vec!["event_id".into()],
            max_violations: 0,
        };
        assert_eq!(
            evaluate(&unique, &one("violations", Some("0")), &hour()).status,
            Status::Pass
        );
        let custom = Rule::CustomSql {
            sql: String::new(),
            max_violations: 0,
        };
        assert_eq!(
            evaluate(&custom, &one("violations", Some("5")), &hour()).status,
            Status::Fail
        );
    }

    #[test]
    fn schema_drift_counts_missing_changed_and_unexpected_columns() {
        let rule = Rule::Schema {
            columns: vec![
                ("event_id".into(), "varchar".into()),
                ("event_time".into(), "timestamp".into()),
                ("amount".into(), "decimal(12,2)".into()),
                ("store_id".into(), "bigint".into()),
            ],
            allow_extra_columns: false,
        };
        let result = ResultTable::new(
            &["column_name", "data_type"],
            vec![
                vec![Some("event_id"), Some("varchar")],
                vec![Some("event_time"), Some("timestamp(3)")],
                vec![Some("amount"), Some("double")],
                vec![Some("promo"), Some("boolean")],
            ],
        );
        let o = evaluate(&rule, &result, &hour());
        assert_eq!((o.status, o.observed), (Status::Fail, Some(3.0)));
        assert_eq!(
            o.message.as_deref(),
            Some("schema drift: amount is double, expected decimal(12,2); missing store_id; unexpected promo (boolean)")
        );
    }

    #[test]
    fn an_unexpected_result_is_an_error_not_a_pass() {
        let rule = Rule::RowCount { min: 1, max: None };
        let o = evaluate(&rule, &one("count", Some("5")), &hour());
        assert_eq!(o.status, Status::Error);
        assert!(o.message.unwrap().contains("no column \"observed\""));
        let o = evaluate(&rule, &one("observed", Some("many")), &hour());
        assert_eq!(o.status, Status::Error);
        let o = evaluate(&rule, &ResultTable::new(&["observed"], vec![]), &hour());
        assert_eq!(o.status, Status::Error);
    }
}
