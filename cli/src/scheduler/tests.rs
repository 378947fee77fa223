//! Fire times against hand-checked values, and every form AWS rejects.

use super::dst::DstKind;
use super::*;

fn utc(text: &str) -> DateTime<Utc> {
    parse_time(text).unwrap()
}

fn fires(expression: &str, zone: &str, from: &str, count: usize) -> Vec<String> {
    Schedule::new(expression, zone, None, None)
        .unwrap()
        .fires(utc(from))
        .take(count)
        .map(iso)
        .collect()
}

#[test]
fn berlin_sunday_two_am_fires_on_the_21st_then_skips_the_28th_when_two_am_does_not_exist() {
    assert_eq!(
        fires("cron(0 2 ? * SUN *)", "Europe/Berlin", "2027-03-20", 3),
        [
            "2027-03-21T01:00:00Z", // 02:00 CET
            "2027-04-04T00:00:00Z", // 02:00 CEST; 2027-03-28 02:00 never happens
            "2027-04-11T00:00:00Z",
        ]
    );
}

#[test]
fn new_york_daily_one_thirty_across_both_dst_changes() {
    // Spring forward 2027-03-14 02:00 EST -> 03:00 EDT: 01:30 still exists (EST).
    assert_eq!(
        fires("cron(30 1 * * ? *)", "America/New_York", "2027-03-13", 3),
        [
            "2027-03-13T06:30:00Z",
            "2027-03-14T06:30:00Z",
            "2027-03-15T05:30:00Z"
        ]
    );
    // Fall back 2027-11-07 02:00 EDT -> 01:00 EST: 01:30 happens twice, fires once, at the first.
    assert_eq!(
        fires("cron(30 1 * * ? *)", "America/New_York", "2027-11-06", 3),
        [
            "2027-11-06T05:30:00Z",
            "2027-11-07T05:30:00Z",
            "2027-11-08T06:30:00Z"
        ]
    );
}

#[test]
fn l_is_the_last_day_of_the_month_or_week() {
    assert_eq!(
        fires("cron(0 12 L * ? *)", "UTC", "2028-01-15", 3),
        [
            "2028-01-31T12:00:00Z",
            "2028-02-29T12:00:00Z",
            "2028-03-31T12:00:00Z"
        ]
    );
    // 6L: the last Friday (AWS's own example, cron(15 10 ? * 6L 2019-2022)).
    assert_eq!(
        fires("cron(0 12 ? * 6L *)", "UTC", "2027-01-01", 2),
        ["2027-01-29T12:00:00Z", "2027-02-26T12:00:00Z"]
    );
    // L alone in day-of-week: the last day of the week, Saturday (2027-01-02).
    assert_eq!(
        fires("cron(0 12 ? * L *)", "UTC", "2027-01-01", 1),
        ["2027-01-02T12:00:00Z"]
    );
}

#[test]
fn w_is_the_closest_weekday_and_never_leaves_the_month() {
    // 2027-05-01 is a Saturday: the closest weekday in May is Monday the 3rd, not Friday 30 April.
    assert_eq!(
        fires("cron(0 9 1W * ? *)", "UTC", "2027-05-01", 1),
        ["2027-05-03T09:00:00Z"]
    );
    // 2027-10-31 is a Sunday: Friday the 29th, not Monday 1 November.
    assert_eq!(
        fires("cron(0 9 31W * ? *)", "UTC", "2027-10-01", 1),
        ["2027-10-29T09:00:00Z"]
    );
    // 2027-05-15 is a Saturday: Friday the 14th.
    assert_eq!(
        fires("cron(0 9 15W * ? *)", "UTC", "2027-05-01", 1),
        ["2027-05-14T09:00:00Z"]
    );
    // LW: the last weekday of the month (2027-10-29, a Friday).
    assert_eq!(
        fires("cron(0 9 LW * ? *)", "UTC", "2027-10-01", 1),
        ["2027-10-29T09:00:00Z"]
    );
}

#[test]
fn hash_is_the_nth_weekday_of_the_month() {
    // AWS's example: 2#1, the first Monday (day-of-week 1 = Sunday).
    assert_eq!(
        fires("cron(0 9 ? * 2#1 *)", "UTC", "2027-01-15", 2),
        ["2027-02-01T09:00:00Z", "2027-03-01T09:00:00Z"]
    );
    // The fifth Friday exists only in some months: January and then April 2027.
    assert_eq!(
        fires("cron(0 9 ? * FRI#5 *)", "UTC", "2027-01-01", 2),
        ["2027-01-29T09:00:00Z", "2027-04-30T09:00:00Z"]
    );
}

