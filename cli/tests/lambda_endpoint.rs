//! `pipelines run --lambda-endpoint URL` sends the Lambda steps to a Lambda-Invoke-compatible
//! HTTP endpoint (as `cargo lambda watch` serves) instead of running them in-process. A real
//! HTTP server on 127.0.0.1 stands in for the endpoint here.

mod support;

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use support::{pipelines, root, text};

/// Serves `answer(path, body) -> (status, body)` for every request until the test ends.
fn serve(
    answer: impl Fn(&str, Value) -> (u16, Value) + Send + 'static,
) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            let path = request_line
                .split_whitespace()
                .nth(1)
                .unwrap_or_default()
                .to_string();
            let mut length = 0;
            loop {
                let mut header = String::new();
                reader.read_line(&mut header).unwrap();
                if header.trim().is_empty() {
                    break;
                }
                if let Some((name, value)) = header.split_once(':') {
                    if name.eq_ignore_ascii_case("content-length") {
                        length = value.trim().parse().unwrap();
                    }
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let payload: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            // The pipeline's first Lambda step reads the model catalogue: answered here as the
            // real function does, so each test's `answer` sees only the step it is about.
            let (status, reply) = if path.contains("/functions/model-registry/")
                && payload["action"] == "model_config"
            {
                let name = payload["model_name"].as_str().unwrap_or_default();
                let config = model_registry::model_config(name, None).unwrap();
                (200, serde_json::to_value(config).unwrap())
            } else {
                log.lock().unwrap().push(path.clone());
                answer(&path, payload)
            };
            let reply = reply.to_string();
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                reply.len()
            );
        }
    });
    (url, seen)
}

#[test]
fn lambda_steps_go_to_the_endpoint_and_its_result_steers_the_run() {
    // The endpoint evaluates with the real handler but reports a model that misses the gate.
    let (url, seen) = serve(|_, mut payload| {
        // The endpoint's working directory is not the project's: make the sample path absolute.
        let relative = payload["predictions_uri"]
            .as_str()
            .unwrap()
            .trim_start_matches("file://")
            .to_string();
        payload["predictions_uri"] = json!(format!("file://{}", root().join(relative).display()));
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let mut output = serde_json::to_value(
            runtime
                .block_on(evaluate_model_metrics::handle(
                    &evaluate_model_metrics::Deps::local(),
                    payload,
                ))
                .unwrap(),
        )
        .unwrap();
        output["mape"] = json!(42.0);
        output["beats_production"] = json!(false);
        output["gate"]["value"] = json!(42.0);
        output["gate"]["passed"] = json!(false);
        (200, output)
    });
    let output = pipelines(
        &root(),
        &["run", "ml-retraining", "--lambda-endpoint", &url, "--json"],
    );
    let result: Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|_| panic!("{}", text(&output)));
    assert_eq!(result["status"], "SUCCEEDED", "{result}");
    assert_eq!(
        result["path"].as_array().unwrap().last().unwrap(),
        "ModelRejected",
        "{result}"
    );
    assert_eq!(
        seen.lock().unwrap().as_slice(),
        ["/2015-03-31/functions/evaluate-model-metrics/invocations"]
    );
}

#[test]
fn a_function_error_from_the_endpoint_is_caught_by_its_error_type() {
    let (url, _) = serve(|_, _| {
        (
            500,
            json!({"errorType": "PredictionsNotFound", "errorMessage": "no evaluation predictions at s3://x"}),
        )
    });
    let output = pipelines(
        &root(),
        &["run", "ml-retraining", "--lambda-endpoint", &url, "--json"],
    );
    let result: Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|_| panic!("{}", text(&output)));
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(result["status"], "FAILED");
    assert_eq!(result["error"], "PredictionsNotFound", "{result}");
}
