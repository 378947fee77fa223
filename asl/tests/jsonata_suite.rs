//! The JSONata language suite of jsonata-js v2.0.6 (the version AWS Step Functions runs),
//! evaluated by the engine's JSONata (`asl::jsonata::evaluate_language`: AWS's functions,
//! `$eval` disabled, bounded depth and time). Prints the pass rate per group.
//!
//! The suite is read by path from `$JSONATA_SUITE`, or from
//! `../shared/conformance/jsonata-suite` beside the workspace; it is never copied into the
//! repository. Cases that fail must be listed in `tests/jsonata-suite-known-misses.txt`
//! (`group/case[#n]  reason`), and listed cases must still fail, so the list stays true.

mod support;

use asl::jsonata::evaluate_language;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn suite_path() -> PathBuf {
    match std::env::var_os("JSONATA_SUITE") {
        Some(p) => PathBuf::from(p),
        None => {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/jsonata-suite")
        }
    }
}

/// Numbers compared as values, objects without regard to key order.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn read(p: &Path) -> Result<String, String> {
    std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))
}

/// Runs one case; `Ok(())` when it passes, else what happened.
fn run_case(root: &Path, dir: &Path, c: &Value) -> Result<(), String> {
    let expr = match (c.get("expr"), c.get("expr-file")) {
        (Some(Value::String(e)), _) => e.clone(),
        (_, Some(Value::String(f))) => read(&dir.join(f))?,
        _ => return Err("the case has no expr".into()),
    };
    let data = match (c.get("data"), c.get("dataset")) {
        (Some(d), _) => Some(d.clone()),
        (_, Some(Value::String(ds))) => {
            let text = read(&root.join("datasets").join(format!("{ds}.json")))?;
            Some(serde_json::from_str(&text).map_err(|e| format!("dataset {ds}: {e}"))?)
        }
        _ => None,
    };
    let bindings: Map<String, Value> = c
        .get("bindings")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let depth = c.get("depth").and_then(Value::as_u64).map(|d| d as usize);
    let time = c
        .get("timelimit")
        .and_then(Value::as_u64)
        .map(Duration::from_millis);
    let got = evaluate_language(&expr, data.as_ref(), &bindings, depth, time);
    let ok = if let Some(want) = c.get("result") {
        matches!(&got, Ok(Some(v)) if same(v, want))
    } else if c.get("undefinedResult").is_some() {
        matches!(got, Ok(None))
    } else if let Some(code) = c.get("code").and_then(Value::as_str) {
        matches!(&got, Err(e) if e.code == code)
    } else if let Some(want) = c.get("error") {
        matches!(&got, Err(e) if Some(e.code.as_str()) == want["code"].as_str()
            && want.get("message").is_none_or(|m| m.as_str() == Some(e.message.as_str())))
    } else {
        return Err("the case has no expectation".into());
    };
    if ok {
        Ok(())
    } else {
        Err(format!("{expr} => {got:?}"))
    }
}

#[test]
fn jsonata_suite_passes_except_known_misses() {
    let root = suite_path();
    let groups_dir = root.join("groups");
    let mut groups: Vec<PathBuf> = std::fs::read_dir(&groups_dir)
        .unwrap_or_else(|e| {
            panic!(
                "\n\n*** JSONata suite not found at {} ({e}).\n*** Set JSONATA_SUITE to the jsonata-suite folder (../shared/conformance/jsonata-suite).\n\n",
                root.display()
            )
        })
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    groups.sort();
    assert!(
        !groups.is_empty(),
        "no groups under {}",
        groups_dir.display()
    );
    let known = support::known_misses("jsonata-suite-known-misses.txt", true);
    let mut outcomes: BTreeMap<String, Result<(), String>> = BTreeMap::new();
    let mut by_group: Vec<(String, usize, usize)> = Vec::new();
    for g in &groups {
        let gname = g
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("?")
            .to_string();
        let mut files: Vec<PathBuf> = std::fs::read_dir(g)
            .unwrap_or_else(|e| panic!("{}: {e}", g.display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        let (mut pass, mut total) = (0, 0);
        for f in files {
            let stem = f.file_stem().and_then(|n| n.to_str()).unwrap_or("?");
            let text = read(&f).unwrap_or_else(|e| panic!("{e}"));
            let cases: Vec<(String, Result<Value, String>)> =
                match serde_json::from_str::<Value>(&text) {
                    Ok(Value::Array(a)) => a
                        .into_iter()
                        .enumerate()
                        .map(|(i, c)| (format!("{gname}/{stem}#{i}"), Ok(c)))
                        .collect(),
                    Ok(c) => vec![(format!("{gname}/{stem}"), Ok(c))],
                    Err(e) => vec![(format!("{gname}/{stem}"), Err(format!("not JSON: {e}")))],
                };
            for (id, case) in cases {
                total += 1;
                let r = case.and_then(|c| run_case(&root, g, &c));
                if r.is_ok() {
                    pass += 1;
                }
                outcomes.insert(id, r);
            }
        }
        by_group.push((gname, pass, total));
    }
    let passed = outcomes.values().filter(|r| r.is_ok()).count();
    println!("\nJSONata suite ({}):", root.display());
    println!(
        "  {passed}/{} cases pass ({:.2}%)",
        outcomes.len(),
        100.0 * passed as f64 / outcomes.len().max(1) as f64
    );
    for (g, p, t) in &by_group {
        println!(
            "    {g:<36} {p:>4}/{t:<4} {:>6.1}%",
            100.0 * *p as f64 / (*t).max(1) as f64
        );
    }
    let mut unexpected = Vec::new();
    let mut now_passing = Vec::new();
    for (id, r) in &outcomes {
        match (r, known.contains_key(id)) {
            (Err(detail), false) => unexpected.push(format!("{id}: {detail}")),
            (Ok(()), true) => now_passing.push(id.clone()),
            _ => {}
        }
    }
    let stale: Vec<&String> = known
        .keys()
        .filter(|k| !outcomes.contains_key(*k))
        .collect();
    assert!(
        100.0 * passed as f64 / outcomes.len().max(1) as f64 >= 98.0,
        "the pass rate fell below 98 %"
    );
    assert!(
        unexpected.is_empty() && now_passing.is_empty() && stale.is_empty(),
        "\nmisses not in the known-misses file:\n  {}\nknown misses that now pass (remove them):\n  {}\nknown misses not in the suite:\n  {:?}\n",
        unexpected.join("\n  "),
        now_passing.join("\n  "),
        stale
    );
}
