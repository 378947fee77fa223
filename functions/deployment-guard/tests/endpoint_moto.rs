//! The guard's SageMaker call against moto on 127.0.0.1: `DescribeEndpoint` of a real (moto)
//! endpoint with two production variants. What moto lacks is in `tests/mocked.rs`, answered by
//! `aws-smithy-mocks`: shadow variants (moto's endpoints have no `ShadowProductionVariants`) and
//! all of CloudWatch (aws-sdk-cloudwatch 1.140 speaks Smithy RPC v2 CBOR, which moto 5.2 does
//! not serve: getmoto/moto#9195; moto's query protocol also has no percentile statistics).

use deployment_guard::{endpoint, error::GuardError, Deps};
use integration_tests::LocalAws;

async fn deps() -> Deps {
    Deps::new(&LocalAws::shared().sdk_config().await)
}

/// A moto endpoint with `Champion` (weight 9) and `Challenger` (weight 1).
async fn ab_endpoint(deps: &Deps) -> String {
    let sm = &deps.sagemaker;
    let name = LocalAws::unique_name("guard-ep");
    for model in ["champion", "challenger"] {
        sm.create_model()
            .model_name(format!("{name}-{model}"))
            .execution_role_arn("arn:aws:iam::123456789012:role/sagemaker")
            .primary_container(
                aws_sdk_sagemaker::types::ContainerDefinition::builder()
                    .image("123456789012.dkr.ecr.us-east-1.amazonaws.com/forecast:1")
                    .build(),
            )
            .send()
            .await
            .unwrap();
    }
    let variant = |variant: &str, model: &str, weight: f32| {
        aws_sdk_sagemaker::types::ProductionVariant::builder()
            .variant_name(variant)
            .model_name(format!("{name}-{model}"))
            .instance_type(aws_sdk_sagemaker::types::ProductionVariantInstanceType::MlM5Large)
            .initial_instance_count(1)
            .initial_variant_weight(weight)
            .build()
    };
    sm.create_endpoint_config()
        .endpoint_config_name(format!("{name}-ab"))
        .production_variants(variant("Champion", "champion", 9.0))
        .production_variants(variant("Challenger", "challenger", 1.0))
        .send()
        .await
        .unwrap();
    sm.create_endpoint()
        .endpoint_name(&name)
        .endpoint_config_name(format!("{name}-ab"))
        .send()
        .await
        .unwrap();
    name
}

#[tokio::test]
async fn describe_reads_both_variants_and_their_traffic_shares() {
    let deps = deps().await;
    let name = ab_endpoint(&deps).await;
    let endpoint = endpoint::describe(&deps.sagemaker, &name).await.unwrap();
    assert_eq!(endpoint.status, "InService");
    assert_eq!(endpoint.endpoint_config_name, format!("{name}-ab"));
    let names: Vec<_> = endpoint
        .variants
        .iter()
        .map(|v| v.variant_name.as_str())
        .collect();
    assert_eq!(names, ["Champion", "Challenger"]);
    assert!((endpoint.traffic_share("Challenger").unwrap() - 0.1).abs() < 1e-9);
    assert!(matches!(
        endpoint.variant("Nope"),
        Err(GuardError::VariantNotFound { .. })
    ));
}

#[tokio::test]
async fn a_missing_endpoint_is_endpoint_not_found() {
    let deps = deps().await;
    let err = endpoint::describe(&deps.sagemaker, &LocalAws::unique_name("absent"))
        .await
        .unwrap_err();
    assert!(matches!(err, GuardError::EndpointNotFound(_)), "{err:?}");
}
