//! Engine throughput on the three machines in `../shared/bench/` (or `$ASL_BENCH_DIR`):
//! a 10,001-transition Choice loop, a 5,000-item distributed Map and the retraining pipeline.
//! Throughput is reported in state transitions per second.

use asl::{ExecutionOptions, StateMachine, Status};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use serde_json::Value;
use std::path::PathBuf;

fn bench_dir() -> PathBuf {
    match std::env::var_os("ASL_BENCH_DIR") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/bench"),
    }
}

fn load(name: &str) -> (StateMachine, Value) {
    let dir = bench_dir();
    let read = |f: String| {
        let p = dir.join(&f);
        std::fs::read_to_string(&p).unwrap_or_else(|e| {
            panic!(
                "\n\n*** benchmark machine {} not found ({e}).\n*** Set ASL_BENCH_DIR to the folder holding loop.json, map.json, retraining.json.\n\n",
                p.display()
            )
        })
    };
    let sm = StateMachine::from_json(&read(format!("{name}.json")))
        .unwrap_or_else(|e| panic!("{name}.json is invalid: {e}"));
    let input = serde_json::from_str(&read(format!("{name}.input.json")))
        .unwrap_or_else(|e| panic!("{name}.input.json is invalid: {e}"));
    (sm, input)
}

fn machines(c: &mut Criterion) {
    for name in ["loop", "map", "retraining"] {
        let (sm, input) = load(name);
        for record in [false, true] {
            let opts = ExecutionOptions {
                record_history: record,
                ..ExecutionOptions::default()
            };
            let probe = sm.run_blocking(input.clone(), &opts);
            assert_eq!(probe.status, Status::Succeeded, "{name}: {:?}", probe.cause);
            let mut g = c.benchmark_group(name);
            g.throughput(Throughput::Elements(probe.transitions));
            g.sample_size(if name == "retraining" { 100 } else { 20 });
            let id = if record {
                "with_history"
            } else {
                "without_history"
            };
            g.bench_function(id, |b| b.iter(|| sm.run_blocking(input.clone(), &opts)));
            g.finish();
        }
    }
}

criterion_group!(benches, machines);
criterion_main!(benches);
