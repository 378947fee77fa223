//! `pipelines validate`'s checks of the model catalogue (`config/models.yaml`): every entry is a
//! valid evaluate-model-metrics request for its task (so a gate naming a metric the task does
//! not produce is refused, by the function's own request type), and the template has, for every
//! model, a weekly retraining schedule at the catalogue's slot and a model package group; and
//! every retraining schedule names a catalogue model; and every model has one daily drift-monitor
//! run with the catalogue's PSI thresholds. A missing resource's finding carries the YAML to paste.

use crate::project::Project;
use crate::template::ScheduleResource;
use crate::validate::{Finding, Severity};
use serde_json::Value;

const FILE: &str = catalogue::PATH;

fn finding(field: String, message: String) -> Finding {
    Finding {
        severity: Severity::Error,
        file: FILE.into(),
        state: None,
        field,
        message,
    }
}

/// A schedule's target input as JSON (a literal or a `!Sub` text: its `${...}` sit inside
/// strings, so the JSON reads the same).
fn target_input(schedule: &ScheduleResource) -> Option<Value> {
    let input = schedule.target.get("Input")?;
    let text = input
        .as_str()
        .or_else(|| input.get("Fn::Sub").and_then(Value::as_str))?;
    serde_json::from_str(text).ok()
}

/// The logical id of a schedule's target.
fn target_id(schedule: &ScheduleResource) -> Option<String> {
    crate::workflows::referenced_id(schedule.target.get("Arn")?)
}

/// The model name a schedule's target input starts a retraining run for.
fn scheduled_model(schedule: &ScheduleResource) -> Option<String> {
    target_input(schedule)?
        .get("model_name")?
        .as_str()
        .map(str::to_string)
}

fn targets_retraining(project: &Project, schedule: &ScheduleResource) -> bool {
    let id = target_id(schedule);
    project
        .template
        .state_machines()
        .iter()
        .any(|m| m.name == "ml-retraining" && Some(&m.logical_id) == id.as_ref())
}

/// The monitor request a schedule sends to the drift-monitor function, when it does.
fn drift_request(project: &Project, schedule: &ScheduleResource) -> Option<Value> {
    let id = target_id(schedule)?;
    let function = project
        .template
        .functions()
        .into_iter()
        .find(|f| f.logical_id == id)?;
    if function.binary.as_deref() != Some("drift-monitor") {
        return None;
    }
    target_input(schedule)
        .filter(|json| json.get("mode").and_then(Value::as_str) == Some("monitor"))
}

/// Every catalogue model has one daily drift run with the catalogue's thresholds, and every
/// drift run is for a catalogue model.
fn check_drift(
    project: &Project,
    catalogue: &catalogue::Catalogue,
    schedules: &[ScheduleResource],
    findings: &mut Vec<Finding>,
) {
    let runs: Vec<(&ScheduleResource, Value)> = schedules
        .iter()
        .filter_map(|s| drift_request(project, s).map(|r| (s, r)))
        .collect();
    for (schedule, request) in &runs {
        let model = request
            .get("model_name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if catalogue.model(model).is_none() {
            findings.push(Finding {
                severity: Severity::Error,
                file: crate::project::TEMPLATE_FILE.into(),
                state: None,
                field: format!("Resources.{}.Properties.Target.Input", schedule.logical_id),
                message: format!("the drift run's model_name {model:?} is not in {FILE}"),
            });
        }
    }
    for (name, model) in &catalogue.models {
        let mine: Vec<&(&ScheduleResource, Value)> = runs
            .iter()
            .filter(|(_, r)| r.get("model_name").and_then(Value::as_str) == Some(name.as_str()))
            .collect();
        let [(schedule, request)] = mine.as_slice() else {
            findings.push(finding(
                format!("models.{name}.drift"),
                format!(
                    "{} drift-monitor schedules run for {name}; each model needs exactly one (mode monitor, its thresholds)",
                    mine.len()
                ),
            ));
            continue;
        };
        let threshold = |key: &str| {
            request
                .pointer(&format!("/thresholds/{key}"))
                .and_then(Value::as_f64)
        };
        for (key, want) in [
            ("psi_warn", model.drift.psi_warn),
            ("psi_act", model.drift.psi_act),
        ] {
            if threshold(key) != Some(want) {
                findings.push(finding(
                    format!("models.{name}.drift.{key}"),
                    format!(
                        "the catalogue says {want}, but {} sends {}",
                        schedule.logical_id,
                        threshold(key)
                            .map(|v| v.to_string())
                            .unwrap_or_else(|| "none".into())
                    ),
                ));
            }
        }
    }
}

/// A deployment section's guardrails, checked by the deployment-guard's own `Guardrails` type
/// (fields, types and ranges), so the catalogue cannot hand model-deployment a guardrail the
/// guard refuses at run time.
pub fn deployment_guardrails(deployment: &catalogue::Deployment) -> Result<(), String> {
    let guardrails: deployment_guard::decision::Guardrails =
        serde_json::from_value(Value::Object(deployment.guardrails.clone()))
            .map_err(|e| format!("not deployment-guard guardrails: {e}"))?;
    deployment_guard::decision::validate(&guardrails)
}

