//! Partition values → the start of the period a partition holds (UTC).
//!
//! Layouts read, by partition key name (case-insensitive):
//! - `year`, `month` and optionally `day` and `hour` (Hive's `year=2026/month=11/day=29/hour=02`);
//! - otherwise the first key whose value is a date or a date and hour: `2026-11-29`, `20261129`,
//!   `2026-11-29-02`, `2026112902`, `2026-11-29T02`, `2026-11-29 02:00:00`,
//!   `2026-11-29T02:00:00`, or RFC 3339; a separate `hour` key adds its hour to a bare date.
//!
//! A partition's time is the start of its period (the day, or the hour), so a daily table written
//! for yesterday is 26 hours old at 02:00 today.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

/// The start of the period the partition with `values` (in the order of `keys`) holds, or
/// `None` when the values name no date.
pub fn partition_start(keys: &[String], values: &[String]) -> Option<DateTime<Utc>> {
    let value_of = |name: &str| {
        keys.iter()
            .position(|k| k.eq_ignore_ascii_case(name))
            .and_then(|i| values.get(i))
            .map(|v| v.trim())
    };
    let number = |name: &str| value_of(name).and_then(|v| v.parse::<u32>().ok());
    let hour = number("hour");
    if let (Some(year), Some(month)) = (value_of("year"), number("month")) {
        let year = year.parse::<i32>().ok()?;
        let date = NaiveDate::from_ymd_opt(year, month, number("day").unwrap_or(1))?;
        return at_hour(date, hour.unwrap_or(0));
    }
    values.iter().find_map(|value| {
        let value = value.trim();
        if let Some(date) = parse_date(value) {
            return at_hour(date, hour.unwrap_or(0));
        }
        parse_date_hour(value)
    })
}

fn parse_date(value: &str) -> Option<NaiveDate> {
    ["%Y-%m-%d", "%Y%m%d"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(value, f).ok())
        .filter(|_| value.len() == 10 || value.len() == 8)
}

fn parse_date_hour(value: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Some(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(value, format) {
            return Some(Utc.from_utc_datetime(&t));
        }
    }
    // A date and an hour: `2026-11-29-02`, `2026-11-29T02`, `2026112902`.
    let (date, hour) = match value.len() {
        13 => (&value[..10], &value[11..]),
        10 if value.bytes().all(|b| b.is_ascii_digit()) => (&value[..8], &value[8..]),
        _ => return None,
    };
    at_hour(parse_date(date)?, hour.parse().ok()?)
}

fn at_hour(date: NaiveDate, hour: u32) -> Option<DateTime<Utc>> {
    Some(Utc.from_utc_datetime(&date.and_time(NaiveTime::from_hms_opt(hour, 0, 0)?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start(keys: &[&str], values: &[&str]) -> Option<String> {
        let keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
        let values: Vec<String> = values.iter().map(|v| v.to_string()).collect();
        partition_start(&keys, &values).map(|t| t.to_rfc3339())
    }

    #[test]
    fn hive_year_month_day_hour_keys_are_read_in_any_order() {
        assert_eq!(
            start(
                &["region", "Year", "month", "day"],
                &["eu", "2026", "11", "28"]
            )
            .as_deref(),
            Some("2026-11-28T00:00:00+00:00")
        );
        assert_eq!(
            start(
                &["hour", "day", "month", "year"],
                &["07", "02", "03", "2026"]
            )
            .as_deref(),
            Some("2026-03-02T07:00:00+00:00")
        );
        assert_eq!(
            start(&["year", "month", "day"], &["2026", "13", "01"]),
            None
        );
    }

    #[test]
    fn a_date_valued_key_is_found_with_or_without_an_hour() {
        for (value, expected) in [
            ("2026-11-28", "2026-11-28T00:00:00+00:00"),
            ("20261128", "2026-11-28T00:00:00+00:00"),
            ("2026-11-28-05", "2026-11-28T05:00:00+00:00"),
            ("2026-11-28T05", "2026-11-28T05:00:00+00:00"),
            ("2026112805", "2026-11-28T05:00:00+00:00"),
            ("2026-11-28 05:00:00", "2026-11-28T05:00:00+00:00"),
            ("2026-11-28T05:30:00Z", "2026-11-28T05:30:00+00:00"),
        ] {
            assert_eq!(
                start(&["store", "dt"], &["s1", value]).as_deref(),
                Some(expected),
                "{value}"
            );
        }
        assert_eq!(
            start(&["dt", "hour"], &["2026-11-28", "23"]).as_deref(),
            Some("2026-11-28T23:00:00+00:00")
        );
    }

    #[test]
    fn values_that_name_no_date_give_none() {
        assert_eq!(start(&["store"], &["s1"]), None);
        assert_eq!(start(&["dt"], &["2026-02-30"]), None);
        assert_eq!(start(&["dt"], &["12345678901"]), None);
    }
}
