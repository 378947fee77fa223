//! The checked time window: the previous full hour of a scheduled run, or an explicit window of
//! a re-run or backfill.

use chrono::{DateTime, Duration, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;

/// The longest explicit window accepted (a backfill of a month at most per run).
pub const MAX_WINDOW_DAYS: i64 = 31;

/// A half-open interval `[start, end)` of instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Window {
    /// First instant inside.
    #[serde(serialize_with = "rfc3339")]
    #[schemars(with = "String")]
    pub start: DateTime<Utc>,
    /// First instant after.
    #[serde(serialize_with = "rfc3339")]
    #[schemars(with = "String")]
    pub end: DateTime<Utc>,
}

fn rfc3339<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&text(*t))
}

/// An instant as RFC 3339 in UTC with seconds (`2026-11-27T06:00:00Z`).
pub fn text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl Window {
    /// The full hour (of the clock in `tz`) that ended last at or before `at`: a run scheduled
    /// at 07:05 checks 06:00–07:00. The window is always 3,600 s long: across a DST change it
    /// is the real hour before the boundary, whatever the local clock reads. In zones offset by
    /// whole hours the boundaries are the UTC hour boundaries; in others (e.g. Asia/Kolkata,
    /// +05:30) they are the local ones.
    pub fn previous_full_hour(at: DateTime<Utc>, tz: Tz) -> Window {
        let offset = i64::from(
            tz.offset_from_utc_datetime(&at.naive_utc())
                .fix()
                .local_minus_utc(),
        );
        let local_seconds = at.timestamp() + offset;
        let floored = local_seconds - local_seconds.rem_euclid(3600) - offset;
        let end = DateTime::from_timestamp(floored, 0).unwrap_or(at);
        Window {
            start: end - Duration::hours(1),
            end,
        }
    }

    /// An explicit window from RFC 3339 texts: `start < end`, at most [`MAX_WINDOW_DAYS`] long,
    /// not ending after `now`.
    pub fn explicit(start: &str, end: &str, now: DateTime<Utc>) -> Result<Window, String> {
        let parse = |field: &str, value: &str| {
            DateTime::parse_from_rfc3339(value)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| {
                    format!("{field} {value:?} is not an RFC 3339 time with offset (e.g. 2026-11-27T06:00:00Z): {e}")
                })
        };
        let start = parse("window_start", start)?;
        let end = parse("window_end", end)?;
        if end <= start {
            return Err(format!(
                "window_end ({}) must be after window_start ({})",
                text(end),
                text(start)
            ));
        }
        if end - start > Duration::days(MAX_WINDOW_DAYS) {
            return Err(format!(
                "the window is longer than {MAX_WINDOW_DAYS} days: split the backfill"
            ));
        }
        if end > now {
            return Err(format!(
                "window_end ({}) is in the future: its data is not complete yet",
                text(end)
            ));
        }
        Ok(Window { start, end })
    }

    /// The window shown in local time of `tz`, for logs (`2026-03-29T01:00:00+01:00`).
    pub fn local(&self, tz: Tz) -> (String, String) {
        let show = |t: DateTime<Utc>| {
            t.with_timezone(&tz)
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        };
        (show(self.start), show(self.end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn window(start: &str, end: &str) -> Window {
        Window {
            start: at(start),
            end: at(end),
        }
    }

    #[test]
    fn a_run_a_few_minutes_past_the_hour_checks_the_previous_hour() {
        assert_eq!(
            Window::previous_full_hour(at("2026-11-27T07:05:12Z"), Tz::UTC),
            window("2026-11-27T06:00:00Z", "2026-11-27T07:00:00Z")
        );
    }

    #[test]
    fn a_run_exactly_on_the_hour_checks_the_hour_that_just_ended() {
        assert_eq!(
            Window::previous_full_hour(at("2026-11-27T07:00:00Z"), Tz::UTC),
            window("2026-11-27T06:00:00Z", "2026-11-27T07:00:00Z")
        );
    }

    #[test]
    fn the_window_crosses_midnight_and_the_new_year() {
        assert_eq!(
            Window::previous_full_hour(at("2027-01-01T00:10:00Z"), Tz::UTC),
            window("2026-12-31T23:00:00Z", "2027-01-01T00:00:00Z")
        );
        // Midnight local in Berlin (CET, +01:00) is 23:00 UTC.
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        assert_eq!(
            Window::previous_full_hour(at("2026-11-27T23:05:00Z"), berlin),
            window("2026-11-27T22:00:00Z", "2026-11-27T23:00:00Z")
        );
    }

    #[test]
    fn across_the_spring_dst_change_the_window_is_one_real_hour() {
        // Europe/Berlin, 2027-03-28: 02:00 CET jumps to 03:00 CEST at 01:00 UTC.
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        let w = Window::previous_full_hour(at("2027-03-28T01:05:00Z"), berlin);
        assert_eq!(w, window("2027-03-28T00:00:00Z", "2027-03-28T01:00:00Z"));
        assert_eq!(
            w.local(berlin),
            (
                "2027-03-28T01:00:00+01:00".to_string(),
                "2027-03-28T03:00:00+02:00".to_string()
            )
        );
    }

    #[test]
    fn across_the_autumn_dst_change_the_repeated_hour_is_checked_twice_once_each() {
        // Europe/Berlin, 2026-10-25: 03:00 CEST falls back to 02:00 CET at 01:00 UTC; local
        // 02:00-03:00 happens twice, as 00:00-01:00 and 01:00-02:00 UTC.
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        let first = Window::previous_full_hour(at("2026-10-25T01:05:00Z"), berlin);
        let second = Window::previous_full_hour(at("2026-10-25T02:05:00Z"), berlin);
        assert_eq!(
            first,
            window("2026-10-25T00:00:00Z", "2026-10-25T01:00:00Z")
        );
        assert_eq!(
            second,
            window("2026-10-25T01:00:00Z", "2026-10-25T02:00:00Z")
        );
        assert_eq!(first.local(berlin).0, "2026-10-25T02:00:00+02:00");
        assert_eq!(second.local(berlin).0, "2026-10-25T02:00:00+01:00");
    }

    #[test]
    fn a_half_hour_zone_uses_its_local_hour_boundaries() {
        let kolkata: Tz = "Asia/Kolkata".parse().unwrap();
        assert_eq!(
            Window::previous_full_hour(at("2026-11-27T18:40:00Z"), kolkata),
            window("2026-11-27T17:30:00Z", "2026-11-27T18:30:00Z")
        );
        // 00:10 local on the 28th: the window is the last hour of the 27th, local.
        assert_eq!(
            Window::previous_full_hour(at("2026-11-27T18:40:00Z"), kolkata).local(kolkata),
            (
                "2026-11-27T23:00:00+05:30".to_string(),
                "2026-11-28T00:00:00+05:30".to_string()
            )
        );
    }

    #[test]
    fn explicit_windows_are_validated() {
        let now = at("2026-11-27T08:00:00Z");
        assert_eq!(
            Window::explicit("2026-11-26T00:00:00Z", "2026-11-27T00:00:00+00:00", now).unwrap(),
            window("2026-11-26T00:00:00Z", "2026-11-27T00:00:00Z")
        );
        assert_eq!(
            Window::explicit(
                "2026-11-27T01:00:00+01:00",
                "2026-11-27T02:00:00+01:00",
                now
            )
            .unwrap(),
            window("2026-11-27T00:00:00Z", "2026-11-27T01:00:00Z")
        );
        for (start, end, needle) in [
            (
                "2026-11-27T06:00:00Z",
                "2026-11-27T05:00:00Z",
                "must be after",
            ),
            ("2026-11-27", "2026-11-27T05:00:00Z", "window_start"),
            ("2026-11-27T06:00:00Z", "2026-11-27T09:00:00Z", "future"),
            (
                "2026-09-01T00:00:00Z",
                "2026-11-01T00:00:00Z",
                "longer than",
            ),
        ] {
            let message = Window::explicit(start, end, now).unwrap_err();
            assert!(message.contains(needle), "{message}");
        }
    }

    #[test]
    fn windows_serialise_as_utc_text() {
        let w = window("2026-11-27T06:00:00Z", "2026-11-27T07:00:00Z");
        assert_eq!(
            serde_json::to_value(w).unwrap(),
            serde_json::json!({"start": "2026-11-27T06:00:00Z", "end": "2026-11-27T07:00:00Z"})
        );
    }
}
