//! The rules file: which checks run against which lake tables.
//!
//! The file is YAML (see `config/data-quality/rules.yaml` and its README). It is read into a
//! generic value first and validated field by field, so that every problem is reported with the
//! table, the check and the field it is in, all problems at once:
//!
//! ```text
//! table demand_forecast.sales_events, check sales_amount_range: field "min": must be a number
//! ```
//!
//! Identifiers are validated here (database and table names `[A-Za-z0-9_-]`, column names
//! printable without control characters, at most 255 characters) and quoted when SQL is built
//! ([`crate::sql`]); literal values (accepted values) are validated here and escaped there.

use chrono_tz::Tz;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// The highest rules-file `version` this build understands.
pub const RULES_VERSION: u64 = 1;
/// Default look-back of a freshness check, in hours.
pub const DEFAULT_FRESHNESS_LOOKBACK_HOURS: u64 = 24;
/// Longest identifier accepted (Glue's limit).
pub const MAX_IDENTIFIER_LEN: usize = 255;

/// How bad a failed check is: it picks the topic of the run's alert.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth a look in working hours: notifications topic.
    Warning,
    /// Someone must act now: critical topic.
    Critical,
}

impl Severity {
    /// The lowercase name (`warning`, `critical`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// How the time column stores instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeKind {
    /// A `timestamp` column (UTC by the lake's convention).
    Timestamp,
    /// Seconds since the epoch (`bigint`).
    EpochSeconds,
    /// Milliseconds since the epoch (`bigint`).
    EpochMillis,
    /// An ISO 8601 string with offset (`varchar`).
    Iso8601,
}

/// The column that places a row in time, used for the checked window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeColumn {
    /// Column name.
    pub column: String,
    /// Storage.
    pub kind: TimeKind,
}

/// A partition column derived from time (e.g. `dt = '2026-11-27'`), used to prune partitions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionColumn {
    /// Column name.
    pub column: String,
    /// `strftime` format of its values (`%Y`, `%m`, `%d`, `%H` and separators); its values must
    /// sort like the instants they name (e.g. `%Y-%m-%d`, `%Y%m%d%H`).
    pub format: String,
}

/// A literal value of an accepted-values check.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// A string (compared with a varchar column).
    Text(String),
    /// A number.
    Number(f64),
}

/// What a check measures and the limit it enforces.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// Rows in the window: at least `min` (and at most `max`).
    RowCount {
        /// Minimum row count.
        min: u64,
        /// Optional maximum.
        max: Option<u64>,
    },
    /// The newest row, looking back `lookback_hours` from the window's end, is at most
    /// `max_age_minutes` old at the window's end.
    Freshness {
        /// Maximum age in minutes.
        max_age_minutes: u64,
        /// How far back to look for the newest row (partition pruning).
        lookback_hours: u64,
    },
    /// Share of rows whose `column` is null, at most `max_rate` (0–1).
    NullRate {
        /// The column.
        column: String,
        /// Maximum null share.
        max_rate: f64,
    },
    /// Rows whose `column` is outside `[min, max]`, at most `max_violations` (nulls not counted).
    Range {
        /// The column.
        column: String,
        /// Lower bound (inclusive).
        min: Option<f64>,
        /// Upper bound (inclusive).
        max: Option<f64>,
        /// Allowed violations.
        max_violations: u64,
    },
    /// Rows in the window sharing their key with an earlier row, at most `max_violations`.
    Unique {
        /// The key's columns.
        columns: Vec<String>,
        /// Allowed duplicate rows.
        max_violations: u64,
    },
    /// Rows whose `column` is not one of `values`, at most `max_violations` (nulls not counted).
    AcceptedValues {
        /// The column.
        column: String,
        /// The accepted values.
        values: Vec<Literal>,
        /// Allowed violations.
        max_violations: u64,
    },
    /// The table's columns and types are the expected ones.
    Schema {
        /// Expected columns and their (normalised) types, in order.
        columns: Vec<(String, String)>,
        /// Whether columns that are not listed are fine.
        allow_extra_columns: bool,
    },
    /// A reviewed SELECT returning a column `violations`, at most `max_violations`.
    CustomSql {
        /// The SQL, with `{table}`, `{window}`, `{window_start}`, `{window_end}` placeholders.
        sql: String,
        /// Allowed violations.
        max_violations: u64,
    },
}

