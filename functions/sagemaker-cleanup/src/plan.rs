//! The decision, as pure code: which of the listed models and endpoint configurations stay (and
//! why) and which go. The rules, in order (the first that applies wins):
//!
//! 1. not the project's (missing the [`PROJECT_TAG`] or the environment's tag) → kept;
//! 2. used by an endpoint (its current or pending endpoint configuration) → kept;
//! 3. the registry's serving version or rollback target → kept;
//! 4. created less than `retention_days` ago → kept;
//! 5. a model named by an endpoint configuration that stays → kept;
//! 6. else deleted.

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// The tag every SageMaker resource the pipelines create carries: `project = ml-pipelines`
/// (set by the `Tags` of ml-retraining's `createModel` and `createEndpointConfig` states, and the
/// `aws:ResourceTag/project` condition of the function's IAM policy).
pub const PROJECT_TAG: (&str, &str) = ("project", "ml-pipelines");
/// The tag naming the stack's environment (`EnvironmentName`).
pub const ENVIRONMENT_TAG: &str = "environment";

/// A SageMaker resource type the clean-up handles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A model (`CreateModel`).
    Model,
    /// An endpoint configuration (`CreateEndpointConfig`).
    EndpointConfig,
}

/// One listed resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// Model or endpoint configuration.
    pub kind: Kind,
    /// Its name.
    pub name: String,
    /// When SageMaker created it.
    pub created_at: DateTime<Utc>,
    /// Its tags.
    pub tags: BTreeMap<String, String>,
    /// For an endpoint configuration: the models its production and shadow variants name.
    pub models: Vec<String>,
}

/// Why a resource stays.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum Reason {
    /// It lacks the project's or the environment's tag.
    NotProject,
    /// An endpoint uses it.
    InUse {
        /// The endpoint.
        endpoint: String,
    },
    /// The registry's serving version was created from it.
    Production {
        /// The model package version.
        model_package_arn: String,
    },
    /// The registry's rollback target (the newest superseded version) was created from it.
    RollbackTarget {
        /// The model package version.
        model_package_arn: String,
    },
    /// Younger than the retention period.
    Young {
        /// Its age in whole days.
        age_days: i64,
    },
    /// A kept endpoint configuration names this model.
    UsedByKeptConfig {
        /// The endpoint configuration.
        endpoint_config: String,
    },
}

/// What protects resources, read from endpoints and the registry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Protection {
    /// (kind, name) → the endpoint using it.
    pub in_use: BTreeMap<(Kind, String), String>,
    /// Resource name → the registry's reason ([`Reason::Production`] or
    /// [`Reason::RollbackTarget`]); the pipeline names a run's model and endpoint
    /// configuration alike (the run id), so one name covers both kinds.
    pub registry: BTreeMap<String, Reason>,
}

/// A resource that stays, with the reason.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Kept {
    /// Model or endpoint configuration.
    pub kind: Kind,
    /// Its name.
    pub name: String,
    /// Why it stays.
    #[serde(flatten)]
    pub reason: Reason,
}

/// A resource that goes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Doomed {
    /// Model or endpoint configuration.
    pub kind: Kind,
    /// Its name.
    pub name: String,
    /// When it was created (RFC 3339).
    pub created_at: String,
}

/// The decision over every listed resource.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Plan {
    /// What stays.
    pub kept: Vec<Kept>,
    /// What goes: endpoint configurations first, then models (a configuration names models).
    pub to_delete: Vec<Doomed>,
}

/// Whether `resource` carries the project's tag and `environment`'s.
pub fn is_project(resource: &Resource, environment: &str) -> bool {
    resource.tags.get(PROJECT_TAG.0).map(String::as_str) == Some(PROJECT_TAG.1)
        && resource.tags.get(ENVIRONMENT_TAG).map(String::as_str) == Some(environment)
}

