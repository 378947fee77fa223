//! `pipelines validate` passes on the project and fails, naming file, state and field, on copies
//! with one defect each.

mod support;

use support::{pipelines, root, scratch_project, text};

fn validate_copy(edit: impl Fn(&str, String) -> String) -> (Option<i32>, String) {
    let dir = scratch_project(edit);
    let output = pipelines(dir.path(), &["validate"]);
    (output.status.code(), text(&output))
}

fn in_asl(edit: impl Fn(String) -> String) -> impl Fn(&str, String) -> String {
    move |file, text| {
        if file == "state-machines/ml-retraining.asl.json" {
            edit(text)
        } else {
            text
        }
    }
}

fn in_template(edit: impl Fn(String) -> String) -> impl Fn(&str, String) -> String {
    move |file, text| {
        if file == "sam-template.yaml" {
            edit(text)
        } else {
            text
        }
    }
}

fn replace_once(text: String, from: &str, to: &str) -> String {
    assert!(
        text.contains(from),
        "the fixture no longer contains {from:?}"
    );
    text.replacen(from, to, 1)
}

#[test]
fn the_project_validates_cleanly() {
    let output = pipelines(&root(), &["validate"]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(text(&output).contains("0 error(s)"));
}

#[test]
fn a_next_to_a_missing_state_is_reported_with_its_state() {
    let (code, out) = validate_copy(in_asl(|t| {
        replace_once(
            t,
            "\"Next\": \"TrainCandidateModel\"",
            "\"Next\": \"TrainModel\"",
        )
    }));
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("state-machines/ml-retraining.asl.json") && out.contains("TrainModel"),
        "{out}"
    );
}

#[test]
fn an_unsupplied_substitution_is_reported() {
    let (code, out) = validate_copy(in_asl(|t| {
        replace_once(t, "${CriticalTopicArn}", "${PagerTopicArn}")
    }));
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("${PagerTopicArn}: used by the definition but not supplied"),
        "{out}"
    );
}

#[test]
fn a_field_missing_from_the_lambda_output_type_is_reported() {
    let (code, out) = validate_copy(in_asl(|t| {
        replace_once(
            t,
            "$.evaluation.Payload.gate.passed",
            "$.evaluation.Payload.gate.pased",
        )
    }));
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("$.evaluation.Payload.gate.pased: .gate has no field \"pased\""),
        "{out}"
    );
    assert!(out.contains("evaluate-model-metrics"), "{out}");
}

#[test]
fn a_lambda_output_field_of_the_wrong_type_is_reported() {
    // Both rules on the gate's verdict now read a string; BooleanEquals must object.
    let (code, out) = validate_copy(in_asl(|t| {
        assert!(t.contains("$.evaluation.Payload.gate.passed"));
        t.replace(
            "$.evaluation.Payload.gate.passed",
            "$.evaluation.Payload.model_uri",
        )
    }));
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("$.evaluation.Payload.model_uri is string"),
        "{out}"
    );
    assert!(out.contains("state CheckQualityGate"), "{out}");
}

#[test]
fn a_function_that_is_not_in_the_template_is_reported() {
    let (code, out) = validate_copy(in_asl(|t| {
        replace_once(
            t,
            "${EvaluateModelMetricsFunctionArn}",
            "arn:aws:lambda:us-east-1:123456789012:function:ghost",
        )
    }));
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("state EvaluateCandidateModel: Parameters.FunctionName: arn:aws:lambda:us-east-1:123456789012:function:ghost is not a function of the template"), "{out}");
}

#[test]
fn a_function_binary_that_is_not_a_workspace_crate_is_reported() {
    let (code, out) = validate_copy(in_template(|t| {
        replace_once(
            t,
            "Binary: evaluate-model-metrics",
            "Binary: evaluate-model-metricz",
        )
    }));
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("evaluate-model-metricz is not a crate of this workspace"),
        "{out}"
    );
}

#[test]
fn a_malformed_schedule_expression_is_reported() {
    let (code, out) = validate_copy(in_template(|t| {
        replace_once(t, "cron(0 2 ? * SUN *)", "cron(0 2 * *)")
    }));
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains(
            "WeeklyRetrainingSchedule.Properties.ScheduleExpression: cron(0 2 * *): 4 field(s) given. Cron expressions have six required fields"
        ),
        "{out}"
    );
}