impl Rule {
    /// The kind's name in the rules file and the summary.
    pub fn kind(&self) -> &'static str {
        match self {
            Rule::RowCount { .. } => "row_count",
            Rule::Freshness { .. } => "freshness",
            Rule::NullRate { .. } => "null_rate",
            Rule::Range { .. } => "range",
            Rule::Unique { .. } => "unique",
            Rule::AcceptedValues { .. } => "accepted_values",
            Rule::Schema { .. } => "schema",
            Rule::CustomSql { .. } => "custom_sql",
        }
    }
}

/// One check of one table.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// Unique name across the file (metric dimension, alert line).
    pub name: String,
    /// Severity when it fails or cannot run.
    pub severity: Severity,
    /// Who to tell (the check's, else the table's owner).
    pub owner: Option<String>,
    /// What it checks.
    pub rule: Rule,
}

/// One lake table and its checks.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Name used in events' `tables` (default `database.table`).
    pub name: String,
    /// Glue database.
    pub database: String,
    /// Glue table.
    pub table: String,
    /// The time column.
    pub time: TimeColumn,
    /// Optional time partition column.
    pub partition: Option<PartitionColumn>,
    /// The checks.
    pub checks: Vec<Check>,
}

impl Table {
    /// `database.table`, as the alert shows it.
    pub fn qualified(&self) -> String {
        format!("{}.{}", self.database, self.table)
    }
}

/// A validated rules file.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    /// Time zone of the hourly windows (hour boundaries are taken in it).
    pub time_zone: Tz,
    /// The tables.
    pub tables: Vec<Table>,
}

/// One problem of a rules file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    /// Where: `file`, `table demand_forecast.sales_events`, `table ..., check NAME`.
    pub location: String,
    /// The field, e.g. `max_rate`.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for RuleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: field \"{}\": {}",
            self.location, self.field, self.message
        )
    }
}

/// All problems of a rules file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleErrors(pub Vec<RuleError>);

impl std::fmt::Display for RuleErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let texts: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        write!(f, "{}", texts.join("; "))
    }
}

impl std::error::Error for RuleErrors {}

/// Parses and validates a rules file.
pub fn parse(text: &str) -> Result<Rules, RuleErrors> {
    let value: Value = serde_norway::from_str(text).map_err(|e| {
        RuleErrors(vec![RuleError {
            location: "file".into(),
            field: "(yaml)".into(),
            message: format!("not valid YAML: {e}"),
        }])
    })?;
    let mut errors = Vec::new();
    let rules = parse_file(&value, &mut errors);
    match rules {
        Some(rules) if errors.is_empty() => Ok(rules),
        _ => Err(RuleErrors(errors)),
    }
}

/// Reads the fields of one YAML mapping, recording errors at `location`.
struct Fields<'a> {
    map: Option<&'a Map<String, Value>>,
    location: String,
    used: BTreeSet<&'static str>,
}

impl<'a> Fields<'a> {
    fn new(value: &'a Value, location: String, errors: &mut Vec<RuleError>) -> Self {
        let map = value.as_object();
        if map.is_none() {
            errors.push(RuleError {
                location: location.clone(),
                field: "(self)".into(),
                message: "must be a mapping".into(),
            });
        }
        Self {
            map,
            location,
            used: BTreeSet::new(),
        }
    }

    fn error(&self, errors: &mut Vec<RuleError>, field: &str, message: impl Into<String>) {
        errors.push(RuleError {
            location: self.location.clone(),
            field: field.into(),
            message: message.into(),
        });
    }

