//! TestState requests for every state type and every `stateConfiguration` field, with the
//! responses AWS documents (test-state-isolation.html and the API reference's examples).

use super::*;
use serde_json::json;

/// Sends a request given as the API's JSON (documents inside are JSON values here and are
/// turned into text, as the API wants them).
fn call(req: Value) -> Result<TestStateResponse, TestStateError> {
    let mut req = req;
    for f in ["definition", "input", "variables", "context"] {
        if let Some(v) = req.get(f).filter(|v| !v.is_string()).cloned() {
            req[f] = Value::String(v.to_string());
        }
    }
    if let Some(v) = req
        .pointer("/mock/result")
        .filter(|v| !v.is_string())
        .cloned()
    {
        req["mock"]["result"] = Value::String(v.to_string());
    }
    let req: TestStateRequest = serde_json::from_value(req).expect("a well-formed test request");
    crate::block_on(test_state(&req, &ExecutionOptions::default()))
}

fn ok(req: Value) -> TestStateResponse {
    call(req).expect("TestState accepts the request")
}

fn data(r: &TestStateResponse, field: &str) -> Value {
    let d = r.inspection_data.as_ref().expect("inspectionData at DEBUG");
    match d.get(field) {
        Some(Value::String(s)) => {
            serde_json::from_str(s).expect("inspection documents are JSON text")
        }
        Some(other) => other.clone(),
        None => panic!("inspectionData has no {field}: {d:?}"),
    }
}

fn output(r: &TestStateResponse) -> Value {
    serde_json::from_str(r.output.as_deref().expect("an output")).expect("output is JSON text")
}

fn lambda_task(extra: Value) -> Value {
    let mut t = json!({
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "fn", "Payload.$": "$.payload"},
        "ResultSelector": {"body.$": "$.Payload"},
        "ResultPath": "$.result",
        "Next": "After"
    });
    if let (Value::Object(t), Value::Object(e)) = (&mut t, extra) {
        t.extend(e);
    }
    t
}

#[test]
fn a_pass_state_reports_each_data_flow_step_at_debug() {
    let r = ok(json!({
        "definition": {"Type": "Pass", "InputPath": "$.in", "Parameters": {"x.$": "$.a"},
                       "ResultPath": "$.out", "OutputPath": "$.out", "Next": "Done"},
        "input": {"in": {"a": 1}},
        "inspectionLevel": "DEBUG"
    }));
    assert_eq!(r.status, TestExecutionStatus::Succeeded);
    assert_eq!(r.next_state.as_deref(), Some("Done"));
    assert_eq!(output(&r), json!({"x": 1}));
    assert_eq!(data(&r, "input"), json!({"in": {"a": 1}}));
    assert_eq!(data(&r, "afterInputPath"), json!({"a": 1}));
    assert_eq!(data(&r, "afterParameters"), json!({"x": 1}));
    assert_eq!(
        data(&r, "afterResultPath"),
        json!({"in": {"a": 1}, "out": {"x": 1}})
    );
}

#[test]
fn info_level_answers_with_the_output_only() {
    let r = ok(json!({"definition": {"Type": "Pass", "End": true}, "input": {"a": 1}}));
    assert_eq!(r.inspection_data, None);
    assert_eq!(r.next_state, None);
    assert_eq!(output(&r), json!({"a": 1}));
}

#[test]
fn a_choice_state_names_the_branch_it_takes_or_fails_when_none_matches() {
    let def = json!({"Type": "Choice", "Choices": [
        {"Variable": "$.n", "NumericGreaterThan": 10, "Next": "Big"}], "Default": "Small"});
    let big = ok(json!({"definition": def, "input": {"n": 11}}));
    assert_eq!(big.next_state.as_deref(), Some("Big"));
    let small = ok(json!({"definition": def, "input": {"n": 1}}));
    assert_eq!(small.next_state.as_deref(), Some("Small"));
    let none = ok(json!({
        "definition": {"Type": "Choice", "Choices": [
            {"Variable": "$.n", "NumericGreaterThan": 10, "Next": "Big"}]},
        "input": {"n": 1}
    }));
    assert_eq!(none.status, TestExecutionStatus::Failed);
    assert_eq!(none.error.as_deref(), Some("States.NoChoiceMatched"));
}

