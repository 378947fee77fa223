//! Athena (Trino) SQL for each rule kind.
//!
//! Safety, by construction:
//! - identifiers (database, table, columns) are always double-quoted with embedded quotes
//!   doubled ([`ident`]), after the charset checks of [`crate::rules`];
//! - the only literals are values this code formats itself: instants from [`Window`] (UTC
//!   `TIMESTAMP '...'` or epoch numbers), numbers from validated finite `f64`/`u64`, partition
//!   values formatted from instants with a validated format, and accepted values from the
//!   reviewed rules file, validated on load and escaped by doubling single quotes ([`string`]).
//!   Nothing from the invocation event reaches the SQL text except the window instants, which
//!   are parsed into `DateTime`s first.
//!
//! Athena's `ExecutionParameters` would not add safety here: each parameter is itself SQL
//! literal text that the caller must quote and escape, and the generated query text stays
//! self-contained, so a failed check's SQL in the logs can be pasted into the console as is.
//!
//! Every query returns one row whose column names the evaluation reads (`observed`, `total`,
//! `violations`, `newest`), except the schema query, which returns one row per column.

use crate::rules::{Literal, PartitionColumn, Rule, Table, TimeColumn, TimeKind};
use crate::window::Window;
use chrono::{DateTime, Duration, Utc};

/// Quotes an identifier for Athena DML: `"name"`, embedded `"` doubled.
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A SQL string literal: `'text'`, embedded `'` doubled.
pub fn string(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// A numeric literal: an integer when the value is one (and fits), else a DOUBLE in
/// scientific notation (`1.5E-3`), so that no value overflows Trino's integer literals.
pub fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 9.0e15 {
        format!("{}", value as i64)
    } else {
        format!("{value:E}")
    }
}

/// A UTC timestamp literal with milliseconds.
pub fn timestamp(t: DateTime<Utc>) -> String {
    format!("TIMESTAMP '{}'", t.format("%Y-%m-%d %H:%M:%S%.3f"))
}

/// `"database"."table"`.
pub fn table_ref(table: &Table) -> String {
    format!("{}.{}", ident(&table.database), ident(&table.table))
}

