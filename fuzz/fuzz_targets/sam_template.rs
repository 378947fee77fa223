//! The SAM template (`sam-template.yaml`) as the CLI reads it: YAML with CloudFormation's short
//! tags to JSON, parameters, and the state machines, functions, schedules and rules picked out
//! with their intrinsic functions resolved (`cli/src/template.rs`, compiled here by path).
//! Property: no panic (a template it cannot read or resolve is a typed error).
#![no_main]

#[allow(dead_code)]
#[path = "../../cli/src/template.rs"]
mod template;

use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(t) = template::Template::parse(Path::new("sam-template.yaml"), text, &BTreeMap::new())
    else {
        return;
    };
    let _ = t.state_machines();
    let _ = t.functions();
    let _ = t.schedules();
    let _ = t.rules();
    let ids: Vec<String> = t.resources().map(|(id, _)| id.clone()).collect();
    for id in &ids {
        let _ = t.physical_name(id);
        let _ = t.resource_type(id);
        if let Some(resource) = t.resource(id).cloned() {
            let _ = t.resolve(&resource, id);
            let _ = t.resolve_text(&resource, id);
        }
    }
});
