//! Classification metrics against scikit-learn's values for the same files.
//!
//! `tests/sklearn/generate.py` wrote the files in `tests/data/sklearn/` and, with scikit-learn,
//! their expected values (`expected.json`, checked in, so the test needs no Python). Re-create
//! them with the command in that script's doc. Metrics must agree to 1e-9; ROC-AUC and average
//! precision to within the error bound the function reports (0 when nothing was merged).

use evaluate_model_metrics::error::EvaluateError;
use evaluate_model_metrics::output::EvaluateOutput;
use evaluate_model_metrics::{handle, Deps};
use serde_json::{json, Value};
use shared::ErrorType;
use std::fmt::Write;
use std::path::{Path, PathBuf};

const TOLERANCE: f64 = 1e-9;

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sklearn")
}

fn cases() -> Vec<Value> {
    let path = data_dir().join("expected.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; generate it with functions/evaluate-model-metrics/tests/sklearn/generate.py",
            path.display()
        )
    });
    let expected: Value = serde_json::from_str(&text).unwrap();
    expected["cases"].as_array().unwrap().clone()
}

fn case(name: &str) -> Value {
    cases()
        .into_iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no case {name} in expected.json"))
}

/// The rows of the generated case, by the same integer arithmetic as `coarse_rows` in
/// generate.py.
fn coarse_rows(n: u64) -> String {
    let mut text = String::from("label,score\n");
    for i in 0..n {
        let h = (i * 2_654_435_761 + 12_345) % (1 << 32);
        let digits = h % 1_000_000_000;
        let noise = (i * 40_503 + 17) % 1000;
        let label = u8::from(noise < digits / 1_000_000);
        writeln!(text, "{label},0.{digits:09}").unwrap();
    }
    text
}

/// Runs the function on a case's file with its event.
async fn run(case: &Value) -> Result<EvaluateOutput, EvaluateError> {
    shared::metrics::set_sink(shared::metrics::Sink::Discard);
    let dir = tempfile::tempdir().unwrap();
    let path = match case["generated_rows"].as_u64() {
        Some(rows) => {
            let path = dir.path().join("generated.csv");
            std::fs::write(&path, coarse_rows(rows)).unwrap();
            path
        }
        None => data_dir().join(case["file"].as_str().unwrap()),
    };
    let mut event = json!({
        "model_uri": "s3://models/candidate/model.tar.gz",
        "predictions_uri": format!("file://{}", path.display()),
    });
    let fields = case["event"].as_object().unwrap().clone();
    event.as_object_mut().unwrap().extend(fields);
    handle(&Deps::local(), event).await
}

fn close(got: Option<f64>, want: Option<f64>, tolerance: f64) -> bool {
    match (got, want) {
        (Some(g), Some(w)) => (g - w).abs() <= tolerance,
        (g, w) => g == w,
    }
}

/// Every expected metric, to 1e-9 unless `tolerance` gives another bound for it.
fn assert_metrics(
    name: &str,
    output: &EvaluateOutput,
    expected: &Value,
    tolerance: &dyn Fn(&str) -> f64,
) {
    let expected = expected["metrics"].as_object().unwrap();
    for (metric, want) in expected {
        let got = output.metrics.get(metric).copied().flatten();
        let bound = tolerance(metric);
        assert!(
            close(got, want.as_f64(), bound),
            "{name}: {metric} is {got:?}, scikit-learn says {want} (tolerance {bound})"
        );
    }
    let mut names: Vec<&String> = output.metrics.keys().collect();
    names.sort();
    let mut wanted: Vec<&String> = expected.keys().collect();
    wanted.sort();
    // Binary metrics undefined without positives are absent from the expected values.
    assert!(
        wanted.iter().all(|w| names.contains(w)),
        "{name}: {names:?} vs {wanted:?}"
    );
}

