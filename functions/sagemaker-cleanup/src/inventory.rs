//! Reading SageMaker: the models and endpoint configurations with their tags, what the
//! endpoints use, and what the model registry protects. Every listing follows `NextToken`.

use crate::error::{required, sagemaker, CleanupError};
use crate::plan::{Kind, Protection, Reason, Resource};
use aws_sdk_sagemaker::Client;
use chrono::{DateTime, Utc};
use model_registry::metadata::{DeploymentStatus, DEPLOYMENT_STATUS};
use std::collections::BTreeMap;

fn time(value: Option<&aws_smithy_types::DateTime>) -> DateTime<Utc> {
    value
        .and_then(|t| DateTime::from_timestamp(t.secs(), t.subsec_nanos()))
        // A resource without a creation time is treated as new: it stays.
        .unwrap_or_else(Utc::now)
}

async fn tags(client: &Client, arn: &str) -> Result<BTreeMap<String, String>, CleanupError> {
    let mut out = BTreeMap::new();
    let mut token = None;
    loop {
        let page = match client
            .list_tags()
            .resource_arn(arn)
            .set_next_token(token)
            .send()
            .await
        {
            Ok(page) => page,
            Err(e) => match sagemaker("ListTags", &e) {
                Some(error) => return Err(error),
                None => return Ok(out),
            },
        };
        for tag in page.tags() {
            if let (Some(key), Some(value)) = (tag.key(), tag.value()) {
                out.insert(key.to_string(), value.to_string());
            }
        }
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => return Ok(out),
        }
    }
}

/// Every model, with its tags.
pub async fn models(client: &Client) -> Result<Vec<Resource>, CleanupError> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page = client
            .list_models()
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| required("ListModels", &e))?;
        for model in page.models() {
            let (Some(name), Some(arn)) = (model.model_name(), model.model_arn()) else {
                continue;
            };
            out.push(Resource {
                kind: Kind::Model,
                name: name.to_string(),
                created_at: time(model.creation_time()),
                tags: tags(client, arn).await?,
                models: Vec::new(),
            });
        }
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => return Ok(out),
        }
    }
}

/// Every endpoint configuration, with its tags and the models its variants name.
pub async fn endpoint_configs(client: &Client) -> Result<Vec<Resource>, CleanupError> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page = client
            .list_endpoint_configs()
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| required("ListEndpointConfigs", &e))?;
        for config in page.endpoint_configs() {
            let (Some(name), Some(arn)) =
                (config.endpoint_config_name(), config.endpoint_config_arn())
            else {
                continue;
            };
            let described = match client
                .describe_endpoint_config()
                .endpoint_config_name(name)
                .send()
                .await
            {
                Ok(described) => described,
                Err(e) => match sagemaker("DescribeEndpointConfig", &e) {
                    Some(error) => return Err(error),
                    None => continue,
                },
            };
            let models = described
                .production_variants()
                .iter()
                .chain(described.shadow_production_variants())
                .filter_map(|v| v.model_name().map(str::to_string))
                .collect();
            out.push(Resource {
                kind: Kind::EndpointConfig,
                name: name.to_string(),
                created_at: time(config.creation_time()),
                tags: tags(client, arn).await?,
                models,
            });
        }
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => return Ok(out),
        }
    }
}

/// What every endpoint uses: its current and pending endpoint configuration, and the models
/// those name (from `configs`, which lists every configuration).
pub async fn in_use(
    client: &Client,
    configs: &[Resource],
) -> Result<BTreeMap<(Kind, String), String>, CleanupError> {
    let mut out = BTreeMap::new();
    let mut token = None;
    loop {
        let page = client
            .list_endpoints()
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| required("ListEndpoints", &e))?;
        for endpoint in page.endpoints() {
            let Some(name) = endpoint.endpoint_name() else {
                continue;
            };
            let described = match client.describe_endpoint().endpoint_name(name).send().await {
                Ok(described) => described,
                Err(e) => match sagemaker("DescribeEndpoint", &e) {
                    Some(error) => return Err(error),
                    None => continue,
                },
            };
            let used = described.endpoint_config_name().into_iter().chain(
                described
                    .pending_deployment_summary()
                    .and_then(|p| p.endpoint_config_name()),
            );
            for config_name in used {
                out.insert(
                    (Kind::EndpointConfig, config_name.to_string()),
                    name.to_string(),
                );
                for config in configs.iter().filter(|c| c.name == config_name) {
                    for model in &config.models {
                        out.insert((Kind::Model, model.clone()), name.to_string());
                    }
                }
            }
        }
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => return Ok(out),
        }
    }
}

