//! `pipelines test-state` and `pipelines serve-test-state` end to end: the binary, the
//! project's own state machines and functions, and the real AWS SDK for Rust calling the
//! local endpoint as a team's TestState-based tests would.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn pipelines(args: &[&str]) -> (Option<i32>, Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pipelines"))
        .current_dir(root())
        .arg("test-state")
        .args(args)
        .output()
        .expect("pipelines runs");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let v = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (
        out.status.code(),
        v,
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn doc(v: &Value, pointer: &str) -> Value {
    match v.pointer(pointer) {
        Some(Value::String(s)) => serde_json::from_str(s).expect("documents are JSON text"),
        other => panic!("no JSON text at {pointer}: {other:?} in {v}"),
    }
}

#[test]
fn flags_make_the_request_and_the_response_has_the_api_shape() {
    let (code, v, err) = pipelines(&[
        "--definition",
        r#"{"Type":"Pass","Parameters":{"sum.$":"States.MathAdd($.a, $.b)"},"ResultPath":"$.r","Next":"Report"}"#,
        "--input",
        r#"{"a":40,"b":2}"#,
        "--inspection-level",
        "DEBUG",
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(v["status"], "SUCCEEDED");
    assert_eq!(v["nextState"], "Report");
    assert_eq!(
        doc(&v, "/output"),
        json!({"a": 40, "b": 2, "r": {"sum": 42}})
    );
    assert_eq!(
        doc(&v, "/inspectionData/afterParameters"),
        json!({"sum": 42})
    );
}

#[test]
fn a_state_of_a_project_machine_is_tested_with_a_mocked_service_error() {
    // The retraining pipeline's SageMaker CreateModel step: its first retrier takes the throttling error,
    // and once spent the Catch sends the run to NotifyPipelineFailure.
    let base = [
        "--machine",
        "ml-retraining",
        "--state-name",
        "CreateCandidateModel",
        "--input",
        r#"{"run":{"run_id":"r1"},"config":{"model_name":"demand-forecast"},
            "training":{"ModelArtifacts":{"S3ModelArtifacts":"s3://bucket/model.tar.gz"}}}"#,
        "--mock-error",
        "SageMaker.ThrottlingException",
        "--mock-cause",
        "Rate exceeded",
        "--inspection-level",
        "DEBUG",
    ];
    let (code, v, err) = pipelines(&base);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(v["status"], "RETRIABLE", "{v}");
    assert_eq!(v["inspectionData"]["errorDetails"]["retryIndex"], 0);
    let mut spent = base.to_vec();
    spent.extend(["--retrier-retry-count", "4"]);
    let (_, v, _) = pipelines(&spent);
    assert_eq!(v["status"], "CAUGHT_ERROR", "{v}");
    assert_eq!(v["nextState"], "NotifyPipelineFailure");
    assert_eq!(
        doc(&v, "/output")["error"],
        json!({"Error": "SageMaker.ThrottlingException", "Cause": "Rate exceeded"})
    );
}

#[test]
fn an_unmocked_lambda_step_runs_the_projects_real_handler() {
    let (code, v, err) = pipelines(&[
        "--machine",
        "ml-retraining",
        "--state-name",
        "LoadModelConfig",
        "--input",
        "events/ml-retraining/input.json",
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(v["status"], "SUCCEEDED", "{v}");
    assert_eq!(v["nextState"], "LoadInputDefaults");
    let out = doc(&v, "/output");
    assert_eq!(out["model_name"], "demand-forecast");
    assert!(
        out["catalogue"]["Payload"].is_object(),
        "the model registry's answer is at $.catalogue.Payload: {out}"
    );
}

#[test]
fn a_refused_request_exits_2_with_the_exception_name() {
    let (code, _, err) = pipelines(&[
        "--definition",
        r#"{"Type":"Pass","End":true}"#,
        "--mock-result",
        "{}",
    ]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains(
            "ValidationException: State type 'Pass' is not supported when a mock is specified"
        ),
        "{err}"
    );
    let (code, _, err) = pipelines(&["--machine", "no-such-machine", "--state-name", "X"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("no-such-machine"), "{err}");
}

/// The server, stopped when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve() -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pipelines"))
        .current_dir(root())
        .args(["serve-test-state", "--port", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("the server starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the server says where it listens");
    let url = line
        .rsplit(' ')
        .next()
        .map(str::trim)
        .filter(|u| u.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    Server { child, url }
}

/// TestState's model sends it to `sync-<host>`: the SDK for Rust has no switch to turn host
/// prefixes off, so a client pointed at a local endpoint drops the prefix itself.
#[derive(Debug)]
struct NoHostPrefix;

impl aws_smithy_runtime_api::client::interceptors::Intercept for NoHostPrefix {
    fn name(&self) -> &'static str {
        "NoHostPrefix"
    }

    fn modify_before_transmit(
        &self,
        ctx: &mut aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut<'_>,
        _rc: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
        _cfg: &mut aws_smithy_types::config_bag::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        let uri = ctx.request().uri().replacen("://sync-", "://", 1);
        ctx.request_mut().set_uri(uri.as_str())?;
        Ok(())
    }
}

fn sfn_client(url: &str) -> aws_sdk_sfn::Client {
    let config = aws_sdk_sfn::Config::builder()
        .behavior_version_latest()
        .region(aws_sdk_sfn::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sfn::config::Credentials::new(
            "test", "test", None, None, "static",
        ))
        .endpoint_url(url)
        .interceptor(NoHostPrefix)
        .build();
    aws_sdk_sfn::Client::from_conf(config)
}

#[test]
fn the_aws_sdk_calls_test_state_on_the_local_endpoint_unchanged() {
    use aws_sdk_sfn::types::{
        InspectionLevel, MockInput, TestExecutionStatus, TestStateConfiguration,
    };
    let server = serve();
    let client = sfn_client(&server.url);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let definition = json!({
            "Type": "Map", "ItemsPath": "$.items", "ToleratedFailureCount": 1,
            "ItemProcessor": {"StartAt": "Work", "States": {"Work": {"Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"},
                "End": true}}},
            "Catch": [{"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "Next": "TooManyFailed"}],
            "Next": "Done"});
        let caught = client
            .test_state()
            .definition(definition.to_string())
            .input(r#"{"items":[1,2,3]}"#)
            .inspection_level(InspectionLevel::Debug)
            .mock(MockInput::builder().result("[1, null, null]").build())
            .state_configuration(
                TestStateConfiguration::builder()
                    .map_iteration_failure_count(2)
                    .build(),
            )
            .send()
            .await
            .expect("the local endpoint answers");
        assert_eq!(caught.status(), Some(&TestExecutionStatus::CaughtError));
        assert_eq!(caught.next_state(), Some("TooManyFailed"));
        assert_eq!(caught.error(), Some("States.ExceedToleratedFailureThreshold"));
        let data = caught.inspection_data().expect("inspection data at DEBUG");
        assert_eq!(data.tolerated_failure_count(), Some(1));
        assert_eq!(
            data.error_details().and_then(|d| d.catch_index()),
            Some(0)
        );

        let refused = client
            .test_state()
            .definition(r#"{"Type":"Pass","End":true}"#)
            .mock(MockInput::builder().result("{}").build())
            .send()
            .await
            .expect_err("a mock on a Pass state is refused");
        let service = refused.into_service_error();
        assert!(service.is_validation_exception(), "{service:?}");
    });
}