/// The predicate selecting rows of `[start, end)` by the time column, with partition pruning
/// when the table has a time partition column.
pub fn time_predicate(
    time: &TimeColumn,
    partition: Option<&PartitionColumn>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> String {
    let c = ident(&time.column);
    let mut predicate = match time.kind {
        TimeKind::Timestamp => format!("{c} >= {} AND {c} < {}", timestamp(start), timestamp(end)),
        TimeKind::EpochSeconds => {
            format!("{c} >= {} AND {c} < {}", start.timestamp(), end.timestamp())
        }
        TimeKind::EpochMillis => format!(
            "{c} >= {} AND {c} < {}",
            start.timestamp_millis(),
            end.timestamp_millis()
        ),
        TimeKind::Iso8601 => format!(
            "from_iso8601_timestamp({c}) >= from_iso8601_timestamp({}) AND from_iso8601_timestamp({c}) < from_iso8601_timestamp({})",
            string(&crate::window::text(start)),
            string(&crate::window::text(end))
        ),
    };
    if let Some(p) = partition {
        let last = end - Duration::milliseconds(1);
        let pc = ident(&p.column);
        predicate = format!(
            "{pc} >= {} AND {pc} <= {} AND {predicate}",
            string(&start.format(&p.format).to_string()),
            string(&last.format(&p.format).to_string())
        );
    }
    predicate
}

/// The newest instant of the time column, as seconds since the epoch.
fn newest_epoch_seconds(time: &TimeColumn) -> String {
    let c = ident(&time.column);
    match time.kind {
        TimeKind::Timestamp => format!("to_unixtime(max({c}))"),
        TimeKind::EpochSeconds => format!("max({c})"),
        TimeKind::EpochMillis => format!("max({c}) / 1000.0"),
        TimeKind::Iso8601 => format!("to_unixtime(max(from_iso8601_timestamp({c})))"),
    }
}

/// The SQL of one check of `table` over `window`.
pub fn compile(table: &Table, rule: &Rule, window: &Window) -> String {
    let from = table_ref(table);
    let in_window = time_predicate(
        &table.time,
        table.partition.as_ref(),
        window.start,
        window.end,
    );
    match rule {
        Rule::RowCount { .. } => {
            format!("SELECT count(*) AS \"observed\" FROM {from} WHERE {in_window}")
        }
        Rule::Freshness { lookback_hours, .. } => {
            let since = window.end - Duration::hours(*lookback_hours as i64);
            let lookback = time_predicate(&table.time, table.partition.as_ref(), since, window.end);
            format!(
                "SELECT {} AS \"newest\" FROM {from} WHERE {lookback}",
                newest_epoch_seconds(&table.time)
            )
        }
        Rule::NullRate { column, .. } => format!(
            "SELECT count(*) AS \"total\", count_if({} IS NULL) AS \"violations\" FROM {from} WHERE {in_window}",
            ident(column)
        ),
        Rule::Range {
            column, min, max, ..
        } => {
            let c = ident(column);
            let outside: Vec<String> = [
                min.map(|v| format!("{c} < {}", number(v))),
                max.map(|v| format!("{c} > {}", number(v))),
            ]
            .into_iter()
            .flatten()
            .collect();
            format!(
                "SELECT count(*) AS \"total\", count_if({}) AS \"violations\" FROM {from} WHERE {in_window}",
                outside.join(" OR ")
            )
        }
        Rule::Unique { columns, .. } => {
            let key: Vec<String> = columns.iter().map(|c| ident(c)).collect();
            format!(
                "SELECT coalesce(sum(\"n\" - 1), 0) AS \"violations\" FROM (SELECT count(*) AS \"n\" FROM {from} WHERE {in_window} GROUP BY {} HAVING count(*) > 1)",
                key.join(", ")
            )
        }
        Rule::AcceptedValues { column, values, .. } => {
            let list: Vec<String> = values
                .iter()
                .map(|v| match v {
                    Literal::Text(s) => string(s),
                    Literal::Number(n) => number(*n),
                })
                .collect();
            format!(
                "SELECT count(*) AS \"total\", count_if({} NOT IN ({})) AS \"violations\" FROM {from} WHERE {in_window}",
                ident(column),
                list.join(", ")
            )
        }
        Rule::Schema { .. } => format!(
            "SELECT \"column_name\", \"data_type\" FROM \"information_schema\".\"columns\" WHERE \"table_schema\" = {} AND \"table_name\" = {} ORDER BY \"ordinal_position\"",
            string(&table.database.to_lowercase()),
            string(&table.table.to_lowercase())
        ),
        Rule::CustomSql { sql, .. } => sql
            .replace("{table}", &from)
            .replace("{window}", &format!("({in_window})"))
            .replace("{window_start}", &timestamp(window.start))
            .replace("{window_end}", &timestamp(window.end)),
    }
}

/// The placeholders a custom SQL check may use.
pub const PLACEHOLDERS: [&str; 4] = ["{table}", "{window}", "{window_start}", "{window_end}"];

/// Checks a custom SQL check on load: one statement (no `;` except a trailing one is refused
/// too), a `SELECT` or `WITH` query, only known `{placeholders}`, a `violations` column.
pub fn validate_custom(sql: &str) -> Result<(), String> {
    let trimmed = sql.trim();
    let lower = trimmed.to_lowercase();
    if !(lower.starts_with("select") || lower.starts_with("with")) {
        return Err("must be a SELECT (or WITH ... SELECT) query".into());
    }
    if trimmed.contains(';') {
        return Err("must be a single statement without ';'".into());
    }
    if !lower.contains("violations") {
        return Err("must return a column named violations".into());
    }
    let mut rest = trimmed;
    while let Some(open) = rest.find('{') {
        let after = &rest[open..];
        match PLACEHOLDERS.iter().find(|p| after.starts_with(*p)) {
            Some(p) => rest = &after[p.len()..],
            None => {
                return Err(format!(
                    "unknown placeholder at {:?}: use {}",
                    after.chars().take(20).collect::<String>(),
                    PLACEHOLDERS.join(", ")
                ))
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{Check, Severity};

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn hour() -> Window {
        Window {
            start: at("2026-11-27T23:00:00Z"),
            end: at("2026-11-28T00:00:00Z"),
        }
    }

    fn table(time_kind: TimeKind, partition: bool) -> Table {
        Table {
            name: "sales".into(),
            database: "demand_forecast".into(),
            table: "sales_events".into(),
            time: TimeColumn {
                column: "event_time".into(),
                kind: time_kind,
            },
            partition: partition.then(|| PartitionColumn {
                column: "dt".into(),
                format: "%Y-%m-%d".into(),
            }),
            checks: Vec::<Check>::new(),
        }
    }

    const WINDOW: &str = "\"event_time\" >= TIMESTAMP '2026-11-27 23:00:00.000' AND \"event_time\" < TIMESTAMP '2026-11-28 00:00:00.000'";

    #[test]
    fn identifiers_are_quoted_with_embedded_quotes_doubled() {
        assert_eq!(ident("store_id"), "\"store_id\"");
        assert_eq!(ident("select"), "\"select\"");
        assert_eq!(ident("Sales \"Amount\""), "\"Sales \"\"Amount\"\"\"");
        assert_eq!(ident("x\" OR 1=1 --"), "\"x\"\" OR 1=1 --\"");
        assert_eq!(string("O'Brien"), "'O''Brien'");
        assert_eq!(string("'; DROP TABLE t; --"), "'''; DROP TABLE t; --'");
    }

    /// Reads a quoted token back the way a SQL lexer would: the text up to the first lone quote.
    fn unquote(quoted: &str, quote: char) -> Option<(String, &str)> {
        let mut chars = quoted.strip_prefix(quote)?.char_indices().peekable();
        let body = &quoted[quote.len_utf8()..];
        let mut text = String::new();
        while let Some((i, c)) = chars.next() {
            if c == quote {
                if chars.peek().map(|(_, n)| *n) == Some(quote) {
                    chars.next();
                    text.push(quote);
                } else {
                    return Some((text, &body[i + quote.len_utf8()..]));
                }
            } else {
                text.push(c);
            }
        }
        None
    }

    proptest::proptest! {
        #[test]
        fn a_quoted_identifier_or_string_never_ends_early(name in "([\"' a]|\\PC){0,40}") {
            let quoted = ident(&name);
            let (back, rest) = unquote(&quoted, '"').unwrap();
            proptest::prop_assert_eq!(&back, &name);
            proptest::prop_assert_eq!(rest, "");
            let literal = string(&name);
            let (back, rest) = unquote(&literal, '\'').unwrap();
            proptest::prop_assert_eq!(&back, &name);
            proptest::prop_assert_eq!(rest, "");
        }
    }

    #[test]
    fn numbers_are_integers_or_doubles() {
        assert_eq!(number(0.0), "0");
        assert_eq!(number(-5.0), "-5");
        assert_eq!(number(0.015), "1.5E-2");
        assert_eq!(number(1e20), "1E20");
    }

    #[test]
    fn row_count_sql() {
        let sql = compile(
            &table(TimeKind::Timestamp, false),
            &Rule::RowCount { min: 1, max: None },
            &hour(),
        );
        assert_eq!(
            sql,
            format!("SELECT count(*) AS \"observed\" FROM \"demand_forecast\".\"sales_events\" WHERE {WINDOW}")
        );
    }

    #[test]
    fn the_partition_range_covers_a_window_across_midnight() {
        let sql = compile(
            &table(TimeKind::Timestamp, true),
            &Rule::RowCount { min: 1, max: None },
            &hour(),
        );
        assert!(
            sql.ends_with(&format!(
                "WHERE \"dt\" >= '2026-11-27' AND \"dt\" <= '2026-11-27' AND {WINDOW}"
            )),
            "{sql}"
        );
        let next = Window {
            start: at("2026-11-27T23:30:00Z"),
            end: at("2026-11-28T00:30:00Z"),
        };
        let sql = compile(
            &table(TimeKind::Timestamp, true),
            &Rule::RowCount { min: 1, max: None },
            &next,
        );
        assert!(
            sql.contains("\"dt\" >= '2026-11-27' AND \"dt\" <= '2026-11-28'"),
            "{sql}"
        );
    }

    #[test]
    fn freshness_sql_looks_back_from_the_window_end() {
        let rule = Rule::Freshness {
            max_age_minutes: 90,
            lookback_hours: 24,
        };
        let sql = compile(&table(TimeKind::Timestamp, false), &rule, &hour());
        assert_eq!(
            sql,
            "SELECT to_unixtime(max(\"event_time\")) AS \"newest\" FROM \"demand_forecast\".\"sales_events\" WHERE \"event_time\" >= TIMESTAMP '2026-11-27 00:00:00.000' AND \"event_time\" < TIMESTAMP '2026-11-28 00:00:00.000'"
        );
        let sql = compile(&table(TimeKind::EpochMillis, false), &rule, &hour());
        assert_eq!(
            sql,
            "SELECT max(\"event_time\") / 1000.0 AS \"newest\" FROM \"demand_forecast\".\"sales_events\" WHERE \"event_time\" >= 1795737600000 AND \"event_time\" < 1795824000000"
        );
    }

    #[test]
    fn null_rate_sql_quotes_an_awkward_column() {
        let rule = Rule::NullRate {
            column: "Store \"ID\"".into(),
            max_rate: 0.01,
        };
        let sql = compile(&table(TimeKind::Timestamp, false), &rule, &hour());
        assert_eq!(
            sql,
            format!("SELECT count(*) AS \"total\", count_if(\"Store \"\"ID\"\"\" IS NULL) AS \"violations\" FROM \"demand_forecast\".\"sales_events\" WHERE {WINDOW}")
        );
    }

    #[test]
    fn range_sql_with_one_or_two_bounds() {
        let both = Rule::Range {
            column: "amount".into(),
            min: Some(0.0),
            max: Some(10000.5),
            max_violations: 0,
        };
        let sql = compile(&table(TimeKind::Timestamp, false), &both, &hour());
        assert!(
            sql.starts_with("SELECT count(*) AS \"total\", count_if(\"amount\" < 0 OR \"amount\" > 1.00005E4) AS \"violations\""),
            "{sql}"
        );
        let upper = Rule::Range {
            column: "amount".into(),
            min: None,
            max: Some(5.0),
            max_violations: 0,
        };
        let sql = compile(&table(TimeKind::Timestamp, false), &upper, &hour());
        assert!(sql.contains("count_if(\"amount\" > 5)"), "{sql}");
    }

    #[test]
    fn unique_sql_groups_by_the_quoted_key() {
        let rule = Rule::Unique {
            columns: vec!["event_id".into(), "line \"no\"".into()],
            max_violations: 0,
        };
        let sql = compile(&table(TimeKind::EpochSeconds, false), &rule, &hour());
        assert_eq!(
            sql,
            "SELECT coalesce(sum(\"n\" - 1), 0) AS \"violations\" FROM (SELECT count(*) AS \"n\" FROM \"demand_forecast\".\"sales_events\" WHERE \"event_time\" >= 1795820400 AND \"event_time\" < 1795824000 GROUP BY \"event_id\", \"line \"\"no\"\"\" HAVING count(*) > 1)"
        );
    }

    #[test]
    fn accepted_values_sql_escapes_the_values() {
        let rule = Rule::AcceptedValues {
            column: "channel".into(),
            values: vec![
                Literal::Text("online".into()),
                Literal::Text("o'neil".into()),
            ],
            max_violations: 0,
        };
        let sql = compile(&table(TimeKind::Timestamp, false), &rule, &hour());
        assert!(
            sql.contains("count_if(\"channel\" NOT IN ('online', 'o''neil'))"),
            "{sql}"
        );
        let numbers = Rule::AcceptedValues {
            column: "status".into(),
            values: vec![Literal::Number(1.0), Literal::Number(2.0)],
            max_violations: 0,
        };
        let sql = compile(&table(TimeKind::Timestamp, false), &numbers, &hour());
        assert!(sql.contains("NOT IN (1, 2)"), "{sql}");
    }

    #[test]
    fn schema_sql_reads_information_schema_with_literal_names() {
        let rule = Rule::Schema {
            columns: vec![("event_id".into(), "varchar".into())],
            allow_extra_columns: false,
        };
        let sql = compile(&table(TimeKind::Timestamp, false), &rule, &hour());
        assert_eq!(
            sql,
            "SELECT \"column_name\", \"data_type\" FROM \"information_schema\".\"columns\" WHERE \"table_schema\" = 'demand_forecast' AND \"table_name\" = 'sales_events' ORDER BY \"ordinal_position\""
        );
    }

    #[test]
    fn custom_sql_gets_its_placeholders_filled() {
        let rule = Rule::CustomSql {
            sql: "SELECT count(*) AS violations FROM {table} WHERE {window} AND quantity < 0 AND event_time < {window_end}".into(),
            max_violations: 0,
        };
        let sql = compile(&table(TimeKind::Timestamp, false), &rule, &hour());
        assert_eq!(
            sql,
            format!("SELECT count(*) AS violations FROM \"demand_forecast\".\"sales_events\" WHERE ({WINDOW}) AND quantity < 0 AND event_time < TIMESTAMP '2026-11-28 00:00:00.000'")
        );
    }

    #[test]
    fn iso8601_time_columns_compare_parsed_timestamps() {
        let sql = compile(
            &table(TimeKind::Iso8601, false),
            &Rule::RowCount { min: 1, max: None },
            &hour(),
        );
        assert!(sql.contains("from_iso8601_timestamp(\"event_time\") >= from_iso8601_timestamp('2026-11-27T23:00:00Z')"), "{sql}");
    }

    #[test]
    fn custom_sql_validation() {
        assert!(
            validate_custom("SELECT count(*) AS violations FROM {table} WHERE {window}").is_ok()
        );
        assert!(validate_custom("WITH x AS (SELECT 1) SELECT 0 AS violations FROM x").is_ok());
        assert!(validate_custom("DELETE FROM t")
            .unwrap_err()
            .contains("SELECT"));
        assert!(validate_custom("SELECT 1 AS violations; DROP TABLE t")
            .unwrap_err()
            .contains(";"));
        assert!(validate_custom("SELECT 1 AS n")
            .unwrap_err()
            .contains("violations"));
        assert!(validate_custom("SELECT 1 AS violations FROM {tabel}")
            .unwrap_err()
            .contains("placeholder"));
        let _ = Severity::Warning;
    }
}