#[test]
fn years_bound_the_fires() {
    assert_eq!(
        fires("cron(0 0 1 1 ? 2028-2029)", "UTC", "2026-06-01", 5),
        ["2028-01-01T00:00:00Z", "2029-01-01T00:00:00Z"]
    );
    assert_eq!(
        fires("cron(0 0 1 1 ? *)", "UTC", "2199-01-01", 5),
        ["2199-01-01T00:00:00Z"]
    );
    assert_eq!(
        fires("cron(0 0 1 1 ? 2027/2)", "UTC", "2026-06-01", 2),
        ["2027-01-01T00:00:00Z", "2029-01-01T00:00:00Z"]
    );
}

#[test]
fn a_number_or_range_starts_an_increment() {
    assert_eq!(
        fires("cron(0/15 * * * ? *)", "UTC", "2027-01-01T00:07:00Z", 4),
        [
            "2027-01-01T00:15:00Z",
            "2027-01-01T00:30:00Z",
            "2027-01-01T00:45:00Z",
            "2027-01-01T01:00:00Z"
        ]
    );
    assert_eq!(
        fires("cron(5-59/10 * * * ? *)", "UTC", "2027-01-01T00:00:00Z", 3),
        [
            "2027-01-01T00:05:00Z",
            "2027-01-01T00:15:00Z",
            "2027-01-01T00:25:00Z"
        ]
    );
}

#[test]
fn rate_counts_real_time_across_a_dst_change() {
    // One day is 24 hours: 13:00 CET, then 14:00 CEST on both following days.
    assert_eq!(
        fires("rate(1 day)", "Europe/Berlin", "2027-03-27T12:00:00Z", 3),
        [
            "2027-03-27T12:00:00Z",
            "2027-03-28T12:00:00Z",
            "2027-03-29T12:00:00Z"
        ]
    );
    let s = Schedule::new(
        "rate(2 hours)",
        "UTC",
        Some("2027-01-01T00:30:00Z"),
        Some("2027-01-01T08:30:00Z"),
    )
    .unwrap();
    let got: Vec<String> = s.fires(utc("2027-01-01T03:00:00Z")).map(iso).collect();
    assert_eq!(got, ["2027-01-01T04:30:00Z", "2027-01-01T06:30:00Z"]);
}

#[test]
fn at_is_read_in_the_schedule_zone() {
    assert_eq!(
        fires(
            "at(2027-06-01T08:00:00)",
            "America/New_York",
            "2027-01-01",
            5
        ),
        ["2027-06-01T12:00:00Z"]
    );
    // A repeated local time fires at its first occurrence (CEST).
    assert_eq!(
        fires("at(2027-10-31T02:30:00)", "Europe/Berlin", "2027-01-01", 5),
        ["2027-10-31T00:30:00Z"]
    );
    // A local time that does not exist never fires.
    assert!(fires("at(2027-03-28T02:30:00)", "Europe/Berlin", "2027-01-01", 5).is_empty());
    // Past: nothing.
    assert!(fires("at(2027-06-01T08:00:00)", "UTC", "2027-07-01", 5).is_empty());
}

#[test]
fn start_date_and_end_date_bound_a_cron_schedule() {
    let s = Schedule::new(
        "cron(0 12 * * ? *)",
        "UTC",
        Some("2027-01-05T00:00:00Z"),
        Some("2027-01-07T12:00:00Z"),
    )
    .unwrap();
    let got: Vec<String> = s.fires(utc("2027-01-01")).map(iso).collect();
    assert_eq!(got, ["2027-01-05T12:00:00Z", "2027-01-06T12:00:00Z"]);
    assert!(matches!(
        Schedule::new(
            "cron(0 12 * * ? *)",
            "UTC",
            Some("2027-01-07T00:00:00Z"),
            Some("2027-01-05T00:00:00Z")
        ),
        Err(ScheduleError::StartNotBeforeEnd { .. })
    ));
    assert!(matches!(
        Schedule::new("cron(0 12 * * ? *)", "UTC", Some("soon"), None),
        Err(ScheduleError::InvalidDate { .. })
    ));
    assert!(matches!(
        Schedule::new("cron(0 12 * * ? *)", "Mars/Olympus", None, None),
        Err(ScheduleError::UnknownTimeZone(_))
    ));
}