#[test]
fn schedules_follow_eventbridge_schedulers_dialect_not_the_cron_librarys() {
    // AWS's own "every 15 minutes" example validates...
    let (code, out) = validate_copy(in_template(|t| {
        replace_once(t, "cron(5 * * * ? *)", "cron(0/15 * * * ? *)")
    }));
    assert_eq!(code, Some(0), "{out}");
    // ...and two '#' expressions, which AWS refuses, do not.
    let (code, out) = validate_copy(in_template(|t| {
        replace_once(t, "cron(0 2 ? * SUN *)", "cron(0 9 ? * 2#1,4 *)")
    }));
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("If you use a '#' character, you can define only one expression in the day-of-week field"),
        "{out}"
    );
}

#[test]
fn a_schedule_whose_local_time_meets_a_dst_change_is_warned_about_with_its_dates() {
    // The hourly check at minute 5, read in Berlin: 02:05 is skipped in March, repeated in October.
    let (code, out) = validate_copy(in_template(|t| {
        replace_once(
            t,
            "ScheduleExpression: cron(5 * * * ? *)\n      ScheduleExpressionTimezone: UTC",
            "ScheduleExpression: cron(5 * * * ? *)\n      ScheduleExpressionTimezone: Europe/Berlin",
        )
    }));
    assert_eq!(code, Some(0), "warnings do not fail validation: {out}");
    assert!(
        out.contains("warning: sam-template.yaml: Resources.DataQualityHourlySchedule.Properties.ScheduleExpression: 02:05 local does not exist on 20"),
        "{out}"
    );
    assert!(out.contains("02:05 local happens twice on 20"), "{out}");
}

#[test]
fn an_unknown_time_zone_is_reported() {
    let (code, out) = validate_copy(in_template(|t| {
        replace_once(
            t,
            "ScheduleExpression: cron(0 2 ? * SUN *)\n      ScheduleExpressionTimezone: UTC",
            "ScheduleExpression: cron(0 2 ? * SUN *)\n      ScheduleExpressionTimezone: Mars/Olympus_Mons",
        )
    }));
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("unknown time zone \"Mars/Olympus_Mons\""),
        "{out}"
    );
}

#[test]
fn a_schedule_target_that_does_not_exist_is_reported() {
    let (code, out) = validate_copy(in_template(|t| {
        replace_once(
            t,
            "Arn: !Ref MlRetrainingStateMachine",
            "Arn: !Ref RetrainingMachine",
        )
    }));
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("Target.Arn: the target RetrainingMachine is not a resource of the template"),
        "{out}"
    );
}

fn in_catalogue(edit: impl Fn(String) -> String) -> impl Fn(&str, String) -> String {
    move |file, text| {
        if file == "config/models.yaml" {
            edit(text)
        } else {
            text
        }
    }
}

#[test]
fn a_gate_on_a_metric_the_task_does_not_produce_is_refused() {
    let (code, out) = validate_copy(in_catalogue(|t| {
        replace_once(t, "metric: average_precision", "metric: mape")
    }));
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("config/models.yaml: models.anomaly-detection.evaluation")
            && out.contains("mape"),
        "{out}"
    );
}

#[test]
fn a_catalogue_model_without_schedule_or_package_group_gets_the_yaml_to_paste() {
    let (code, out) = validate_copy(in_catalogue(|t| {
        let entry = t
            .split("\n  anomaly-detection:\n")
            .nth(1)
            .expect("the catalogue has anomaly-detection")
            .to_string();
        format!(
            "{t}\n  fraud-detection:\n{}",
            entry.replace("sensor_hourly", "payments")
        )
    }));
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("models.fraud-detection.schedule: no retraining schedule"),
        "{out}"
    );
    assert!(out.contains("FraudDetectionRetrainingSchedule:"), "{out}");
    assert!(out.contains("FraudDetectionModelPackageGroup:"), "{out}");
}

#[test]
fn a_schedule_off_the_catalogues_slot_or_for_an_unknown_model_is_reported() {
    let (code, out) = validate_copy(in_template(|t| {
        let t = replace_once(t, "cron(0 2 ? * TUE *)", "cron(0 3 ? * TUE *)");
        replace_once(
            t,
            "{\"model_name\": \"damage-detection\"",
            "{\"model_name\": \"damage-detector\"",
        )
    }));
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains(
            "models.anomaly-detection.schedule: the catalogue's slot is cron(0 2 ? * TUE *)"
        ),
        "{out}"
    );
    assert!(
        out.contains("model_name \"damage-detector\" is not in config/models.yaml"),
        "{out}"
    );
}

