//! JSONata in the engine, measured two ways:
//!
//! - `loop/jsonata_variable` vs `loop/jsonpath`: a 10,001-transition Choice loop (5,000 × Inc,
//!   5,000 × Check, Done) with its counter in a workflow variable, written in JSONata, against
//!   the JSONPath loop of `../shared/bench/loop.json` (counter in the state data). Target: the
//!   JSONata loop within 3× of the JSONPath one.
//! - `suite/evaluate_all`: compile and evaluate every expression of the jsonata-js 2.0.6
//!   suite (`$JSONATA_SUITE`, default `../shared/conformance/jsonata-suite`) once; the time
//!   per expression is the total divided by the count it prints. `bench/jsonata-node/` runs
//!   the same expressions through jsonata-js on Node (`bench/jsonata-vs-node.sh` shows both).

use asl::{ExecutionOptions, StateMachine, Status};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use serde_json::{json, Map, Value};
use std::path::PathBuf;

fn shared(var: &str, rel: &str) -> PathBuf {
    match std::env::var_os(var) {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel),
    }
}

fn jsonata_loop() -> StateMachine {
    // Shared with bench/jsonata-exec-loop.sh, which runs it as a whole `pipelines exec`.
    StateMachine::from_json(include_str!("../../bench/jsonata-loop.asl.json"))
        .unwrap_or_else(|e| panic!("the JSONata loop is invalid: {e}"))
}

fn loops(c: &mut Criterion) {
    let dir = shared("ASL_BENCH_DIR", "../../shared/bench");
    let read = |f: &str| {
        std::fs::read_to_string(dir.join(f)).unwrap_or_else(|e| {
            panic!(
                "\n*** {f} not found in {} ({e}); set ASL_BENCH_DIR\n",
                dir.display()
            )
        })
    };
    let path_loop = StateMachine::from_json(&read("loop.json")).unwrap_or_else(|e| panic!("{e}"));
    let path_input: Value =
        serde_json::from_str(&read("loop.input.json")).unwrap_or_else(|e| panic!("{e}"));
    let jsonata = jsonata_loop();
    let opts = ExecutionOptions {
        record_history: false,
        ..ExecutionOptions::default()
    };
    let probe = jsonata.run_blocking(json!({}), &opts);
    assert_eq!(probe.status, Status::Succeeded, "{:?}", probe.cause);
    assert_eq!(probe.output, Some(json!(5000)));
    let mut g = c.benchmark_group("loop");
    g.throughput(Throughput::Elements(probe.transitions));
    g.sample_size(10);
    g.bench_function("jsonpath", |b| {
        b.iter(|| path_loop.run_blocking(path_input.clone(), &opts))
    });
    g.bench_function("jsonata_variable", |b| {
        b.iter(|| jsonata.run_blocking(json!({}), &opts))
    });
    g.finish();
}

/// (expression, input, bindings) of every suite case with an inline expression.
fn suite_cases() -> Vec<(String, Option<Value>, Map<String, Value>)> {
    let root = shared("JSONATA_SUITE", "../../shared/conformance/jsonata-suite");
    let mut out = Vec::new();
    let groups = std::fs::read_dir(root.join("groups")).unwrap_or_else(|e| {
        panic!(
            "\n*** JSONata suite not found at {} ({e}); set JSONATA_SUITE\n",
            root.display()
        )
    });
    let mut files: Vec<PathBuf> = groups
        .filter_map(|g| g.ok())
        .filter_map(|g| std::fs::read_dir(g.path()).ok())
        .flatten()
        .filter_map(|f| f.ok().map(|f| f.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    for f in files {
        let Ok(v) = serde_json::from_str::<Value>(&std::fs::read_to_string(&f).unwrap_or_default())
        else {
            continue;
        };
        let cases = match v {
            Value::Array(a) => a,
            o => vec![o],
        };
        for c in cases {
            // Skip the deliberately unbounded cases: they measure the bounds, not evaluation.
            let Some(expr) = c.get("expr").and_then(Value::as_str) else {
                continue;
            };
            if c.get("timelimit").is_some() || c.get("depth").is_some() {
                continue;
            }
            let data = match (c.get("data"), c.get("dataset")) {
                (Some(d), _) => Some(d.clone()),
                (_, Some(Value::String(ds))) => {
                    std::fs::read_to_string(root.join("datasets").join(format!("{ds}.json")))
                        .ok()
                        .and_then(|t| serde_json::from_str(&t).ok())
                }
                _ => None,
            };
            let bindings = c
                .get("bindings")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            out.push((expr.to_string(), data, bindings));
        }
    }
    out
}

fn suite(c: &mut Criterion) {
    let cases = suite_cases();
    println!("suite: {} expressions per iteration", cases.len());
    let mut g = c.benchmark_group("suite");
    g.throughput(Throughput::Elements(cases.len() as u64));
    g.sample_size(10);
    g.bench_function("evaluate_all", |b| {
        b.iter(|| {
            for (e, d, bind) in &cases {
                let _ = asl::jsonata::evaluate_language(e, d.as_ref(), bind, None, None);
            }
        })
    });
    g.finish();
}

criterion_group!(benches, loops, suite);
criterion_main!(benches);
