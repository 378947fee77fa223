//! Conformance: runs the AWS-recorded executions of `asl-dev.jsonl` (JSONPath, JSONata and
//! variables cases) and
//! compares status and output or error (cause texts are reported separately).
//!
//! The corpus is read from `$ASL_CONFORMANCE`, or from `../shared/conformance/asl-dev.jsonl`
//! beside the workspace. Cases that call Lambda functions run the original Python handlers'
//! behaviour through a small emulator of the identity-like handlers in `lambdas[].code`.
//! Failing cases must be listed in `tests/conformance-known-misses.txt` (and listed cases must
//! still fail), so the list stays true.

mod support;

use asl::{
    ExecutionOptions, Router, SeededRng, StateMachine, Status, TaskError, TaskHandler, TaskRequest,
    VirtualClock,
};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

fn corpus_path() -> PathBuf {
    match std::env::var_os("ASL_CONFORMANCE") {
        Some(p) => PathBuf::from(p),
        None => {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/asl-dev.jsonl")
        }
    }
}

/// Numbers compared as values, objects without regard to key order.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => i == j,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// What an emulated Python handler does.
#[derive(Clone, Debug)]
enum PyLambda {
    /// `return event`, possibly after `time.sleep(N)`.
    Identity { sleep_secs: i64 },
    /// `return b'<json>'`: Lambda decodes the bytes as JSON.
    Bytes(Value),
    /// `"a" * (A * B)` encoded: a long string.
    Repeat(String, usize),
    /// `return f"prefix{event}suffix"`: Python's `str()` of the event inside a string.
    FString(String, String),
    /// `raise Name("message")`: a Lambda function error.
    Raise(String, String),
}

/// Python's `str()` of a JSON value.
fn py_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => py_repr(other),
    }
}

