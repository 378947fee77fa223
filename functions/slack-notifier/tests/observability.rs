//! The observability assets stay consistent: the Prometheus alert rules pass `promtool check
//! rules` and their unit tests; every Grafana panel and every rule uses only metrics that the
//! YACE configuration exports; the CloudWatch dashboard in the template is valid JSON with the
//! expected widgets, and the alarms and the alert rule point at the critical topic.

use integration_tests::workspace_root;
use serde_json::Value as Json;
use serde_norway::Value as Yaml;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

/// How CI and developers get promtool.
const PROMTOOL_INSTALL: &str = "apt-get update && apt-get install -y prometheus";

fn observability() -> PathBuf {
    workspace_root().join("observability")
}

fn read(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn yaml(path: &std::path::Path) -> Yaml {
    serde_norway::from_str(&read(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// promtool from `$PROMTOOL`, else from PATH; a loud failure with the install command otherwise.
fn promtool() -> PathBuf {
    find_promtool(std::env::var_os("PROMTOOL"), std::env::var_os("PATH"))
}

fn find_promtool(
    explicit: Option<std::ffi::OsString>,
    path: Option<std::ffi::OsString>,
) -> PathBuf {
    if let Some(explicit) = explicit {
        return PathBuf::from(explicit);
    }
    let found = path.and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("promtool"))
            .find(|candidate| candidate.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "promtool is not installed: it checks and unit-tests observability/prometheus/alerts.rules.yml. \
             Install it with `{PROMTOOL_INSTALL}` (Debian's prometheus package), or set PROMTOOL to its path."
        )
    })
}

#[test]
#[should_panic(expected = "Install it with `apt-get update && apt-get install -y prometheus`")]
fn a_missing_promtool_fails_with_the_install_command() {
    let empty = std::env::temp_dir().join(format!("no-promtool-here-{}", std::process::id()));
    find_promtool(None, Some(empty.into_os_string()));
}

fn run_promtool(args: &[&str]) {
    let output = Command::new(promtool())
        .args(args)
        .current_dir(observability().join("prometheus"))
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run promtool {args:?}: {e} (install: `{PROMTOOL_INSTALL}`)")
        });
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "promtool {args:?} failed:\n{text}");
    assert!(text.contains("SUCCESS"), "promtool {args:?}:\n{text}");
}

#[test]
fn promtool_accepts_the_alert_rules() {
    run_promtool(&["check", "rules", "alerts.rules.yml"]);
}

#[test]
fn promtool_unit_tests_of_the_alert_rules_pass() {
    run_promtool(&["test", "rules", "alerts.test.yml"]);
}

// ------------------------------------------------------------------ YACE metric names

/// YACE's `PromString`: separators become `_`, `%` becomes `_percent`, an upper-case letter
/// after a lower-case letter or digit starts a new word; all lower case.
fn prom_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut prev: Option<char> = None;
    for c in text.chars() {
        match c {
            ' ' | ',' | '\t' | '/' | '\\' | '.' | '-' | ':' | '=' | '@' | '<' | '>' | '(' | ')' => {
                out.push('_')
            }
            '%' => out.push_str("_percent"),
            _ => {
                if c.is_uppercase() && prev.is_some_and(|p| p.is_lowercase() || p.is_ascii_digit())
                {
                    out.push('_');
                }
                out.extend(c.to_lowercase());
            }
        }
        prev = Some(c);
    }
    out
}

/// YACE's `BuildMetricName`: `aws_<namespace>_<metric>_<statistic>`; the namespace is lower-cased
/// before splitting, and metric-name prefixes repeating a namespace word are dropped.
fn yace_metric_name(namespace: &str, metric: &str, statistic: &str) -> String {
    let namespace = prom_string(&namespace.to_lowercase());
    let namespace = namespace.trim_start_matches('_');
    let mut name = String::new();
    if !namespace.starts_with("aws") {
        name.push_str("aws_");
    }
    name.push_str(namespace);
    name.push('_');
    let mut metric = prom_string(metric);
    for part in namespace.split('_') {
        if let Some(rest) = metric.strip_prefix(part) {
            metric = rest.to_string();
        }
    }
    name.push_str(metric.trim_start_matches('_'));
    name.push('_');
    name.push_str(&prom_string(statistic));
    name
}

