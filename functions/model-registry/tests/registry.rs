//! The registry actions against SageMaker answers from `aws-smithy-mocks` (moto's model
//! registry replaces metadata on update where SageMaker merges it, so it cannot stand in here).

use aws_sdk_sagemaker::error::ErrorMetadata;
use aws_sdk_sagemaker::operation::create_model_package::{
    CreateModelPackageInput, CreateModelPackageOutput,
};
use aws_sdk_sagemaker::operation::describe_model_package::{
    DescribeModelPackageError, DescribeModelPackageOutput,
};
use aws_sdk_sagemaker::operation::list_model_packages::{
    ListModelPackagesError, ListModelPackagesOutput,
};
use aws_sdk_sagemaker::operation::update_model_package::{
    UpdateModelPackageInput, UpdateModelPackageOutput,
};
use aws_sdk_sagemaker::types::{ModelApprovalStatus, ModelPackageStatus, ModelPackageSummary};
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use model_registry::output::RegistryOutput;
use model_registry::{handle, Deps};
use serde_json::{json, Value};
use shared::ErrorType;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

const GROUP: &str = "prod-demand-forecast";

fn arn(version: i32) -> String {
    format!("arn:aws:sagemaker:us-east-1:123456789012:model-package/{GROUP}/{version}")
}

fn deps(rules: &[&Rule]) -> Deps {
    Deps {
        sagemaker: mock_client!(aws_sdk_sagemaker, RuleMode::MatchAny, rules, |c| c
            .retry_config(aws_sdk_sagemaker::config::retry::RetryConfig::disabled())),
    }
}

fn listing(versions: &[i32]) -> Rule {
    let versions = versions.to_vec();
    mock!(aws_sdk_sagemaker::Client::list_model_packages).then_output(move || {
        ListModelPackagesOutput::builder()
            .set_model_package_summary_list(Some(
                versions
                    .iter()
                    .map(|v| {
                        ModelPackageSummary::builder()
                            .model_package_arn(arn(*v))
                            .model_package_group_name(GROUP)
                            .model_package_version(*v)
                            .model_package_status(ModelPackageStatus::Completed)
                            .model_approval_status(ModelApprovalStatus::Approved)
                            .creation_time(aws_smithy_types::DateTime::from_secs(
                                1_790_000_000 + *v as i64,
                            ))
                            .build()
                    })
                    .collect(),
            ))
            .build()
    })
}

fn described(metadata: HashMap<i32, Vec<(&'static str, &'static str)>>) -> Rule {
    mock!(aws_sdk_sagemaker::Client::describe_model_package).then_compute_output(move |input| {
        let name = input.model_package_name().unwrap_or_default().to_string();
        let version: i32 = name.rsplit('/').next().unwrap_or("0").parse().unwrap_or(0);
        let properties: HashMap<String, String> = metadata
            .get(&version)
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        DescribeModelPackageOutput::builder()
            .model_package_arn(name)
            .model_package_version(version)
            .set_customer_metadata_properties(Some(properties))
            .build()
    })
}

async fn run(rules: &[&Rule], request: Value) -> Result<Value, (String, String)> {
    handle(&deps(rules), request)
        .await
        .map(|o| serde_json::to_value(o).unwrap())
        .map_err(|e| (e.error_type().to_string(), e.to_string()))
}

#[tokio::test]
async fn production_is_the_newest_approved_version_marked_serving_with_its_metrics() {
    let list = listing(&[9, 8, 7]);
    let describe = described(HashMap::from([
        (
            9,
            vec![("deployment:status", "rolled-back"), ("metric:mape", "7.0")],
        ),
        (
            8,
            vec![
                ("deployment:status", "serving"),
                ("metric:mape", "14.5"),
                ("metric:wape", "11.25"),
                ("pipeline:run_id", "prod-demand-forecast-abc"),
                ("deployment:endpoint", "prod-demand-forecast"),
            ],
        ),
        (
            7,
            vec![("deployment:status", "superseded"), ("metric:mape", "16")],
        ),
    ]));
    let out = run(
        &[&list, &describe],
        json!({"action": "production", "model_package_group_name": GROUP}),
    )
    .await
    .unwrap();
    assert_eq!(out["has_production"], true);
    assert_eq!(out["model_package_arn"], arn(8));
    assert_eq!(out["model_package_version"], 8);
    assert_eq!(out["metrics"], json!({"mape": 14.5, "wape": 11.25}));
    assert_eq!(out["run_id"], "prod-demand-forecast-abc");
    assert_eq!(out["versions_scanned"], 2);
}

