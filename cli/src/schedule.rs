//! EventBridge Scheduler expressions: `cron(min hour day-of-month month day-of-week year)`,
//! `rate(N unit)` and `at(yyyy-mm-ddThh:mm:ss)`, checked by AWS's rules and evaluated in a
//! named time zone (DST gaps skipped, repeated hours fired once, as Scheduler does).

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use croner::parser::{CronParser, Seconds, Year};
use croner::Cron;

/// A parsed schedule expression.
#[derive(Debug, Clone)]
pub enum Expression {
    /// A cron expression (AWS's six fields).
    Cron(Box<Cron>),
    /// A fixed rate, in minutes.
    Rate(i64),
    /// One time, in the schedule's time zone.
    At(NaiveDateTime),
}

/// Parses a schedule expression, with AWS's error wording where it has one.
pub fn parse(expression: &str) -> Result<Expression, String> {
    let expression = expression.trim();
    if let Some(body) = expression
        .strip_prefix("cron(")
        .and_then(|b| b.strip_suffix(')'))
    {
        parse_cron(body).map(|c| Expression::Cron(Box::new(c)))
    } else if let Some(body) = expression
        .strip_prefix("rate(")
        .and_then(|b| b.strip_suffix(')'))
    {
        parse_rate(body).map(Expression::Rate)
    } else if let Some(body) = expression
        .strip_prefix("at(")
        .and_then(|b| b.strip_suffix(')'))
    {
        NaiveDateTime::parse_from_str(body, "%Y-%m-%dT%H:%M:%S")
            .map(Expression::At)
            .map_err(|_| format!("at({body}): expected at(yyyy-mm-ddThh:mm:ss)"))
    } else {
        Err(format!(
            "{expression:?} is not cron(...), rate(...) or at(...)"
        ))
    }
}

fn parse_cron(body: &str) -> Result<Cron, String> {
    let fields: Vec<&str> = body.split_whitespace().collect();
    if fields.len() != 6 {
        return Err(format!(
            "cron({body}) has {} fields; EventBridge Scheduler takes six: minutes hours day-of-month month day-of-week year",
            fields.len()
        ));
    }
    let (day_of_month, day_of_week) = (fields[2], fields[4]);
    match (day_of_month == "?", day_of_week == "?") {
        (false, false) => {
            return Err(format!(
                "cron({body}): one of day-of-month ({day_of_month}) and day-of-week ({day_of_week}) must be '?'"
            ))
        }
        (true, true) => return Err(format!("cron({body}): day-of-month and day-of-week cannot both be '?'")),
        _ => {}
    }
    if day_of_week.matches('#').count() > 1 {
        return Err(format!(
            "cron({body}): day-of-week allows one '#' expression only"
        ));
    }
    // croner wants seconds first; AWS day-of-week 1-7 is SUN-SAT (Quartz style).
    CronParser::builder()
        .seconds(Seconds::Required)
        .year(Year::Required)
        .alternative_weekdays(true)
        .build()
        .parse(&format!("0 {body}"))
        .map_err(|e| format!("cron({body}): {e}"))
}

fn parse_rate(body: &str) -> Result<i64, String> {
    let mut parts = body.split_whitespace();
    let (Some(value), Some(unit), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(format!("rate({body}): expected rate(value unit)"));
    };
    let value: i64 = value
        .parse()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| format!("rate({body}): the value must be a positive whole number"))?;
    let minutes = match unit {
        "minute" | "minutes" => 1,
        "hour" | "hours" => 60,
        "day" | "days" => 1440,
        other => {
            return Err(format!(
                "rate({body}): unknown unit {other:?} (minute(s), hour(s) or day(s))"
            ))
        }
    };
    if (value == 1) == unit.ends_with('s') {
        return Err(format!(
            "rate({body}): the unit is singular for 1 and plural otherwise"
        ));
    }
    Ok(value * minutes)
}

/// Parses an IANA time zone name.
pub fn time_zone(name: &str) -> Result<Tz, String> {
    name.parse::<Tz>()
        .map_err(|_| format!("unknown time zone {name:?}"))
}