#[test]
fn wait_succeed_and_fail_states_end_as_aws_reports_them() {
    let w = ok(
        json!({"definition": {"Type": "Wait", "Seconds": 3600, "Next": "Later"},
                      "input": {"k": 1}}),
    );
    assert_eq!(
        (w.status, w.next_state.as_deref()),
        (TestExecutionStatus::Succeeded, Some("Later"))
    );
    assert_eq!(output(&w), json!({"k": 1}));
    let s = ok(json!({"definition": {"Type": "Succeed", "OutputPath": "$.k"}, "input": {"k": 1}}));
    assert_eq!(
        (s.status, output(&s), s.next_state),
        (TestExecutionStatus::Succeeded, json!(1), None)
    );
    let f = ok(json!({"definition": {"Type": "Fail", "Error": "Bad", "Cause": "why"}}));
    assert_eq!(f.status, TestExecutionStatus::Failed);
    assert_eq!(
        (f.error.as_deref(), f.cause.as_deref()),
        (Some("Bad"), Some("why"))
    );
    assert_eq!(f.output, None);
}

#[test]
fn a_task_with_a_mocked_result_runs_result_selector_and_result_path() {
    let r = ok(json!({
        "definition": lambda_task(json!({})),
        "input": {"payload": {"p": 1}},
        "inspectionLevel": "DEBUG",
        "mock": {"result": {"StatusCode": 200, "Payload": {"ok": true}}}
    }));
    assert_eq!(r.status, TestExecutionStatus::Succeeded);
    assert_eq!(r.next_state.as_deref(), Some("After"));
    assert_eq!(
        data(&r, "afterParameters"),
        json!({"FunctionName": "fn", "Payload": {"p": 1}})
    );
    assert_eq!(
        data(&r, "result"),
        json!({"StatusCode": 200, "Payload": {"ok": true}})
    );
    assert_eq!(
        data(&r, "afterResultSelector"),
        json!({"body": {"ok": true}})
    );
    assert_eq!(
        data(&r, "afterResultPath"),
        json!({"payload": {"p": 1}, "result": {"body": {"ok": true}}})
    );
    assert_eq!(output(&r), data(&r, "afterResultPath"));
}

#[test]
fn a_mocked_error_is_retriable_until_the_retrier_is_spent_then_caught() {
    // AWS's documented example: IntervalSeconds 2, BackoffRate 1.5; on retry n the back-off
    // is 2 * 1.5^n seconds.
    let def = lambda_task(json!({
        "Retry": [
            {"ErrorEquals": ["Other"], "MaxAttempts": 5},
            {"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 2, "MaxAttempts": 3, "BackoffRate": 1.5}
        ],
        "Catch": [
            {"ErrorEquals": ["Other"], "Next": "Never"},
            {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Handle"}
        ]
    }));
    let mock = json!({"errorOutput": {"error": "States.Timeout", "cause": "slow"}});
    let first = ok(
        json!({"definition": def, "input": {"payload": 1}, "mock": mock,
                          "inspectionLevel": "DEBUG"}),
    );
    assert_eq!(first.status, TestExecutionStatus::Retriable);
    assert_eq!(first.error.as_deref(), Some("States.Timeout"));
    assert_eq!(first.next_state, None);
    assert_eq!(
        data(&first, "errorDetails"),
        json!({"retryIndex": 1, "retryBackoffIntervalSeconds": 2})
    );
    let second = ok(
        json!({"definition": def, "input": {"payload": 1}, "mock": mock,
                           "inspectionLevel": "DEBUG",
                           "stateConfiguration": {"retrierRetryCount": 2}}),
    );
    assert_eq!(second.status, TestExecutionStatus::Retriable);
    assert_eq!(
        data(&second, "errorDetails"),
        json!({"retryIndex": 1, "retryBackoffIntervalSeconds": 4})
    );
    let spent = ok(
        json!({"definition": def, "input": {"payload": 1}, "mock": mock,
                          "inspectionLevel": "DEBUG",
                          "stateConfiguration": {"retrierRetryCount": 3}}),
    );
    assert_eq!(spent.status, TestExecutionStatus::CaughtError);
    assert_eq!(spent.next_state.as_deref(), Some("Handle"));
    assert_eq!(data(&spent, "errorDetails"), json!({"catchIndex": 1}));
    assert_eq!(
        output(&spent),
        json!({"payload": 1, "error": {"Error": "States.Timeout", "Cause": "slow"}})
    );
    assert_eq!(spent.error.as_deref(), Some("States.Timeout"));
}

#[test]
fn an_error_nothing_handles_fails_the_state() {
    let r = ok(json!({
        "definition": lambda_task(json!({"Catch": [{"ErrorEquals": ["Other"], "Next": "X"}]})),
        "input": {"payload": 1},
        "mock": {"errorOutput": {"error": "Lambda.ServiceException", "cause": "down"}}
    }));
    assert_eq!(r.status, TestExecutionStatus::Failed);
    assert_eq!(r.error.as_deref(), Some("Lambda.ServiceException"));
    assert_eq!(r.cause.as_deref(), Some("down"));
}

#[test]
fn the_retry_count_is_in_the_context_object() {
    let r = ok(json!({
        "definition": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                       "Parameters": {"FunctionName": "fn", "Payload": {"n.$": "$$.State.RetryCount"}},
                       "Retry": [{"ErrorEquals": ["X"], "MaxAttempts": 9}],
                       "End": true},
        "inspectionLevel": "DEBUG",
        "mock": {"result": {"StatusCode": 200, "Payload": null}},
        "stateConfiguration": {"retrierRetryCount": 4}
    }));
    assert_eq!(data(&r, "afterParameters")["Payload"], json!({"n": 4}));
}

fn map_def(extra: Value) -> Value {
    let mut m = json!({
        "Type": "Map",
        "ItemsPath": "$.Values",
        "MaxConcurrency": 2,
        "ItemProcessor": {"StartAt": "Work", "States": {"Work": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "fn"}, "End": true}}},
        "ResultPath": "$.results",
        "Next": "After"
    });
    if let (Value::Object(m), Value::Object(e)) = (&mut m, extra) {
        m.extend(e);
    }
    m
}