#[tokio::test]
async fn no_serving_version_means_no_production_model() {
    let list = listing(&[3, 2]);
    let describe = described(HashMap::from([
        (3, vec![("deployment:status", "candidate")]),
        (2, vec![]),
    ]));
    let out = run(
        &[&list, &describe],
        json!({"action": "production", "model_package_group_name": GROUP}),
    )
    .await
    .unwrap();
    assert_eq!(out["has_production"], false);
    assert_eq!(out["metrics"], Value::Null);
    assert_eq!(out["versions_scanned"], 2);
}

#[tokio::test]
async fn a_serving_version_without_readable_metrics_is_an_invalid_record() {
    let list = listing(&[4]);
    let describe = described(HashMap::from([(
        4,
        vec![("deployment:status", "serving"), ("metric:mape", "n/a")],
    )]));
    let (kind, message) = run(
        &[&list, &describe],
        json!({"action": "production", "model_package_group_name": GROUP}),
    )
    .await
    .unwrap_err();
    assert_eq!(kind, "RegistryRecordInvalid");
    assert!(message.contains("metric:mape"), "{message}");
}

#[tokio::test]
async fn a_missing_group_and_throttling_are_typed_apart() {
    let missing = mock!(aws_sdk_sagemaker::Client::list_model_packages).then_error(|| {
        ListModelPackagesError::generic(
            ErrorMetadata::builder()
                .code("ValidationException")
                .message("Model Package Group prod-demand-forecast does not exist.")
                .build(),
        )
    });
    let (kind, _) = run(
        &[&missing],
        json!({"action": "production", "model_package_group_name": GROUP}),
    )
    .await
    .unwrap_err();
    assert_eq!(kind, "ModelPackageGroupNotFound");

    let list = listing(&[1]);
    let throttled = mock!(aws_sdk_sagemaker::Client::describe_model_package).then_error(|| {
        DescribeModelPackageError::generic(
            ErrorMetadata::builder()
                .code("ThrottlingException")
                .message("Rate exceeded")
                .build(),
        )
    });
    let (kind, message) = run(
        &[&list, &throttled],
        json!({"action": "production", "model_package_group_name": GROUP}),
    )
    .await
    .unwrap_err();
    assert_eq!(kind, "RegistryUnavailable");
    assert!(message.contains("DescribeModelPackage"), "{message}");
}

fn register_request(status: &str) -> Value {
    json!({
        "action": "register",
        "model_package_group_name": GROUP,
        "model_name": "demand-forecast",
        "run_id": "prod-demand-forecast-0123456789abcdef0123456789abcdef",
        "execution_arn": "arn:aws:states:us-east-1:123456789012:execution:ml-retraining:weekly-1",
        "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/forecast:1",
        "model_data_url": "s3://artifacts/model.tar.gz",
        "evaluation_report_uri": "s3://artifacts/evaluation/report.json",
        "metrics": {"mape": 8.43, "wape": 6.1, "r2": null},
        "gate": {"metric": "mape", "direction": "lower_is_better", "threshold": 15, "passed": true},
        "approval_status": status
    })
}

