//! The four actions against the SageMaker Model Registry.

use crate::error::RegistryError;
use crate::metadata::{self, DeploymentStatus, DEPLOYMENT_STATUS, MAX_ENTRIES};
use crate::output::{version_of, ProductionModel, RecordedDeployment, RegisteredPackage};
use crate::request::{PromoteRequest, RegisterRequest, RollbackRequest};
use crate::sdk_error::typed;
use aws_sdk_sagemaker::types::{
    InferenceSpecification, MetadataProperties, MetricsSource, ModelApprovalStatus, ModelMetrics,
    ModelPackageContainerDefinition, ModelPackageSortBy, ModelQuality, SortOrder,
};
use aws_sdk_sagemaker::Client;
use std::collections::HashMap;

/// Most approved versions looked at when searching for the serving one (newest first).
pub const MAX_SCANNED: u32 = 100;
/// Longest `ModelPackageDescription` and `ApprovalDescription`.
pub const MAX_DESCRIPTION_CHARS: usize = 1024;

fn cut(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// `ClientToken` of CreateModelPackage for a run: the same run (a retried step) never creates
/// two versions. SageMaker allows `[a-zA-Z0-9-]`, at most 36 characters.
pub fn client_token(run_id: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(run_id.as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// Finds the approved version marked `deployment:status = serving`, newest first.
pub async fn production(client: &Client, group: &str) -> Result<ProductionModel, RegistryError> {
    let mut scanned = 0u32;
    let mut next_token: Option<String> = None;
    let none = |scanned| ProductionModel {
        model_package_group_name: group.to_string(),
        has_production: false,
        model_package_arn: None,
        model_package_version: None,
        metrics: None,
        run_id: None,
        endpoint_name: None,
        versions_scanned: scanned,
    };
    loop {
        let page = client
            .list_model_packages()
            .model_package_group_name(group)
            .model_approval_status(ModelApprovalStatus::Approved)
            .sort_by(ModelPackageSortBy::CreationTime)
            .sort_order(SortOrder::Descending)
            .max_results(20)
            .set_next_token(next_token.clone())
            .send()
            .await
            .map_err(|e| {
                typed(
                    "ListModelPackages",
                    &e,
                    RegistryError::ModelPackageGroupNotFound(group.to_string()),
                )
            })?;
        for summary in page.model_package_summary_list() {
            if scanned >= MAX_SCANNED {
                return Err(RegistryError::RegistryRecordInvalid(format!(
                    "none of the newest {MAX_SCANNED} approved versions of {group} is marked {DEPLOYMENT_STATUS} = serving; mark the serving one or reject stale ones"
                )));
            }
            scanned += 1;
            let Some(arn) = summary.model_package_arn() else {
                continue;
            };
            let described = client
                .describe_model_package()
                .model_package_name(arn)
                .send()
                .await
                .map_err(|e| {
                    typed(
                        "DescribeModelPackage",
                        &e,
                        RegistryError::ModelPackageNotFound(arn.to_string()),
                    )
                })?;
            let properties = described
                .customer_metadata_properties()
                .cloned()
                .unwrap_or_default();
            if properties.get(DEPLOYMENT_STATUS).map(String::as_str)
                != Some(DeploymentStatus::Serving.as_str())
            {
                continue;
            }
            let (metrics, bad) = metadata::read_metrics(&properties);
            if !bad.is_empty() || metrics.is_empty() {
                return Err(RegistryError::RegistryRecordInvalid(format!(
                    "serving version {arn} has {} (metric entries must be metric:<name> = <number>)",
                    if bad.is_empty() {
                        "no metric entries".to_string()
                    } else {
                        format!("unreadable metric entries: {}", bad.join(", "))
                    }
                )));
            }
            return Ok(ProductionModel {
                model_package_group_name: group.to_string(),
                has_production: true,
                model_package_arn: Some(arn.to_string()),
                model_package_version: described.model_package_version().map(i64::from),
                metrics: Some(metrics),
                run_id: properties.get("pipeline:run_id").cloned(),
                endpoint_name: properties.get("deployment:endpoint").cloned(),
                versions_scanned: scanned,
            });
        }
        match page.next_token() {
            Some(token) if !token.is_empty() => next_token = Some(token.to_string()),
            _ => return Ok(none(scanned)),
        }
    }
}

/// Registers a candidate version with its metrics, gate, lineage and approval status.
pub async fn register(
    client: &Client,
    request: &RegisterRequest,
) -> Result<RegisteredPackage, RegistryError> {
    let mut properties: Vec<(String, String)> = vec![
        (
            "pipeline:model_name".into(),
            metadata::sanitize(&request.model_name),
        ),
        (
            "pipeline:run_id".into(),
            metadata::sanitize(&request.run_id),
        ),
        (
            "pipeline:execution_arn".into(),
            metadata::sanitize(&request.execution_arn),
        ),
        (
            "gate:metric".into(),
            metadata::sanitize(&request.gate.metric),
        ),
        (
            "gate:direction".into(),
            metadata::sanitize(&request.gate.direction),
        ),
        (
            "gate:threshold".into(),
            metadata::format_number(request.gate.threshold),
        ),
        ("gate:passed".into(), request.gate.passed.to_string()),
        (
            DEPLOYMENT_STATUS.into(),
            DeploymentStatus::Candidate.as_str().into(),
        ),
    ];
    let metrics = metadata::metric_entries(&request.metrics, MAX_ENTRIES - properties.len())
        .map_err(RegistryError::InvalidInput)?;
    properties.extend(metrics);
    let content_types = request
        .content_types
        .clone()
        .unwrap_or_else(|| vec!["application/jsonlines".to_string()]);
    let container = ModelPackageContainerDefinition::builder()
        .image(&request.image)
        .model_data_url(&request.model_data_url)
        .build();
    let inference = InferenceSpecification::builder()
        .containers(container)
        .set_supported_content_types(Some(content_types.clone()))
        .set_supported_response_mime_types(Some(content_types))
        .build();
    let statistics = MetricsSource::builder()
        .content_type("application/json")
        .s3_uri(&request.evaluation_report_uri)
        .build();
    let description = request.description.clone().unwrap_or_else(|| {
        format!(
            "{} run {}: {} {} (threshold {}), gate {}",
            request.model_name,
            request.run_id,
            request.gate.metric,
            request
                .metrics
                .get(&request.gate.metric)
                .map(|v| v.to_string())
                .unwrap_or_else(|| "n/a".into()),
            request.gate.threshold,
            if request.gate.passed {
                "passed"
            } else {
                "failed"
            }
        )
    });
    let output = client
        .create_model_package()
        .model_package_group_name(&request.model_package_group_name)
        .model_package_description(cut(&description, MAX_DESCRIPTION_CHARS))
        .inference_specification(inference)
        .model_metrics(
            ModelMetrics::builder()
                .model_quality(ModelQuality::builder().statistics(statistics).build())
                .build(),
        )
        .model_approval_status(request.approval_status.sdk())
        .metadata_properties(
            MetadataProperties::builder()
                .generated_by(cut(&request.execution_arn, 1024))
                .build(),
        )
        .set_customer_metadata_properties(Some(properties.into_iter().collect::<HashMap<_, _>>()))
        .client_token(client_token(&request.run_id))
        .send()
        .await
        .map_err(|e| {
            typed(
                "CreateModelPackage",
                &e,
                RegistryError::ModelPackageGroupNotFound(request.model_package_group_name.clone()),
            )
        })?;
    let arn = output.model_package_arn().unwrap_or_default().to_string();
    Ok(RegisteredPackage {
        model_package_version: version_of(&arn),
        model_package_arn: arn,
        approval_status: request.approval_status,
    })
}

async fn update(
    client: &Client,
    arn: &str,
    properties: Vec<(&str, String)>,
    status: Option<(ModelApprovalStatus, String)>,
) -> Result<(), RegistryError> {
    let properties: HashMap<String, String> = properties
        .into_iter()
        .map(|(k, v)| (k.to_string(), metadata::sanitize(&v)))
        .collect();
    let (approval, description) = match status {
        Some((s, d)) => (Some(s), Some(cut(&d, MAX_DESCRIPTION_CHARS))),
        None => (None, None),
    };
    client
        .update_model_package()
        .model_package_arn(arn)
        .set_customer_metadata_properties(Some(properties))
        .set_model_approval_status(approval)
        .set_approval_description(description)
        .send()
        .await
        .map_err(|e| {
            typed(
                "UpdateModelPackage",
                &e,
                RegistryError::ModelPackageNotFound(arn.to_string()),
            )
        })?;
    Ok(())
}

/// Marks `request.model_package_arn` serving and the previous version superseded.
pub async fn promote(
    client: &Client,
    request: &PromoteRequest,
    now: &str,
) -> Result<RecordedDeployment, RegistryError> {
    update(
        client,
        &request.model_package_arn,
        vec![
            (DEPLOYMENT_STATUS, DeploymentStatus::Serving.as_str().into()),
            ("deployment:endpoint", request.endpoint_name.clone()),
            (
                "deployment:endpoint_config",
                request.endpoint_config_name.clone(),
            ),
            ("deployment:at", now.into()),
            ("deployment:execution_arn", request.execution_arn.clone()),
        ],
        None,
    )
    .await?;
    let previous = request
        .previous_model_package_arn
        .clone()
        .filter(|p| *p != request.model_package_arn);
    if let Some(previous) = &previous {
        update(
            client,
            previous,
            vec![
                (
                    DEPLOYMENT_STATUS,
                    DeploymentStatus::Superseded.as_str().into(),
                ),
                (
                    "deployment:superseded_by",
                    request.model_package_arn.clone(),
                ),
                ("deployment:superseded_at", now.into()),
            ],
            None,
        )
        .await?;
    }
    Ok(RecordedDeployment {
        model_package_arn: request.model_package_arn.clone(),
        deployment_status: DeploymentStatus::Serving.as_str().into(),
        superseded_model_package_arn: previous,
        recorded_at: now.into(),
    })
}

/// Marks a version rolled back and `Rejected`, with the reason as its approval description.
pub async fn rollback(
    client: &Client,
    request: &RollbackRequest,
    now: &str,
) -> Result<RecordedDeployment, RegistryError> {
    update(
        client,
        &request.model_package_arn,
        vec![
            (
                DEPLOYMENT_STATUS,
                DeploymentStatus::RolledBack.as_str().into(),
            ),
            ("deployment:rolled_back_at", now.into()),
            ("deployment:execution_arn", request.execution_arn.clone()),
        ],
        Some((
            ModelApprovalStatus::Rejected,
            format!("Rolled back: {}", request.reason),
        )),
    )
    .await?;
    Ok(RecordedDeployment {
        model_package_arn: request.model_package_arn.clone(),
        deployment_status: DeploymentStatus::RolledBack.as_str().into(),
        superseded_model_package_arn: None,
        recorded_at: now.into(),
    })
}
