//! The clean-up against moto: a prepared set of models and endpoint configurations (in use,
//! production, rollback target, young, foreign, another environment's, old orphans) and a
//! registry whose versions carry the model registry's deployment metadata.

use aws_sdk_sagemaker::types::{ModelApprovalStatus, ProductionVariant, Tag};
use aws_sdk_sagemaker::Client;
use chrono::{DateTime, Utc};
use integration_tests::LocalAws;
use sagemaker_cleanup::{handle, CleanupOutput, Deps};
use serde_json::json;
use shared::clock::ManualClock;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

const ROLE: &str = "arn:aws:iam::123456789012:role/sagemaker";
const IMAGE: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/forecast:1";

fn tags(environment: &str, project: bool) -> Vec<Tag> {
    let mut tags = vec![Tag::builder().key("environment").value(environment).build()];
    if project {
        tags.push(Tag::builder().key("project").value("ml-pipelines").build());
    }
    tags
}

async fn model(client: &Client, name: &str, tags: Vec<Tag>) {
    client
        .create_model()
        .model_name(name)
        .execution_role_arn(ROLE)
        .primary_container(
            aws_sdk_sagemaker::types::ContainerDefinition::builder()
                .image(IMAGE)
                .model_data_url(format!("s3://bucket/{name}/model.tar.gz"))
                .build(),
        )
        .set_tags(Some(tags))
        .send()
        .await
        .unwrap();
}

async fn config(client: &Client, name: &str, model: &str, tags: Vec<Tag>) {
    client
        .create_endpoint_config()
        .endpoint_config_name(name)
        .production_variants(
            ProductionVariant::builder()
                .variant_name("AllTraffic")
                .model_name(model)
                .instance_type(aws_sdk_sagemaker::types::ProductionVariantInstanceType::MlM5Large)
                .initial_instance_count(1)
                .build(),
        )
        .set_tags(Some(tags))
        .send()
        .await
        .unwrap();
}

/// A run as ml-retraining leaves it: a model and an endpoint configuration named by the run id.
async fn run(client: &Client, environment: &str, run_id: &str) {
    model(client, run_id, tags(environment, true)).await;
    config(client, run_id, run_id, tags(environment, true)).await;
}

async fn version(client: &Client, group: &str, run_id: &str, properties: &[(&str, &str)]) {
    let mut metadata: std::collections::HashMap<String, String> = properties
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    metadata.insert("pipeline:run_id".into(), run_id.into());
    client
        .create_model_package()
        .model_package_group_name(group)
        .model_approval_status(ModelApprovalStatus::Approved)
        .inference_specification(
            aws_sdk_sagemaker::types::InferenceSpecification::builder()
                .containers(
                    aws_sdk_sagemaker::types::ModelPackageContainerDefinition::builder()
                        .image(IMAGE)
                        .build(),
                )
                .supported_content_types("application/jsonlines")
                .supported_response_mime_types("application/jsonlines")
                .build(),
        )
        .set_customer_metadata_properties(Some(metadata))
        .send()
        .await
        .unwrap();
}

struct World {
    client: Client,
    environment: String,
    /// Between the old and the young resources.
    boundary: DateTime<Utc>,
}

