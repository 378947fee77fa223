//! The Glue calls: the table's partition keys (GetTable), its newest partition (GetPartitions,
//! every page), and the feature job's last successful run (GetJobRuns, every page; Glue keeps
//! 90 days of runs).

use crate::error::FreshnessError;
use crate::partition::partition_start;
use aws_sdk_glue::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_glue::types::{JobRun, JobRunState};
use chrono::{DateTime, Utc};

/// The newest partition of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct NewestPartition {
    /// Its values, in partition key order.
    pub values: Vec<String>,
    /// The start of the period it holds.
    pub start: DateTime<Utc>,
}

/// The newest partition of `database.table`, or `None` when it has none.
pub async fn newest_partition(
    glue: &aws_sdk_glue::Client,
    database: &str,
    table: &str,
) -> Result<Option<NewestPartition>, FreshnessError> {
    let not_found = || FreshnessError::TableNotFound {
        database: database.into(),
        table: table.into(),
    };
    let described = glue
        .get_table()
        .database_name(database)
        .name(table)
        .send()
        .await
        .map_err(|e| typed("GetTable", &e, not_found))?;
    let keys: Vec<String> = described
        .table()
        .map(|t| {
            t.partition_keys()
                .iter()
                .map(|k| k.name().to_string())
                .collect()
        })
        .unwrap_or_default();
    if keys.is_empty() {
        return Err(FreshnessError::TableNotPartitioned {
            database: database.into(),
            table: table.into(),
        });
    }
    let mut newest: Option<NewestPartition> = None;
    let mut pages = glue
        .get_partitions()
        .database_name(database)
        .table_name(table)
        .exclude_column_schema(true)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| typed("GetPartitions", &e, not_found))?;
        for partition in page.partitions() {
            let values = partition.values().to_vec();
            let start = partition_start(&keys, &values).ok_or_else(|| {
                FreshnessError::PartitionNotDated {
                    table: format!("{database}.{table}"),
                    keys: keys.clone(),
                    values: values.clone(),
                }
            })?;
            if newest.as_ref().is_none_or(|n| start > n.start) {
                newest = Some(NewestPartition { values, start });
            }
        }
    }
    Ok(newest)
}

/// When the job's newest successful run completed, or `None` when none succeeded.
pub async fn last_success(
    glue: &aws_sdk_glue::Client,
    job: &str,
) -> Result<Option<DateTime<Utc>>, FreshnessError> {
    let mut latest = None;
    let mut pages = glue.get_job_runs().job_name(job).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page =
            page.map_err(|e| typed("GetJobRuns", &e, || FreshnessError::JobNotFound(job.into())))?;
        latest = latest.max(newest_success(page.job_runs()));
    }
    Ok(latest)
}

/// The completion time of the newest `SUCCEEDED` run among `runs` (any order).
pub fn newest_success(runs: &[JobRun]) -> Option<DateTime<Utc>> {
    runs.iter()
        .filter(|r| r.job_run_state() == Some(&JobRunState::Succeeded))
        .filter_map(|r| r.completed_on())
        .filter_map(|t| DateTime::<Utc>::from_timestamp(t.secs(), t.subsec_nanos()))
        .max()
}

/// The typed error for a failed Glue call: `EntityNotFoundException` → `not_found`, throttling,
/// 5xx and transport failures → `GlueUnavailable`, the rest → `GlueRequestRejected`.
fn typed<E>(
    operation: &'static str,
    error: &SdkError<E>,
    not_found: impl FnOnce() -> FreshnessError,
) -> FreshnessError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let detail = aws_smithy_types::error::display::DisplayErrorContext(error).to_string();
    match error {
        SdkError::ServiceError(context) => {
            let code = context.err().code().unwrap_or("Unknown");
            let status = context.raw().status().as_u16();
            if code == "EntityNotFoundException" {
                not_found()
            } else if shared::retry::classify_code(code, status).is_retryable() {
                FreshnessError::GlueUnavailable { operation, detail }
            } else {
                FreshnessError::GlueRequestRejected { operation, detail }
            }
        }
        SdkError::ConstructionFailure(_) => {
            FreshnessError::GlueRequestRejected { operation, detail }
        }
        _ => FreshnessError::GlueUnavailable { operation, detail },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_types::DateTime as SmithyTime;

    fn run(state: JobRunState, completed: Option<i64>) -> JobRun {
        JobRun::builder()
            .job_run_state(state)
            .set_completed_on(completed.map(SmithyTime::from_secs))
            .build()
    }

    #[test]
    fn the_newest_succeeded_run_counts_and_failed_or_running_ones_do_not() {
        let runs = [
            run(JobRunState::Succeeded, Some(1_000)),
            run(JobRunState::Failed, Some(9_000)),
            run(JobRunState::Succeeded, Some(5_000)),
            run(JobRunState::Running, None),
            run(JobRunState::Succeeded, None),
        ];
        assert_eq!(newest_success(&runs).map(|t| t.timestamp()), Some(5_000));
        assert_eq!(newest_success(&runs[1..2]), None);
        assert_eq!(newest_success(&[]), None);
    }
}
