//! `feature-freshness` against the Glue Data Catalog and Glue jobs of a local moto server: the
//! real SDK client over HTTP. moto stamps a job run's completion with the time it is started,
//! so the checked time is set relative to now; which run states count is unit-tested in
//! `src/glue.rs` (moto cannot make a run fail).

use aws_sdk_glue::types::{Column, DatabaseInput, JobCommand, PartitionInput, TableInput};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use feature_freshness::{handle, Deps, Freshness};
use integration_tests::LocalAws;
use serde_json::{json, Value};

struct Glue {
    client: aws_sdk_glue::Client,
    deps: Deps,
    database: String,
}

impl Glue {
    async fn new() -> Glue {
        let config = LocalAws::shared().sdk_config().await;
        let client = aws_sdk_glue::Client::new(&config);
        let database = LocalAws::unique_name("features").replace('-', "_");
        client
            .create_database()
            .database_input(DatabaseInput::builder().name(&database).build().unwrap())
            .send()
            .await
            .expect("create database");
        Glue {
            deps: Deps::new(&config),
            client,
            database,
        }
    }

    async fn table(&self, name: &str, keys: &[&str]) {
        let mut table = TableInput::builder().name(name);
        for key in keys {
            table = table.partition_keys(
                Column::builder()
                    .name(*key)
                    .r#type("string")
                    .build()
                    .unwrap(),
            );
        }
        self.client
            .create_table()
            .database_name(&self.database)
            .table_input(table.build().unwrap())
            .send()
            .await
            .expect("create table");
    }

    async fn partition(&self, table: &str, values: &[&str]) {
        self.client
            .create_partition()
            .database_name(&self.database)
            .table_name(table)
            .partition_input(
                PartitionInput::builder()
                    .set_values(Some(values.iter().map(|v| v.to_string()).collect()))
                    .build(),
            )
            .send()
            .await
            .expect("create partition");
    }

    /// A job, with one run when `run` (moto completes it at once, stamped now).
    async fn job(&self, name: &str, run: bool) {
        self.client
            .create_job()
            .name(name)
            .role("arn:aws:iam::123456789012:role/glue")
            .command(
                JobCommand::builder()
                    .name("glueetl")
                    .script_location("s3://b/s.py")
                    .build(),
            )
            .send()
            .await
            .expect("create job");
        if run {
            self.client
                .start_job_run()
                .job_name(name)
                .send()
                .await
                .expect("start job run");
        }
    }

    async fn check(
        &self,
        table: &str,
        job: &str,
        as_of: DateTime<Utc>,
    ) -> Result<Freshness, String> {
        handle(&self.deps, self.request(table, job, as_of))
            .await
            .map_err(|e| format!("{}: {e}", <&str>::from(&e)))
    }

    fn request(&self, table: &str, job: &str, as_of: DateTime<Utc>) -> Value {
        json!({
            "database": self.database, "table": table, "job_name": job, "max_age_hours": 48,
            "trigger": {"source": "schedule", "scheduled_time": as_of.to_rfc3339_opts(SecondsFormat::Secs, true)},
            "started_at": "2000-01-01T00:00:00Z"
        })
    }
}