#[test]
fn a_map_state_takes_its_mocked_result_and_reports_its_settings() {
    let r = ok(json!({
        "definition": map_def(json!({"ToleratedFailureCount": 1})),
        "input": {"Values": ["a", "b", "c"]},
        "inspectionLevel": "DEBUG",
        "mock": {"result": [1, 2, 3]},
        "stateConfiguration": {"mapIterationFailureCount": 1}
    }));
    assert_eq!(r.status, TestExecutionStatus::Succeeded);
    assert_eq!(
        output(&r),
        json!({"Values": ["a", "b", "c"], "results": [1, 2, 3]})
    );
    assert_eq!(data(&r, "afterItemsPath"), json!(["a", "b", "c"]));
    assert_eq!(data(&r, "maxConcurrency"), json!(2));
    assert_eq!(data(&r, "toleratedFailureCount"), json!(1));
    assert_eq!(r.next_state.as_deref(), Some("After"));
}

#[test]
fn map_failures_past_the_tolerance_raise_the_threshold_error_for_retry_and_catch() {
    let req = |extra: Value| {
        json!({
            "definition": map_def(extra),
            "input": {"Values": ["a", "b", "c"]},
            "inspectionLevel": "DEBUG",
            "mock": {"result": [0, 0, 1]},
            "stateConfiguration": {"mapIterationFailureCount": 2}
        })
    };
    let failed = ok(req(json!({"ToleratedFailureCount": 1})));
    assert_eq!(failed.status, TestExecutionStatus::Failed);
    assert_eq!(
        failed.error.as_deref(),
        Some("States.ExceedToleratedFailureThreshold")
    );
    assert_eq!(
        failed.cause.as_deref(),
        Some("The specified tolerated failure threshold was exceeded")
    );
    let retried = ok(req(json!({"ToleratedFailureCount": 1, "Retry": [
        {"ErrorEquals": ["States.ALL"]}]})));
    assert_eq!(retried.status, TestExecutionStatus::Retriable);
    assert_eq!(
        data(&retried, "errorDetails"),
        json!({"retryIndex": 0, "retryBackoffIntervalSeconds": 1})
    );
    let caught = ok(req(json!({"ToleratedFailureCount": 1, "Catch": [
        {"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "Next": "HandleThreshold"}]})));
    assert_eq!(caught.status, TestExecutionStatus::CaughtError);
    assert_eq!(caught.next_state.as_deref(), Some("HandleThreshold"));
    // As on AWS: without a tolerated failure threshold the count does not apply.
    let untolerated = ok(req(json!({})));
    assert_eq!(untolerated.status, TestExecutionStatus::Succeeded);
    let by_percentage = ok(req(json!({"ToleratedFailurePercentage": 50})));
    assert_eq!(
        by_percentage.error.as_deref(),
        Some("States.ExceedToleratedFailureThreshold")
    );
}

#[test]
fn an_error_caused_by_a_state_inside_a_parallel_fails_the_parallel_state() {
    let def = json!({"Type": "Parallel", "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}},
        {"StartAt": "B", "States": {"B": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                                          "Parameters": {"FunctionName": "fn"}, "End": true}}}],
        "End": true});
    let r = ok(json!({
        "definition": def,
        "mock": {"errorOutput": {"error": "MockException", "cause": "Mock the cause of the error."}},
        "stateConfiguration": {"errorCausedByState": "B"}
    }));
    assert_eq!(r.status, TestExecutionStatus::Failed);
    assert_eq!(r.error.as_deref(), Some("MockException"));
    let ok_result = ok(json!({"definition": def, "input": {"x": 1},
                              "mock": {"result": [{"x": 1}, {"y": 2}]}}));
    assert_eq!(output(&ok_result), json!([{"x": 1}, {"y": 2}]));
    let wrong = call(json!({
        "definition": def,
        "mock": {"errorOutput": {"error": "E"}},
        "stateConfiguration": {"errorCausedByState": "Nowhere"}
    }))
    .unwrap_err();
    assert_eq!(wrong.kind, TestStateErrorKind::Validation);
    assert!(wrong.message.contains("'Nowhere'"), "{}", wrong.message);
}

#[test]
fn variables_in_the_request_are_in_scope_and_assigned_ones_are_reported() {
    let r = ok(json!({
        // In JSONPath, `Assign` reads the state's result (here the Parameters' output).
        "definition": {"Type": "Pass", "Assign": {"total.$": "States.MathAdd($base, $.seen)"},
                       "Parameters": {"seen.$": "$.n", "base.$": "$base"}, "End": true},
        "input": {"n": 2},
        "variables": {"base": 40},
        "inspectionLevel": "DEBUG"
    }));
    assert_eq!(r.status, TestExecutionStatus::Succeeded, "{r:?}");
    assert_eq!(output(&r), json!({"seen": 2, "base": 40}));
    assert_eq!(data(&r, "variables"), json!({"base": 40, "total": 42}));
}

#[test]
fn a_context_in_the_request_replaces_the_generated_fields_and_bad_ones_are_refused() {
    let r = ok(json!({
        "definition": {"Type": "Pass", "Parameters": {"name.$": "$$.Execution.Name",
                                                     "state.$": "$$.State.Name"}, "End": true},
        "context": {"Execution": {"Name": "execution-name-12345"}, "State": {"Name": "MyState"}}
    }));
    assert_eq!(
        output(&r),
        json!({"name": "execution-name-12345", "state": "MyState"})
    );
    for (ctx, says) in [
        (json!({"Map": {}}), "'Map' field is not supported"),
        (json!({"pokemon": 1}), "Field 'pokemon' is not allowed"),
        (
            json!({"Execution": {"Id": 5}}),
            "Execution.Id must be a string",
        ),
        (
            json!({"Task": {"Token": "t"}}),
            "Context object contains 'Task'",
        ),
    ] {
        let e =
            call(json!({"definition": {"Type": "Pass", "End": true}, "context": ctx})).unwrap_err();
        assert_eq!(e.kind, TestStateErrorKind::Validation);
        assert!(
            e.message.starts_with("Invalid Context object provided: "),
            "{}",
            e.message
        );
        assert!(e.message.contains(says), "{} / {says}", e.message);
    }
}

#[test]
fn a_state_of_a_whole_machine_is_tested_by_name_even_inside_a_map() {
    let machine = json!({"StartAt": "Fan", "States": {
        "Fan": {"Type": "Map", "ItemProcessor": {"StartAt": "Double", "States": {
            "Double": {"Type": "Pass", "Parameters": {"v.$": "States.MathAdd($.v, $.v)"}, "Next": "Keep"},
            "Keep": {"Type": "Succeed"}}}, "End": true}}});
    let r = ok(json!({"definition": machine, "stateName": "Double", "input": {"v": 21}}));
    assert_eq!(output(&r), json!({"v": 42}));
    assert_eq!(r.next_state.as_deref(), Some("Keep"));
    let missing = call(json!({"definition": machine, "stateName": "Nope"})).unwrap_err();
    assert_eq!(missing.kind, TestStateErrorKind::Validation);
}

#[test]
fn a_jsonata_task_reports_its_arguments_and_output() {
    let r = ok(json!({
        "definition": {"Type": "Task", "QueryLanguage": "JSONata",
                       "Resource": "arn:aws:states:::lambda:invoke",
                       "Arguments": {"FunctionName": "fn", "Payload": "{% $states.input.n * 2 %}"},
                       "Output": "{% $states.result.Payload %}",
                       "Assign": {"last": "{% $states.result.StatusCode %}"},
                       "Next": "After"},
        "input": {"n": 21},
        "inspectionLevel": "DEBUG",
        "mock": {"result": {"StatusCode": 200, "Payload": {"answer": 42}}}
    }));
    assert_eq!(output(&r), json!({"answer": 42}));
    assert_eq!(
        data(&r, "afterArguments"),
        json!({"FunctionName": "fn", "Payload": 42})
    );
    assert_eq!(data(&r, "variables"), json!({"last": 200}));
}

#[test]
fn requests_aws_refuses_are_refused_with_its_exception_names() {
    let refused = |req: Value| call(req).unwrap_err();
    let e = refused(json!({"definition": {"Type": "Pass", "End": true},
                           "mock": {"result": {}}}));
    assert_eq!(
        (e.kind, e.message.as_str()),
        (
            TestStateErrorKind::Validation,
            "State type 'Pass' is not supported when a mock is specified"
        )
    );
    let e = refused(json!({"definition": map_def(json!({}))}));
    assert_eq!(e.kind, TestStateErrorKind::Validation);
    let e = refused(json!({"definition": {"Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "End": true}}));
    assert_eq!(e.kind, TestStateErrorKind::Validation);
    let e = refused(json!({"definition": {"Type": "Pass", "End": true}, "input": "{nope"}));
    assert_eq!(e.kind, TestStateErrorKind::InvalidExecutionInput);
    let e = refused(json!({"definition": {"Type": "Pass", "Next": 3}}));
    assert_eq!(e.kind, TestStateErrorKind::InvalidDefinition);
    let e = refused(json!({"definition": lambda_task(json!({})),
        "mock": {"result": {}, "errorOutput": {"error": "E"}}}));
    assert_eq!(e.kind, TestStateErrorKind::Validation);
    let e = refused(json!({"definition": lambda_task(json!({})),
        "mock": {"errorOutput": {"cause": "no name"}}}));
    assert!(
        e.message.contains("mock.errorOutput.error is required"),
        "{}",
        e.message
    );
    let e = refused(json!({"definition": map_def(json!({})), "mock": {"result": {"a": 1}}}));
    assert!(
        e.message.contains("a Map state's result is an array"),
        "{}",
        e.message
    );
    let e = refused(json!({"definition": {"Type": "Parallel", "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}], "End": true},
        "mock": {"result": [1, 2]}}));
    assert!(
        e.message.contains("one output per branch (1)"),
        "{}",
        e.message
    );
    let e = refused(
        json!({"definition": {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}}),
    );
    assert!(e.message.contains("stateName is required"), "{}", e.message);
    let e = refused(json!({"definition": {"Type": "Pass", "End": true}, "stateName": "A"}));
    assert!(
        e.message.contains("must be a whole state machine"),
        "{}",
        e.message
    );
    let e = refused(json!({"definition": {"Type": "Pass", "End": true},
        "stateConfiguration": {"mapIterationFailureCount": 1}}));
    assert_eq!(e.kind, TestStateErrorKind::Validation);
    let e = refused(json!({"definition": lambda_task(json!({})),
        "mock": {"result": {"StatusCode": 200}}, "stateConfiguration": {"retrierRetryCount": 1}}));
    assert!(e.message.contains("has none"), "{}", e.message);
}

#[test]
fn a_task_without_a_mock_goes_to_the_handler() {
    let handler = |r: TaskRequest<'_>| -> Result<Value, TaskError> {
        Ok(json!({"StatusCode": 200, "Payload": {"echo": r.input}}))
    };
    let opts = ExecutionOptions {
        handler: Arc::new(handler),
        ..ExecutionOptions::default()
    };
    let req = TestStateRequest {
        definition: lambda_task(json!({})).to_string(),
        input: Some(r#"{"payload": 7}"#.into()),
        ..TestStateRequest::default()
    };
    let r = crate::block_on(test_state(&req, &opts)).expect("accepted");
    assert_eq!(
        output(&r),
        json!({"payload": 7, "result": {"body": {"echo": {"FunctionName": "fn", "Payload": 7}}}})
    );
}

#[test]
fn a_mocked_result_is_checked_against_the_services_response_shape() {
    let glue = json!({"Type": "Task", "Resource": "arn:aws:states:::glue:startJobRun.sync",
                      "Parameters": {"JobName": "prep"}, "End": true});
    // An invented field: refused in STRICT (the default), accepted in PRESENT and NONE.
    let invented = json!({"JobRunState": "SUCCEEDED", "Id": "jr_1", "NotAField": 1});
    let e = call(json!({"definition": glue, "mock": {"result": invented}})).unwrap_err();
    assert_eq!(e.kind, TestStateErrorKind::Validation);
    assert!(
        e.message
            .starts_with("Mock result schema validation error: "),
        "{}",
        e.message
    );
    assert!(e.message.contains("$.NotAField"), "{}", e.message);
    for mode in ["PRESENT", "NONE"] {
        let r = ok(json!({"definition": glue,
                          "mock": {"result": invented, "fieldValidationMode": mode}}));
        assert_eq!(r.status, TestExecutionStatus::Succeeded, "{mode}");
    }
    // A wrong type: refused in PRESENT too.
    let e = call(json!({"definition": glue, "mock": {
        "result": {"JobRunState": "SUCCEEDED", "Attempt": "first"}, "fieldValidationMode": "PRESENT"}}))
    .unwrap_err();
    assert!(e.message.contains("$.Attempt"), "{}", e.message);
    let e = call(json!({"definition": glue, "mock": {"result": {}, "fieldValidationMode": "LAX"}}))
        .unwrap_err();
    assert_eq!(e.kind, TestStateErrorKind::Validation);
}

#[test]
fn map_item_reader_data_stands_for_what_the_item_reader_reads() {
    let machine = json!({"StartAt": "Fan", "States": {"Fan": {
        "Type": "Map",
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                       "ReaderConfig": {"InputType": "JSON"},
                       "Parameters": {"Bucket.$": "$.Bucket", "Key.$": "$.Key"}},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Square", "States": {"Square": {"Type": "Pass", "End": true}}},
        "ToleratedFailurePercentage": 50,
        "End": true}}});
    let req = |failures: u64| {
        json!({
            "definition": machine, "stateName": "Fan",
            "input": {"Bucket": "test-bucket", "Key": "test-key"},
            "inspectionLevel": "DEBUG",
            "mock": {"result": [1, 4, 9]},
            "stateConfiguration": {"mapItemReaderData": "[1, 2, 3]",
                                   "mapIterationFailureCount": failures}
        })
    };
    let r = ok(req(1));
    assert_eq!(r.status, TestExecutionStatus::Succeeded);
    assert_eq!(output(&r), json!([1, 4, 9]));
    assert_eq!(data(&r, "afterItemsPath"), json!([1, 2, 3]));
    // 2 of the 3 items read is past 50 %.
    let r = ok(req(2));
    assert_eq!(
        r.error.as_deref(),
        Some("States.ExceedToleratedFailureThreshold")
    );
    let e = call(
        json!({"definition": {"Type": "Map", "ItemProcessor": {"StartAt": "P",
            "States": {"P": {"Type": "Pass", "End": true}}}, "End": true},
        "mock": {"result": []}, "stateConfiguration": {"mapItemReaderData": "[1]"}}),
    )
    .unwrap_err();
    assert!(
        e.message.contains("needs a Map state with an ItemReader"),
        "{}",
        e.message
    );
}
