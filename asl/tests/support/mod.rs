//! Helpers the corpus tests share.

use std::collections::BTreeMap;
use std::path::PathBuf;

/// The known misses listed in `asl/tests/<file>`: one `id  reason` per line (two spaces apart),
/// `#` comments and blank lines skipped. `required`: a missing file fails the test; otherwise it
/// reads as no misses.
pub fn known_misses(file: &str, required: bool) -> BTreeMap<String, String> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(file);
    let text = match std::fs::read_to_string(&p) {
        Ok(text) => text,
        Err(e) if required => panic!("cannot read {}: {e}", p.display()),
        Err(_) => String::new(),
    };
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| match l.split_once("  ") {
            Some((id, why)) => (id.trim().to_string(), why.trim().to_string()),
            None => (l.to_string(), String::new()),
        })
        .collect()
}