fn py_repr(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
        Value::Array(a) => format!("[{}]", a.iter().map(py_repr).collect::<Vec<_>>().join(", ")),
        Value::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("'{k}': {}", py_repr(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Recognises the handful of handler shapes the corpus uses; `None` for anything else.
fn emulate(code: &str) -> Option<PyLambda> {
    let lines: Vec<&str> = code
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    if let Some(r) = lines.iter().find_map(|l| l.strip_prefix("raise ")) {
        let (name, rest) = r.split_once('(')?;
        let msg = rest
            .trim_end_matches(')')
            .trim()
            .trim_matches('"')
            .trim_matches('\'');
        return Some(PyLambda::Raise(name.trim().to_string(), msg.to_string()));
    }
    let ret = lines.iter().find(|l| l.starts_with("return "))?;
    let expr = ret.trim_start_matches("return ").trim();
    let sleep_secs = lines
        .iter()
        .find_map(|l| {
            l.strip_prefix("time.sleep(")?
                .strip_suffix(')')?
                .parse::<i64>()
                .ok()
        })
        .unwrap_or(0);
    if expr == "event" {
        return Some(PyLambda::Identity { sleep_secs });
    }
    if let Some(body) = expr.strip_prefix("f\"").and_then(|s| s.strip_suffix('"')) {
        let (pre, post) = body.split_once("{event}")?;
        return Some(PyLambda::FString(pre.to_string(), post.to_string()));
    }
    if let Some(b) = expr.strip_prefix("b'").and_then(|s| s.strip_suffix('\'')) {
        return serde_json::from_str(b).ok().map(PyLambda::Bytes);
    }
    // name = "a" * size ; size = A * B ; return name.encode(...) / name
    let var = expr.split('.').next()?.trim();
    let assign = |name: &str| -> Option<String> {
        lines.iter().find_map(|l| {
            let (lhs, rhs) = l.split_once('=')?;
            (lhs.trim() == name).then(|| rhs.trim().to_string())
        })
    };
    let mut rhs = assign(var)?;
    if !rhs.contains('*') {
        rhs = assign(rhs.split('.').next()?.trim())?;
    }
    let (lit, count) = rhs.split_once('*')?;
    let lit = lit.trim().trim_matches('"').to_string();
    let count = count.trim();
    let n = match count.parse::<usize>() {
        Ok(n) => n,
        Err(_) => {
            let e = assign(count)?;
            e.split('*')
                .map(|x| x.trim().parse::<usize>().ok())
                .try_fold(1usize, |acc, x| x.map(|x| acc * x))?
        }
    };
    Some(PyLambda::Repeat(lit, n))
}

fn run_lambda(l: &PyLambda, event: Value, req: &TaskRequest<'_>) -> Result<Value, TaskError> {
    Ok(match l {
        PyLambda::Identity { sleep_secs } => {
            req.clock.advance_ms(sleep_secs * 1000);
            event
        }
        PyLambda::Bytes(v) => v.clone(),
        PyLambda::Repeat(s, n) => Value::String(s.repeat(*n)),
        PyLambda::FString(pre, post) => Value::String(format!("{pre}{}{post}", py_str(&event))),
        PyLambda::Raise(name, msg) => {
            let cause = json!({"errorMessage": msg, "errorType": name,
                               "requestId": "00000000-0000-0000-0000-000000000000", "stackTrace": []});
            return Err(TaskError::new(name.clone(), cause.to_string()));
        }
    })
}

/// Runs the corpus's Lambda functions: the direct ARN form returns the handler's result, the
/// `lambda:invoke` integration wraps it in Lambda's Invoke response.
struct Lambdas {
    by_arn: BTreeMap<String, PyLambda>,
    by_placeholder: BTreeMap<String, PyLambda>,
}

impl TaskHandler for Lambdas {
    fn call<'a>(&'a self, req: TaskRequest<'a>) -> asl::BoxFuture<'a, Result<Value, TaskError>> {
        let r = (|| {
            if let Some(l) = self.by_arn.get(req.resource) {
                return run_lambda(l, req.input.clone(), &req);
            }
            if req.resource == "arn:aws:states:::lambda:invoke" {
                let name = req
                    .input
                    .get("FunctionName")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let l = self
                    .by_placeholder
                    .get(name)
                    .or_else(|| self.by_placeholder.values().next())
                    .ok_or_else(|| TaskError::new("Lambda.ResourceNotFoundException", name))?;
                let payload = req.input.get("Payload").cloned().unwrap_or(Value::Null);
                let out = run_lambda(l, payload, &req)?;
                return Ok(json!({
                    "ExecutedVersion": "$LATEST",
                    "Payload": out,
                    "SdkHttpMetadata": {"HttpHeaders": {}, "HttpStatusCode": 200},
                    "SdkResponseMetadata": {"RequestId": "00000000-0000-0000-0000-000000000000"},
                    "StatusCode": 200
                }));
            }
            Err(TaskError::new(
                "States.TaskFailed",
                format!("no emulated handler for {}", req.resource),
            ))
        })();
        Box::pin(std::future::ready(r))
    }
}

struct Outcome {
    id: String,
    features: Vec<String>,
    pass: bool,
    cause_checked: bool,
    cause_ok: bool,
    detail: String,
}

fn run_case(case: &Value) -> Option<Outcome> {
    let id = case["id"].as_str()?.to_string();
    let features: Vec<String> = case["features"]
        .as_array()?
        .iter()
        .filter_map(|f| f.as_str().map(str::to_string))
        .collect();
    let mut handler: Arc<dyn TaskHandler> = Arc::new(Router::new());
    if case["needs_lambda"].as_bool() == Some(true) {
        let mut by_arn = BTreeMap::new();
        let mut by_placeholder = BTreeMap::new();
        for l in case["lambdas"].as_array().into_iter().flatten() {
            let Some(py) = l["code"].as_str().and_then(emulate) else {
                return Some(Outcome {
                    id,
                    features,
                    pass: false,
                    cause_checked: false,
                    cause_ok: false,
                    detail: "lambda handler not emulated".into(),
                });
            };
            by_arn.insert(l["arn"].as_str().unwrap_or("").to_string(), py.clone());
            by_placeholder.insert(l["name_placeholder"].as_str().unwrap_or("").to_string(), py);
        }
        handler = Arc::new(Lambdas {
            by_arn,
            by_placeholder,
        });
    }
    let expected = &case["expected"];
    let nondeterministic = features.iter().any(|f| f == "nondeterministic");
    let sm = match StateMachine::from_value(&case["definition"]) {
        Ok(sm) => sm,
        Err(e) => {
            return Some(Outcome {
                id,
                features,
                pass: false,
                cause_checked: false,
                cause_ok: false,
                detail: format!("definition rejected: {e}"),
            })
        }
    };
    let opts = ExecutionOptions {
        handler,
        clock: Arc::new(VirtualClock::new(1_700_000_000_000)),
        rng: Arc::new(SeededRng::new(42)),
        record_history: false,
        ..ExecutionOptions::default()
    };
    let res = sm.run_blocking(case["input"].clone(), &opts);
    let want_status = expected["status"].as_str().unwrap_or("");
    let mut pass = res.status.as_str() == want_status;
    let mut detail = String::new();
    let (mut cause_checked, mut cause_ok) = (false, true);
    if !pass {
        detail = format!(
            "status {} (error {:?}, cause {:?}), want {want_status}",
            res.status.as_str(),
            res.error,
            res.cause
        );
    } else if !nondeterministic {
        match res.status {
            Status::Succeeded => {
                let got = res.output.clone().unwrap_or(Value::Null);
                if !same(&got, &expected["output"]) {
                    pass = false;
                    detail = format!("output {got}, want {}", expected["output"]);
                }
            }
            _ => {
                let want_err = expected.get("error").and_then(Value::as_str);
                if res.error.as_deref() != want_err {
                    pass = false;
                    detail = format!("error {:?}, want {want_err:?}", res.error);
                }
                let want_cause = expected.get("cause").and_then(Value::as_str);
                cause_checked = true;
                cause_ok = res.cause.as_deref() == want_cause;
                if !cause_ok {
                    detail = format!("{detail} cause {:?}, want {want_cause:?}", res.cause);
                }
            }
        }
    }
    Some(Outcome {
        id,
        features,
        pass,
        cause_checked,
        cause_ok,
        detail,
    })
}

#[test]
fn conformance_corpus_passes_except_known_misses() {
    let path = corpus_path();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "\n\n*** ASL conformance corpus not found at {} ({e}).\n*** Set ASL_CONFORMANCE to the path of asl-dev.jsonl.\n\n",
            path.display()
        )
    });
    let mut outcomes = Vec::new();
    let mut skipped = 0;
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let case: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("line {} of {} is not JSON: {e}", n + 1, path.display()));
        // A malformed case fails here instead of being counted as skipped.
        assert!(
            case["id"].is_string()
                && case["features"].is_array()
                && case["definition"].is_object()
                && case["expected"]["status"].is_string(),
            "line {} of {} is not a conformance case (id, features, definition, expected.status)",
            n + 1,
            path.display()
        );
        match run_case(&case) {
            Some(o) => outcomes.push(o),
            None => skipped += 1,
        }
    }
    let mut by_feature: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for o in &outcomes {
        for f in &o.features {
            let e = by_feature.entry(f.clone()).or_default();
            e.1 += 1;
            if o.pass {
                e.0 += 1;
            }
        }
    }
    let passed = outcomes.iter().filter(|o| o.pass).count();
    let causes: Vec<&Outcome> = outcomes.iter().filter(|o| o.cause_checked).collect();
    let causes_ok = causes.iter().filter(|o| o.cause_ok).count();
    println!("\nASL conformance ({}):", path.display());
    println!(
        "  {passed}/{} cases pass ({:.1}%), JSONata and variables included; {skipped} unreadable lines",
        outcomes.len(),
        100.0 * passed as f64 / outcomes.len().max(1) as f64
    );
    println!("  cause texts: {causes_ok}/{} match exactly", causes.len());
    println!("  by feature:");
    for (f, (p, t)) in &by_feature {
        println!("    {f:<34} {p:>4}/{t:<4}");
    }
    // The corpus had 531 cases, 440 of them JSONPath-only, when this was written: a truncated
    // or emptied corpus must not pass by running nothing.
    assert!(
        outcomes.len() + skipped >= 500 && outcomes.len() >= 400,
        "only {} cases ran ({skipped} skipped) from {}",
        outcomes.len(),
        path.display()
    );
    let known = support::known_misses("conformance-known-misses.txt", false);
    let mut unexpected = Vec::new();
    let mut now_passing = Vec::new();
    let mut seen = BTreeSet::new();
    for o in &outcomes {
        seen.insert(o.id.clone());
        let listed = known.contains_key(&o.id);
        let ok = o.pass && o.cause_ok;
        if !ok && !listed {
            unexpected.push(format!("{}\n      {}", o.id, o.detail));
        }
        if ok && listed {
            now_passing.push(o.id.clone());
        }
        if !ok {
            println!("  MISS {}: {}", o.id, o.detail);
        }
    }
    let stale: Vec<&String> = known.keys().filter(|k| !seen.contains(*k)).collect();
    assert!(
        unexpected.is_empty() && now_passing.is_empty() && stale.is_empty(),
        "\nconformance regressions (not in known misses):\n  {}\nknown misses that now pass (remove them):\n  {}\nknown misses not in the corpus:\n  {:?}\n",
        unexpected.join("\n  "),
        now_passing.join("\n  "),
        stale
    );
}

