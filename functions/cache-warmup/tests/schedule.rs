//! The daily schedule in `sam-template.yaml` fires at a local time that exists exactly once on
//! every day of every allowed time zone: never skipped by a spring-forward gap, never doubled by
//! a fall-back fold (EventBridge Scheduler skips a missing local time and fires a repeated one
//! once, so either would lose or shift a day's warm-up).

use chrono::{LocalResult, NaiveDate, NaiveTime, TimeZone};
use chrono_tz::Tz;
use integration_tests::workspace_root;

fn template() -> String {
    std::fs::read_to_string(workspace_root().join("sam-template.yaml")).unwrap()
}

/// The lines of the block under `  <name>:` (a parameter or a resource), up to the next sibling.
fn block<'a>(template: &'a str, name: &str) -> Vec<&'a str> {
    let header = format!("  {name}:");
    let mut lines = template.lines().skip_while(|l| *l != header);
    assert!(lines.next().is_some(), "{name} is not in the template");
    lines
        .take_while(|l| l.is_empty() || l.starts_with("   "))
        .collect()
}

fn allowed_zones(template: &str) -> Vec<Tz> {
    block(template, "CacheWarmupTimezone")
        .iter()
        .skip_while(|l| l.trim() != "AllowedValues:")
        .skip(1)
        .map_while(|l| l.trim().strip_prefix("- "))
        .map(|name| {
            name.parse::<Tz>()
                .unwrap_or_else(|_| panic!("unknown zone {name}"))
        })
        .collect()
}

/// (minute, hour) of the daily schedule's `cron(m h * * ? *)`, and its flexible window.
fn schedule_time(template: &str) -> (NaiveTime, i64) {
    let lines = block(template, "DailyCacheWarmupSchedule");
    let expression = lines
        .iter()
        .find_map(|l| l.trim().strip_prefix("ScheduleExpression: cron("))
        .expect("a cron expression");
    let fields: Vec<&str> = expression.trim_end_matches(')').split(' ').collect();
    assert_eq!(&fields[2..], ["*", "*", "?", "*"], "a daily schedule");
    let window = lines
        .iter()
        .find_map(|l| l.trim().strip_prefix("MaximumWindowInMinutes: "))
        .map_or(0, |m| m.parse().unwrap());
    (
        NaiveTime::from_hms_opt(fields[1].parse().unwrap(), fields[0].parse().unwrap(), 0).unwrap(),
        window,
    )
}

fn exists_once(zone: Tz, day: NaiveDate, time: NaiveTime) -> bool {
    matches!(
        zone.from_local_datetime(&day.and_time(time)),
        LocalResult::Single(_)
    )
}

#[test]
fn the_daily_warm_up_time_exists_exactly_once_every_day_in_every_allowed_zone() {
    let template = template();
    let zones = allowed_zones(&template);
    assert!(zones.len() >= 10, "{zones:?}");
    assert!(zones.contains(&chrono_tz::Europe::Berlin));
    let (time, window) = schedule_time(&template);
    let mut day = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let last = NaiveDate::from_ymd_opt(2045, 12, 31).unwrap();
    while day <= last {
        for zone in &zones {
            for minute in [0, window] {
                let at = time + chrono::Duration::minutes(minute);
                assert!(exists_once(*zone, day, at), "{at} on {day} in {zone}");
            }
        }
        day = day.succ_opt().unwrap();
    }
}

#[test]
fn the_check_catches_a_time_inside_a_dst_change() {
    let berlin = chrono_tz::Europe::Berlin;
    let time = |h| NaiveTime::from_hms_opt(h, 30, 0).unwrap();
    // Spring forward on 2027-03-28 (02:30 never happens), fall back on 2027-10-31 (02:30 twice).
    assert!(!exists_once(
        berlin,
        NaiveDate::from_ymd_opt(2027, 3, 28).unwrap(),
        time(2)
    ));
    assert!(!exists_once(
        berlin,
        NaiveDate::from_ymd_opt(2027, 10, 31).unwrap(),
        time(2)
    ));
    assert!(exists_once(
        berlin,
        NaiveDate::from_ymd_opt(2027, 10, 31).unwrap(),
        time(6)
    ));
}

#[test]
fn the_schedule_and_the_function_read_the_same_time_zone() {
    let template = template();
    let function = block(&template, "CacheWarmupFunction").join("\n");
    assert!(function.contains("FORECAST_TIME_ZONE: !Ref CacheWarmupTimezone"));
    let schedule = block(&template, "DailyCacheWarmupSchedule").join("\n");
    assert!(schedule.contains("ScheduleExpressionTimezone: !Ref CacheWarmupTimezone"));
    assert!(schedule.contains("\"scheduled_time\": \"<aws.scheduler.scheduled-time>\""));
}

#[test]
fn the_schedule_payload_is_an_event_the_function_accepts() {
    let template = template();
    let lines = block(&template, "DailyCacheWarmupSchedule");
    // The folded `Input: >-` scalar: its lines joined by spaces.
    let input: Vec<&str> = lines
        .iter()
        .skip_while(|l| l.trim() != "Input: >-")
        .skip(1)
        .take_while(|l| !l.trim().ends_with(':'))
        .map(|l| l.trim())
        .collect();
    let payload = input
        .join(" ")
        .replace("<aws.scheduler.scheduled-time>", "2026-11-27T05:30:00Z")
        .replace(
            "<aws.scheduler.schedule-arn>",
            "arn:aws:scheduler:eu-central-1:123456789012:schedule/default/x",
        )
        .replace("<aws.scheduler.attempt-number>", "1");
    let event: serde_json::Value = serde_json::from_str(&payload).unwrap();
    let input = cache_warmup::input::WarmupInput::from_event(event).unwrap();
    assert_eq!(
        input.resolve_date(chrono_tz::Europe::Berlin).unwrap(),
        NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
    );
}