/// The next `count` fire times after `after`, in `zone`.
pub fn next_fires(
    expression: &Expression,
    zone: Tz,
    after: DateTime<Utc>,
    count: usize,
) -> Vec<DateTime<Tz>> {
    let start = after.with_timezone(&zone);
    match expression {
        Expression::Cron(cron) => {
            let mut out = Vec::with_capacity(count);
            let mut cursor = start;
            let mut guard = 0;
            while out.len() < count && guard < count * 4 + 8 {
                guard += 1;
                let Ok(next) = cron.find_next_occurrence(&cursor, false) else {
                    break;
                };
                cursor = next;
                // Scheduler skips a local time that DST removes (croner would fire it shifted
                // to the first valid instant) and fires a repeated local time once.
                let shifted = !cron.is_time_matching(&next).unwrap_or(false);
                let repeated = out
                    .last()
                    .is_some_and(|last: &DateTime<Tz>| last.naive_local() == next.naive_local());
                if !shifted && !repeated {
                    out.push(next);
                }
            }
            out
        }
        Expression::Rate(minutes) => (1..=count as i64)
            .map(|i| start + chrono::Duration::minutes(minutes * i))
            .collect(),
        Expression::At(at) => zone
            .from_local_datetime(at)
            .earliest()
            .filter(|t| *t > start)
            .into_iter()
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, Timelike, Weekday};

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn the_weekly_retraining_cron_fires_on_sundays_at_two() {
        let cron = parse("cron(0 2 ? * SUN *)").unwrap();
        let fires = next_fires(
            &cron,
            time_zone("UTC").unwrap(),
            utc("2026-11-27T10:00:00Z"),
            3,
        );
        assert_eq!(fires.len(), 3);
        for fire in &fires {
            assert_eq!(fire.weekday(), Weekday::Sun);
            assert_eq!((fire.hour(), fire.minute()), (2, 0));
        }
        assert_eq!(fires[0].day(), 29);
    }

    #[test]
    fn numeric_day_of_week_one_is_sunday_as_in_aws() {
        let cron = parse("cron(30 6 ? * 1 *)").unwrap();
        let fire = next_fires(
            &cron,
            time_zone("UTC").unwrap(),
            utc("2026-11-27T10:00:00Z"),
            1,
        )[0];
        assert_eq!(fire.weekday(), Weekday::Sun);
    }

    #[test]
    fn a_local_time_skipped_by_dst_does_not_fire_that_day() {
        // 02:30 does not exist in Europe/Berlin on 2027-03-28.
        let cron = parse("cron(30 2 * * ? *)").unwrap();
        let fires = next_fires(
            &cron,
            time_zone("Europe/Berlin").unwrap(),
            utc("2027-03-26T12:00:00Z"),
            3,
        );
        let days: Vec<u32> = fires.iter().map(|f| f.day()).collect();
        assert!(!days.contains(&28), "{fires:?}");
    }

    #[test]
    fn a_local_time_repeated_by_dst_fires_once() {
        // 02:30 happens twice in Europe/Berlin on 2027-10-31.
        let cron = parse("cron(30 2 * * ? *)").unwrap();
        let fires = next_fires(
            &cron,
            time_zone("Europe/Berlin").unwrap(),
            utc("2027-10-30T12:00:00Z"),
            3,
        );
        let on_the_31st = fires.iter().filter(|f| f.day() == 31).count();
        assert_eq!(on_the_31st, 1, "{fires:?}");
    }

    #[test]
    fn aws_rules_are_enforced_with_clear_messages() {
        for (bad, fragment) in [
            ("cron(0 6 * *)", "has 4 fields"),
            ("cron(0 6 1 * MON *)", "must be '?'"),
            ("cron(0 6 ? * ? *)", "cannot both be '?'"),
            ("cron(0 25 ? * SUN *)", "cron(0 25"),
            ("rate(0 minutes)", "positive whole number"),
            ("rate(5 minute)", "plural"),
            ("rate(1 hours)", "singular"),
            ("rate(2 weeks)", "unknown unit"),
            ("at(2026-13-01T00:00:00)", "at(yyyy-mm-ddThh:mm:ss)"),
            ("every sunday", "is not cron"),
        ] {
            let err = parse(bad).unwrap_err();
            assert!(err.contains(fragment), "{bad}: {err}");
        }
    }

    #[test]
    fn rates_and_one_time_schedules_have_next_fires() {
        let zone = time_zone("UTC").unwrap();
        let rate = parse("rate(2 hours)").unwrap();
        let fires = next_fires(&rate, zone, utc("2026-11-27T10:00:00Z"), 2);
        assert_eq!(fires[1].hour(), 14);
        let at = parse("at(2026-12-01T08:00:00)").unwrap();
        assert_eq!(
            next_fires(&at, zone, utc("2026-11-27T10:00:00Z"), 5).len(),
            1
        );
        assert!(next_fires(&at, zone, utc("2027-01-01T00:00:00Z"), 5).is_empty());
        assert!(time_zone("Mars/Olympus").is_err());
    }
}
