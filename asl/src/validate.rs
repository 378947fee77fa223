//! Static checks that need the whole state list: reachability and terminal states.
//! (Field-level checks happen while parsing, in `states`.)

use crate::error::DefinitionError;
use crate::states::{Graph, Kind};

/// Indexes of the states `s` can go to (its [`Kind::transitions`]).
pub fn successors(kind: &Kind) -> Vec<usize> {
    kind.transitions().into_iter().map(|e| e.to).collect()
}

/// Reports unreachable states and a state list without a terminal state.
pub fn check_graph(g: &Graph, at: &str, errors: &mut Vec<DefinitionError>) {
    let mut seen = vec![false; g.states.len()];
    let mut stack = vec![g.start];
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut seen[i], true) {
            continue;
        }
        stack.extend(
            successors(&g.states[i].kind)
                .into_iter()
                .filter(|&n| !seen[n]),
        );
    }
    for (i, s) in g.states.iter().enumerate() {
        if !seen[i] {
            errors.push(DefinitionError::new(
                format!("{at}.States.{}", s.name),
                format!("the state '{}' is not reachable from StartAt", s.name),
            ));
        }
    }
    if !g.states.iter().any(|s| s.kind.ends()) {
        errors.push(DefinitionError::new(
            format!("{at}.States"),
            "no terminal state: at least one state must have End: true or be a Succeed or Fail state",
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::StateMachine;
    use serde_json::json;

    fn errors(def: serde_json::Value) -> Vec<String> {
        match StateMachine::from_value(&def) {
            Ok(_) => Vec::new(),
            Err(e) => {
                e.0.into_iter()
                    .map(|e| format!("{}: {}", e.path, e.message))
                    .collect()
            }
        }
    }

    #[test]
    fn unreachable_states_are_reported_with_their_path() {
        let e = errors(json!({"StartAt": "A", "States": {
            "A": {"Type": "Pass", "End": true}, "B": {"Type": "Pass", "End": true}}}));
        assert_eq!(
            e,
            vec!["$.States.B: the state 'B' is not reachable from StartAt"]
        );
    }

    #[test]
    fn a_missing_next_target_is_reported() {
        let e = errors(json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nope"}}}));
        assert_eq!(e, vec!["$.States.A.Next: the state 'Nope' does not exist"]);
    }

    #[test]
    fn a_machine_without_terminal_state_is_rejected() {
        let e = errors(json!({"StartAt": "A", "States": {
            "A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}}}));
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].contains("no terminal state"));
    }

    #[test]
    fn unknown_and_missing_fields_are_reported_per_state_type() {
        let e = errors(json!({"StartAt": "A", "States": {
            "A": {"Type": "Pass", "Seconds": 3, "End": true}}}));
        assert_eq!(
            e,
            vec!["$.States.A.Seconds: the field 'Seconds' is not valid in a Pass state"]
        );
        let e = errors(json!({"StartAt": "A", "States": {"A": {"Type": "Task", "End": true}}}));
        assert_eq!(
            e,
            vec!["$.States.A.Resource: a Task state needs a Resource"]
        );
    }

    #[test]
    fn states_all_must_be_alone_and_last() {
        let e = errors(
            json!({"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "r", "End": true,
            "Retry": [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["X"]}],
            "Catch": [{"ErrorEquals": ["States.ALL", "X"], "Next": "A"}]}}}),
        );
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(e[0].starts_with("$.States.A.Retry[0].ErrorEquals"));
        assert!(e[1].starts_with("$.States.A.Catch[0].ErrorEquals"));
    }

    #[test]
    fn bad_paths_and_intrinsics_are_reported() {
        let e = errors(
            json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true,
            "InputPath": "a.b", "Parameters": {"x.$": "States.MathAdd(1)"}}}}),
        );
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(e[0].starts_with("$.States.A.InputPath"));
        assert!(e[1].starts_with("$.States.A.Parameters.x.$"));
    }

    #[test]
    fn choice_rules_with_two_operators_are_rejected() {
        let e = errors(json!({"StartAt": "C", "States": {
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.a", "StringEquals": "x",
                  "NumericEquals": 1, "Next": "D"}]},
            "D": {"Type": "Succeed"}}}));
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].starts_with("$.States.C.Choices[0]: a Choice rule must have exactly one"));
    }

    #[test]
    fn fields_of_the_other_query_language_get_aws_messages() {
        let e = errors(json!({"StartAt": "A", "States": {
            "A": {"Type": "Pass", "Output": 1, "End": true}}}));
        assert_eq!(
            e,
            vec!["$.States.A.Output: The QueryLanguage is set to 'JSONPath', but field 'Output' is only supported for the 'JSONata' QueryLanguage"]
        );
        let e = errors(
            json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
            "A": {"Type": "Pass", "InputPath": "$.x", "End": true}}}),
        );
        assert_eq!(
            e,
            vec!["$.States.A.InputPath: The QueryLanguage is set to 'JSONata', but field 'InputPath' is only supported for the 'JSONPath' QueryLanguage"]
        );
    }

    #[test]
    fn a_jsonpath_state_under_a_jsonata_machine_is_rejected() {
        let e = errors(
            json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
            "A": {"Type": "Pass", "QueryLanguage": "JSONPath", "End": true}}}),
        );
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].starts_with("$.States.A.QueryLanguage"));
    }

    #[test]
    fn item_processors_take_no_query_language() {
        let e = errors(
            json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
            "ItemProcessor": {"QueryLanguage": "JSONata", "StartAt": "P",
                "States": {"P": {"Type": "Pass", "End": true}}}}}}),
        );
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].contains("QueryLanguage"));
    }

    #[test]
    fn bad_jsonata_is_invalid_and_bare_names_are_unsupported() {
        let e = errors(
            json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
            "A": {"Type": "Pass", "Output": "{% $states.input.[ %}", "End": true}}}),
        );
        assert!(e[0].contains("INVALID_JSONATA_EXPRESSION"), "{e:?}");
        let e = errors(
            json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
            "A": {"Type": "Pass", "Output": {"x": "{% states.input %}"}, "End": true}}}),
        );
        assert!(
            e[0].starts_with("$.States.A.Output.x: UNSUPPORTED_JSONATA_EXPRESSION"),
            "{e:?}"
        );
    }

    #[test]
    fn variable_names_are_checked() {
        let e = errors(json!({"StartAt": "A", "States": {
            "A": {"Type": "Pass", "Assign": {"1x": 1}, "End": true}}}));
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].contains("not a valid variable name"));
    }
}