    fn get(&mut self, key: &'static str) -> Option<&'a Value> {
        self.used.insert(key);
        self.map?.get(key).filter(|v| !v.is_null())
    }

    fn opt_str(&mut self, key: &'static str, errors: &mut Vec<RuleError>) -> Option<String> {
        match self.get(key)? {
            Value::String(s) => Some(s.clone()),
            _ => {
                self.error(errors, key, "must be a string");
                None
            }
        }
    }

    fn str(&mut self, key: &'static str, errors: &mut Vec<RuleError>) -> Option<String> {
        if self.map.is_some() && self.get(key).is_none() {
            self.error(errors, key, "is required");
            return None;
        }
        self.opt_str(key, errors)
    }

    fn opt_u64(&mut self, key: &'static str, errors: &mut Vec<RuleError>) -> Option<u64> {
        let value = self.get(key)?;
        match value.as_u64() {
            Some(n) => Some(n),
            None => {
                self.error(errors, key, "must be a non-negative integer");
                None
            }
        }
    }

    fn u64(&mut self, key: &'static str, errors: &mut Vec<RuleError>) -> Option<u64> {
        if self.map.is_some() && self.get(key).is_none() {
            self.error(errors, key, "is required");
            return None;
        }
        self.opt_u64(key, errors)
    }

    fn opt_f64(&mut self, key: &'static str, errors: &mut Vec<RuleError>) -> Option<f64> {
        let value = self.get(key)?;
        match value.as_f64().filter(|v| v.is_finite()) {
            Some(n) => Some(n),
            None => {
                self.error(errors, key, "must be a number");
                None
            }
        }
    }

    fn opt_bool(&mut self, key: &'static str, errors: &mut Vec<RuleError>) -> Option<bool> {
        match self.get(key)? {
            Value::Bool(b) => Some(*b),
            _ => {
                self.error(errors, key, "must be true or false");
                None
            }
        }
    }

    /// Reports keys that no reader asked for (typos).
    fn finish(&self, errors: &mut Vec<RuleError>) {
        for key in self.map.into_iter().flat_map(|m| m.keys()) {
            if !self.used.contains(key.as_str()) {
                let known: Vec<&str> = self.used.iter().copied().collect();
                self.error(
                    errors,
                    key,
                    format!("unknown field (known: {})", known.join(", ")),
                );
            }
        }
    }
}

fn parse_file(value: &Value, errors: &mut Vec<RuleError>) -> Option<Rules> {
    let mut fields = Fields::new(value, "file".into(), errors);
    fields.map?;
    match fields.u64("version", errors) {
        Some(v) if v == 0 || v > RULES_VERSION => fields.error(
            errors,
            "version",
            format!("unsupported version {v} (this build reads {RULES_VERSION})"),
        ),
        _ => {}
    }
    let time_zone = match fields.opt_str("time_zone", errors) {
        None => Tz::UTC,
        Some(name) => match name.parse::<Tz>() {
            Ok(tz) => tz,
            Err(_) => {
                fields.error(
                    errors,
                    "time_zone",
                    format!("{name:?} is not an IANA time zone"),
                );
                Tz::UTC
            }
        },
    };
    let mut default_severity = Severity::Warning;
    if let Some(defaults) = fields.get("defaults") {
        let mut d = Fields::new(defaults, "defaults".into(), errors);
        if let Some(s) = d.opt_str("severity", errors) {
            match severity(&s) {
                Some(s) => default_severity = s,
                None => d.error(errors, "severity", "must be critical or warning"),
            }
        }
        d.finish(errors);
    }
    let mut tables = Vec::new();
    match fields.get("tables") {
        Some(Value::Array(list)) if !list.is_empty() => {
            for (i, t) in list.iter().enumerate() {
                if let Some(table) = parse_table(i, t, default_severity, errors) {
                    tables.push(table);
                }
            }
        }
        _ => fields.error(errors, "tables", "must be a non-empty list"),
    }
    fields.finish(errors);
    let mut names = BTreeSet::new();
    let mut table_names = BTreeSet::new();
    for table in &tables {
        if !table_names.insert(table.name.clone()) {
            errors.push(RuleError {
                location: format!("table {}", table.name),
                field: "name".into(),
                message: "another table has the same name".into(),
            });
        }
        for check in &table.checks {
            if !names.insert(check.name.clone()) {
                errors.push(RuleError {
                    location: format!("table {}, check {}", table.name, check.name),
                    field: "name".into(),
                    message: "check names must be unique across the file".into(),
                });
            }
        }
    }
    Some(Rules { time_zone, tables })
}

fn severity(text: &str) -> Option<Severity> {
    match text {
        "critical" => Some(Severity::Critical),
        "warning" => Some(Severity::Warning),
        _ => None,
    }
}

/// Glue database and table names: letters, digits, `_`, `-`.
pub fn valid_object_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_IDENTIFIER_LEN
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Column names: non-empty, at most 255 characters, no control characters (quotes are fine:
/// they are doubled when quoted).
pub fn valid_column_name(name: &str) -> bool {
    !name.trim().is_empty()
        && name.chars().count() <= MAX_IDENTIFIER_LEN
        && !name.chars().any(char::is_control)
}

fn valid_check_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

fn valid_partition_format(format: &str) -> bool {
    let mut chars = format.chars();
    let mut any = false;
    while let Some(c) = chars.next() {
        if c == '%' {
            match chars.next() {
                Some('Y' | 'm' | 'd' | 'H') => any = true,
                _ => return false,
            }
        } else if !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/' | '=' | ' ' | ':')) {
            return false;
        }
    }
    any
}

fn column(
    fields: &mut Fields,
    key: &'static str,
    required: bool,
    errors: &mut Vec<RuleError>,
) -> Option<String> {
    let name = if required {
        fields.str(key, errors)?
    } else {
        fields.opt_str(key, errors)?
    };
    if valid_column_name(&name) {
        Some(name)
    } else {
        fields.error(
            errors,
            key,
            format!(
                "{name:?} is not a valid column name (1-255 characters, no control characters)"
            ),
        );
        None
    }
}

fn object_name(
    fields: &mut Fields,
    key: &'static str,
    errors: &mut Vec<RuleError>,
) -> Option<String> {
    let n = fields.str(key, errors)?;
    if valid_object_name(&n) {
        Some(n)
    } else {
        fields.error(
            errors,
            key,
            format!("{n:?} is not a valid Glue name (letters, digits, _ and -)"),
        );
        None
    }
}

fn parse_table(
    index: usize,
    value: &Value,
    default_severity: Severity,
    errors: &mut Vec<RuleError>,
) -> Option<Table> {
    let database = value.get("database").and_then(Value::as_str);
    let table = value.get("table").and_then(Value::as_str);
    let label = match (value.get("name").and_then(Value::as_str), database, table) {
        (Some(name), _, _) => name.to_string(),
        (None, Some(d), Some(t)) => format!("{d}.{t}"),
        _ => format!("tables[{index}]"),
    };
    let mut fields = Fields::new(value, format!("table {label}"), errors);
    fields.map?;
    let name = fields.opt_str("name", errors);
    let database = object_name(&mut fields, "database", errors);
    let table = object_name(&mut fields, "table", errors);
    let time_column = column(&mut fields, "time_column", true, errors);
    let time_kind = match fields.opt_str("time_column_type", errors).as_deref() {
        None | Some("timestamp") => TimeKind::Timestamp,
        Some("epoch_seconds") => TimeKind::EpochSeconds,
        Some("epoch_millis") => TimeKind::EpochMillis,
        Some("iso8601") => TimeKind::Iso8601,
        Some(other) => {
            fields.error(
                errors,
                "time_column_type",
                format!("{other:?} is not one of timestamp, epoch_seconds, epoch_millis, iso8601"),
            );
            TimeKind::Timestamp
        }
    };
    let partition_column = column(&mut fields, "partition_column", false, errors);
    let partition_format = fields.opt_str("partition_format", errors);
    let partition = match (partition_column, partition_format) {
        (Some(column), Some(format)) if valid_partition_format(&format) => {
            Some(PartitionColumn { column, format })
        }
        (Some(column), None) => Some(PartitionColumn {
            column,
            format: "%Y-%m-%d".into(),
        }),
        (Some(_), Some(format)) => {
            fields.error(
                errors,
                "partition_format",
                format!(
                    "{format:?} may only use %Y, %m, %d, %H and the separators - _ / = : space"
                ),
            );
            None
        }
        (None, Some(_)) => {
            fields.error(errors, "partition_format", "needs partition_column");
            None
        }
        (None, None) => None,
    };
    let owner = fields.opt_str("owner", errors);
    let table_severity = match fields.opt_str("severity", errors) {
        None => default_severity,
        Some(s) => severity(&s).unwrap_or_else(|| {
            fields.error(errors, "severity", "must be critical or warning");
            default_severity
        }),
    };
    let label = name.clone().unwrap_or(label);
    let mut checks = Vec::new();
    match fields.get("checks") {
        Some(Value::Array(list)) if !list.is_empty() => {
            for (i, c) in list.iter().enumerate() {
                if let Some(check) = parse_check(&label, i, c, table_severity, &owner, errors) {
                    checks.push(check);
                }
            }
        }
        _ => fields.error(errors, "checks", "must be a non-empty list"),
    }
    fields.finish(errors);
    let (database, table, time_column) = (database?, table?, time_column?);
    Some(Table {
        name: name.unwrap_or_else(|| format!("{database}.{table}")),
        database,
        table,
        time: TimeColumn {
            column: time_column,
            kind: time_kind,
        },
        partition,
        checks,
    })
}

fn parse_check(
    table: &str,
    index: usize,
    value: &Value,
    table_severity: Severity,
    table_owner: &Option<String>,
    errors: &mut Vec<RuleError>,
) -> Option<Check> {
    let label = value
        .get("name")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| format!("checks[{index}]"));
    let mut f = Fields::new(value, format!("table {table}, check {label}"), errors);
    f.map?;
    let name = f.str("name", errors);
    if let Some(n) = &name {
        if !valid_check_name(n) {
            f.error(
                errors,
                "name",
                format!("{n:?}: use 1-128 letters, digits, _ - ."),
            );
        }
    }
    let severity = match f.opt_str("severity", errors) {
        None => table_severity,
        Some(s) => severity(&s).unwrap_or_else(|| {
            f.error(errors, "severity", "must be critical or warning");
            table_severity
        }),
    };
    let owner = f.opt_str("owner", errors).or_else(|| table_owner.clone());
    let kind = f.str("kind", errors);
    let max_violations = |f: &mut Fields, errors: &mut Vec<RuleError>| {
        f.opt_u64("max_violations", errors).unwrap_or(0)
    };
    let rule = match kind.as_deref() {
        Some("row_count") => {
            let min = f.u64("min", errors);
            let max = f.opt_u64("max", errors);
            if let (Some(lo), Some(hi)) = (min, max) {
                if hi < lo {
                    f.error(errors, "max", format!("must be at least min ({lo})"));
                }
            }
            min.map(|min| Rule::RowCount { min, max })
        }
        Some("freshness") => {
            let max_age = f.u64("max_age_minutes", errors);
            let lookback = f
                .opt_u64("lookback_hours", errors)
                .unwrap_or(DEFAULT_FRESHNESS_LOOKBACK_HOURS);
            if lookback == 0 || lookback > 24 * 31 {
                f.error(errors, "lookback_hours", "must be between 1 and 744");
            }
            if let Some(age) = max_age {
                if age == 0 || age > lookback * 60 {
                    f.error(
                        errors,
                        "max_age_minutes",
                        format!(
                            "must be between 1 and lookback_hours × 60 ({})",
                            lookback * 60
                        ),
                    );
                }
            }
            max_age.map(|max_age_minutes| Rule::Freshness {
                max_age_minutes,
                lookback_hours: lookback,
            })
        }
        Some("null_rate") => {
            let column = column(&mut f, "column", true, errors);
            let max_rate = f.opt_f64("max_rate", errors);
            match max_rate {
                None if f.get("max_rate").is_none() => f.error(errors, "max_rate", "is required"),
                Some(r) if !(0.0..=1.0).contains(&r) => f.error(
                    errors,
                    "max_rate",
                    "must be between 0 and 1 (a share, not a percentage)",
                ),
                _ => {}
            }
            match (column, max_rate) {
                (Some(column), Some(max_rate)) => Some(Rule::NullRate { column, max_rate }),
                _ => None,
            }
        }
        Some("range") => {
            let column = column(&mut f, "column", true, errors);
            let min = f.opt_f64("min", errors);
            let max = f.opt_f64("max", errors);
            if min.is_none() && max.is_none() {
                f.error(errors, "min", "min or max (or both) is required");
            }
            if let (Some(lo), Some(hi)) = (min, max) {
                if hi < lo {
                    f.error(errors, "max", format!("must be at least min ({lo})"));
                }
            }
            let max_violations = max_violations(&mut f, errors);
            column.map(|column| Rule::Range {
                column,
                min,
                max,
                max_violations,
            })
        }
        Some("unique") => {
            let mut columns = Vec::new();
            match f.get("columns") {
                Some(Value::Array(list)) if !list.is_empty() => {
                    for c in list {
                        match c.as_str() {
                            Some(c) if valid_column_name(c) => columns.push(c.to_string()),
                            _ => f.error(
                                errors,
                                "columns",
                                format!("{c} is not a valid column name"),
                            ),
                        }
                    }
                }
                _ => f.error(
                    errors,
                    "columns",
                    "must be a non-empty list of column names",
                ),
            }
            let max_violations = max_violations(&mut f, errors);
            (!columns.is_empty()).then_some(Rule::Unique {
                columns,
                max_violations,
            })
        }
        Some("accepted_values") => {
            let column = column(&mut f, "column", true, errors);
            let mut values = Vec::new();
            match f.get("values") {
                Some(Value::Array(list)) if !list.is_empty() => {
                    for v in list {
                        match v {
                            Value::String(s) if !s.chars().any(char::is_control) => {
                                values.push(Literal::Text(s.clone()))
                            }
                            Value::Number(n) if n.as_f64().is_some_and(f64::is_finite) => {
                                values.push(Literal::Number(n.as_f64().unwrap_or_default()))
                            }
                            other => f.error(
                                errors,
                                "values",
                                format!("{other} must be a string without control characters or a number"),
                            ),
                        }
                    }
                    let texts = values
                        .iter()
                        .filter(|v| matches!(v, Literal::Text(_)))
                        .count();
                    if texts != 0 && texts != values.len() {
                        f.error(errors, "values", "must be all strings or all numbers");
                    }
                }
                _ => f.error(errors, "values", "must be a non-empty list"),
            }
            let max_violations = max_violations(&mut f, errors);
            match column {
                Some(column) if !values.is_empty() => Some(Rule::AcceptedValues {
                    column,
                    values,
                    max_violations,
                }),
                _ => None,
            }
        }
        Some("schema") => {
            let mut columns = Vec::new();
            match f.get("columns") {
                Some(Value::Object(map)) if !map.is_empty() => {
                    for (c, t) in map {
                        match t.as_str() {
                            Some(t) if valid_column_name(c) && !t.trim().is_empty() => {
                                columns.push((c.to_lowercase(), normalise_type(t)))
                            }
                            _ => f.error(
                                errors,
                                "columns",
                                format!("{c:?} needs a type name, e.g. {c}: bigint"),
                            ),
                        }
                    }
                }
                _ => f.error(
                    errors,
                    "columns",
                    "must be a mapping of column name to type (e.g. store_id: bigint)",
                ),
            }
            let allow_extra_columns = f.opt_bool("allow_extra_columns", errors).unwrap_or(false);
            (!columns.is_empty()).then_some(Rule::Schema {
                columns,
                allow_extra_columns,
            })
        }
        Some("custom_sql") => {
            let sql = f.str("sql", errors);
            if let Some(sql) = &sql {
                if let Err(message) = crate::sql::validate_custom(sql) {
                    f.error(errors, "sql", message);
                }
            }
            let max_violations = max_violations(&mut f, errors);
            sql.map(|sql| Rule::CustomSql {
                sql,
                max_violations,
            })
        }
        Some(other) => {
            f.error(
                errors,
                "kind",
                format!("{other:?} is not one of row_count, freshness, null_rate, range, unique, accepted_values, schema, custom_sql"),
            );
            None
        }
        None => None,
    };
    f.finish(errors);
    Some(Check {
        name: name?,
        severity,
        owner,
        rule: rule?,
    })
}

