//! EventBridge Scheduler's cron dialect: `cron(minutes hours day-of-month month day-of-week year)`.
//!
//! AWS's rules are checked here first, field by field, with AWS's wording where its guides
//! state the rule ("Cron-based schedules" in the EventBridge Scheduler User Guide and the
//! EventBridge "Cron expressions reference", read 2026-11-30). Only then is the expression,
//! rewritten into croner's syntax, handed to croner for matching. What croner's own dialect
//! gets wrong and how this module covers it:
//! - croner rejects a number as a step's start (`0/15`, AWS's "every 15 minutes" example):
//!   `a/k` is rewritten to `a-MAX/k` (Quartz's meaning, which AWS follows);
//! - croner accepts two `#` terms, years outside 1970–2199, `*/60`, `/` in day-of-week,
//!   `W` or `L` in a list and reversed ranges: each is rejected here before croner sees it;
//! - croner's year `*` runs to 5000: it is rewritten to `1970-2199`;
//! - `L` alone in day-of-week (the last day of the week, Saturday) is rewritten to `7`;
//! - names are turned into numbers here (day-of-week 1 = SUN), so croner's name tables and
//!   weekday numbering (`alternative_weekdays`: 1 = SUN) cannot disagree with AWS's.

use croner::parser::{CronParser, Seconds, Year};
use croner::Cron;

/// AWS's sentence on the day-of-month / day-of-week rule (Scheduler User Guide, "Limitations").
pub const RULE_DAY_FIELDS: &str = "You can't specify the Day-of-month and Day-of-week fields in the same cron expression. If you specify a value or a * (asterisk) in one of the fields, you must use a ? (question mark) in the other.";
/// AWS's sentence on `#` (EventBridge "Cron expressions reference").
pub const RULE_ONE_HASH: &str = "If you use a '#' character, you can define only one expression in the day-of-week field. For example, \"3#1,6#3\" is not valid because it is interpreted as two expressions.";
/// AWS's sentence on the number of fields.
pub const RULE_SIX_FIELDS: &str = "Cron expressions have six required fields, which are separated by white space: cron(minutes hours day-of-month month day-of-week year).";

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// One of the six fields, with its values and wildcards as AWS's table lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Minutes,
    Hours,
    DayOfMonth,
    Month,
    DayOfWeek,
    Year,
}

impl Field {
    const ALL: [Field; 6] = [
        Field::Minutes,
        Field::Hours,
        Field::DayOfMonth,
        Field::Month,
        Field::DayOfWeek,
        Field::Year,
    ];

    fn name(self) -> &'static str {
        match self {
            Field::Minutes => "Minutes",
            Field::Hours => "Hours",
            Field::DayOfMonth => "Day-of-month",
            Field::Month => "Month",
            Field::DayOfWeek => "Day-of-week",
            Field::Year => "Year",
        }
    }

    fn range(self) -> (u32, u32) {
        match self {
            Field::Minutes => (0, 59),
            Field::Hours => (0, 23),
            Field::DayOfMonth => (1, 31),
            Field::Month => (1, 12),
            Field::DayOfWeek => (1, 7),
            Field::Year => (1970, 2199),
        }
    }

    /// AWS's row of the field table: values and wildcards.
    fn table_row(self) -> &'static str {
        match self {
            Field::Minutes => "Minutes: values 0-59, wildcards , - * /",
            Field::Hours => "Hours: values 0-23, wildcards , - * /",
            Field::DayOfMonth => "Day-of-month: values 1-31, wildcards , - * ? / L W",
            Field::Month => "Month: values 1-12 or JAN-DEC, wildcards , - * /",
            Field::DayOfWeek => "Day-of-week: values 1-7 or SUN-SAT, wildcards , - * ? L #",
            Field::Year => "Year: values 1970-2199, wildcards , - * /",
        }
    }

    fn names(self) -> &'static [&'static str] {
        match self {
            Field::Month => &MONTHS,
            Field::DayOfWeek => &DAYS,
            _ => &[],
        }
    }

    fn allows(self, wildcard: char) -> bool {
        match wildcard {
            ',' | '-' | '*' => true,
            '/' => self != Field::DayOfWeek,
            '?' => matches!(self, Field::DayOfMonth | Field::DayOfWeek),
            'L' => matches!(self, Field::DayOfMonth | Field::DayOfWeek),
            'W' => self == Field::DayOfMonth,
            '#' => self == Field::DayOfWeek,
            _ => false,
        }
    }
}

/// A cron expression that passed AWS's rules, ready to match local wall-clock minutes.
#[derive(Debug, Clone)]
pub struct CronExpression {
    cron: Cron,
}

impl CronExpression {
    /// Checks `body` (the text inside `cron(...)`) against AWS's rules; the error is the rule.
    pub fn parse(body: &str) -> Result<CronExpression, String> {
        let fields: Vec<&str> = body.split_whitespace().collect();
        if fields.len() != 6 {
            return Err(format!(
                "{} field(s) given. {RULE_SIX_FIELDS}",
                fields.len()
            ));
        }
        let (dom, dow) = (fields[2], fields[4]);
        if (dom == "?") == (dow == "?") {
            return Err(format!(
                "Day-of-month is {dom:?} and Day-of-week is {dow:?}: exactly one must be ?. {RULE_DAY_FIELDS}"
            ));
        }
        let mut rewritten = vec!["0".to_string()];
        for (field, text) in Field::ALL.into_iter().zip(&fields) {
            rewritten.push(
                check_field(field, text)
                    .map_err(|rule| format!("{} {text:?}: {rule}", field.name()))?,
            );
        }
        let cron = CronParser::builder()
            .seconds(Seconds::Required)
            .year(Year::Required)
            .alternative_weekdays(true)
            .build()
            .parse(&rewritten.join(" "))
            .map_err(|e| format!("the cron library refused it after AWS's rules passed: {e}"))?;
        Ok(CronExpression { cron })
    }

