//! EventBridge Scheduler schedules as `pipelines schedule` reads them from the template:
//! `ScheduleExpression` (`at(...)`, `rate(...)`, `cron(...)`), `ScheduleExpressionTimezone`,
//! `StartDate` and `EndDate` (`cli/src/scheduler`, compiled here by path). The input's lines are
//! those four fields. Properties: no panic; fire times strictly increase, are not before the
//! start of the search, and keep within StartDate and EndDate (recurring schedules).
#![no_main]

#[allow(dead_code)]
#[path = "../../cli/src/scheduler/mod.rs"]
mod scheduler;

use chrono::{DateTime, Duration, Utc};
use libfuzzer_sys::fuzz_target;

/// Fire times looked at per input.
const FIRES: usize = 16;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut lines = text.split('\n');
    let expression = lines.next().unwrap_or_default();
    let zone = lines.next().filter(|z| !z.is_empty()).unwrap_or("UTC");
    let start = lines.next().filter(|s| !s.is_empty());
    let end = lines.next().filter(|s| !s.is_empty());

    let _ = scheduler::parse(expression);
    let Ok(schedule) = scheduler::Schedule::new(expression, zone, start, end) else {
        return;
    };
    let from = DateTime::<Utc>::from_timestamp(1_795_000_000, 0).unwrap_or_default();
    // Scheduler ignores StartDate and EndDate for one-time schedules.
    let bounded = !matches!(schedule.expression, scheduler::Expression::At(_));
    let mut last: Option<DateTime<Utc>> = None;
    for t in schedule.fires(from).take(FIRES) {
        assert!(t >= from, "{t} before {from}");
        if bounded {
            assert!(
                schedule.start.is_none_or(|s| t >= s),
                "{t} before StartDate"
            );
            assert!(
                schedule.end.is_none_or(|e| t < e),
                "{t} at or after EndDate"
            );
        }
        assert!(last.is_none_or(|l| t > l), "{t} after {last:?}");
        last = Some(t);
    }
    let _ = schedule.dst_notes(from, from + Duration::days(400));
});
