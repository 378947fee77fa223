//! The endpoint as `DescribeEndpoint` reports it: status and variants (production and shadow)
//! with their weights.

use crate::error::{from_sdk, GuardError};
use aws_sdk_sagemaker::types::ProductionVariantSummary;
use serde::Serialize;

/// Whether a variant answers requests or only receives copies of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum VariantRole {
    /// A production variant: answers its share of the traffic.
    Production,
    /// A shadow variant: gets a copy of requests, its answers are discarded.
    Shadow,
}

/// One variant of the endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Variant {
    /// `VariantName`.
    pub variant_name: String,
    /// Production or shadow.
    pub role: VariantRole,
    /// `CurrentWeight` (relative; production variants' weights share the traffic, a shadow
    /// variant's weight is the share of requests copied to it).
    pub current_weight: Option<f32>,
    /// `DesiredWeight` while an update is in progress.
    pub desired_weight: Option<f32>,
    /// `CurrentInstanceCount`.
    pub current_instance_count: Option<i32>,
}

/// The endpoint's state.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Endpoint {
    /// `EndpointName`.
    pub endpoint_name: String,
    /// `EndpointStatus` (`InService`, `Updating`, `Failed`, ...).
    pub status: String,
    /// `EndpointConfigName`.
    pub endpoint_config_name: String,
    /// Production variants, then shadow variants.
    pub variants: Vec<Variant>,
}

impl Endpoint {
    /// The variant named `name`, or `VariantNotFound`.
    pub fn variant(&self, name: &str) -> Result<&Variant, GuardError> {
        self.variants
            .iter()
            .find(|v| v.variant_name == name)
            .ok_or_else(|| GuardError::VariantNotFound {
                endpoint: self.endpoint_name.clone(),
                variant: name.to_string(),
                present: self
                    .variants
                    .iter()
                    .map(|v| v.variant_name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// The share of production traffic `name` answers (its weight over the production
    /// variants' total), `None` for a shadow variant or when weights are unknown.
    pub fn traffic_share(&self, name: &str) -> Option<f64> {
        let total: f64 = self
            .variants
            .iter()
            .filter(|v| v.role == VariantRole::Production)
            .filter_map(|v| v.current_weight)
            .map(f64::from)
            .sum();
        let variant = self.variants.iter().find(|v| v.variant_name == name)?;
        let weight = f64::from(variant.current_weight?);
        (variant.role == VariantRole::Production && total > 0.0).then(|| weight / total)
    }
}

fn variant(summary: &ProductionVariantSummary, role: VariantRole) -> Variant {
    Variant {
        variant_name: summary.variant_name().unwrap_or_default().to_string(),
        role,
        current_weight: summary.current_weight(),
        desired_weight: summary.desired_weight(),
        current_instance_count: summary.current_instance_count(),
    }
}

/// `DescribeEndpoint` of `endpoint_name`. `EndpointNotFound` when SageMaker says it does not
/// exist (a `ValidationException` "Could not find endpoint").
pub async fn describe(
    client: &aws_sdk_sagemaker::Client,
    endpoint_name: &str,
) -> Result<Endpoint, GuardError> {
    let output = client
        .describe_endpoint()
        .endpoint_name(endpoint_name)
        .send()
        .await
        .map_err(|e| {
            let text = format!("{:?}", aws_sdk_sagemaker::error::DisplayErrorContext(&e));
            let lower = text.to_ascii_lowercase();
            if lower.contains("could not find endpoint") || lower.contains("does not exist") {
                GuardError::EndpointNotFound(endpoint_name.to_string())
            } else {
                from_sdk("DescribeEndpoint", &e)
            }
        })?;
    let production = output
        .production_variants()
        .iter()
        .map(|v| variant(v, VariantRole::Production));
    let shadow = output
        .shadow_production_variants()
        .iter()
        .map(|v| variant(v, VariantRole::Shadow));
    Ok(Endpoint {
        endpoint_name: output.endpoint_name().unwrap_or(endpoint_name).to_string(),
        status: output
            .endpoint_status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_else(|| "Unknown".into()),
        endpoint_config_name: output
            .endpoint_config_name()
            .unwrap_or_default()
            .to_string(),
        variants: production.chain(shadow).collect(),
    })
}