fn first_rule(
    resource: &Resource,
    protection: &Protection,
    environment: &str,
    cutoff: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<Reason> {
    if !is_project(resource, environment) {
        return Some(Reason::NotProject);
    }
    if let Some(endpoint) = protection
        .in_use
        .get(&(resource.kind, resource.name.clone()))
    {
        return Some(Reason::InUse {
            endpoint: endpoint.clone(),
        });
    }
    if let Some(reason) = protection.registry.get(&resource.name) {
        return Some(reason.clone());
    }
    (resource.created_at > cutoff).then(|| Reason::Young {
        age_days: (now - resource.created_at).num_days(),
    })
}

/// Sorts `resources` into kept and to-delete by the rules above; `cutoff` is `now` minus the
/// retention period.
pub fn plan(
    resources: &[Resource],
    protection: &Protection,
    environment: &str,
    cutoff: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Plan {
    let mut out = Plan::default();
    let mut named_by_kept: BTreeMap<&str, &str> = BTreeMap::new();
    let mut doomed_models: Vec<&Resource> = Vec::new();
    let mut sorted: Vec<&Resource> = resources.iter().collect();
    sorted.sort_by(|a, b| (b.kind, &a.name).cmp(&(a.kind, &b.name)));
    for resource in sorted {
        let reason = first_rule(resource, protection, environment, cutoff, now);
        match (resource.kind, reason) {
            (kind, Some(reason)) => {
                if kind == Kind::EndpointConfig {
                    for model in &resource.models {
                        named_by_kept.entry(model).or_insert(&resource.name);
                    }
                }
                out.kept.push(Kept {
                    kind,
                    name: resource.name.clone(),
                    reason,
                });
            }
            (Kind::Model, None) => doomed_models.push(resource),
            (Kind::EndpointConfig, None) => out.to_delete.push(doomed(resource)),
        }
    }
    for model in doomed_models {
        match named_by_kept.get(model.name.as_str()) {
            Some(config) => out.kept.push(Kept {
                kind: Kind::Model,
                name: model.name.clone(),
                reason: Reason::UsedByKeptConfig {
                    endpoint_config: config.to_string(),
                },
            }),
            None => out.to_delete.push(doomed(model)),
        }
    }
    out
}

fn doomed(resource: &Resource) -> Doomed {
    Doomed {
        kind: resource.kind,
        name: resource.name.clone(),
        created_at: resource
            .created_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, 12, 0, 0).unwrap()
    }

    fn ours(kind: Kind, name: &str, day: u32, models: &[&str]) -> Resource {
        Resource {
            kind,
            name: name.into(),
            created_at: at(day),
            tags: BTreeMap::from([
                ("project".to_string(), "ml-pipelines".to_string()),
                ("environment".to_string(), "prod".to_string()),
            ]),
            models: models.iter().map(|m| m.to_string()).collect(),
        }
    }

    #[test]
    fn only_old_unprotected_project_resources_are_deleted() {
        let mut foreign = ours(Kind::Model, "theirs", 1, &[]);
        foreign.tags.remove("project");
        let mut other_env = ours(Kind::Model, "dev-run", 1, &[]);
        other_env.tags.insert("environment".into(), "dev".into());
        let resources = vec![
            foreign,
            other_env,
            ours(Kind::Model, "old", 1, &[]),
            ours(Kind::EndpointConfig, "old", 1, &["old"]),
            ours(Kind::Model, "young", 29, &[]),
            ours(Kind::Model, "served", 1, &[]),
            ours(Kind::EndpointConfig, "young-config", 29, &["old-but-named"]),
            ours(Kind::Model, "old-but-named", 1, &[]),
        ];
        let protection = Protection {
            in_use: BTreeMap::from([((Kind::Model, "served".to_string()), "ep".to_string())]),
            registry: BTreeMap::new(),
        };
        let plan = plan(&resources, &protection, "prod", at(15), at(30));
        let deleted: Vec<(Kind, &str)> = plan
            .to_delete
            .iter()
            .map(|d| (d.kind, d.name.as_str()))
            .collect();
        assert_eq!(
            deleted,
            [(Kind::EndpointConfig, "old"), (Kind::Model, "old")],
            "configurations go before the models they name"
        );
        let reason = |name: &str| {
            plan.kept
                .iter()
                .find(|k| k.name == name)
                .map(|k| k.reason.clone())
        };
        assert_eq!(reason("theirs"), Some(Reason::NotProject));
        assert_eq!(reason("dev-run"), Some(Reason::NotProject));
        assert_eq!(reason("young"), Some(Reason::Young { age_days: 1 }));
        assert_eq!(
            reason("served"),
            Some(Reason::InUse {
                endpoint: "ep".into()
            })
        );
        assert_eq!(
            reason("old-but-named"),
            Some(Reason::UsedByKeptConfig {
                endpoint_config: "young-config".into()
            })
        );
    }

    #[test]
    fn the_registry_protects_a_run_by_name_over_its_age() {
        let resources = vec![ours(Kind::Model, "run-7", 1, &[])];
        let rollback = Reason::RollbackTarget {
            model_package_arn: "arn:pkg/7".into(),
        };
        let protection = Protection {
            in_use: BTreeMap::new(),
            registry: BTreeMap::from([("run-7".to_string(), rollback.clone())]),
        };
        let plan = plan(&resources, &protection, "prod", at(15), at(30));
        assert!(plan.to_delete.is_empty());
        assert_eq!(plan.kept[0].reason, rollback);
    }

    fn sagemaker_creations(value: &serde_json::Value, out: &mut Vec<serde_json::Value>) {
        match value {
            serde_json::Value::Object(map) => {
                let resource = map.get("Resource").and_then(|r| r.as_str()).unwrap_or("");
                if resource.contains("sagemaker:createModel")
                    || resource.contains("sagemaker:createEndpointConfig")
                {
                    out.push(value.clone());
                }
                map.values().for_each(|v| sagemaker_creations(v, out));
            }
            serde_json::Value::Array(items) => {
                items.iter().for_each(|v| sagemaker_creations(v, out))
            }
            _ => {}
        }
    }

    #[test]
    fn every_model_and_endpoint_configuration_the_state_machines_create_carries_both_tags() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../state-machines");
        let mut states = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            sagemaker_creations(&serde_json::from_str(&text).unwrap(), &mut states);
        }
        assert!(
            states.len() >= 2,
            "ml-retraining creates a model and an endpoint configuration"
        );
        for state in states {
            let tags = state["Parameters"]["Tags"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let has = |key: &str, value: Option<&str>| {
                tags.iter()
                    .any(|t| t["Key"] == key && value.is_none_or(|v| t["Value"] == v))
            };
            assert!(has(PROJECT_TAG.0, Some(PROJECT_TAG.1)), "{state}");
            assert!(has(ENVIRONMENT_TAG, Some("${EnvironmentName}")), "{state}");
        }
    }
}