#[tokio::test]
async fn register_records_metrics_gate_lineage_and_status_idempotently() {
    let seen: Arc<Mutex<Vec<CreateModelPackageInput>>> = Arc::default();
    let capture = seen.clone();
    let create =
        mock!(aws_sdk_sagemaker::Client::create_model_package).then_compute_output(move |input| {
            capture.lock().unwrap().push(input.clone());
            CreateModelPackageOutput::builder()
                .model_package_arn(arn(12))
                .build()
        });
    let out = run(&[&create], register_request("PendingManualApproval"))
        .await
        .unwrap();
    assert_eq!(out["model_package_arn"], arn(12));
    assert_eq!(out["model_package_version"], 12);
    assert_eq!(out["approval_status"], "PendingManualApproval");
    run(&[&create], register_request("PendingManualApproval"))
        .await
        .unwrap();

    let seen = seen.lock().unwrap();
    let input = &seen[0];
    assert_eq!(
        input.model_approval_status(),
        Some(&ModelApprovalStatus::PendingManualApproval)
    );
    let props = input.customer_metadata_properties().unwrap();
    assert_eq!(props["metric:mape"], "8.43");
    assert_eq!(props["metric:wape"], "6.1");
    assert!(!props.contains_key("metric:r2"), "null metrics are skipped");
    assert_eq!(props["gate:threshold"], "15");
    assert_eq!(props["gate:passed"], "true");
    assert_eq!(props["deployment:status"], "candidate");
    assert_eq!(
        input
            .model_metrics()
            .and_then(|m| m.model_quality())
            .and_then(|q| q.statistics())
            .and_then(|s| s.s3_uri()),
        Some("s3://artifacts/evaluation/report.json")
    );
    let container = &input.inference_specification().unwrap().containers()[0];
    assert_eq!(
        container.model_data_url(),
        Some("s3://artifacts/model.tar.gz")
    );
    let token = input.client_token().unwrap();
    assert!(token.len() <= 36 && token.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    assert_eq!(
        seen[1].client_token(),
        Some(token),
        "a retried step reuses its token"
    );
}

#[tokio::test]
async fn a_register_request_with_an_unknown_field_or_status_is_invalid_input() {
    let mut bad = register_request("Approved");
    bad["metrix"] = json!({});
    assert_eq!(run(&[], bad).await.unwrap_err().0, "InvalidInput");
    assert_eq!(
        run(&[], register_request("Maybe")).await.unwrap_err().0,
        "InvalidInput"
    );
    assert_eq!(
        run(&[], json!({"action": "delete"})).await.unwrap_err().0,
        "InvalidInput"
    );
    let mut not_s3 = register_request("Approved");
    not_s3["model_data_url"] = json!("/tmp/model.tar.gz");
    assert!(run(&[], not_s3)
        .await
        .unwrap_err()
        .1
        .contains("model_data_url"));
}

fn capturing_updates() -> (Rule, Arc<Mutex<Vec<UpdateModelPackageInput>>>) {
    let seen: Arc<Mutex<Vec<UpdateModelPackageInput>>> = Arc::default();
    let capture = seen.clone();
    let rule =
        mock!(aws_sdk_sagemaker::Client::update_model_package).then_compute_output(move |input| {
            capture.lock().unwrap().push(input.clone());
            UpdateModelPackageOutput::builder()
                .model_package_arn(input.model_package_arn().unwrap_or_default())
                .build()
        });
    (rule, seen)
}

#[tokio::test]
async fn promote_marks_the_new_version_serving_and_the_old_one_superseded() {
    let (update, seen) = capturing_updates();
    let out = run(
        &[&update],
        json!({"action": "promote", "model_package_arn": arn(12), "endpoint_name": "prod-demand-forecast",
               "endpoint_config_name": "prod-demand-forecast-0123", "execution_arn": "arn:aws:states:us-east-1:1:execution:m:e",
               "previous_model_package_arn": arn(8)}),
    )
    .await
    .unwrap();
    assert_eq!(out["deployment_status"], "serving");
    assert_eq!(out["superseded_model_package_arn"], arn(8));
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    let new = seen[0].customer_metadata_properties().unwrap();
    assert_eq!(seen[0].model_package_arn(), Some(arn(12).as_str()));
    assert_eq!(new["deployment:status"], "serving");
    assert_eq!(new["deployment:endpoint"], "prod-demand-forecast");
    let old = seen[1].customer_metadata_properties().unwrap();
    assert_eq!(seen[1].model_package_arn(), Some(arn(8).as_str()));
    assert_eq!(old["deployment:status"], "superseded");
    assert_eq!(old["deployment:superseded_by"], arn(12));
    assert!(seen.iter().all(|u| u.model_approval_status().is_none()));
}

#[tokio::test]
async fn rollback_rejects_the_version_with_the_reason() {
    let (update, seen) = capturing_updates();
    let out = run(
        &[&update],
        json!({"action": "rollback", "model_package_arn": arn(12), "execution_arn": "arn:aws:states:us-east-1:1:execution:m:e",
               "reason": "Endpoint prod-demand-forecast is InService with endpoint config old (expected new)"}),
    )
    .await
    .unwrap();
    assert_eq!(out["deployment_status"], "rolled-back");
    let seen = seen.lock().unwrap();
    assert_eq!(
        seen[0].model_approval_status(),
        Some(&ModelApprovalStatus::Rejected)
    );
    assert!(seen[0]
        .approval_description()
        .unwrap()
        .starts_with("Rolled back: Endpoint prod-demand-forecast"));
    assert_eq!(
        seen[0].customer_metadata_properties().unwrap()["deployment:status"],
        "rolled-back"
    );
}

#[test]
fn every_output_is_described_by_one_schema() {
    let schema = serde_json::to_value(schemars::schema_for!(RegistryOutput)).unwrap();
    let text = schema.to_string();
    for field in [
        "has_production",
        "metrics",
        "model_package_arn",
        "deployment_status",
    ] {
        assert!(text.contains(field), "{field} missing from the schema");
    }
}

#[tokio::test]
async fn model_config_answers_from_the_built_in_catalogue_without_aws() {
    let out = run(
        &[],
        json!({"action": "model_config", "model_name": "damage-detection"}),
    )
    .await
    .unwrap();
    assert_eq!(out["task"], "multiclass");
    assert_eq!(out["evaluation"]["task"], "multiclass");
    assert_eq!(out["evaluation"]["gate"]["metric"], "macro_f1");
    assert_eq!(out["approval"], "manual");
    let (kind, message) = run(
        &[],
        json!({"action": "model_config", "model_name": "churn"}),
    )
    .await
    .unwrap_err();
    assert_eq!(kind, "ModelNotInCatalogue");
    assert!(message.contains("config/models.yaml"));
}

#[tokio::test]
async fn an_evaluation_override_is_merged_and_checked_before_anything_trains() {
    let out = run(
        &[],
        json!({"action": "model_config", "model_name": "demand-forecast",
               "execution_input": {"model_name": "demand-forecast",
                   "evaluation": {"gate": {"metric": "wape", "direction": "lower_is_better", "threshold": 12}}}}),
    )
    .await
    .unwrap();
    assert_eq!(out["evaluation"]["gate"]["metric"], "wape");
    assert_eq!(
        out["evaluation"]["actual_column"], "actual",
        "other fields stay"
    );
    let (kind, message) = run(
        &[],
        json!({"action": "model_config", "model_name": "anomaly-detection",
               "execution_input": {"evaluation": {"gate": {"metric": "mape", "direction": "lower_is_better", "threshold": 10}}}}),
    )
    .await
    .unwrap_err();
    assert_eq!(kind, "InvalidInput");
    assert!(
        message.contains("mape") && message.contains("anomaly-detection"),
        "{message}"
    );
    let (kind, _) = run(
        &[],
        json!({"action": "model_config", "model_name": "anomaly-detection",
               "execution_input": {"evaluation": "strict"}}),
    )
    .await
    .unwrap_err();
    assert_eq!(kind, "InvalidInput");
}
