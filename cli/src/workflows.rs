//! The template's workflows as `schedule` and `cost` see them: every state machine and
//! function, the schedules that start them, the data they touch, and what the template's
//! metadata states about them.
//!
//! Metadata (optional) lives under `Resources.<Id>.Metadata.Pipelines`:
//! - `RunMinutes`: how long one run lasts (the week view's overlap windows);
//! - `EventsPerMonth`: expected runs per month from events (triggered workflows);
//! - `DurationMs`: billed duration of one invocation (functions) or execution (Express);
//! - `MemoryMB`: memory one Express execution uses (billed in 64 MB steps; default 64).

use crate::scheduler::{Schedule, ScheduleError};
use crate::template::{ScheduleResource, Template, TemplateError};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// What a workflow is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A Standard state machine.
    Standard,
    /// An Express state machine.
    Express,
    /// A Lambda function.
    Function,
}

/// A state machine or function of the template.
#[derive(Debug, Clone)]
pub struct Workflow {
    /// Logical id.
    pub logical_id: String,
    /// Short name: the definition's stem for state machines, the binary for functions.
    pub name: String,
    /// Standard, Express or function.
    pub kind: Kind,
    /// Data resources and data-naming parameters its properties reference.
    pub data: BTreeSet<String>,
}

/// A schedule with its parsed form and the workflow it starts.
#[derive(Debug, Clone)]
pub struct ScheduledRun {
    /// The template's schedule.
    pub resource: ScheduleResource,
    /// The schedule by Scheduler's rules, or the rule it breaks.
    pub schedule: Result<Schedule, ScheduleError>,
    /// The target's ARN, resolved locally.
    pub target_arn: String,
    /// The logical id of the workflow it starts, when the target is one.
    pub workflow: Option<String>,
}

impl ScheduledRun {
    /// Whether it fires at all (`State: ENABLED` and valid).
    pub fn enabled(&self) -> Option<&Schedule> {
        self.schedule
            .as_ref()
            .ok()
            .filter(|_| self.resource.state == "ENABLED")
    }
}

/// A value of `Resources.<id>.Metadata.Pipelines`.
pub fn metadata<'t>(template: &'t Template, logical_id: &str, key: &str) -> Option<&'t Value> {
    template
        .resource(logical_id)?
        .pointer(&format!("/Metadata/Pipelines/{key}"))
}

/// A number of `Resources.<id>.Metadata.Pipelines`.
pub fn metadata_number(template: &Template, logical_id: &str, key: &str) -> Option<f64> {
    let value = metadata(template, logical_id, key)?;
    value.as_f64().or_else(|| {
        template
            .resolve_text(
                value,
                &format!("Resources.{logical_id}.Metadata.Pipelines.{key}"),
            )
            .ok()?
            .parse()
            .ok()
    })
}

/// Resource types that hold data: two workflows touching the same one can collide.
const DATA_TYPES: [&str; 8] = [
    "AWS::S3::Bucket",
    "AWS::DynamoDB::",
    "AWS::Glue::",
    "AWS::Athena::",
    "AWS::SageMaker::",
    "AWS::Redshift",
    "AWS::RDS::",
    "AWS::EFS::",
];
/// Parameters whose names say they name data.
const DATA_PARAMETER_WORDS: [&str; 4] = ["Bucket", "Table", "Endpoint", "Database"];

/// Every state machine and function.
pub fn workflows(template: &Template) -> Vec<Workflow> {
    let mut out = Vec::new();
    for machine in template.state_machines() {
        let express = template
            .resource(&machine.logical_id)
            .and_then(|r| r.pointer("/Properties/Type"))
            .map(|t| {
                template
                    .resolve_text(t, &machine.logical_id)
                    .unwrap_or_default()
            })
            .is_some_and(|t| t.eq_ignore_ascii_case("EXPRESS"));
        out.push(Workflow {
            data: data_references(template, &machine.logical_id),
            logical_id: machine.logical_id,
            name: machine.name,
            kind: if express {
                Kind::Express
            } else {
                Kind::Standard
            },
        });
    }
    for function in template.functions() {
        out.push(Workflow {
            data: data_references(template, &function.logical_id),
            name: function
                .binary
                .clone()
                .unwrap_or_else(|| function.logical_id.clone()),
            logical_id: function.logical_id,
            kind: Kind::Function,
        });
    }
    out
}

/// Every schedule, with the workflow it starts.
pub fn scheduled_runs(template: &Template) -> Result<Vec<ScheduledRun>, TemplateError> {
    let candidates = workflows(template);
    let mut out = Vec::new();
    for resource in template.schedules()? {
        let arn_value = resource.target.get("Arn").cloned().unwrap_or(Value::Null);
        let target_arn = template
            .resolve_text(
                &arn_value,
                &format!("Resources.{}.Properties.Target.Arn", resource.logical_id),
            )
            .unwrap_or_default();
        let workflow = referenced_id(&arn_value)
            .filter(|id| candidates.iter().any(|w| w.logical_id == *id))
            .or_else(|| {
                candidates
                    .iter()
                    .find(|w| arn_of(template, &w.logical_id).contains(&target_arn))
                    .map(|w| w.logical_id.clone())
            });
        let schedule = Schedule::new(
            &resource.expression,
            &resource.timezone,
            resource.start_date.as_deref(),
            resource.end_date.as_deref(),
        );
        out.push(ScheduledRun {
            resource,
            schedule,
            target_arn,
            workflow,
        });
    }
    Ok(out)
}

/// `Ref X` or `GetAtt X.Attr` names X.
pub fn referenced_id(value: &Value) -> Option<String> {
    value
        .get("Ref")
        .and_then(Value::as_str)
        .or_else(|| value.get("Fn::GetAtt")?.get(0)?.as_str())
        .map(str::to_string)
}

/// The ARNs a resource has locally (`Ref` for state machines, `GetAtt Arn` for functions).
pub fn arn_of(template: &Template, logical_id: &str) -> Vec<String> {
    [
        json!({"Ref": logical_id}),
        json!({"Fn::GetAtt": [logical_id, "Arn"]}),
    ]
    .iter()
    .filter_map(|v| template.resolve_text(v, logical_id).ok())
    .collect()
}

/// Data resources and data-naming parameters referenced in a resource's `Properties`.
fn data_references(template: &Template, logical_id: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    if let Some(props) = template
        .resource(logical_id)
        .and_then(|r| r.get("Properties"))
    {
        collect_names(props, &mut names);
    }
    names
        .into_iter()
        .filter(|name| match template.resource_type(name) {
            Some(kind) => DATA_TYPES.iter().any(|t| kind.starts_with(t)),
            None => {
                template.parameters.contains_key(name)
                    && DATA_PARAMETER_WORDS.iter().any(|w| name.contains(w))
            }
        })
        .collect()
}

fn collect_names(value: &Value, names: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(id) = referenced_id(value) {
                names.insert(id);
            }
            if let Some(sub) = map.get("Fn::Sub") {
                let text = sub
                    .as_str()
                    .or_else(|| sub.get(0)?.as_str())
                    .unwrap_or_default();
                let mut rest = text;
                while let Some(start) = rest.find("${") {
                    let after = &rest[start + 2..];
                    let Some(end) = after.find('}') else { break };
                    let name = after[..end].split('.').next().unwrap_or_default();
                    names.insert(name.to_string());
                    rest = &after[end + 1..];
                }
            }
            map.values().for_each(|v| collect_names(v, names));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_names(v, names)),
        _ => {}
    }
}
