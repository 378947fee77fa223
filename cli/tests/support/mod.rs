//! Helpers for the `pipelines` command's tests: the workspace root, running the binary, and
//! scratch copies of the project with one defect each.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Runs `pipelines` with `args` in `dir`.
pub fn pipelines(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pipelines"))
        .args(args)
        .current_dir(dir)
        .env_remove("AWS_ENDPOINT_URL")
        .env("NO_COLOR", "1")
        .output()
        .expect("cannot run pipelines")
}

/// stdout and stderr together, for assertion messages.
pub fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A scratch project: the template, the state machines, the events and each function crate's
/// manifest, with `edit(relative path, text) -> text` applied to every file copied.
pub fn scratch_project(edit: impl Fn(&str, String) -> String) -> tempfile::TempDir {
    let src = root();
    let dir = tempfile::tempdir().unwrap();
    for folder in ["state-machines", "events"] {
        copy_dir(&src.join(folder), &dir.path().join(folder));
    }
    for entry in std::fs::read_dir(src.join("functions")).unwrap() {
        let crate_dir = entry.unwrap().path();
        let manifest = crate_dir.join("Cargo.toml");
        if manifest.is_file() {
            let target = dir
                .path()
                .join("functions")
                .join(crate_dir.file_name().unwrap());
            std::fs::create_dir_all(&target).unwrap();
            std::fs::copy(&manifest, target.join("Cargo.toml")).unwrap();
        }
    }
    let template = std::fs::read_to_string(src.join("sam-template.yaml")).unwrap();
    std::fs::write(
        dir.path().join("sam-template.yaml"),
        edit("sam-template.yaml", template),
    )
    .unwrap();
    for entry in std::fs::read_dir(dir.path().join("state-machines")).unwrap() {
        let path = entry.unwrap().path();
        let relative = format!(
            "state-machines/{}",
            path.file_name().unwrap().to_string_lossy()
        );
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, edit(&relative, text)).unwrap();
    }
    std::fs::create_dir_all(dir.path().join("config")).unwrap();
    let catalogue = std::fs::read_to_string(src.join("config/models.yaml")).unwrap();
    std::fs::write(
        dir.path().join("config/models.yaml"),
        edit("config/models.yaml", catalogue),
    )
    .unwrap();
    dir
}