#[test]
fn a_callback_state_catching_an_error_the_approval_function_never_sends_is_reported() {
    let (code, out) = validate_copy(in_asl(|t| {
        replace_once(t, "\"ModelPackageRejected\"", "\"ModelRejected\"")
    }));
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("state WaitForApproval: Catch[0].ErrorEquals: ModelRejected is not an error model-approval sends (it sends: ModelPackageRejected)"),
        "{out}"
    );
}

#[test]
fn a_read_of_a_field_the_approval_decision_lacks_is_reported() {
    let (code, out) = validate_copy(in_asl(|t| {
        replace_once(
            t,
            "\"Message.$\": \"States.Format('{} Production keeps serving.",
            "\"Approver.$\": \"$.approval.approver\", \"Message.$\": \"States.Format('{} Production keeps serving.",
        )
    }));
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("$.approval.approver"), "{out}");
    assert!(
        out.contains("in what model-approval sends to WaitForApproval"),
        "{out}"
    );
}

#[test]
fn a_drift_run_with_other_thresholds_than_the_catalogues_is_reported() {
    let (code, out) = validate_copy(in_template(|t| {
        replace_once(
            t,
            "drift/anomaly-detection/reports\",\n          \"thresholds\": {\"psi_warn\": 0.1, \"psi_act\": 0.25}",
            "drift/anomaly-detection/reports\",\n          \"thresholds\": {\"psi_warn\": 0.1, \"psi_act\": 0.5}",
        )
    }));
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("models.anomaly-detection.drift.psi_act: the catalogue says 0.25, but AnomalyDetectionDriftSchedule sends 0.5"),
        "{out}"
    );
}

/// `pipelines validate ARGS` on a copy whose ml-retraining mock configuration `edit` changed.
fn validate_mock_copy(edit: impl Fn(String) -> String, args: &[&str]) -> (Option<i32>, String) {
    let dir = scratch_project(|_, text| text);
    let mock = dir.path().join("events/ml-retraining/mock-config.json");
    let original = std::fs::read_to_string(&mock).unwrap();
    std::fs::write(&mock, edit(original)).unwrap();
    let mut all = vec!["validate"];
    all.extend_from_slice(args);
    let output = pipelines(dir.path(), &all);
    (output.status.code(), text(&output))
}