#[test]
fn every_form_aws_documents_is_accepted() {
    for good in [
        // The EventBridge guides' own examples.
        "cron(0 10 * * ? *)",
        "cron(15 12 * * ? *)",
        "cron(0 18 ? * MON-FRI *)",
        "cron(0 8 1 * ? *)",
        "cron(0/15 * * * ? *)",
        "cron(0/10 * ? * MON-FRI *)",
        "cron(0/5 8-17 ? * MON-FRI *)",
        "cron(0 9 ? * 2#1 *)",
        "cron(15 10 ? * 6L 2019-2022)",
        // Other forms the field table allows.
        "cron(5-59/10 * * * ? *)",
        "cron(*/59 * * * ? *)",
        "cron(* * * * ? *)",
        "cron(0 0 L * ? *)",
        "cron(0 0 LW * ? *)",
        "cron(0 0 15W * ? *)",
        "cron(0 9 ? * L *)",
        "cron(0 12 * jan-mar ? *)",
        "cron(0 12 1,15 JAN,JUL ? 2027,2029)",
        "cron(0 12 1/2 */3 ? 1970-2199)",
        "rate(1 minute)",
        "rate(5 minutes)",
        "rate(1 hour)",
        "rate(12 hours)",
        "rate(1 day)",
        "rate(7 days)",
        "at(2027-01-01T00:00:00)",
    ] {
        assert!(parse(good).is_ok(), "{good}: {:?}", parse(good).err());
    }
}

#[test]
fn every_form_aws_rejects_is_rejected_with_the_rule() {
    for (bad, rule) in [
        // One '#' expression only: AWS's own wording.
        ("cron(0 9 ? * 2#1,4 *)", "only one expression"),
        ("cron(0 9 ? * 2#1,3#2 *)", "only one expression"),
        ("cron(0 9 ? * 2#6 *)", "1 to 5"),
        ("cron(0 9 ? * 2#0 *)", "1 to 5"),
        ("cron(0 9 1#2 * ? *)", "'#' is not allowed"),
        // Six fields.
        ("cron(0 6 * *)", "six required fields"),
        ("cron(0 6 * * ? * *)", "six required fields"),
        ("cron()", "six required fields"),
        // Day-of-month and day-of-week.
        ("cron(0 6 1 * MON *)", "must use a ? (question mark)"),
        ("cron(0 6 * * * *)", "must use a ? (question mark)"),
        ("cron(0 6 ? * ? *)", "exactly one must be ?"),
        ("cron(0 ? * * ? *)", "'?' is not allowed"),
        // Ranges of each field.
        ("cron(60 * * * ? *)", "Minutes: values 0-59"),
        ("cron(0 24 * * ? *)", "Hours: values 0-23"),
        ("cron(0 0 0 * ? *)", "Day-of-month: values 1-31"),
        ("cron(0 0 32 * ? *)", "Day-of-month: values 1-31"),
        ("cron(0 0 1 13 ? *)", "Month: values 1-12"),
        ("cron(0 0 1 JANUARY ? *)", "Month: values 1-12"),
        ("cron(0 0 ? * 0 *)", "Day-of-week: values 1-7"),
        ("cron(0 0 ? * 8 *)", "Day-of-week: values 1-7"),
        ("cron(0 0 1 1 ? 1969)", "Year: values 1970-2199"),
        ("cron(0 0 1 1 ? 2200)", "Year: values 1970-2199"),
        ("cron(0 0 1 1 ? 2027-2200)", "Year: values 1970-2199"),
        // Increments.
        ("cron(*/60 * * * ? *)", "from 1 to 59"),
        ("cron(0/0 * * * ? *)", "from 1 to 59"),
        ("cron(0 */24 * * ? *)", "from 1 to 23"),
        ("cron(0 0 ? * MON/2 *)", "'/' is not allowed"),
        // L and W where the table has none, or in lists.
        ("cron(0 L * * ? *)", "Hours: values 0-23"),
        ("cron(0 0 ? * 1W *)", "'W' is not allowed"),
        ("cron(0 0 1W,15 * ? *)", "stand alone"),
        ("cron(0 0 L,15 * ? *)", "stand alone"),
        ("cron(0 0 L-2 * ? *)", "last day of the month"),
        ("cron(0 0 1-5W * ? *)", "Day-of-month"),
        // Reversed ranges, stray characters.
        ("cron(0 22-2 * * ? *)", "runs backwards"),
        ("cron(0 0 1,,2 * ? *)", "empty list item"),
        ("cron(0 0 1 * ? %)", "'%' is not allowed"),
        // rate()
        ("rate(0 minutes)", "positive whole number"),
        ("rate(-5 minutes)", "positive whole number"),
        ("rate(1.5 hours)", "positive whole number"),
        ("rate(5 minute)", "must be plural"),
        ("rate(1 hours)", "must be singular"),
        ("rate(2 weeks)", "minute | minutes"),
        ("rate(30 seconds)", "minute | minutes"),
        ("rate(5)", "rate(value unit)"),
        // at()
        ("at(2027-13-01T00:00:00)", "at(yyyy-mm-ddThh:mm:ss)"),
        ("at(2027-01-01 00:00:00)", "at(yyyy-mm-ddThh:mm:ss)"),
        ("at(2027-01-01T00:00)", "at(yyyy-mm-ddThh:mm:ss)"),
        // Not an expression.
        (
            "every sunday",
            "at(yyyy-mm-ddThh:mm:ss), rate(value unit) or cron(fields)",
        ),
        ("cron 0 2 ? * SUN *", "or cron(fields)"),
    ] {
        match parse(bad) {
            Ok(_) => panic!("{bad} was accepted; AWS rejects it"),
            Err(e) => assert!(e.to_string().contains(rule), "{bad}: {e}"),
        }
    }
}