#[test]
fn yace_names_follow_its_naming_rule() {
    assert_eq!(
        yace_metric_name("AWS/States", "ExecutionsFailed", "Sum"),
        "aws_states_executions_failed_sum"
    );
    assert_eq!(
        yace_metric_name("AWS/States", "ExecutionTime", "p90"),
        "aws_states_execution_time_p90"
    );
    assert_eq!(
        yace_metric_name("AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum"),
        "aws_sqs_approximate_number_of_messages_visible_maximum"
    );
    assert_eq!(
        yace_metric_name("MlPipelines", "SlackDeliveryFailures", "Sum"),
        "aws_mlpipelines_slack_delivery_failures_sum"
    );
    assert_eq!(
        yace_metric_name("Glue", "glue.driver.aggregate.numFailedTasks", "Sum"),
        "aws_glue_driver_aggregate_num_failed_tasks_sum"
    );
}

/// Every metric name the YACE configuration exports.
fn exported_metrics() -> BTreeSet<String> {
    let config = yaml(&observability().join("yace/config.yml"));
    let mut names = BTreeSet::new();
    let mut add_job = |namespace: &str, job: &Yaml| {
        let metrics = job["metrics"]
            .as_sequence()
            .expect("a job lists its metrics");
        for metric in metrics {
            let name = metric["name"].as_str().expect("metric name");
            let statistics = metric["statistics"]
                .as_sequence()
                .expect("metric statistics");
            assert!(!statistics.is_empty(), "{namespace} {name}: no statistics");
            for statistic in statistics {
                names.insert(yace_metric_name(
                    namespace,
                    name,
                    statistic.as_str().expect("statistic"),
                ));
            }
        }
    };
    for job in config["discovery"]["jobs"]
        .as_sequence()
        .expect("discovery jobs")
    {
        add_job(job["type"].as_str().expect("job type"), job);
    }
    for job in config["customNamespace"]
        .as_sequence()
        .expect("customNamespace jobs")
    {
        add_job(job["namespace"].as_str().expect("namespace"), job);
    }
    names
}

/// Metric names in a PromQL expression: identifiers starting with `aws_`, and `up`.
/// Quoted label values and `$variables` are skipped.
fn metrics_in(expr: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let chars: Vec<char> = expr.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '"' || c == '\'' || c == '`' {
            i += 1;
            while i < chars.len() && chars[i] != c {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
        } else if c == '$' {
            i += 1;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
        } else if c.is_ascii_alphabetic() || c == '_' || c == ':' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == ':')
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            if word.starts_with("aws_") || word == "up" {
                found.insert(word);
            }
        } else {
            i += 1;
        }
    }
    found
}

fn check_uses_exported(
    place: &str,
    expr: &str,
    exported: &BTreeSet<String>,
    problems: &mut Vec<String>,
) {
    let used = metrics_in(expr);
    if used.is_empty() {
        problems.push(format!("{place}: no metric in {expr:?}"));
    }
    for metric in used {
        if metric != "up" && !exported.contains(&metric) {
            problems.push(format!(
                "{place}: {metric} is not exported by observability/yace/config.yml"
            ));
        }
    }
}

