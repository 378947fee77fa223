//! The cache warm-up's only trigger is the daily batch forecast (`DemandForecastBatchSchedule` →
//! demand-forecast-batch → cache-warmup). That schedule fires at a local time that exists
//! exactly once on every day of every allowed time zone: never skipped by a spring-forward gap,
//! never doubled by a fall-back fold (EventBridge Scheduler skips a missing local time and fires
//! a repeated one once, so either would lose or shift a day's forecast and warm-up).

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

/// The schedule that starts the batch forecast, and so the warm-up.
const SCHEDULE: &str = "DemandForecastBatchSchedule";

/// (minute, hour) of the daily schedule's `cron(m h * * ? *)`, and its flexible window.
fn schedule_time(template: &str) -> (NaiveTime, i64) {
    let lines = block(template, SCHEDULE);
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
fn the_daily_forecast_time_exists_exactly_once_every_day_in_every_allowed_zone() {
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
fn the_schedule_the_forecast_date_and_the_function_read_the_same_time_zone() {
    let template = template();
    let function = block(&template, "CacheWarmupFunction").join("\n");
    assert!(function.contains("FORECAST_TIME_ZONE: !Ref CacheWarmupTimezone"));
    let schedule = block(&template, SCHEDULE).join("\n");
    assert!(schedule.contains("ScheduleExpressionTimezone: !Ref CacheWarmupTimezone"));
    assert!(schedule.contains("Mode: \"OFF\""), "{schedule}");
    assert!(schedule.contains("\"scheduled_time\": \"<aws.scheduler.scheduled-time>\""));
    // The state machine names the forecast date in the zone it is given as ForecastTimezone.
    let machine = block(&template, "DemandForecastBatchStateMachine").join("\n");
    assert!(machine.contains("ForecastTimezone: !Ref CacheWarmupTimezone"));
}

#[test]
fn the_old_warm_up_schedule_is_gone_so_the_batch_is_the_only_trigger() {
    let template = template();
    assert!(!template.contains("DailyCacheWarmupSchedule"));
    let invokers: Vec<&str> = template
        .lines()
        .filter(|l| l.contains("!GetAtt CacheWarmupFunction.Arn"))
        .filter(|l| !l.trim_start().starts_with("Value:"))
        .collect();
    // The batch state machine's substitution and its InvokeFunction permission (the stack's
    // output aside): no schedule, rule or other role targets the function.
    assert_eq!(invokers.len(), 2, "{invokers:?}");
}

/// What the batch state machine sends, with each `"key.$": path` replaced by a sample value of
/// that path.
fn batch_payload(sample: &serde_json::Map<String, serde_json::Value>) -> serde_json::Value {
    fn fill(
        value: &serde_json::Value,
        sample: &serde_json::Map<String, serde_json::Value>,
    ) -> serde_json::Value {
        match value {
            serde_json::Value::Object(fields) => fields
                .iter()
                .map(|(key, v)| match key.strip_suffix(".$") {
                    Some(name) => {
                        let path = v.as_str().unwrap_or_default();
                        let filled = sample
                            .get(path)
                            .unwrap_or_else(|| panic!("no sample value for {path}"));
                        (name.to_string(), filled.clone())
                    }
                    None => (key.clone(), fill(v, sample)),
                })
                .collect::<serde_json::Map<_, _>>()
                .into(),
            other => other.clone(),
        }
    }
    let text = std::fs::read_to_string(
        workspace_root().join("state-machines/demand-forecast-batch.asl.json"),
    )
    .unwrap();
    let machine: serde_json::Value = serde_json::from_str(&text).unwrap();
    fill(
        &machine["States"]["WarmForecastCache"]["Parameters"]["Payload"],
        sample,
    )
}

#[test]
fn the_batch_workflow_sends_an_event_the_function_accepts_naming_the_day_and_folder() {
    let sample: serde_json::Map<String, serde_json::Value> = serde_json::json!({
        "$.run.forecast_date": "2026-11-27",
        "$.run.forecasts_uri": "s3://ml-pipelines-forecasts/daily/2026-11-27/",
        "$.run.run_id": "prod-demand-forecast-0f3c9a7e5b2d4c6a8e1f0b3d5c7a9e2f",
        "$$.Execution.Id": "arn:aws:states:eu-central-1:123456789012:execution:x:y"
    })
    .as_object()
    .unwrap()
    .clone();
    let event = batch_payload(&sample);
    let input = cache_warmup::input::WarmupInput::from_event(event).unwrap();
    // An explicit date wins over any clock or scheduled time: the warm-up loads the batch's day
    // from the batch's folder, whenever it runs.
    assert_eq!(input.date.as_deref(), Some("2026-11-27"));
    assert_eq!(input.scheduled_time, None);
    assert_eq!(
        input.source_uri.as_deref(),
        Some("s3://ml-pipelines-forecasts/daily/2026-11-27/")
    );
    assert_eq!(
        input.resolve_date(chrono_tz::Asia::Tokyo).unwrap(),
        NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
    );
}