/// Old: one run per role; then, a second later, the young run. Names are unique per test.
async fn prepare() -> World {
    let sdk = LocalAws::shared().sdk_config().await;
    let client = Client::new(&sdk);
    // An environment per test, so tests sharing the server never see each other's resources.
    let environment = format!("e{}", LocalAws::unique_name("t").replace('-', ""));
    let env = environment.as_str();
    let n = |what: &str| format!("{env}-{what}");
    run(&client, env, &n("served")).await;
    run(&client, env, &n("production")).await;
    run(&client, env, &n("rollback")).await;
    run(&client, env, &n("older-superseded")).await;
    run(&client, env, &n("orphan-1")).await;
    run(&client, env, &n("orphan-2")).await;
    run(&client, "otherenv", &n("other-environment")).await;
    model(&client, &n("foreign"), tags(env, false)).await;
    config(&client, &n("foreign"), &n("foreign"), vec![]).await;
    client
        .create_endpoint()
        .endpoint_name(n("endpoint"))
        .endpoint_config_name(n("served"))
        .send()
        .await
        .unwrap();
    let group = n("demand-forecast");
    client
        .create_model_package_group()
        .model_package_group_name(&group)
        .send()
        .await
        .unwrap();
    version(
        &client,
        &group,
        &n("older-superseded"),
        &[
            ("deployment:status", "superseded"),
            ("deployment:superseded_at", "2026-10-01T06:00:00Z"),
        ],
    )
    .await;
    version(
        &client,
        &group,
        &n("rollback"),
        &[
            ("deployment:status", "superseded"),
            ("deployment:superseded_at", "2026-11-01T06:00:00Z"),
        ],
    )
    .await;
    version(
        &client,
        &group,
        &n("production"),
        &[
            ("deployment:status", "serving"),
            ("deployment:endpoint_config", &n("production")),
        ],
    )
    .await;
    version(
        &client,
        &group,
        &n("rejected"),
        &[("deployment:status", "rolled-back")],
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let boundary = Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    run(&client, env, &n("young")).await;
    World {
        client,
        environment,
        boundary,
    }
}

impl World {
    /// Deps whose clock stands `retention_days` after the boundary, so that everything created
    /// before it is old and everything after it young.
    fn deps(&self, retention_days: i64) -> Deps {
        Deps {
            sagemaker: self.client.clone(),
            environment: self.environment.clone(),
            clock: Arc::new(ManualClock::new(
                self.boundary + chrono::Duration::days(retention_days),
            )),
        }
    }

    fn name(&self, what: &str) -> String {
        format!("{}-{what}", self.environment)
    }

    async fn existing(&self) -> BTreeSet<String> {
        let models = self.client.list_models().send().await.unwrap();
        let configs = self.client.list_endpoint_configs().send().await.unwrap();
        let prefix = format!("{}-", self.environment);
        models
            .models()
            .iter()
            .filter_map(|m| m.model_name())
            .map(|m| format!("model {m}"))
            .chain(
                configs
                    .endpoint_configs()
                    .iter()
                    .filter_map(|c| c.endpoint_config_name())
                    .map(|c| format!("endpoint-config {c}")),
            )
            .filter(|n| n.contains(&prefix))
            .collect()
    }
}

fn reasons(output: &CleanupOutput) -> BTreeMap<String, String> {
    output
        .kept
        .iter()
        .map(|k| {
            let kind = serde_json::to_value(k.kind).unwrap();
            let reason = serde_json::to_value(&k.reason).unwrap();
            (
                format!("{} {}", kind.as_str().unwrap(), k.name),
                reason["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn names(items: &[sagemaker_cleanup::plan::Doomed]) -> BTreeSet<String> {
    items
        .iter()
        .map(|d| {
            let kind = serde_json::to_value(d.kind).unwrap();
            format!("{} {}", kind.as_str().unwrap(), d.name)
        })
        .collect()
}

#[tokio::test]
async fn only_old_orphans_go_and_everything_else_stays_with_its_reason() {
    let world = prepare().await;
    let before = world.existing().await;
    let output = handle(&world.deps(30), json!({})).await.unwrap();
    let both = |what: &str| {
        [
            format!("model {}", world.name(what)),
            format!("endpoint-config {}", world.name(what)),
        ]
    };
    let expected: BTreeSet<String> = ["orphan-1", "orphan-2", "older-superseded"]
        .iter()
        .flat_map(|w| both(w))
        .collect();
    assert_eq!(names(&output.to_delete), expected);
    assert_eq!(names(&output.deleted), expected);
    assert_eq!(
        world.existing().await,
        before.difference(&expected).cloned().collect(),
        "exactly the selected resources are gone"
    );
    let reasons = reasons(&output);
    for (what, reason) in [
        ("served", "in-use"),
        ("production", "production"),
        ("rollback", "rollback-target"),
        ("young", "young"),
        ("other-environment", "not-project"),
    ] {
        for key in both(what) {
            assert_eq!(reasons.get(&key).map(String::as_str), Some(reason), "{key}");
        }
    }
    assert_eq!(
        reasons
            .get(&format!("model {}", world.name("foreign")))
            .map(String::as_str),
        Some("not-project")
    );
}

#[tokio::test]
async fn a_dry_run_lists_the_same_orphans_and_deletes_nothing() {
    let world = prepare().await;
    let before = world.existing().await;
    let output = handle(&world.deps(30), json!({"dry_run": true}))
        .await
        .unwrap();
    assert!(output.dry_run);
    assert_eq!(output.to_delete.len(), 6, "{:?}", output.to_delete);
    assert!(output.deleted.is_empty());
    assert_eq!(world.existing().await, before);
}

#[tokio::test]
async fn a_longer_retention_keeps_the_old_orphans_as_young() {
    let world = prepare().await;
    // The clock stands 30 days after the boundary; with 31 days of retention nothing is old.
    let mut deps = world.deps(30);
    deps.clock = Arc::new(ManualClock::new(
        world.boundary + chrono::Duration::days(30),
    ));
    let output = handle(&deps, json!({"retention_days": 31})).await.unwrap();
    assert!(output.to_delete.is_empty(), "{:?}", output.to_delete);
    assert_eq!(
        reasons(&output)
            .get(&format!("model {}", world.name("orphan-1")))
            .map(String::as_str),
        Some("young")
    );
}

#[tokio::test]
async fn bad_input_is_a_typed_error() {
    let world = World {
        client: Client::new(&LocalAws::shared().sdk_config().await),
        environment: "unused".into(),
        boundary: Utc::now(),
    };
    for input in [json!({"retention": 3}), json!({"retention_days": 0})] {
        let error = handle(&world.deps(0), input).await.unwrap_err();
        assert_eq!(shared::ErrorType::error_type(&error), "InvalidInput");
    }
}