/// One version's deployment record, as the model registry writes it
/// (`model_registry::metadata`).
#[derive(Debug, Clone)]
struct Version {
    arn: String,
    status: String,
    run_id: Option<String>,
    endpoint_config: Option<String>,
    superseded_at: String,
    version: i32,
}

/// The names the registry protects in the package groups of `environment` (`<env>-<model>`):
/// per group, the serving versions (`deployment:status = serving`) and the rollback target, the
/// newest `superseded` version (by `deployment:superseded_at`, then version number): the one
/// a rollback returns the endpoint to. Each covers its run's model and endpoint configuration
/// (both named by `pipeline:run_id`) and the recorded `deployment:endpoint_config`.
pub async fn registry(
    client: &Client,
    environment: &str,
) -> Result<BTreeMap<String, Reason>, CleanupError> {
    let prefix = format!("{environment}-");
    let mut groups = Vec::new();
    let mut token = None;
    loop {
        let page = client
            .list_model_package_groups()
            .name_contains(&prefix)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| required("ListModelPackageGroups", &e))?;
        groups.extend(
            page.model_package_group_summary_list()
                .iter()
                .filter_map(|g| g.model_package_group_name())
                .filter(|g| g.starts_with(&prefix))
                .map(str::to_string),
        );
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    let mut out = BTreeMap::new();
    for group in groups {
        let versions = versions(client, &group).await?;
        let rollback = versions
            .iter()
            .filter(|v| v.status == DeploymentStatus::Superseded.as_str())
            .max_by(|a, b| (&a.superseded_at, a.version).cmp(&(&b.superseded_at, b.version)));
        let serving = versions
            .iter()
            .filter(|v| v.status == DeploymentStatus::Serving.as_str());
        for (version, production) in serving
            .map(|v| (v, true))
            .chain(rollback.map(|v| (v, false)))
        {
            let reason = if production {
                Reason::Production {
                    model_package_arn: version.arn.clone(),
                }
            } else {
                Reason::RollbackTarget {
                    model_package_arn: version.arn.clone(),
                }
            };
            for name in version.run_id.iter().chain(&version.endpoint_config) {
                out.entry(name.clone()).or_insert_with(|| reason.clone());
            }
        }
    }
    Ok(out)
}

async fn versions(client: &Client, group: &str) -> Result<Vec<Version>, CleanupError> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page = client
            .list_model_packages()
            .model_package_group_name(group)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| required("ListModelPackages", &e))?;
        for summary in page.model_package_summary_list() {
            let Some(arn) = summary.model_package_arn() else {
                continue;
            };
            let described = match client
                .describe_model_package()
                .model_package_name(arn)
                .send()
                .await
            {
                Ok(described) => described,
                Err(e) => match sagemaker("DescribeModelPackage", &e) {
                    Some(error) => return Err(error),
                    None => continue,
                },
            };
            let properties = described
                .customer_metadata_properties()
                .cloned()
                .unwrap_or_default();
            let get = |key: &str| properties.get(key).cloned();
            out.push(Version {
                arn: arn.to_string(),
                status: get(DEPLOYMENT_STATUS).unwrap_or_default(),
                run_id: get("pipeline:run_id"),
                endpoint_config: get("deployment:endpoint_config"),
                superseded_at: get("deployment:superseded_at").unwrap_or_default(),
                version: described.model_package_version().unwrap_or_default(),
            });
        }
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => return Ok(out),
        }
    }
}

/// Everything [`crate::plan::plan`] needs.
pub async fn read(
    client: &Client,
    environment: &str,
) -> Result<(Vec<Resource>, Protection), CleanupError> {
    let configs = endpoint_configs(client).await?;
    let in_use = in_use(client, &configs).await?;
    let registry = registry(client, environment).await?;
    let mut resources = models(client).await?;
    resources.extend(configs);
    Ok((resources, Protection { in_use, registry }))
}
