//! AWS Step Functions Local's mock configuration format:
//!
//! ```json
//! {
//!   "StateMachines": {
//!     "Machine": { "TestCases": { "HappyPath": { "TaskState": "OkResponse" } } }
//!   },
//!   "MockedResponses": {
//!     "OkResponse": { "0": { "Return": { "StatusCode": 200, "Payload": {} } },
//!                     "1-2": { "Throw": { "Error": "Boom", "Cause": "why" } } }
//!   }
//! }
//! ```

use crate::task::{BoxFuture, TaskError, TaskHandler, TaskRequest};
use serde_json::Value;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

/// One mocked outcome.
#[derive(Debug, Clone, PartialEq)]
pub enum MockOutcome {
    /// `Return`: the task succeeds with this value.
    Return(Value),
    /// `Throw`: the task fails.
    Throw(TaskError),
}

/// A named mocked response: outcomes for invocation 0, 1, 2, ...
#[derive(Debug, Clone, PartialEq)]
pub struct MockedResponse {
    ranges: Vec<(usize, usize, MockOutcome)>,
}

impl MockedResponse {
    /// The outcome of invocation `n` (0-based), if the response covers it.
    pub fn outcome(&self, n: usize) -> Option<&MockOutcome> {
        self.ranges
            .iter()
            .find(|(a, b, _)| (*a..=*b).contains(&n))
            .map(|(_, _, o)| o)
    }
}

/// A parsed mock configuration file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MockConfig {
    /// State machine → test case → state → response name.
    pub state_machines: HashMap<String, HashMap<String, HashMap<String, String>>>,
    /// Response name → response.
    pub responses: HashMap<String, MockedResponse>,
}

/// A problem with a mock configuration or its use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockError(pub String);

impl fmt::Display for MockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for MockError {}

fn obj<'a>(v: &'a Value, what: &str) -> Result<&'a serde_json::Map<String, Value>, MockError> {
    v.as_object()
        .ok_or_else(|| MockError(format!("{what} must be an object")))
}

impl MockConfig {
    /// Parses the JSON of a mock configuration file.
    pub fn parse(v: &Value) -> Result<MockConfig, MockError> {
        let root = obj(v, "the mock configuration")?;
        let mut cfg = MockConfig::default();
        if let Some(sms) = root.get("StateMachines") {
            for (sm, def) in obj(sms, "StateMachines")? {
                let mut cases = HashMap::new();
                if let Some(tcs) = obj(def, &format!("StateMachines.{sm}"))?.get("TestCases") {
                    for (tc, states) in obj(tcs, &format!("StateMachines.{sm}.TestCases"))? {
                        let mut map = HashMap::new();
                        for (state, resp) in obj(states, &format!("test case {tc}"))? {
                            let r = resp.as_str().ok_or_else(|| {
                                MockError(format!(
                                    "StateMachines.{sm}.TestCases.{tc}.{state} must name a mocked response"
                                ))
                            })?;
                            map.insert(state.clone(), r.to_string());
                        }
                        cases.insert(tc.clone(), map);
                    }
                }
                cfg.state_machines.insert(sm.clone(), cases);
            }
        }
        if let Some(rs) = root.get("MockedResponses") {
            for (name, body) in obj(rs, "MockedResponses")? {
                let mut ranges = Vec::new();
                for (key, outcome) in obj(body, &format!("MockedResponses.{name}"))? {
                    let (a, b) = match key.split_once('-') {
                        Some((a, b)) => (a.trim().parse::<usize>(), b.trim().parse::<usize>()),
                        None => (key.trim().parse::<usize>(), key.trim().parse::<usize>()),
                    };
                    let (Ok(a), Ok(b)) = (a, b) else {
                        return Err(MockError(format!(
                            "MockedResponses.{name}: '{key}' is not an invocation index or range like \"1-2\""
                        )));
                    };
                    if b < a {
                        return Err(MockError(format!(
                            "MockedResponses.{name}: the range '{key}' is empty"
                        )));
                    }
                    let o = obj(outcome, &format!("MockedResponses.{name}.{key}"))?;
                    let out = match (o.get("Return"), o.get("Throw")) {
                        (Some(r), None) => MockOutcome::Return(r.clone()),
                        (None, Some(t)) => {
                            let t = obj(t, "Throw")?;
                            MockOutcome::Throw(TaskError {
                                error: t
                                    .get("Error")
                                    .and_then(Value::as_str)
                                    .unwrap_or("States.TaskFailed")
                                    .to_string(),
                                cause: t.get("Cause").and_then(Value::as_str).map(str::to_string),
                            })
                        }
                        _ => {
                            return Err(MockError(format!(
                            "MockedResponses.{name}.{key} must have exactly one of Return or Throw"
                        )))
                        }
                    };
                    ranges.push((a, b, out));
                }
                ranges.sort_by_key(|r| r.0);
                let mut expect = 0;
                for (a, b, _) in &ranges {
                    if *a != expect {
                        return Err(MockError(format!(
                            "MockedResponses.{name}: invocation keys must be contiguous from \"0\" (missing {expect})"
                        )));
                    }
                    expect = b + 1;
                }
                cfg.responses
                    .insert(name.clone(), MockedResponse { ranges });
            }
        }
        Ok(cfg)
    }

