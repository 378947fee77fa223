//! Every sample event under `events/drift-monitor/` gives the result its README documents. The
//! events name `file://events/...` relative to the workspace root; the test points them there and
//! sends outputs to a temporary directory.

use drift_monitor::{handle, Deps};
use integration_tests::workspace_root;
use serde_json::{json, Value};

async fn run(name: &str, out: &std::path::Path) -> Result<Value, String> {
    let root = workspace_root();
    let text = std::fs::read_to_string(root.join("events/drift-monitor").join(name))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .replace(
            "file://events/",
            &format!("file://{}/events/", root.display()),
        )
        .replace(
            "file:///tmp/drift-monitor",
            &format!("file://{}", out.display()),
        );
    let mut event: Value = serde_json::from_str(&text).expect("event JSON");
    if event["mode"] == "baseline" {
        event["output_uri"] = json!(format!("file://{}/baseline.json", out.display()));
    }
    handle(&Deps::local(), event)
        .await
        .map(|output| serde_json::to_value(output).expect("output serialises"))
        .map_err(|e| shared::ErrorType::error_type(&e).to_string())
}

#[tokio::test]
async fn every_sample_event_gives_its_documented_result() {
    let out = tempfile::tempdir().expect("temp dir");
    let baseline = run("baseline.json", out.path()).await.expect("baseline");
    assert_eq!(baseline["rows"], 3000);
    assert_eq!(
        (
            baseline["features"].as_u64(),
            baseline["numeric_features"].as_u64()
        ),
        (Some(4), Some(3))
    );
    assert_eq!(
        (
            baseline["has_prediction"].as_bool(),
            baseline["exact"].as_bool()
        ),
        (Some(true), Some(true))
    );
    let mut built: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("baseline.json")).expect("built"))
            .expect("JSON");
    let mut shipped: Value = serde_json::from_slice(
        &std::fs::read(workspace_root().join("events/drift-monitor/data/baseline.json"))
            .expect("shipped"),
    )
    .expect("JSON");
    for profile in [&mut built, &mut shipped] {
        profile["created_at"] = Value::Null;
        profile["source_uri"] = Value::Null;
    }
    assert_eq!(
        built, shipped,
        "data/baseline.json is what baseline.json builds today"
    );

    let cases: [(&str, &str, Value); 4] = [
        ("monitor-shifted.json", "ok", json!(["price", "prediction"])),
        ("monitor-unshifted.json", "ok", json!([])),
        (
            "monitor-insufficient-data.json",
            "insufficient_data",
            json!([]),
        ),
        ("monitor-ks-threshold.json", "ok", json!(["discount"])),
    ];
    for (name, status, drifted) in cases {
        let report = run(name, out.path())
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(report["status"], status, "{name}");
        assert_eq!(report["drifted_features"], drifted, "{name}");
        assert_eq!(report["rows"], 300, "{name}");
    }
    assert_eq!(
        run("missing-baseline.json", out.path())
            .await
            .err()
            .as_deref(),
        Some("BaselineNotFound")
    );
    assert_eq!(
        run("invalid-model-name.json", out.path())
            .await
            .err()
            .as_deref(),
        Some("InvalidInput")
    );
}
