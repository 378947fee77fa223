//! Deterministic Step Functions execution names for drift episodes.
//!
//! `drift-<model>-<detected_at as yyyymmddThhmmssZ>-<12 hex of sha256(event_id)>`: at most
//! 6 + 21 + 1 + 16 + 1 + 12 = 57 characters, all in `[0-9A-Za-z_-]` (safe for Step Functions,
//! CloudWatch and X-Ray). The same event always gives the same name, so a retried StartExecution
//! is idempotent; two events detected in the same second still differ by their id's hash.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// Step Functions' limit on execution names.
pub const MAX_EXECUTION_NAME: usize = 80;

/// The execution name of the drift episode opened by the event `event_id` of `model_name`.
pub fn execution_name(model_name: &str, detected_at: DateTime<Utc>, event_id: &str) -> String {
    let digest = Sha256::digest(event_id.as_bytes());
    let hash: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
    let model: String = model_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(21)
        .collect();
    let mut name = format!(
        "drift-{model}-{}-{hash}",
        detected_at.format("%Y%m%dT%H%M%SZ")
    );
    name.truncate(MAX_EXECUTION_NAME);
    name
}

/// Whether `name` is a safe execution name: 1-80 characters of `[0-9A-Za-z_-]`.
pub fn is_valid_execution_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_EXECUTION_NAME
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The ARN of execution `name` of the state machine `state_machine_arn`
/// (`arn:aws:states:r:a:stateMachine:sm` → `arn:aws:states:r:a:execution:sm:name`).
pub fn execution_arn(state_machine_arn: &str, name: &str) -> String {
    let base = state_machine_arn.replacen(":stateMachine:", ":execution:", 1);
    format!("{base}:{name}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, 0).unwrap()
    }

    #[test]
    fn names_are_deterministic_and_readable() {
        let a = execution_name("demand-forecast", at(1_795_766_400), "mon-0001");
        assert_eq!(
            a,
            execution_name("demand-forecast", at(1_795_766_400), "mon-0001")
        );
        assert!(a.starts_with("drift-demand-forecast-20261127T"), "{a}");
        assert!(is_valid_execution_name(&a));
        assert_ne!(
            a,
            execution_name("demand-forecast", at(1_795_766_400), "mon-0002")
        );
        assert_ne!(
            a,
            execution_name("demand-forecast", at(1_795_766_401), "mon-0001")
        );
    }

    #[test]
    fn the_longest_model_name_fits() {
        let name = execution_name("abcdefghijklmnopqrstu", at(4_102_444_799), &"x".repeat(128));
        assert_eq!(name.len(), 57);
        assert!(is_valid_execution_name(&name));
    }

    #[test]
    fn execution_arns_follow_the_state_machine_arn() {
        assert_eq!(
            execution_arn(
                "arn:aws:states:eu-central-1:123456789012:stateMachine:ml-retraining",
                "n1"
            ),
            "arn:aws:states:eu-central-1:123456789012:execution:ml-retraining:n1"
        );
    }

    proptest! {
        #[test]
        fn any_input_gives_a_valid_name(model in ".{0,40}", id in ".{0,200}", secs in 0i64..4_102_444_799) {
            let name = execution_name(&model, at(secs), &id);
            prop_assert!(name.len() <= MAX_EXECUTION_NAME);
            prop_assert!(name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        }
    }
}