/// Normalises a type name so that Hive spellings (as in Glue) match the ones Athena's
/// `information_schema` reports: lowercase, `string` → `varchar`, `int` → `integer`,
/// `struct<a:int>` → `row(a integer)`, `array<string>` → `array(varchar)`, no spaces around
/// punctuation (`decimal(10, 2)` → `decimal(10,2)`).
pub fn normalise_type(text: &str) -> String {
    let lower = text.to_lowercase();
    let mut out = String::new();
    let mut word = String::new();
    let mut pending_space = false;
    let flush = |word: &mut String, out: &mut String, pending_space: &mut bool| {
        if word.is_empty() {
            return;
        }
        let mapped = match word.as_str() {
            "string" => "varchar",
            "int" => "integer",
            "long" => "bigint",
            "float" => "real",
            "bool" => "boolean",
            "struct" => "row",
            other => other,
        };
        if *pending_space
            && out
                .chars()
                .last()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
        {
            out.push(' ');
        }
        out.push_str(mapped);
        word.clear();
        *pending_space = false;
    };
    for c in lower.chars() {
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
        } else if c.is_whitespace() || c == ':' {
            flush(&mut word, &mut out, &mut pending_space);
            pending_space = true;
        } else {
            flush(&mut word, &mut out, &mut pending_space);
            pending_space = false;
            out.push(match c {
                '<' => '(',
                '>' => ')',
                other => other,
            });
        }
    }
    flush(&mut word, &mut out, &mut pending_space);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
