//! drift-monitor's PSI and KS against an independent computation: `bench/drift_reference.py`
//! (numpy, scipy, pandas) generated the training data and five captures with known shifts under
//! `tests/fixtures/reference/` and wrote the scores it computed from the raw values to
//! `expected.json`. Here the real handler builds the baseline from the same training CSV and
//! monitors each capture (`file://`, gzip, one folder per hour, CSV/JSON/BASE64 records).

use drift_monitor::{handle, Deps, Output};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/reference")
}

fn expected() -> Value {
    let path = fixtures().join("expected.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{} is missing ({e}): run `bench/.venv/bin/python bench/drift_reference.py`",
            path.display()
        )
    });
    serde_json::from_str(&text).expect("expected.json is JSON")
}

async fn build_baseline(dir: &Path, ks_grid: usize) -> PathBuf {
    let output = dir.join(format!("baseline-{ks_grid}.json"));
    let result = handle(
        &Deps::local(),
        json!({
            "mode": "baseline", "model_name": "demand-forecast",
            "training_data_uri": format!("file://{}", fixtures().join("training.csv").display()),
            "categorical_features": ["store_type"], "prediction_column": "prediction",
            "output_uri": format!("file://{}", output.display()), "ks_grid": ks_grid,
        }),
    )
    .await
    .expect("baseline builds");
    let Output::Baseline(summary) = result else {
        panic!("not a baseline summary")
    };
    assert_eq!((summary.rows, summary.features), (3000, 4));
    assert_eq!(
        (summary.numeric_features, summary.categorical_features),
        (3, 1)
    );
    assert!(summary.has_prediction && summary.exact);
    output
}

async fn monitor(baseline: &Path, scenario: &str, reports: &Path) -> Value {
    monitor_at(
        baseline,
        &fixtures().join("capture").join(scenario),
        reports,
    )
    .await
}

async fn monitor_at(baseline: &Path, capture: &Path, reports: &Path) -> Value {
    let scenario = capture.display();
    let result = handle(
        &Deps::local(),
        json!({
            "mode": "monitor", "model_name": "demand-forecast",
            "baseline_uri": format!("file://{}", baseline.display()),
            "capture_prefix": format!("file://{}", capture.display()),
            "window_end": "2026-11-29T11:00:00Z", "window_hours": 3,
            "report_prefix": format!("file://{}", reports.display()), "publish": false,
        }),
    )
    .await
    .unwrap_or_else(|e| panic!("{scenario}: {e}"));
    serde_json::to_value(result).expect("report serialises")
}

fn close(got: &Value, want: &Value, tolerance: f64, what: &str) {
    match (got.as_f64(), want.as_f64()) {
        (Some(g), Some(w)) => assert!(
            (g - w).abs() <= tolerance,
            "{what}: got {g}, numpy/scipy say {w} (tolerance {tolerance})"
        ),
        _ => assert_eq!(got, want, "{what}"),
    }
}

fn scores_by_feature(report: &Value) -> Vec<(String, Value)> {
    let mut all: Vec<(String, Value)> = report["features"]
        .as_array()
        .expect("features")
        .iter()
        .map(|s| {
            (
                s["feature"].as_str().unwrap_or_default().to_string(),
                s.clone(),
            )
        })
        .collect();
    all.push(("prediction".to_string(), report["prediction"].clone()));
    all
}

#[tokio::test]
async fn the_baseline_has_numpys_bin_edges_and_null_rates() {
    let dir = tempfile::tempdir().expect("temp dir");
    let baseline: Value = serde_json::from_slice(
        &std::fs::read(build_baseline(dir.path(), 5000).await).expect("baseline written"),
    )
    .expect("baseline is JSON");
    let expected = expected();
    let profiles: Vec<&Value> = baseline["features"]
        .as_array()
        .expect("features")
        .iter()
        .chain(std::iter::once(&baseline["prediction"]))
        .collect();
    for (name, want) in expected["baseline"].as_object().expect("baseline") {
        let profile = profiles
            .iter()
            .find(|p| p["name"] == *name)
            .unwrap_or_else(|| panic!("no profile for {name}"));
        let (edges, want_edges) = (&profile["bin_edges"], &want["bin_edges"]);
        assert_eq!(
            edges.as_array().map(Vec::len),
            want_edges.as_array().map(Vec::len),
            "{name} edges"
        );
        for (g, w) in edges
            .as_array()
            .into_iter()
            .flatten()
            .zip(want_edges.as_array().into_iter().flatten())
        {
            close(g, w, 1e-9, &format!("{name} edge"));
        }
        close(
            &profile["null_rate"],
            &want["null_rate"],
            1e-12,
            &format!("{name} null rate"),
        );
    }
    let store = profiles
        .iter()
        .find(|p| p["name"] == "store_type")
        .expect("store_type");
    let kept: Vec<&Value> = store["categories"]
        .as_array()
        .expect("categories")
        .iter()
        .map(|c| &c["value"])
        .collect();
    let want: Vec<&Value> = expected["baseline_categories"]["store_type"]
        .as_array()
        .expect("categories")
        .iter()
        .collect();
    assert_eq!(kept, want, "the rare category is pooled");
}