    /// The next local wall-clock minute at or after `cursor` (`inclusive`) or after it,
    /// matched as if the wall clock never jumped; `None` past 2199.
    pub fn next_local(
        &self,
        cursor: chrono::NaiveDateTime,
        inclusive: bool,
    ) -> Option<chrono::NaiveDateTime> {
        let wall = cursor.and_utc();
        self.cron
            .find_next_occurrence(&wall, inclusive)
            .ok()
            .map(|t| t.naive_utc())
    }

    /// Whether the local wall-clock minute `local` matches.
    pub fn matches_local(&self, local: chrono::NaiveDateTime) -> bool {
        self.cron
            .is_time_matching(&local.and_utc())
            .unwrap_or(false)
    }
}

/// Checks one field; returns croner's spelling of it.
fn check_field(field: Field, text: &str) -> Result<String, String> {
    let mut upper = text.to_ascii_uppercase();
    // Names first (JUL holds an L, WED a W): they become their numbers.
    for (i, name) in field.names().iter().enumerate() {
        upper = upper.replace(name, &(i + 1).to_string());
    }
    if let Some(bad) = upper
        .chars()
        .find(|c| !c.is_ascii_alphanumeric() && !field.allows(*c))
    {
        return Err(format!(
            "{bad:?} is not allowed here ({})",
            field.table_row()
        ));
    }
    if upper == "?" {
        return Ok("?".into());
    }
    let terms: Vec<&str> = upper.split(',').collect();
    let special = |t: &&str| t.contains('L') || t.contains('W') || t.contains('#');
    if terms.len() > 1 && terms.iter().any(special) {
        if field == Field::DayOfWeek && upper.contains('#') {
            return Err(RULE_ONE_HASH.into());
        }
        return Err(format!(
            "L, W and # stand alone in their field, not in a list ({})",
            field.table_row()
        ));
    }
    terms
        .iter()
        .map(|term| check_term(field, term))
        .collect::<Result<Vec<_>, _>>()
        .map(|terms| terms.join(","))
}

fn check_term(field: Field, term: &str) -> Result<String, String> {
    let (min, max) = field.range();
    if term.is_empty() {
        return Err(format!("an empty list item ({})", field.table_row()));
    }
    if term == "?" {
        return Err("? stands alone in its field".into());
    }
    // Day-of-month: L, LW, nW.
    if field == Field::DayOfMonth && term.contains(['L', 'W']) {
        return match term {
            "L" | "LW" => Ok(term.into()),
            _ => match term.strip_suffix('W') {
                Some(day) => {
                    let day = value(field, day)?;
                    Ok(format!("{day}W"))
                }
                None => Err(format!(
                    "L is the last day of the month (L, or LW for its last weekday); nW is the weekday closest to day n ({})",
                    field.table_row()
                )),
            },
        };
    }
    // Day-of-week: L, nL, n#k.
    if field == Field::DayOfWeek {
        if term == "L" {
            return Ok("7".into()); // the last day of the week: Saturday
        }
        if let Some(day) = term.strip_suffix('L') {
            return Ok(format!("{}L", value(field, day)?));
        }
        if let Some((day, nth)) = term.split_once('#') {
            let day = value(field, day)?;
            let nth: u32 = nth
                .parse()
                .ok()
                .filter(|n| (1..=5).contains(n))
                .ok_or_else(|| "in n#k, k is the k-th such day of the month, 1 to 5 (3#2 is the second Tuesday)".to_string())?;
            return Ok(format!("{day}#{nth}"));
        }
    }
    if let Some(c) = term.chars().find(|c| matches!(c, 'L' | 'W' | '#')) {
        return Err(format!("{c:?} is not allowed here ({})", field.table_row()));
    }
    // [*|a|a-b][/k]
    let (base, step) = match term.split_once('/') {
        Some((base, step)) => {
            let largest = if field == Field::Year { max - min } else { max };
            let step: u32 = step
                .parse()
                .ok()
                .filter(|s| (1..=largest).contains(s))
                .ok_or_else(|| {
                    format!(
                        "the increment after / is a whole number from 1 to {largest} ({})",
                        field.table_row()
                    )
                })?;
            (base, Some(step))
        }
        None => (term, None),
    };
    let range = if base == "*" {
        if field == Field::Year {
            format!("{min}-{max}")
        } else {
            "*".into()
        }
    } else if let Some((a, b)) = base.split_once('-') {
        let (a, b) = (value(field, a)?, value(field, b)?);
        if a > b {
            return Err(format!(
                "the range {base} runs backwards; write it as two ranges ({a}-{max},{min}-{b})"
            ));
        }
        format!("{a}-{b}")
    } else {
        let a = value(field, base)?;
        match step {
            // a/k starts at a and steps to the field's end (`0/15` is every 15 minutes).
            Some(_) => format!("{a}-{max}"),
            None => a.to_string(),
        }
    };
    Ok(match step {
        Some(step) => format!("{range}/{step}"),
        None => range,
    })
}

/// A single value: a number in the field's range (names are numbers by now).
fn value(field: Field, text: &str) -> Result<u32, String> {
    let (min, max) = field.range();
    text.parse::<u32>()
        .ok()
        .filter(|v| (min..=max).contains(v))
        .ok_or_else(|| format!("{text:?} is out of range ({})", field.table_row()))
}