version: 1
tables:
  - database: lake
    table: sales
    time_column: event_time
    checks:
      - name: sales_rows
        kind: row_count
        min: 10
"#;

    fn errors_of(text: &str) -> Vec<RuleError> {
        parse(text).unwrap_err().0
    }

    #[test]
    fn the_bundled_rules_file_is_valid() {
        let rules = parse(crate::BUNDLED_RULES).unwrap();
        let kinds: BTreeSet<&str> = rules
            .tables
            .iter()
            .flat_map(|t| t.checks.iter().map(|c| c.rule.kind()))
            .collect();
        assert_eq!(kinds.len(), 8, "every rule kind is exemplified: {kinds:?}");
    }

    #[test]
    fn a_minimal_file_gets_defaults() {
        let rules = parse(MINIMAL).unwrap();
        assert_eq!(rules.time_zone, Tz::UTC);
        let t = &rules.tables[0];
        assert_eq!(t.name, "lake.sales");
        assert_eq!(t.time.kind, TimeKind::Timestamp);
        assert_eq!(t.checks[0].severity, Severity::Warning);
        assert_eq!(t.checks[0].rule, Rule::RowCount { min: 10, max: None });
    }

    #[test]
    fn errors_name_the_table_the_check_and_the_field() {
        let text = MINIMAL.replace("min: 10", "min: ten");
        let errors = errors_of(&text);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(
            errors[0].to_string(),
            "table lake.sales, check sales_rows: field \"min\": must be a non-negative integer"
        );
    }

    #[test]
    fn a_typo_in_a_field_name_is_an_unknown_field() {
        let text = MINIMAL.replace("min: 10", "min: 10\n        severty: critical");
        let errors = errors_of(&text);
        assert_eq!(errors[0].field, "severty");
        assert!(errors[0].message.starts_with("unknown field"), "{errors:?}");
        assert_eq!(errors[0].location, "table lake.sales, check sales_rows");
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let text = r#"
version: 1
time_zone: Mars/Olympus
tables:
  - database: "lake; drop"
    table: sales
    time_column: "event\ttime"
    checks:
      - name: nulls
        kind: null_rate
        column: store_id
        max_rate: 5
      - name: nulls
        kind: accepted_values
        column: channel
        values: [online, 3]
      - name: x
        kind: nonsense
"#;
        let errors = errors_of(text);
        let fields: Vec<(&str, &str)> = errors
            .iter()
            .map(|e| (e.location.as_str(), e.field.as_str()))
            .collect();
        assert!(fields.contains(&("file", "time_zone")), "{fields:?}");
        assert!(
            fields.contains(&("table lake; drop.sales", "database")),
            "{fields:?}"
        );
        assert!(
            fields.contains(&("table lake; drop.sales", "time_column")),
            "{fields:?}"
        );
        assert!(
            fields.contains(&("table lake; drop.sales, check nulls", "max_rate")),
            "{fields:?}"
        );
        assert!(
            fields.contains(&("table lake; drop.sales, check nulls", "values")),
            "{fields:?}"
        );
        assert!(
            fields.contains(&("table lake; drop.sales, check x", "kind")),
            "{fields:?}"
        );
    }

    #[test]
    fn duplicate_check_names_are_refused() {
        let text = r#"
version: 1
tables:
  - database: lake
    table: a
    time_column: t
    checks: [{name: rows, kind: row_count, min: 1}]
  - database: lake
    table: b
    time_column: t
    checks: [{name: rows, kind: row_count, min: 1}]
"#;
        let errors = errors_of(text);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].location, "table lake.b, check rows");
        assert!(errors[0].message.contains("unique"));
    }

    #[test]
    fn an_unsupported_version_and_bad_yaml_are_errors() {
        let errors = errors_of(&MINIMAL.replace("version: 1", "version: 2"));
        assert_eq!(
            (errors[0].location.as_str(), errors[0].field.as_str()),
            ("file", "version")
        );
        let errors = errors_of("tables: [");
        assert_eq!(errors[0].field, "(yaml)");
    }

    #[test]
    fn custom_sql_must_be_one_select() {
        let text = MINIMAL.replace(
            "kind: row_count\n        min: 10",
            "kind: custom_sql\n        sql: \"SELECT 1 AS violations; DROP TABLE x\"",
        );
        let errors = errors_of(&text);
        assert_eq!(errors[0].field, "sql", "{errors:?}");
    }

    #[test]
    fn partition_formats_are_restricted() {
        let text = MINIMAL.replace(
            "time_column: event_time",
            "time_column: event_time\n    partition_column: dt\n    partition_format: \"%Y-%m-%d'\"",
        );
        let errors = errors_of(&text);
        assert_eq!(errors[0].field, "partition_format");
    }

    #[test]
    fn types_are_normalised() {
        assert_eq!(normalise_type("STRING"), "varchar");
        assert_eq!(normalise_type("decimal(10, 2)"), "decimal(10,2)");
        assert_eq!(normalise_type("array<string>"), "array(varchar)");
        assert_eq!(normalise_type("int"), "integer");
        assert_eq!(
            normalise_type("struct<sku:string,qty : int>"),
            "row(sku varchar,qty integer)"
        );
        assert_eq!(
            normalise_type("row(sku varchar, qty integer)"),
            "row(sku varchar,qty integer)"
        );
        assert_eq!(normalise_type(" Timestamp(3) "), "timestamp(3)");
    }

    #[test]
    fn awkward_column_names_are_accepted_control_characters_are_not() {
        assert!(valid_column_name("Sales \"Amount\""));
        assert!(valid_column_name("größe"));
        assert!(!valid_column_name("a\nb"));
        assert!(!valid_column_name(" "));
        assert!(!valid_object_name("lake\"x"));
        assert!(valid_object_name("demand_forecast-prod"));
    }
}