fn assert_worst_segments(name: &str, output: &EvaluateOutput, expected: &Value, metric: &str) {
    let want = expected["worst_segments"].as_array().unwrap();
    assert_eq!(output.segments.worst.len(), want.len(), "{name}");
    for (got, want) in output.segments.worst.iter().zip(want) {
        let key = got.key.values().next().unwrap();
        assert_eq!(key, &want["key"], "{name}: segment order");
        assert_eq!(got.rows, want["rows"].as_u64().unwrap(), "{name}");
        let value = got.metrics[metric];
        assert!(
            close(value, want["value"].as_f64(), TOLERANCE),
            "{name}: {key} {metric} {value:?} vs {}",
            want["value"]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multiclass_metrics_match_scikit_learn() {
    for name in [
        "multiclass-probabilities",
        "multiclass-labels",
        "multiclass-single-class",
    ] {
        let case = case(name);
        let output = run(&case).await.unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected = &case["expected"];
        assert_metrics(name, &output, expected, &|_| TOLERANCE);
        let detail = output.classification.as_ref().unwrap();
        assert_eq!(
            serde_json::to_value(&detail.confusion_matrix).unwrap(),
            expected["confusion_matrix"],
            "{name}"
        );
        for (got, want) in detail
            .per_class
            .iter()
            .zip(expected["per_class"].as_array().unwrap())
        {
            assert_eq!(got.class, want["class"].as_str().unwrap(), "{name}");
            assert_eq!(got.support, want["support"].as_u64().unwrap(), "{name}");
            for (value, field) in [
                (got.precision, "precision"),
                (got.recall, "recall"),
                (got.f1, "f1"),
            ] {
                assert!(
                    close(Some(value), want[field].as_f64(), TOLERANCE),
                    "{name} {}: {field}",
                    got.class
                );
            }
        }
        assert!(output.mape.is_none() && output.binary.is_none() && output.gate.is_none());
    }
    // A class never predicted scores 0 (zero_division=0), and shows as an empty column.
    let output = run(&case("multiclass-probabilities")).await.unwrap();
    let detail = output.classification.unwrap();
    assert_eq!(detail.per_class[4].class, "horse");
    assert_eq!(detail.per_class[4].precision, 0.0);
    assert!(detail.confusion_matrix.iter().all(|row| row[4] == 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multiclass_segments_rank_by_accuracy_like_scikit_learn_per_segment() {
    let case = case("multiclass-probabilities");
    let output = run(&case).await.unwrap();
    assert_eq!(output.segments.count, 4);
    assert_worst_segments(
        "multiclass-probabilities",
        &output,
        &case["expected"],
        "accuracy",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_metrics_match_scikit_learn_exactly_when_no_score_is_merged() {
    for name in ["binary-ties", "binary-strings", "binary-single-class"] {
        let case = case(name);
        let output = run(&case).await.unwrap_or_else(|e| panic!("{name}: {e}"));
        let detail = output.binary.as_ref().unwrap();
        assert_eq!(detail.merged_score_bins, 0, "{name}");
        assert_eq!(detail.roc_auc_error_bound, 0.0, "{name}");
        assert_eq!(detail.average_precision_error_bound, 0.0, "{name}");
        assert_metrics(name, &output, &case["expected"], &|_| TOLERANCE);
    }
    // Every label positive: ROC-AUC undefined (null), not an error.
    let output = run(&case("binary-single-class")).await.unwrap();
    assert_eq!(output.metrics["roc_auc"], None);
    assert!(close(
        output.metrics["average_precision"],
        Some(1.0),
        TOLERANCE
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gate_ranks_segments_and_compares_production_on_its_own_metric() {
    let case = case("binary-strings");
    let output = run(&case).await.unwrap();
    assert_worst_segments("binary-strings", &output, &case["expected"], "roc_auc");
    let gate = output.gate.unwrap();
    let auc = case["expected"]["metrics"]["roc_auc"].as_f64().unwrap();
    assert!(close(gate.value, Some(auc), TOLERANCE));
    assert_eq!(gate.production_value, Some(0.99));
    assert!(gate.passed_threshold, "{auc} ≥ 0.6");
    assert!(!gate.beats_production && !gate.passed);
    assert!(!output.beats_production);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merged_scores_stay_within_the_reported_bound() {
    let case = case("binary-coarse");
    let output = run(&case).await.unwrap();
    let detail = output.binary.clone().unwrap();
    assert!(
        detail.merged_score_bins > 0 && detail.dropped_score_bits > 0,
        "{detail:?}"
    );
    assert!(
        detail.roc_auc_error_bound > 0.0 && detail.roc_auc_error_bound <= 1e-4,
        "{detail:?}"
    );
    assert!(detail.average_precision_error_bound <= 1e-4, "{detail:?}");
    let bound = |metric: &str| match metric {
        "roc_auc" => detail.roc_auc_error_bound + TOLERANCE,
        "average_precision" => detail.average_precision_error_bound + TOLERANCE,
        // Searched among bin boundaries only: at most the exact best, and close to it.
        "best_f1" => 1e-3,
        "best_f1_threshold" => f64::INFINITY,
        _ => TOLERANCE,
    };
    assert_metrics("binary-coarse", &output, &case["expected"], &bound);
    let best = case["expected"]["metrics"]["best_f1"].as_f64().unwrap();
    assert!(output.metrics["best_f1"].unwrap() <= best + TOLERANCE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_typed_error_names_its_line() {
    let names = [
        "label-not-declared",
        "predicted-not-declared",
        "probabilities-sum",
        "probability-range",
        "score-range",
        "binary-label",
        "gate-metric",
    ];
    for name in names {
        let case = case(name);
        let mut error = match run(&case).await {
            Ok(output) => panic!("{name}: expected an error, got {output:?}"),
            Err(error) => error,
        };
        let expected = &case["expected"];
        assert_eq!(
            error.error_type(),
            expected["error_type"],
            "{name}: {error}"
        );
        let line = error.line_mut().map(|l| *l);
        assert_eq!(line, expected["line"].as_u64(), "{name}: {error}");
        if name == "probabilities-sum" {
            assert!(error.to_string().contains("tolerance 1e-3"), "{error}");
        }
        if name == "gate-metric" {
            assert!(
                error.to_string().contains("precision, recall, f1"),
                "{error}"
            );
        }
    }
}