fn day(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

#[tokio::test]
async fn stale_features_become_fresh_when_the_next_partition_lands() {
    let glue = Glue::new().await;
    glue.table("demand_daily", &["dt"]).await;
    glue.job("features-demand-daily-a", true).await;
    let as_of = Utc::now() + Duration::hours(1);
    for days_back in [5, 4, 3] {
        glue.partition("demand_daily", &[&day(as_of - Duration::days(days_back))])
            .await;
    }
    let stale = glue
        .check("demand_daily", "features-demand-daily-a", as_of)
        .await
        .unwrap();
    assert!(!stale.fresh, "{stale:?}");
    let newest = stale.latest_partition.as_ref().expect("a partition");
    assert_eq!(newest.values, vec![day(as_of - Duration::days(3))]);
    assert!(
        newest.age_hours > 48.0 && newest.age_hours <= 96.0,
        "{newest:?}"
    );
    assert!(
        stale.reason.contains("newest partition"),
        "{}",
        stale.reason
    );
    assert!(stale.reason.contains(&glue.database), "{}", stale.reason);

    glue.partition("demand_daily", &[&day(as_of - Duration::days(1))])
        .await;
    let fresh = glue
        .check("demand_daily", "features-demand-daily-a", as_of)
        .await
        .unwrap();
    assert!(fresh.fresh, "{}", fresh.reason);
    assert_eq!(
        fresh.latest_partition.unwrap().values,
        vec![day(as_of - Duration::days(1))]
    );
    let job_age = fresh.last_success_age_hours.expect("a successful run");
    assert!((0.0..2.0).contains(&job_age), "{job_age}");
}

#[tokio::test]
async fn a_feature_job_that_has_not_succeeded_lately_or_ever_is_stale() {
    let glue = Glue::new().await;
    glue.table("sensor_hourly", &["year", "month", "day", "hour"])
        .await;
    glue.job("features-sensor-hourly-a", true).await;
    glue.job("features-sensor-hourly-b", false).await;
    let as_of = Utc::now() + Duration::hours(72);
    let hour = as_of - Duration::hours(2);
    let values = [
        hour.format("%Y").to_string(),
        hour.format("%m").to_string(),
        hour.format("%d").to_string(),
        hour.format("%H").to_string(),
    ];
    glue.partition(
        "sensor_hourly",
        &values.iter().map(String::as_str).collect::<Vec<_>>(),
    )
    .await;

    let old_run = glue
        .check("sensor_hourly", "features-sensor-hourly-a", as_of)
        .await
        .unwrap();
    assert!(!old_run.fresh);
    assert!((old_run.latest_partition.as_ref().unwrap().age_hours - 2.0).abs() < 1.0);
    assert!(
        old_run
            .reason
            .contains("last successful run of the Glue job features-sensor-hourly-a"),
        "{}",
        old_run.reason
    );
    assert!(
        !old_run.reason.contains("newest partition"),
        "{}",
        old_run.reason
    );

    let never = glue
        .check("sensor_hourly", "features-sensor-hourly-b", as_of)
        .await
        .unwrap();
    assert!(!never.fresh && never.last_success.is_none());
    assert!(
        never.reason.contains("no successful run"),
        "{}",
        never.reason
    );
}

#[tokio::test]
async fn a_table_with_no_partitions_is_stale_not_an_error() {
    let glue = Glue::new().await;
    glue.table("damage_images", &["dt"]).await;
    glue.job("features-damage-images-a", true).await;
    let verdict = glue
        .check("damage_images", "features-damage-images-a", Utc::now())
        .await
        .unwrap();
    assert!(!verdict.fresh && verdict.latest_partition.is_none());
    assert!(
        verdict.reason.contains("no partitions"),
        "{}",
        verdict.reason
    );
}

#[tokio::test]
async fn missing_tables_and_jobs_and_unreadable_partitions_are_typed_errors() {
    let glue = Glue::new().await;
    glue.job("features-typed-a", true).await;
    let now = Utc::now();
    let err = glue
        .check("nope", "features-typed-a", now)
        .await
        .unwrap_err();
    assert!(err.starts_with("TableNotFound:"), "{err}");

    glue.table("flat", &[]).await;
    let err = glue
        .check("flat", "features-typed-a", now)
        .await
        .unwrap_err();
    assert!(err.starts_with("TableNotPartitioned:"), "{err}");

    glue.table("by_store", &["store"]).await;
    glue.partition("by_store", &["s1"]).await;
    let err = glue
        .check("by_store", "features-typed-a", now)
        .await
        .unwrap_err();
    assert!(
        err.starts_with("PartitionNotDated:") && err.contains("s1"),
        "{err}"
    );

    glue.table("daily", &["dt"]).await;
    glue.partition("daily", &[&day(now)]).await;
    let err = glue.check("daily", "features-nope", now).await.unwrap_err();
    assert!(err.starts_with("JobNotFound:"), "{err}");

    let mut bad = glue.request("daily", "features-typed-a", now);
    bad["trigger"]["scheduled_time"] = json!("<aws.scheduler.scheduled-time>");
    let err = handle(&glue.deps, bad).await.unwrap_err();
    assert_eq!(<&str>::from(&err), "InvalidInput");
}

#[tokio::test]
async fn an_unreachable_glue_is_unavailable_worth_a_retry() {
    let deps = Deps::new(&integration_tests::unreachable_sdk_config().await);
    let request = json!({"database": "features", "table": "t", "job_name": "features-t",
                         "max_age_hours": 6, "started_at": "2026-11-29T02:00:00Z"});
    let err = handle(&deps, request).await.unwrap_err();
    assert_eq!(<&str>::from(&err), "GlueUnavailable", "{err}");
}
