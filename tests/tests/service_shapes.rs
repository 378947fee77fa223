//! `asl/data/service-shapes.json` is what `scripts/gen-service-shapes.py` writes from the botocore
//! pinned in `requirements-shapes.txt`, byte for byte.

use integration_tests::workspace_root;
use std::path::PathBuf;
use std::process::Command;

/// The generator's Python (`$PIPELINES_VENV/shapes`, installed by scripts/setup-venv.sh), or
/// `None` on a machine that has never run `make venv` (outside CI only: there it must exist).
fn shapes_python() -> Option<PathBuf> {
    let venv = std::env::var_os("PIPELINES_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv"));
    let python = venv.join("shapes").join("bin").join("python");
    if python.exists() {
        return Some(python);
    }
    let must = std::env::var_os("CI").is_some() || venv.join("bin").join("python").exists();
    assert!(
        !must,
        "botocore for scripts/gen-service-shapes.py is missing at {}: run `make venv` (scripts/setup-venv.sh)",
        python.display()
    );
    eprintln!(
        "service_shapes: no {} (run `make venv`); the generator was not re-run",
        python.display()
    );
    None
}

#[test]
fn the_checked_in_shapes_are_what_the_pinned_botocore_gives() {
    let Some(python) = shapes_python() else {
        return;
    };
    let root = workspace_root();
    let pin = std::fs::read_to_string(root.join("requirements-shapes.txt")).unwrap();
    let pinned = pin
        .lines()
        .find_map(|l| l.trim().strip_prefix("botocore=="))
        .expect("requirements-shapes.txt pins botocore==X");
    let installed = Command::new(&python)
        .args(["-c", "import botocore; print(botocore.__version__)"])
        .output()
        .expect("cannot run the shapes venv's python");
    assert_eq!(
        String::from_utf8_lossy(&installed.stdout).trim(),
        pinned,
        "the shapes venv's botocore is not the pinned one: run `make venv`"
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("service-shapes.json");
    let run = Command::new(&python)
        .arg(root.join("scripts/gen-service-shapes.py"))
        .arg("--output")
        .arg(&out)
        .output()
        .expect("cannot run scripts/gen-service-shapes.py");
    assert!(
        run.status.success(),
        "the generator failed:\n{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    let generated = std::fs::read_to_string(&out).unwrap();
    let checked_in = std::fs::read_to_string(root.join("asl/data/service-shapes.json")).unwrap();
    assert!(
        generated.contains(&format!("\"botocore {pinned},")),
        "the generated file does not name botocore {pinned}"
    );
    if generated != checked_in {
        let first = generated
            .lines()
            .zip(checked_in.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| generated.lines().count().min(checked_in.lines().count()));
        panic!(
            "asl/data/service-shapes.json differs from the generator's output from line {}: run `.venv/shapes/bin/python scripts/gen-service-shapes.py` and commit it",
            first + 1
        );
    }
}