#[test]
fn every_mock_configuration_is_checked_in_strict_by_default() {
    let output = pipelines(&root(), &["validate"]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(
        text(&output).contains("5 mock configuration(s) (STRICT) checked: 0 error(s)"),
        "{}",
        text(&output)
    );
}

#[test]
fn a_mocked_result_with_an_invented_field_is_reported_with_case_state_path_and_shape() {
    let invent = |t: String| {
        replace_once(
            t,
            "\"JobRunState\": \"SUCCEEDED\",",
            "\"JobRunState\": \"SUCCEEDED\", \"RowsWritten\": 48213,",
        )
    };
    let (code, out) = validate_mock_copy(invent, &[]);
    assert_eq!(code, Some(1), "{out}");
    let line = out
        .lines()
        .find(|l| l.contains("RowsWritten"))
        .unwrap_or_else(|| panic!("no finding for RowsWritten:\n{out}"));
    for part in [
        "error: events/ml-retraining/mock-config.json: state PrepareTrainingData",
        "MockedResponses.GlueJobRunSucceeded.0.Return.RowsWritten",
        "HappyPath",
        "Field 'RowsWritten' is not in the schema",
        "shape glue GetJobRunResponse > JobRun of arn:aws:states:::glue:startJobRun.sync, STRICT",
    ] {
        assert!(line.contains(part), "{part:?} not in {line}");
    }
    // PRESENT lets unknown fields through; NONE checks nothing
    let (code, out) = validate_mock_copy(invent, &["--mock-validation", "PRESENT"]);
    assert_eq!(code, Some(0), "{out}");
    let wrong_type =
        |t: String| replace_once(t, "\"StartedOn\": 1795917605000,", "\"StartedOn\": true,");
    let (code, out) = validate_mock_copy(wrong_type, &["--mock-validation", "PRESENT"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("Return.StartedOn: test case"), "{out}");
    assert!(
        out.contains("Field 'StartedOn' must be a timestamp"),
        "{out}"
    );
    let (code, out) = validate_mock_copy(wrong_type, &["--mock-validation", "NONE"]);
    assert_eq!(code, Some(0), "{out}");
}

#[test]
fn a_mocked_error_the_service_cannot_raise_is_reported() {
    let (code, out) = validate_mock_copy(
        |t| {
            replace_once(
                t,
                "\"Error\": \"Glue.AWSGlueException\"",
                "\"Error\": \"Glue.JobExplodedException\"",
            )
        },
        &[],
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("MockedResponses.GlueThrottledTwiceThenSucceeded.1.Throw.Error")
            && out.contains("Glue.JobExplodedException is not an error glue models"),
        "{out}"
    );
}

#[test]
fn an_error_name_the_function_can_never_raise_is_reported() {
    // A typo in a Retry's ErrorEquals: the retrier would silently never match.
    let (code, out) = validate_copy(in_asl(|t| {
        replace_once(t, "\"RegistryUnavailable\"", "\"RegistryUnavailabel\"")
    }));
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("state LoadModelConfig: Retry[1].ErrorEquals: RegistryUnavailabel is not an error model-registry can raise"),
        "{out}"
    );
    assert!(
        out.contains("RegistryUnavailable"),
        "the message lists the real names: {out}"
    );
}

#[test]
fn a_misspelt_states_or_lambda_error_name_is_reported() {
    // `States.` is reserved: a name Step Functions does not define never matches, on any
    // state; a `Lambda.` name must be one Lambda raises, and the message lists those.
    let (code, out) = validate_copy(in_asl(|t| {
        let t = replace_once(t, "\"States.ALL\"", "\"States.Timout\"");
        replace_once(
            t,
            "\"Lambda.ServiceException\"",
            "\"Lambda.ServiceExeption\"",
        )
    }));
    assert_eq!(code, Some(1), "{out}");
    let states = out
        .lines()
        .find(|l| l.contains("ErrorEquals: States.Timout is not an error Step Functions defines"))
        .unwrap_or_else(|| panic!("the States.* typo is not reported: {out}"));
    assert!(states.contains("States.Timeout"), "{states}");
    let lambda = out
        .lines()
        .find(|l| l.contains("ErrorEquals: Lambda.ServiceExeption is not an error"))
        .unwrap_or_else(|| panic!("the Lambda.* typo is not reported: {out}"));
    assert!(lambda.contains("ServiceException"), "{lambda}");
}

#[test]
fn function_errors_no_catch_handles_are_warned_about() {
    // LoadModelConfig's only Catcher takes States.ALL; narrowed to one name, the registry's
    // other errors would fail the execution.
    let (code, out) = validate_copy(in_asl(|t| {
        replace_once(
            t,
            "\"States.ALL\"\n          ],\n          \"ResultPath\": \"$.error\",\n          \"Next\": \"ModelConfigUnavailable\"",
            "\"ModelNotInCatalogue\"\n          ],\n          \"ResultPath\": \"$.error\",\n          \"Next\": \"ModelConfigUnavailable\"",
        )
    }));
    let warning = out
        .lines()
        .find(|l| {
            l.contains(
                "state LoadModelConfig: Catch: no Catch handles these errors of model-registry:",
            )
        })
        .unwrap_or_else(|| panic!("no warning about uncaught errors: {out}"));
    assert!(warning.contains("RegistryUnavailable"), "{warning}");
    assert!(
        !warning.contains("ModelNotInCatalogue"),
        "the caught one is not listed: {warning}"
    );
    assert_eq!(code, Some(0), "a warning does not fail validate: {out}");
}

#[test]
fn a_choice_rule_that_assigns_is_type_checked_as_the_engine_reads_it() {
    // `Assign` written before the operator: a reader that took the first other key for the
    // operator saw none and checked nothing; the engine's model knows it is BooleanEquals.
    let (code, out) = validate_copy(in_asl(|t| {
        replace_once(
            t,
            "\"Variable\": \"$.features.Payload.fresh\",",
            "\"Variable\": \"$.features.Payload.reason\", \"Assign\": {\"checked\": true},",
        )
    }));
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("state AreFeaturesFresh: Choices[0].Variable: $.features.Payload.reason is string in the output of feature-freshness, but this field needs boolean"),
        "{out}"
    );
}
