//! The template's data-quality resources fit the function: the schedule's input is an event the
//! function accepts, the environment holds every setting it needs, the schedule is hourly with an
//! explicit time zone, a retry policy and a dead-letter queue, and the IAM scopes are the ones
//! the function uses.

use data_quality::rules::Rules;
use data_quality::{window_of, RunRequest, Settings, BUNDLED_RULES};
use integration_tests::workspace_root;
use serde_norway::Value as Yaml;

fn template() -> Yaml {
    let path = workspace_root().join("sam-template.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn resource<'a>(template: &'a Yaml, name: &str) -> &'a Yaml {
    let r = &template["Resources"][name];
    assert!(!r.is_null(), "the template has no {name}");
    r
}

fn text(value: &Yaml) -> String {
    match value {
        Yaml::String(s) => s.clone(),
        Yaml::Tagged(tagged) => format!("{} {}", tagged.tag, text(&tagged.value)),
        Yaml::Sequence(items) => items.iter().map(text).collect::<Vec<_>>().join(" "),
        other => serde_norway::to_string(other).unwrap_or_default(),
    }
}

fn rules() -> Rules {
    data_quality::rules::parse(BUNDLED_RULES).unwrap()
}

#[test]
fn the_schedule_input_is_a_scheduler_payload_the_function_accepts() {
    let t = template();
    let schedule = resource(&t, "DataQualityHourlySchedule");
    let p = &schedule["Properties"];
    assert_eq!(text(&p["ScheduleExpression"]), "cron(5 * * * ? *)");
    assert_eq!(text(&p["ScheduleExpressionTimezone"]), "UTC");
    assert!(!p["FlexibleTimeWindow"]["Mode"].is_null());
    assert!(!p["Target"]["RetryPolicy"]["MaximumRetryAttempts"].is_null());
    assert_eq!(
        text(&p["Target"]["DeadLetterConfig"]["Arn"]),
        "!GetAtt DataQualityDeadLetterQueue.Arn"
    );
    assert_eq!(text(&p["Target"]["Arn"]), "!GetAtt DataQualityFunction.Arn");
    let input = text(&p["Target"]["Input"])
        .replace(
            "<aws.scheduler.schedule-arn>",
            "arn:aws:scheduler:us-east-1:123456789012:schedule/default/dq",
        )
        .replace("<aws.scheduler.scheduled-time>", "2026-11-27T07:05:00Z")
        .replace("<aws.scheduler.execution-id>", "e-1")
        .replace("<aws.scheduler.attempt-number>", "1");
    let request: RunRequest =
        serde_json::from_str(&input).unwrap_or_else(|e| panic!("{input}: {e}"));
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-27T07:09:00Z")
        .unwrap()
        .to_utc();
    let window = window_of(&request, now, rules().time_zone).unwrap();
    assert_eq!(
        data_quality::window::text(window.start),
        "2026-11-27T06:00:00Z"
    );
}

#[test]
fn the_function_environment_holds_every_setting() {
    let t = template();
    let f = resource(&t, "DataQualityFunction");
    assert_eq!(
        text(&f["Metadata"]["BuildProperties"]["Binary"]),
        "data-quality"
    );
    let variables = f["Properties"]["Environment"]["Variables"]
        .as_mapping()
        .unwrap();
    let names: Vec<String> = variables.keys().map(text).collect();
    // The template's references stand for values of the right shape.
    let lookup = |name: &str| {
        names.iter().any(|n| n == name).then(|| match name {
            "NOTIFICATIONS_TOPIC_ARN" => {
                "arn:aws:sns:us-east-1:123456789012:notifications".to_string()
            }
            "CRITICAL_TOPIC_ARN" => "arn:aws:sns:us-east-1:123456789012:critical".to_string(),
            _ => text(&variables[name]),
        })
    };
    let settings = Settings::from_lookup(lookup).unwrap();
    assert_eq!(settings.workgroup, "!Ref DataQualityWorkGroup");
    assert!(
        text(&f["Properties"]["Timeout"])
            .trim()
            .parse::<i64>()
            .unwrap()
            > data_quality::RESERVE_SECONDS
    );
}

#[test]
fn the_function_may_use_only_its_workgroup_its_topics_and_its_catalog() {
    let t = template();
    let statements = &resource(&t, "DataQualityFunction")["Properties"]["Policies"][0]["Statement"];
    let by_sid = |sid: &str| {
        statements
            .as_sequence()
            .unwrap()
            .iter()
            .find(|s| text(&s["Sid"]) == sid)
            .unwrap_or_else(|| panic!("no statement {sid}"))
    };
    let athena = by_sid("AthenaQueries");
    assert_eq!(
        text(&athena["Action"]),
        "athena:StartQueryExecution athena:GetQueryExecution athena:GetQueryResults athena:StopQueryExecution"
    );
    assert!(text(&athena["Resource"]).ends_with(":workgroup/${DataQualityWorkGroup}"));
    assert_eq!(
        text(&by_sid("PublishAlerts")["Resource"]),
        "!Ref NotificationsTopic !Ref CriticalTopic"
    );
    let glue = text(&by_sid("GlueCatalogRead")["Resource"]);
    assert!(glue.contains(":database/${DataQualityDatabaseName}"));
    assert!(glue.contains(":table/${DataQualityDatabaseName}/*"));
    // Every table of the bundled rules lives in the database the template grants.
    let database = text(&t["Parameters"]["DataQualityDatabaseName"]["Default"]);
    for table in &rules().tables {
        assert_eq!(table.database, database, "{}", table.name);
    }
    let role = resource(&t, "DataQualitySchedulerRole");
    let invoke = &role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0];
    assert_eq!(text(&invoke["Action"]), "lambda:InvokeFunction");
    assert_eq!(text(&invoke["Resource"]), "!GetAtt DataQualityFunction.Arn");
}