#[test]
fn the_python_emulator_recognises_the_corpus_handlers() {
    assert!(matches!(
        emulate("def handler(event, context):\n    return event\n"),
        Some(PyLambda::Identity { sleep_secs: 0 })
    ));
    assert!(matches!(
        emulate(
            "import time\n\n\ndef handler(event, context):\n    time.sleep(60)\n    return event\n"
        ),
        Some(PyLambda::Identity { sleep_secs: 60 })
    ));
    match emulate("def handler(event, context):\n    size_in_bytes = 257 * 1024\n    ascii_string = \"a\" * size_in_bytes\n    utf8_encoded_string = ascii_string.encode(\"utf-8\")\n    return utf8_encoded_string\n") {
        Some(PyLambda::Repeat(s, n)) => assert_eq!((s.as_str(), n), ("a", 257 * 1024)),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        emulate("def handler(event, context):\n    raise Exception(\"Some exception was raised.\")\n"),
        Some(PyLambda::Raise(n, m)) if n == "Exception" && m == "Some exception was raised."
    ));
    assert!(matches!(
        emulate("def handler(event, context):\n    return f\"input-event-{event}\"\n"),
        Some(PyLambda::FString(p, s)) if p == "input-event-" && s.is_empty()
    ));
    assert_eq!(
        py_str(&json!({"a": [1, true, null], "b": "x"})),
        "{'a': [1, True, None], 'b': 'x'}"
    );
    assert!(emulate("def handler(e, c):\n    x = compute(e)\n    print(x)\n").is_none());
}