    /// A task handler answering from test case `test_case` of state machine `state_machine`.
    /// States the test case does not mention go to `fallback` (or fail if there is none).
    pub fn handler(
        &self,
        state_machine: &str,
        test_case: &str,
        fallback: Option<Arc<dyn TaskHandler>>,
    ) -> Result<MockHandler, MockError> {
        let cases = self.state_machines.get(state_machine).ok_or_else(|| {
            MockError(format!(
                "the mock configuration has no state machine '{state_machine}'"
            ))
        })?;
        let case = cases.get(test_case).ok_or_else(|| {
            let mut known: Vec<&str> = cases.keys().map(String::as_str).collect();
            known.sort_unstable();
            MockError(format!(
                "the mock configuration has no test case '{test_case}' for the state machine '{state_machine}' (its test cases: {})",
                known.join(", ")
            ))
        })?;
        let mut states = HashMap::new();
        for (state, resp) in case {
            let r = self.responses.get(resp).ok_or_else(|| {
                MockError(format!(
                    "test case '{test_case}' maps the state '{state}' to the mocked response '{resp}', which MockedResponses does not define"
                ))
            })?;
            states.insert(state.clone(), r.clone());
        }
        Ok(MockHandler {
            test_case: test_case.to_string(),
            states,
            calls: Mutex::new(HashMap::new()),
            fallback,
        })
    }
}

/// Answers Task states from a mock configuration test case.
pub struct MockHandler {
    test_case: String,
    states: HashMap<String, MockedResponse>,
    calls: Mutex<HashMap<String, usize>>,
    fallback: Option<Arc<dyn TaskHandler>>,
}

impl TaskHandler for MockHandler {
    fn call<'a>(&'a self, request: TaskRequest<'a>) -> BoxFuture<'a, Result<Value, TaskError>> {
        let Some(resp) = self.states.get(request.state_name) else {
            return match &self.fallback {
                Some(f) => f.call(request),
                None => {
                    let msg = format!(
                        "The test case '{}' has no mocked response for the state '{}'",
                        self.test_case, request.state_name
                    );
                    Box::pin(std::future::ready(Err(TaskError::new(
                        crate::error::names::RUNTIME,
                        msg,
                    ))))
                }
            };
        };
        let n = {
            let mut calls = self.calls.lock().unwrap_or_else(|p| p.into_inner());
            let c = calls.entry(request.state_name.to_string()).or_insert(0);
            let n = *c;
            *c += 1;
            n
        };
        let r = match resp.outcome(n) {
            Some(MockOutcome::Return(v)) => Ok(v.clone()),
            Some(MockOutcome::Throw(e)) => Err(e.clone()),
            None => Err(TaskError::new(
                crate::error::names::RUNTIME,
                format!(
                    "The mocked response for the state '{}' in test case '{}' has no entry for invocation {n}",
                    request.state_name, self.test_case
                ),
            )),
        };
        Box::pin(std::future::ready(r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cfg() -> MockConfig {
        MockConfig::parse(&json!({
            "StateMachines": {"M": {"TestCases": {"Happy": {"T": "R"}, "Broken": {"T": "Nope"}}}},
            "MockedResponses": {"R": {"0": {"Throw": {"Error": "Boom", "Cause": "c"}},
                                       "1-2": {"Return": {"ok": true}}}}
        }))
        .unwrap()
    }

    #[test]
    fn ranges_pick_the_outcome_by_invocation() {
        let c = cfg();
        let r = &c.responses["R"];
        assert!(matches!(r.outcome(0), Some(MockOutcome::Throw(_))));
        assert_eq!(
            r.outcome(2),
            Some(&MockOutcome::Return(json!({"ok": true})))
        );
        assert_eq!(r.outcome(3), None);
    }

    #[test]
    fn unknown_test_cases_and_responses_are_reported() {
        let c = cfg();
        let Err(MockError(missing)) = c.handler("M", "Missing", None) else {
            panic!("an unknown test case is an error");
        };
        assert!(
            missing.ends_with("(its test cases: Broken, Happy)"),
            "the error names the cases there are: {missing}"
        );
        assert!(c.handler("X", "Happy", None).is_err());
        assert!(c.handler("M", "Broken", None).is_err());
        assert!(c.handler("M", "Happy", None).is_ok());
    }

    #[test]
    fn keys_must_be_contiguous_from_zero() {
        let bad = json!({"MockedResponses": {"R": {"1": {"Return": 1}}}});
        assert!(MockConfig::parse(&bad).is_err());
    }
}
