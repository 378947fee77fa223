//! Shared by the data-quality tests: the test rules file, the window the tests check, and the
//! query results each check expects, in both moto's preset format and the SDK's types.
#![allow(dead_code)]

use chrono::{DateTime, Utc};
use data_quality::rules::Rules;
use serde_json::{json, Value};

/// Notifications topic ARN for mock tests.
pub const NOTIFICATIONS: &str = "arn:aws:sns:us-east-1:123456789012:notifications";
/// Critical topic ARN for mock tests.
pub const CRITICAL: &str = "arn:aws:sns:us-east-1:123456789012:critical";

/// The rules of `tests/fixtures/rules.yaml`.
pub fn rules() -> Rules {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    data_quality::rules::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// An instant from RFC 3339.
pub fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

/// The scheduled run the tests replay: 07:05 UTC, checking 06:00–07:00.
pub fn scheduled_event() -> Value {
    json!({
        "source": "schedule",
        "schedule_arn": "arn:aws:scheduler:us-east-1:123456789012:schedule/default/data-quality-hourly",
        "scheduled_time": "2026-11-27T07:05:00Z",
        "attempt": 1
    })
}

/// One query result: column names and rows of text values (`None` = NULL).
#[derive(Debug, Clone)]
pub struct Result {
    /// Column names.
    pub columns: Vec<&'static str>,
    /// Rows.
    pub rows: Vec<Vec<Option<String>>>,
}

/// A one-row result.
pub fn row(columns: &[&'static str], values: &[Option<&str>]) -> Result {
    Result {
        columns: columns.to_vec(),
        rows: vec![values.iter().map(|v| v.map(str::to_string)).collect()],
    }
}

/// Results of the four checks of the fixture, in order, where every check passes except the
/// null rate when `store_id_nulls` is above 10 of 1000.
pub fn results(store_id_nulls: u32) -> Vec<Result> {
    // Newest event 12 minutes before the window's end (07:00): 06:48.
    let newest = format!("{:E}", at("2026-11-27T06:48:00Z").timestamp() as f64);
    vec![
        row(&["observed"], &[Some("1204")]),
        row(&["newest"], &[Some(&newest)]),
        row(
            &["total", "violations"],
            &[Some("1000"), Some(&store_id_nulls.to_string())],
        ),
        Result {
            columns: vec!["column_name", "data_type"],
            rows: [
                ("order_id", "varchar"),
                ("event_time", "timestamp(3)"),
                ("store_id", "varchar"),
                ("dt", "varchar"),
            ]
            .iter()
            .map(|(c, t)| vec![Some(c.to_string()), Some(t.to_string())])
            .collect(),
        },
    ]
}

/// `result` in moto's preset format, with the header row Athena puts first.
pub fn moto_preset(result: &Result) -> Value {
    let datum = |v: &Option<String>| match v {
        Some(text) => json!({"VarCharValue": text}),
        None => json!({}),
    };
    let mut rows = vec![
        json!({"Data": result.columns.iter().map(|c| json!({"VarCharValue": c})).collect::<Vec<_>>()}),
    ];
    rows.extend(
        result
            .rows
            .iter()
            .map(|r| json!({"Data": r.iter().map(datum).collect::<Vec<_>>()})),
    );
    json!({
        "rows": rows,
        "column_info": result.columns.iter().map(|c| json!({"Name": c, "Label": c, "Type": "varchar", "Nullable": "UNKNOWN", "CaseSensitive": false})).collect::<Vec<_>>(),
    })
}

/// A workgroup and the two topics, made in `region` of the local moto server, with the
/// configuration and clients that made them.
pub struct LocalAccount {
    pub config: aws_config::SdkConfig,
    pub athena: aws_sdk_athena::Client,
    pub sns: aws_sdk_sns::Client,
    pub workgroup: String,
    pub notifications: String,
    pub critical: String,
}

/// Creates a [`LocalAccount`] in `region` (each test uses its own region, so that moto's queue
/// of preset Athena results is its own); EMF output is discarded.
pub async fn local_account(region: &'static str) -> LocalAccount {
    shared::metrics::set_sink(shared::metrics::Sink::Discard);
    let config = integration_tests::LocalAws::shared()
        .sdk_config()
        .await
        .into_builder()
        .region(aws_config::Region::new(region))
        .build();
    let athena = aws_sdk_athena::Client::new(&config);
    let sns = aws_sdk_sns::Client::new(&config);
    let workgroup = integration_tests::LocalAws::unique_name("data-quality");
    athena
        .create_work_group()
        .name(&workgroup)
        .send()
        .await
        .unwrap();
    let mut topics = Vec::new();
    for name in ["notifications", "critical"] {
        let created = sns
            .create_topic()
            .name(integration_tests::LocalAws::unique_name(name))
            .send()
            .await
            .unwrap();
        topics.push(created.topic_arn.unwrap());
    }
    let critical = topics.pop().unwrap();
    let notifications = topics.pop().unwrap();
    LocalAccount {
        config,
        athena,
        sns,
        workgroup,
        notifications,
        critical,
    }
}