#[tokio::test]
async fn psi_and_ks_match_numpy_and_scipy_for_every_known_shift() {
    let dir = tempfile::tempdir().expect("temp dir");
    let baseline = build_baseline(dir.path(), 5000).await;
    let expected = expected();
    let scenarios = expected["scenarios"].as_object().expect("scenarios");
    assert_eq!(scenarios.len(), 5);
    for (scenario, want) in scenarios {
        let report = monitor(&baseline, scenario, &dir.path().join(scenario)).await;
        assert_eq!(report["status"], "ok", "{scenario}");
        assert_eq!(report["rows"], want["rows"], "{scenario} rows");
        assert_eq!(
            (
                report["hours_with_data"].as_u64(),
                report["files_read"].as_u64()
            ),
            (Some(2), Some(2))
        );
        assert_eq!(report["malformed_records"], 0, "{scenario}");
        assert_eq!(
            report["drift_detected"], want["drift_expected"],
            "{scenario}: {:#}",
            report["drifted_features"]
        );
        for (name, score) in scores_by_feature(&report) {
            let want = if name == "prediction" {
                &want["prediction"]
            } else {
                &want["features"][&name]
            };
            close(
                &score["psi"],
                &want["psi"],
                1e-9,
                &format!("{scenario} {name} PSI"),
            );
            close(
                &score["ks"],
                &want["ks"],
                1e-12,
                &format!("{scenario} {name} KS"),
            );
        }
        let written = dir
            .path()
            .join(scenario)
            .join("demand-forecast/20261129T11Z.json");
        assert!(
            written.exists(),
            "{scenario}: report not written at {}",
            written.display()
        );
    }
}

#[tokio::test]
async fn with_the_default_grid_ks_stays_within_its_documented_bound() {
    let dir = tempfile::tempdir().expect("temp dir");
    let baseline = build_baseline(dir.path(), 1000).await;
    let expected = expected();
    // 3000 training values on a 1000-point grid: at most 3 values (0.001) strictly between two
    // grid points, the error bound of the grid KS.
    let bound = 3.0 / 3000.0 + 1e-12;
    let mut largest_error: f64 = 0.0;
    for (scenario, want) in expected["scenarios"].as_object().expect("scenarios") {
        let report = monitor(&baseline, scenario, dir.path()).await;
        for (name, score) in scores_by_feature(&report) {
            let want = if name == "prediction" {
                &want["prediction"]
            } else {
                &want["features"][&name]
            };
            close(
                &score["ks"],
                &want["ks"],
                bound,
                &format!("{scenario} {name} KS"),
            );
            if let (Some(g), Some(w)) = (score["ks"].as_f64(), want["ks"].as_f64()) {
                largest_error = largest_error.max((g - w).abs());
            }
        }
    }
    assert!(
        largest_error > 0.0,
        "a 1000-point grid on 3000 values is not exact: the test would not see a grid bug"
    );
}

/// Plain local capture files are read by another path (blocking reads) than gzip ones: both
/// give the same report for every scenario.
#[tokio::test]
async fn plain_capture_files_give_the_reports_of_their_gzip_copies() {
    use std::io::Read;
    let dir = tempfile::tempdir().expect("temp dir");
    let baseline = build_baseline(dir.path(), 1000).await;
    for scenario in ["no_shift", "mean_shift", "new_category", "feature_null"] {
        let gzip = fixtures().join("capture").join(scenario);
        let plain = dir.path().join("plain").join(scenario);
        for hour in ["09", "10"] {
            let folder = Path::new("2026/11/29").join(hour);
            let Ok(file) = std::fs::File::open(gzip.join(&folder).join("capture.jsonl.gz")) else {
                continue;
            };
            let mut text = Vec::new();
            flate2::read::MultiGzDecoder::new(file)
                .read_to_end(&mut text)
                .expect("gzip");
            std::fs::create_dir_all(plain.join(&folder)).expect("folder");
            std::fs::write(plain.join(&folder).join("capture.jsonl"), text).expect("written");
        }
        let strip = |mut report: Value| {
            report["capture_prefix"] = Value::Null;
            report["report_uri"] = Value::Null;
            report
        };
        let from_gzip = strip(monitor_at(&baseline, &gzip, &dir.path().join("r1")).await);
        let from_plain = strip(monitor_at(&baseline, &plain, &dir.path().join("r2")).await);
        assert!(from_plain["rows"].as_u64().unwrap_or(0) > 0, "{scenario}");
        assert_eq!(from_plain, from_gzip, "{scenario}");
    }
}