/// Every catalogue finding for `project` (none when the project has no catalogue and no
/// retraining schedule).
pub fn check(project: &Project, findings: &mut Vec<Finding>) {
    let catalogue = match catalogue::Catalogue::load(&project.root) {
        Ok(c) => c,
        Err(e) => {
            findings.push(finding("models".into(), e.to_string()));
            return;
        }
    };
    for (name, model) in &catalogue.models {
        if let Err(message) = model_registry::evaluation_request(name, model, None) {
            findings.push(finding(format!("models.{name}.evaluation"), message));
        }
        if let Err(message) = deployment_guardrails(&model.deployment) {
            findings.push(finding(
                format!("models.{name}.deployment.guardrails"),
                message,
            ));
        }
    }

    let schedules = match project.template.schedules() {
        Ok(s) => s,
        Err(_) => return, // check_schedules reports an unreadable schedule
    };
    check_drift(project, &catalogue, &schedules, findings);
    let retraining: Vec<&ScheduleResource> = schedules
        .iter()
        .filter(|s| targets_retraining(project, s))
        .collect();
    for schedule in &retraining {
        match scheduled_model(schedule) {
            Some(model) if catalogue.model(&model).is_none() => findings.push(Finding {
                severity: Severity::Error,
                file: crate::project::TEMPLATE_FILE.into(),
                state: None,
                field: format!("Resources.{}.Properties.Target.Input", schedule.logical_id),
                message: format!("model_name {model:?} is not in {FILE}"),
            }),
            Some(_) => {}
            None => findings.push(Finding {
                severity: Severity::Error,
                file: crate::project::TEMPLATE_FILE.into(),
                state: None,
                field: format!("Resources.{}.Properties.Target.Input", schedule.logical_id),
                message: "a retraining schedule's input must be JSON with a model_name".into(),
            }),
        }
    }
    let environment = project
        .template
        .parameters
        .get("EnvironmentName")
        .cloned()
        .unwrap_or_default();
    let groups: Vec<String> = project
        .template
        .resources()
        .filter(|(_, r)| {
            r.get("Type").and_then(Value::as_str) == Some("AWS::SageMaker::ModelPackageGroup")
        })
        .filter_map(|(id, r)| {
            let name = r.pointer("/Properties/ModelPackageGroupName")?;
            project
                .template
                .resolve_text(
                    name,
                    &format!("Resources.{id}.Properties.ModelPackageGroupName"),
                )
                .ok()
        })
        .collect();
    for (name, model) in &catalogue.models {
        let slot = &model.schedule;
        let scheduled: Vec<&&ScheduleResource> = retraining
            .iter()
            .filter(|s| scheduled_model(s).as_deref() == Some(name.as_str()))
            .collect();
        match scheduled.as_slice() {
            [] => findings.push(finding(
                format!("models.{name}.schedule"),
                format!(
                    "no retraining schedule in the template starts {name}; add to Resources:\n{}",
                    schedule_snippet(name, &slot.expression, &slot.timezone)
                ),
            )),
            [one] if one.expression != slot.expression || one.timezone != slot.timezone => findings
                .push(finding(
                    format!("models.{name}.schedule"),
                    format!(
                        "the catalogue's slot is {} in {}, but {} fires {} in {}",
                        slot.expression,
                        slot.timezone,
                        one.logical_id,
                        one.expression,
                        one.timezone
                    ),
                )),
            [_] => {}
            many => findings.push(finding(
                format!("models.{name}.schedule"),
                format!(
                    "{} schedules start {name} ({}): one weekly slot per model",
                    many.len(),
                    many.iter()
                        .map(|s| s.logical_id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        }
        let group = format!("{environment}-{name}");
        if !groups.contains(&group) {
            findings.push(finding(
                format!("models.{name}"),
                format!(
                    "no model package group {group} in the template; add to Resources:\n  {}ModelPackageGroup:\n    Type: AWS::SageMaker::ModelPackageGroup\n    DeletionPolicy: Retain\n    UpdateReplacePolicy: Retain\n    Properties:\n      ModelPackageGroupName: !Sub \"${{EnvironmentName}}-{name}\"",
                    pascal(name)
                ),
            ));
        }
    }
}

fn pascal(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

fn schedule_snippet(model: &str, expression: &str, timezone: &str) -> String {
    format!(
        "  {}RetrainingSchedule:\n    Type: AWS::Scheduler::Schedule\n    Properties:\n      ScheduleExpression: {expression}\n      ScheduleExpressionTimezone: {timezone}\n      FlexibleTimeWindow:\n        Mode: \"OFF\"\n      Target:\n        Arn: !Ref MlRetrainingStateMachine\n        RoleArn: !GetAtt SchedulerRole.Arn\n        Input: >-\n          {{\"model_name\": \"{model}\", \"trigger\": {{\"source\": \"schedule\",\n          \"schedule_arn\": \"<aws.scheduler.schedule-arn>\",\n          \"scheduled_time\": \"<aws.scheduler.scheduled-time>\"}}}}\n        RetryPolicy:\n          MaximumEventAgeInSeconds: 3600\n          MaximumRetryAttempts: 10\n        DeadLetterConfig:\n          Arn: !GetAtt ScheduleDeadLetterQueue.Arn",
        pascal(model)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guardrails_are_checked_by_the_guard_s_own_type() {
        let mut deployment = catalogue::Deployment::default();
        assert_eq!(deployment_guardrails(&deployment), Ok(()));
        deployment
            .guardrails
            .insert("max_p99_latency_ratio".into(), 0.5.into());
        let err = deployment_guardrails(&deployment).unwrap_err();
        assert!(err.contains("max_p99_latency_ratio"), "{err}");
        deployment
            .guardrails
            .insert("max_error_rate_increse".into(), 0.01.into());
        let err = deployment_guardrails(&deployment).unwrap_err();
        assert!(err.contains("max_error_rate_increse"), "{err}");
    }
}
