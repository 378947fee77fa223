//! The quality gate: does the candidate reach the threshold on the gate's metric, and beat
//! production on it?

use crate::input::{Direction, Gate, ProductionMetrics};
use crate::output::{GateResult, NamedMetrics};

/// Whether `candidate` is strictly better than `other` in `direction`.
pub fn better(direction: Direction, candidate: f64, other: f64) -> bool {
    match direction {
        Direction::LowerIsBetter => candidate < other,
        Direction::HigherIsBetter => candidate > other,
    }
}

/// Judges the candidate's `metrics` by `gate`. A metric undefined for the data fails the gate;
/// production without the metric is beaten.
pub fn judge(
    gate: &Gate,
    metrics: &NamedMetrics,
    production: Option<&ProductionMetrics>,
) -> GateResult {
    let value = metrics.get(&gate.metric).copied().flatten();
    let production_value = production.and_then(|p| p.get(&gate.metric));
    let passed_threshold =
        value.is_some_and(|v| v == gate.threshold || better(gate.direction, v, gate.threshold));
    let beats_production = match (value, production_value) {
        (_, None) => true,
        (Some(v), Some(p)) => better(gate.direction, v, p),
        (None, Some(_)) => false,
    };
    GateResult {
        metric: gate.metric.clone(),
        direction: gate.direction,
        threshold: gate.threshold,
        value,
        production_value,
        passed_threshold,
        beats_production,
        passed: passed_threshold && (beats_production || !gate.must_beat_production),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn gate(direction: Direction, must_beat_production: bool) -> Gate {
        Gate {
            metric: "f1".into(),
            direction,
            threshold: 0.8,
            must_beat_production,
        }
    }

    fn metrics(f1: Option<f64>) -> NamedMetrics {
        BTreeMap::from([("f1".to_string(), f1)])
    }

    #[test]
    fn the_threshold_is_inclusive_and_production_must_be_beaten_strictly() {
        let production = ProductionMetrics(BTreeMap::from([("f1".to_string(), 0.8)]));
        let at = judge(
            &gate(Direction::HigherIsBetter, true),
            &metrics(Some(0.8)),
            Some(&production),
        );
        assert!(at.passed_threshold && !at.beats_production && !at.passed);
        let lenient = judge(
            &gate(Direction::HigherIsBetter, false),
            &metrics(Some(0.8)),
            Some(&production),
        );
        assert!(lenient.passed);
        let lower = judge(
            &gate(Direction::LowerIsBetter, true),
            &metrics(Some(0.7)),
            Some(&production),
        );
        assert!(lower.passed && lower.production_value == Some(0.8));
    }

    #[test]
    fn an_undefined_value_fails_and_no_production_is_beaten() {
        let none = judge(&gate(Direction::HigherIsBetter, true), &metrics(None), None);
        assert!(!none.passed_threshold && none.beats_production && !none.passed);
        assert_eq!(none.production_value, None);
    }
}