#[test]
fn the_metric_scanner_skips_labels_values_and_variables() {
    let used =
        metrics_in(r#"sum by (dimension_X) (aws_a_b_sum{job="aws_not_this"}) * $aws_var + up"#);
    assert_eq!(used.into_iter().collect::<Vec<_>>(), ["aws_a_b_sum", "up"]);
}

#[test]
fn every_alert_rule_uses_only_metrics_that_yace_exports() {
    let exported = exported_metrics();
    let rules = yaml(&observability().join("prometheus/alerts.rules.yml"));
    let mut problems = Vec::new();
    let mut count = 0;
    for group in rules["groups"].as_sequence().expect("groups") {
        for rule in group["rules"].as_sequence().expect("rules") {
            let name = rule["alert"]
                .as_str()
                .or(rule["record"].as_str())
                .unwrap_or("?");
            let expr = rule["expr"].as_str().expect("expr");
            check_uses_exported(&format!("rule {name}"), expr, &exported, &mut problems);
            count += 1;
        }
    }
    assert!(count >= 10, "only {count} rules");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_grafana_panel_uses_only_metrics_that_yace_exports() {
    let exported = exported_metrics();
    let path = observability().join("grafana/ml-pipelines.json");
    let dashboard: Json =
        serde_json::from_str(&read(&path)).expect("the Grafana dashboard is JSON");
    let panels = dashboard["panels"].as_array().expect("panels");
    let mut problems = Vec::new();
    let mut titles = Vec::new();
    for panel in panels {
        let title = panel["title"].as_str().expect("panel title");
        titles.push(title.to_string());
        let targets = panel["targets"].as_array().expect("targets");
        assert!(!targets.is_empty(), "{title}: no queries");
        assert_eq!(panel["datasource"]["type"], "prometheus", "{title}");
        for target in targets {
            let expr = target["expr"].as_str().expect("a PromQL expr");
            check_uses_exported(&format!("panel {title:?}"), expr, &exported, &mut problems);
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    for expected in [
        "Success rate per workflow (7 days)",
        "Failure rate per workflow (7 days)",
        "Duration per workflow (average and p90)",
        "Orchestration cost per workflow (7 days, USD)",
        "Lambda errors and throttles per function",
        "Lambda duration per function (average and p90)",
        "Data-quality check results",
        "Drift triggers",
        "Batch, ETL and inference orchestration cost (7 days, USD)",
        "Inference bridge records",
    ] {
        assert!(
            titles.iter().any(|t| t == expected),
            "no panel {expected:?} in {titles:?}"
        );
    }
    let variables: Vec<&str> = dashboard["templating"]["list"]
        .as_array()
        .expect("templating")
        .iter()
        .filter_map(|v| v["name"].as_str())
        .collect();
    for panel in panels {
        for target in panel["targets"].as_array().into_iter().flatten() {
            let expr = target["expr"].as_str().unwrap_or_default();
            for var in expr.split('$').skip(1) {
                let name: String = var
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                // `$__range`, `$__interval`, ...: Grafana's built-in variables.
                assert!(
                    name.starts_with("__") || variables.contains(&name.as_str()),
                    "${name} is not a dashboard variable"
                );
            }
        }
    }
}

// ------------------------------------------------------------------ the template

fn template() -> Yaml {
    yaml(&workspace_root().join("sam-template.yaml"))
}

/// The value under a CloudFormation short tag (`!Sub "..."` → the string).
fn untag(value: &Yaml) -> &Yaml {
    match value {
        Yaml::Tagged(tagged) => &tagged.value,
        other => other,
    }
}

fn resources_of_type<'a>(template: &'a Yaml, kind: &str) -> Vec<(&'a str, &'a Yaml)> {
    template["Resources"]
        .as_mapping()
        .expect("Resources")
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some(kind))
        .filter_map(|(name, r)| Some((name.as_str()?, r)))
        .collect()
}

/// `${Name}` / `${Name.Attribute}` placeholders of a `!Sub` string.
fn placeholders(text: &str) -> BTreeSet<String> {
    text.split("${")
        .skip(1)
        .filter(|rest| !rest.starts_with('!'))
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_string()))
        .collect()
}

