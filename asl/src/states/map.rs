//! `Map`: runs its item processor once per item of an array.

use super::{parse_graph, Dynamic, Graph, Reader, ResultPathSpec, Transition};
use crate::catch::Catcher;
use crate::path::Path;
use crate::payload::Template;
use crate::retry::Retrier;
use serde_json::Value;

/// A Map state.
#[derive(Debug, Clone, PartialEq)]
pub struct Map {
    /// `ItemsPath` (`None`: `$`).
    pub items_path: Option<Path>,
    /// `ItemSelector`, or the legacy `Parameters`.
    pub item_selector: Option<Template>,
    /// `Items` (JSONata: an array or an expression).
    pub items: Option<crate::jsonata::Template>,
    /// `ItemSelector` of a JSONata Map.
    pub item_selector_jsonata: Option<crate::jsonata::Template>,
    /// `ItemProcessor`, or the legacy `Iterator`.
    pub processor: Graph,
    /// `ProcessorConfig.Mode` is `DISTRIBUTED`: each iteration is a child execution with its
    /// own history.
    pub distributed: bool,
    /// `MaxConcurrency` / `MaxConcurrencyPath` (0: no limit).
    pub max_concurrency: Option<Dynamic<u64>>,
    /// `ToleratedFailurePercentage` / `...Path`.
    pub tolerated_failure_percentage: Option<Dynamic<f64>>,
    /// `ToleratedFailureCount` / `...Path`.
    pub tolerated_failure_count: Option<Dynamic<u64>>,
    /// `Label`.
    pub label: Option<String>,
    /// `ResultSelector`.
    pub result_selector: Option<Template>,
    /// `ResultPath`.
    pub result_path: ResultPathSpec,
    /// `Retry`.
    pub retry: Vec<Retrier>,
    /// `Catch`.
    pub catch: Vec<Catcher>,
    /// `Next` / `End`.
    pub transition: Transition,
}

pub(crate) fn parse(r: &mut Reader<'_>) -> Option<Map> {
    r.check_fields(&[
        "Next",
        "End",
        "InputPath",
        "OutputPath",
        "ItemsPath",
        "ItemSelector",
        "Parameters",
        "ItemProcessor",
        "Iterator",
        "MaxConcurrency",
        "MaxConcurrencyPath",
        "ResultSelector",
        "ResultPath",
        "Retry",
        "Catch",
        "ToleratedFailurePercentage",
        "ToleratedFailurePercentagePath",
        "ToleratedFailureCount",
        "ToleratedFailureCountPath",
        "Label",
        "ItemReader",
        "ItemBatcher",
        "ResultWriter",
        "Items",
    ]);
    for k in ["ItemReader", "ItemBatcher", "ResultWriter"] {
        if r.has(k) {
            r.err(
                k,
                format!("{k} (distributed Map over external data) is not supported yet"),
            );
        }
    }
    let proc_key = match (r.has("ItemProcessor"), r.has("Iterator")) {
        (true, true) => {
            r.err("", "ItemProcessor and Iterator cannot both be present");
            return None;
        }
        (true, false) => "ItemProcessor",
        (false, true) => "Iterator",
        (false, false) => {
            r.err(
                "ItemProcessor",
                "a Map state needs an ItemProcessor (or Iterator)",
            );
            return None;
        }
    };
    if r.has("ItemSelector") && r.has("Parameters") {
        r.err("", "ItemSelector and Parameters cannot both be present");
    }
    let at = r.here(proc_key);
    let Some(Value::Object(pm)) = r.m.get(proc_key) else {
        r.err(proc_key, format!("{proc_key} must be an object"));
        return None;
    };
    let mut distributed = false;
    for (k, v) in pm {
        match k.as_str() {
            "StartAt" | "States" | "Comment" => {}
            "QueryLanguage" => r.errors.push(crate::error::DefinitionError::new(
                format!("{at}.QueryLanguage"),
                format!("The field 'QueryLanguage' is not supported in {proc_key}"),
            )),
            "ProcessorConfig" => match v.get("Mode").and_then(Value::as_str) {
                Some("DISTRIBUTED") => distributed = true,
                Some("INLINE") | None => {}
                Some(m) => r.errors.push(crate::error::DefinitionError::new(
                    format!("{at}.ProcessorConfig.Mode"),
                    format!("unknown processor mode '{m}'"),
                )),
            },
            other => r.errors.push(crate::error::DefinitionError::new(
                format!("{at}.{other}"),
                format!("the field '{other}' is not valid in {proc_key}"),
            )),
        }
    }
    let processor = parse_graph(pm, &at, r.errors, r.depth + 1, r.top);
    let jsonata = r.lang == super::QueryLanguage::Jsonata;
    let item_selector = if jsonata {
        None
    } else if r.has("ItemSelector") {
        r.template("ItemSelector")
    } else {
        r.template("Parameters")
    };
    let item_selector_jsonata = if jsonata {
        r.jsonata("ItemSelector")
    } else {
        None
    };
    let items = r.jsonata("Items");
    let items_path = match r.m.get("ItemsPath") {
        None => None,
        Some(_) => r.path("ItemsPath"),
    };
    let max_concurrency = r.dynamic_uint("MaxConcurrency", 0);
    let tolerated_failure_count = r.dynamic_uint("ToleratedFailureCount", 0);
    let tolerated_failure_percentage = match r.expr_field("ToleratedFailurePercentage") {
        Some(e) => Some(Dynamic::Expr(e)),
        None => match (
            r.has("ToleratedFailurePercentage"),
            r.has("ToleratedFailurePercentagePath"),
        ) {
            (true, true) => {
                r.err("", "ToleratedFailurePercentage and ToleratedFailurePercentagePath cannot both be present");
                None
            }
            (true, false) => match r.float("ToleratedFailurePercentage") {
                Some(p) if (0.0..=100.0).contains(&p) => Some(Dynamic::Literal(p)),
                Some(_) => {
                    r.err(
                        "ToleratedFailurePercentage",
                        "ToleratedFailurePercentage must be between 0 and 100",
                    );
                    None
                }
                None => None,
            },
            (false, true) => r.path("ToleratedFailurePercentagePath").map(Dynamic::Path),
            (false, false) => None,
        },
    };
    let label = r.string("Label");
    if let Some(l) = &label {
        if l.chars().count() > 40
            || l.chars()
                .any(|c| c.is_whitespace() || "<>{}[]?*\"#%\\^|~`$&,;:/".contains(c))
        {
            r.err(
                "Label",
                "Label must be at most 40 characters, without whitespace or special characters",
            );
        }
    }
    let m = Map {
        items_path,
        item_selector,
        items,
        item_selector_jsonata,
        processor: processor?,
        distributed,
        max_concurrency,
        tolerated_failure_percentage,
        tolerated_failure_count,
        label,
        result_selector: r.template("ResultSelector"),
        result_path: r.result_path("ResultPath"),
        retry: r.retry(),
        catch: r.catch(),
        transition: r.transition(),
    };
    Some(m)
}