#[test]
fn dst_notes_name_the_skipped_and_repeated_dates() {
    let berlin = Schedule::new("cron(0 2 ? * SUN *)", "Europe/Berlin", None, None).unwrap();
    let notes = berlin.dst_notes(utc("2027-01-01"), utc("2028-01-01"));
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert_eq!(
        (notes[0].kind, notes[0].date.as_str()),
        (DstKind::Skipped, "2027-03-28")
    );
    assert_eq!(notes[0].local_times, ["02:00"]);
    assert_eq!(
        (notes[1].kind, notes[1].date.as_str()),
        (DstKind::Repeated, "2027-10-31")
    );
    assert_eq!(notes[1].fires_at, ["2027-10-31T00:00:00Z"]);
    assert!(notes[0].to_string().contains("skips"), "{}", notes[0]);

    let new_york = Schedule::new("cron(30 1 * * ? *)", "America/New_York", None, None).unwrap();
    let notes = new_york.dst_notes(utc("2027-01-01"), utc("2028-01-01"));
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(
        (notes[0].kind, notes[0].date.as_str()),
        (DstKind::Repeated, "2027-11-07")
    );
    assert_eq!(notes[0].fires_at, ["2027-11-07T05:30:00Z"]);

    let hourly = Schedule::new("cron(5 * * * ? *)", "Europe/Berlin", None, None).unwrap();
    let notes = hourly.dst_notes(utc("2027-01-01"), utc("2028-01-01"));
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert_eq!(notes[0].local_times, ["02:05"]);

    for quiet in [
        Schedule::new("cron(0 2 ? * SUN *)", "UTC", None, None).unwrap(),
        Schedule::new("rate(1 hour)", "Europe/Berlin", None, None).unwrap(),
        Schedule::new("cron(30 6 * * ? *)", "Europe/Berlin", None, None).unwrap(),
    ] {
        assert!(quiet
            .dst_notes(utc("2027-01-01"), utc("2028-01-01"))
            .is_empty());
    }
    let at = Schedule::new("at(2027-03-28T02:30:00)", "Europe/Berlin", None, None).unwrap();
    assert_eq!(at.dst_notes(utc("2027-01-01"), utc("2028-01-01")).len(), 1);
}

#[test]
fn the_other_schedule_properties_follow_the_api_ranges() {
    let good = serde_json::json!({
        "State": "ENABLED",
        "FlexibleTimeWindow": {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15},
        "Target": {"RetryPolicy": {"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 10}}
    });
    assert!(property_problems(&good).is_empty());
    let bad = serde_json::json!({
        "State": "ON",
        "FlexibleTimeWindow": {"Mode": "FLEXIBLE"},
        "Target": {"RetryPolicy": {"MaximumEventAgeInSeconds": 30, "MaximumRetryAttempts": 186}}
    });
    let fields: Vec<String> = property_problems(&bad)
        .into_iter()
        .map(|(f, _)| f)
        .collect();
    assert_eq!(
        fields,
        [
            "State",
            "Target.RetryPolicy.MaximumEventAgeInSeconds",
            "Target.RetryPolicy.MaximumRetryAttempts",
            "FlexibleTimeWindow.MaximumWindowInMinutes"
        ]
    );
    let window = serde_json::json!({"FlexibleTimeWindow": {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 1441}});
    assert_eq!(property_problems(&window).len(), 1);
    let intrinsic = serde_json::json!({"State": {"Ref": "ScheduleState"}});
    assert!(property_problems(&intrinsic).is_empty());
}