#[test]
fn the_dashboard_body_is_valid_json_with_the_expected_widgets() {
    let template = template();
    let dashboards = resources_of_type(&template, "AWS::CloudWatch::Dashboard");
    assert_eq!(dashboards.len(), 1, "one CloudWatch dashboard");
    let body = untag(&dashboards[0].1["Properties"]["DashboardBody"])
        .as_str()
        .expect("DashboardBody is a !Sub string");

    // Every placeholder names a parameter, a resource (attribute) or a pseudo parameter.
    let names: BTreeSet<String> = ["Parameters", "Resources"]
        .iter()
        .flat_map(|section| template[*section].as_mapping().into_iter().flatten())
        .filter_map(|(k, _)| k.as_str().map(str::to_string))
        .collect();
    let used = placeholders(body);
    for name in &used {
        let base = name.split('.').next().unwrap_or_default();
        assert!(
            name.starts_with("AWS::") || names.contains(base),
            "${{{name}}} names nothing in the template"
        );
    }
    for price in [
        "StateTransitionPriceUsd",
        "LambdaGbSecondPriceUsd",
        "RetrainingTransitionsPerExecution",
    ] {
        assert!(
            used.contains(price),
            "the cost widget must use the {price} parameter"
        );
    }

    // With the placeholders filled (strings stay strings; bare numbers become numbers) it is JSON.
    let mut filled = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(start) = rest.find("${") {
        filled.push_str(&rest[..start]);
        let end = rest[start..]
            .find('}')
            .map(|e| start + e + 1)
            .expect("closed placeholder");
        filled.push('1');
        rest = &rest[end..];
    }
    filled.push_str(rest);
    let json: Json = serde_json::from_str(&filled)
        .unwrap_or_else(|e| panic!("the dashboard body is not JSON: {e}"));
    let widgets = json["widgets"].as_array().expect("widgets");
    assert_eq!(json["start"], "-P7D", "a 7-day default range");

    let titles: Vec<&str> = widgets
        .iter()
        .filter_map(|w| w["properties"]["title"].as_str())
        .collect();
    for expected in [
        "ml-retraining success and failure rate (%)",
        "Duration per workflow (seconds)",
        "Orchestration cost per workflow (USD)",
        "Lambda errors and throttles per function",
        "Lambda duration per function (ms)",
        "Dead-letter queues (messages waiting)",
        "demand-forecast-batch success and failure rate (%)",
        "lakehouse-etl success and failure rate (%)",
        "realtime-inference success and failure rate (%)",
        "demand-forecast-batch orchestration cost (USD, Standard)",
        "lakehouse-etl orchestration cost (USD, Standard)",
        "realtime-inference orchestration cost (USD, Express)",
        "inference-bridge records",
        "Drift: PSI per model and feature (daily maximum)",
        "Drift monitor runs per model",
    ] {
        assert!(
            titles.contains(&expected),
            "no widget {expected:?} in {titles:?}"
        );
    }
    for widget in widgets {
        let kind = widget["type"].as_str().expect("widget type");
        assert!(["metric", "text", "alarm"].contains(&kind), "{kind}");
        for key in ["x", "y", "width", "height"] {
            assert!(widget[key].is_u64(), "{titles:?}: {key}");
        }
        if kind == "metric" {
            assert!(widget["properties"]["region"].is_string());
            assert!(!widget["properties"]["metrics"]
                .as_array()
                .expect("metrics")
                .is_empty());
        }
    }
    let expressions: Vec<&str> = widgets
        .iter()
        .flat_map(|w| w["properties"]["metrics"].as_array().into_iter().flatten())
        .filter_map(|row| row.as_array()?.first()?["expression"].as_str())
        .collect();
    assert!(expressions
        .iter()
        .any(|e| e.contains("100 * ok / (ok + failed + timedout + aborted)")));
    assert!(expressions
        .iter()
        .any(|e| e.contains("cost_transitions + cost_lambda")));
    // The drift scores the drift monitor emits as EMF (Service drift-monitor; Model, Feature).
    assert!(expressions.iter().any(|e| e.contains(
        r#"{MlPipelines,Feature,Model,Service} Service="drift-monitor" MetricName="Psi""#
    )));

    // The alarm widget shows every unconditional alarm of the template.
    assert!(
        widgets.iter().any(|w| w["type"] == "alarm"),
        "an alarm widget"
    );
    let body_alarms = &used;
    for (name, alarm) in resources_of_type(&template, "AWS::CloudWatch::Alarm") {
        if alarm.get("Condition").is_none() {
            assert!(
                body_alarms.contains(&format!("{name}.Arn")),
                "alarm {name} is not on the dashboard"
            );
        }
    }
}

#[test]
fn every_alarm_and_the_execution_rule_publish_to_the_critical_topic() {
    let template = template();
    let alarms = resources_of_type(&template, "AWS::CloudWatch::Alarm");
    assert!(alarms.len() >= 9, "{} alarms", alarms.len());
    for (name, alarm) in &alarms {
        let actions = alarm["Properties"]["AlarmActions"]
            .as_sequence()
            .expect("AlarmActions");
        assert!(
            actions
                .iter()
                .any(|a| untag(a).as_str() == Some("CriticalTopic")),
            "{name} does not notify the critical topic"
        );
    }
    let metrics: BTreeSet<&str> = alarms
        .iter()
        .filter_map(|(_, a)| a["Properties"]["MetricName"].as_str())
        .collect();
    for metric in [
        "ExecutionsFailed",
        "ExecutionsTimedOut",
        "Errors",
        "Throttles",
        "ApproximateNumberOfMessagesVisible",
    ] {
        assert!(metrics.contains(metric), "no alarm on {metric}");
    }

    let rule = &template["Resources"]["ExecutionStatusAlertRule"];
    let pattern = &rule["Properties"]["EventPattern"];
    assert_eq!(
        pattern["detail-type"][0].as_str(),
        Some("Step Functions Execution Status Change")
    );
    let statuses: Vec<&str> = pattern["detail"]["status"]
        .as_sequence()
        .expect("statuses")
        .iter()
        .filter_map(Yaml::as_str)
        .collect();
    assert_eq!(statuses, ["FAILED", "TIMED_OUT", "ABORTED"]);
    let machines = resources_of_type(&template, "AWS::Serverless::StateMachine");
    let watched: Vec<&str> = pattern["detail"]["stateMachineArn"]
        .as_sequence()
        .expect("stateMachineArn")
        .iter()
        .filter_map(|v| untag(v).as_str())
        .collect();
    let alarms_text = format!(
        "{:?}",
        resources_of_type(&template, "AWS::CloudWatch::Alarm")
    );
    for (name, machine) in machines {
        // Express workflows send no "Execution Status Change" events to EventBridge (only
        // Standard ones do), and one alert per request would flood Slack: an Express machine is
        // watched by an alarm on its metrics instead.
        if machine["Properties"]["Type"].as_str() == Some("EXPRESS") {
            assert!(
                !watched.contains(&name) && alarms_text.contains(name),
                "Express state machine {name} needs an alarm, not the execution-status rule"
            );
            continue;
        }
        assert!(
            watched.contains(&name),
            "state machine {name} is not watched by the alert rule"
        );
    }
    assert_eq!(
        untag(&rule["Properties"]["Targets"][0]["Arn"]).as_str(),
        Some("CriticalTopic")
    );

    let notifier = &template["Resources"]["SlackNotifierFunction"];
    assert_eq!(
        notifier["Metadata"]["BuildProperties"]["Binary"].as_str(),
        Some("slack-notifier")
    );
    let topics: BTreeSet<&str> = notifier["Properties"]["Events"]
        .as_mapping()
        .expect("Events")
        .values()
        .filter_map(|e| untag(&e["Properties"]["Topic"]).as_str())
        .collect();
    assert_eq!(
        topics,
        BTreeSet::from(["NotificationsTopic", "CriticalTopic"])
    );
}
