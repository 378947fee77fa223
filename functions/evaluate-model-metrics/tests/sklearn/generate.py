"""Generates the classification test files and scikit-learn's values for them.

Writes tests/data/sklearn/*.csv|jsonl and tests/data/sklearn/expected.json (both checked in);
`tests/sklearn_parity.rs` runs the function on each file and compares with these values.
Run again only to change the cases:

    python3 -m venv bench/.venv-sklearn
    bench/.venv-sklearn/bin/pip install scikit-learn pandas
    bench/.venv-sklearn/bin/python functions/evaluate-model-metrics/tests/sklearn/generate.py

The large "coarse" binary case is not written to disk: its rows follow an integer formula that
the Rust test repeats (see `coarse_rows`), so only its expected values are checked in.
"""

import json
import pathlib

import numpy as np
import sklearn
from sklearn import metrics

OUT = pathlib.Path(__file__).resolve().parent.parent / "data" / "sklearn"
COARSE_ROWS = 400_000


def multiclass_expected(y, proba, pred, classes, top_k=None):
    """scikit-learn's multiclass metrics with labels = the declared classes."""
    p, r, f, s = metrics.precision_recall_fscore_support(
        y, pred, labels=classes, zero_division=0
    )
    out = {
        "metrics": {
            "accuracy": metrics.accuracy_score(y, pred),
            "macro_f1": metrics.f1_score(y, pred, labels=classes, average="macro", zero_division=0),
            "weighted_f1": metrics.f1_score(y, pred, labels=classes, average="weighted", zero_division=0),
            "macro_precision": metrics.precision_score(y, pred, labels=classes, average="macro", zero_division=0),
            "macro_recall": metrics.recall_score(y, pred, labels=classes, average="macro", zero_division=0),
        },
        "per_class": [
            {"class": c, "precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
            for i, c in enumerate(classes)
        ],
        "confusion_matrix": metrics.confusion_matrix(y, pred, labels=classes).tolist(),
    }
    if proba is not None:
        out["metrics"]["log_loss"] = metrics.log_loss(y, proba, labels=classes)
        if top_k is not None:
            out["metrics"]["top_k_accuracy"] = metrics.top_k_accuracy_score(y, proba, k=top_k, labels=classes)
    return out


def best_f1(y, score):
    """The highest F1 over the distinct thresholds (score >= t), the highest t on ties."""
    _, fps, _, tps, thresholds = metrics.confusion_matrix_at_thresholds(y, score)  # descending
    positives = tps[-1]
    best = (-1.0, None)
    for fp, tp, t in zip(fps, tps, thresholds):
        f1 = 2.0 * tp / (tp + fp + positives)
        if f1 > best[0]:
            best = (f1, float(t))
    return best


def binary_expected(y, score, threshold):
    """scikit-learn's binary metrics; y is 0/1."""
    pred = (score >= threshold).astype(int)
    m = {
        "precision": metrics.precision_score(y, pred, zero_division=0),
        "recall": metrics.recall_score(y, pred, zero_division=0),
        "f1": metrics.f1_score(y, pred, zero_division=0),
        "accuracy": metrics.accuracy_score(y, pred),
    }
    if 0 < y.sum() < len(y):
        m["roc_auc"] = metrics.roc_auc_score(y, score)
    else:
        m["roc_auc"] = None
    if y.sum() > 0:
        m["average_precision"] = metrics.average_precision_score(y, score)
        m["best_f1"], m["best_f1_threshold"] = best_f1(y, score)
    return {"metrics": {k: (None if v is None else float(v)) for k, v in m.items()}}


def segments_expected(keys, rows_metric, ascending):
    """Segments ranked worst first by a metric (ties by key)."""
    ranked = sorted(
        rows_metric.items(), key=lambda kv: ((kv[1][0] if ascending else -kv[1][0]), kv[0])
    )
    return [{"key": k, "value": v[0], "rows": v[1]} for k, v in ranked]


def write_csv(name, header, rows):
    with open(OUT / name, "w") as f:
        f.write(",".join(header) + "\n")
        for row in rows:
            f.write(",".join(str(v) for v in row) + "\n")


def multiclass_probabilities(rng, n, classes, never):
    """Rows of (actual, region, probabilities...) where class `never` is never the most likely."""
    k = len(classes)
    y = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), y] += 1.2
    logits[:, never] -= 6.0
    proba = np.exp(logits)
    proba /= proba.sum(axis=1, keepdims=True)
    return y, proba


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20261130)
    cases = []

    # 1. Multiclass with probabilities, no predicted column (argmax), top-2, a class never
    # predicted, a segment column.
    classes = ["bird", "cat", "dog", "fish", "horse"]
    n = 3000
    y, proba = multiclass_probabilities(rng, n, classes, never=4)
    regions = np.array(["north", "south", "east", "west"])[rng.integers(0, 4, n)]
    names = np.array(classes)
    rows = [[names[y[i]], regions[i]] + [repr(float(v)) for v in proba[i]] for i in range(n)]
    write_csv("multiclass-probabilities.csv", ["label", "region"] + [f"p_{c}" for c in classes], rows)
    pred = names[proba.argmax(axis=1)]
    expected = multiclass_expected(names[y], proba, pred, classes, top_k=2)
    per_region = {
        r: (metrics.accuracy_score(names[y][regions == r], pred[regions == r]), int((regions == r).sum()))
        for r in sorted(set(regions))
    }
    expected["worst_segments"] = segments_expected("region", per_region, ascending=True)
    cases.append({
        "name": "multiclass-probabilities",
        "file": "multiclass-probabilities.csv",
        "event": {"task": "multiclass", "actual_column": "label", "classes": classes,
                  "probability_columns": {c: f"p_{c}" for c in classes}, "top_k": 2,
                  "segment_columns": ["region"]},
        "expected": expected,
    })

    # 2. Multiclass labels as JSON numbers with a predicted column, no probabilities; class "3"
    # never predicted.
    n = 2000
    y = rng.integers(0, 4, n)
    pred = np.where(rng.random(n) < 0.7, y, rng.integers(0, 3, n))
    pred = np.where(pred == 3, 2, pred)
    with open(OUT / "multiclass-labels.jsonl", "w") as f:
        for i in range(n):
            f.write(json.dumps({"actual": int(y[i]), "output": {"label": int(pred[i])}}) + "\n")
    expected = multiclass_expected(y.astype(str), None, pred.astype(str), ["0", "1", "2", "3"])
    cases.append({
        "name": "multiclass-labels",
        "file": "multiclass-labels.jsonl",
        "event": {"task": "multiclass", "actual_column": "actual", "predicted_column": "output.label",
                  "classes": ["0", "1", "2", "3"]},
        "expected": expected,
    })

    # 3. A single-class file: every actual label is "cat".
    n = 500
    pred = np.array(["cat", "dog"])[(rng.random(n) < 0.2).astype(int)]
    write_csv("multiclass-single-class.csv", ["actual", "predicted"], [["cat", p] for p in pred])
    cases.append({
        "name": "multiclass-single-class",
        "file": "multiclass-single-class.csv",
        "event": {"task": "multiclass", "actual_column": "actual", "predicted_column": "predicted",
                  "classes": ["cat", "dog"]},
        "expected": multiclass_expected(np.array(["cat"] * n), None, pred, ["cat", "dog"]),
    })

    # 4. Binary with heavy ties (scores on a 0.01 grid), labels 1/0, true/false mixed.
    n = 5000
    score = np.round(rng.beta(2, 2, n), 2)
    y = (rng.random(n) < score).astype(int)
    text = {1: ["1", "true", "1.0"], 0: ["0", "false", "0.0"]}
    labels = [text[int(v)][i % 3] for i, v in enumerate(y)]
    write_csv("binary-ties.csv", ["label", "score"], [[labels[i], f"{score[i]:.2f}"] for i in range(n)])
    expected = binary_expected(y, np.array([float(f"{s:.2f}") for s in score]), 0.5)
    expected["error_bound"] = 0.0
    cases.append({
        "name": "binary-ties",
        "file": "binary-ties.csv",
        "event": {"task": "binary", "actual_column": "label", "score_column": "score"},
        "expected": expected,
    })

    # 5. Binary with string labels, a threshold, segments and a gate on ROC-AUC.
    n = 3000
    y = (rng.random(n) < 0.3).astype(int)
    score = np.clip(rng.normal(0.35 + 0.25 * y, 0.2), 0, 1)
    score = np.array([float(f"{s:.6f}") for s in score])
    stores = np.array(["s1", "s2", "s3"])[rng.integers(0, 3, n)]
    with open(OUT / "binary-strings.jsonl", "w") as f:
        for i in range(n):
            f.write(json.dumps({"is_fraud": "fraud" if y[i] else "ok", "score": score[i], "store": stores[i]}) + "\n")
    expected = binary_expected(y, score, 0.3)
    per_store = {s: (metrics.roc_auc_score(y[stores == s], score[stores == s]), int((stores == s).sum()))
                 for s in sorted(set(stores))}
    expected["worst_segments"] = segments_expected("store", per_store, ascending=True)
    expected["error_bound"] = 0.0
    cases.append({
        "name": "binary-strings",
        "file": "binary-strings.jsonl",
        "event": {"task": "binary", "actual_column": "is_fraud", "score_column": "score",
                  "positive_label": "fraud", "threshold": 0.3, "segment_columns": ["store"],
                  "gate": {"metric": "roc_auc", "direction": "higher_is_better", "threshold": 0.6},
                  "production_metrics": {"roc_auc": "0.99"}},
        "expected": expected,
    })

    # 6. Binary, every label positive: no ROC-AUC, average precision 1.
    n = 300
    score = np.round(rng.random(n), 4)
    write_csv("binary-single-class.csv", ["y", "p"], [[1, f"{s:.4f}"] for s in score])
    cases.append({
        "name": "binary-single-class",
        "file": "binary-single-class.csv",
        "event": {"task": "binary", "actual_column": "y", "score_column": "p"},
        "expected": binary_expected(np.ones(n, dtype=int), score, 0.5),
    })

    # 7. Binary with more distinct scores than the histogram keeps (coarse bins).
    y, score = coarse_rows(COARSE_ROWS)
    expected = binary_expected(y, score, 0.5)
    cases.append({
        "name": "binary-coarse",
        "generated_rows": COARSE_ROWS,
        "event": {"task": "binary", "actual_column": "label", "score_column": "score"},
        "expected": expected,
    })

    # 8. Every typed error, with the line it is on.
    header = ["label", "p_a", "p_b"]
    write_csv("error-label-not-declared.csv", header, [["a", "0.5", "0.5"], ["b", "0.2", "0.8"], ["zebra", "0.5", "0.5"]])
    write_csv("error-probabilities-sum.csv", header, [["a", "0.5", "0.5"], ["b", "0.5", "0.4"]])
    write_csv("error-probability-range.csv", header, [["a", "1.5", "-0.5"]])
    write_csv("error-score-range.csv", ["label", "score"], [[1, "0.5"], [0, "0.25"], [1, "1.2"]])
    write_csv("error-binary-label.csv", ["label", "score"], [[1, "0.5"], [2, "0.25"]])
    write_csv("error-predicted-not-declared.csv", ["label", "predicted"], [["a", "b"], ["a", "c"]])
    multiclass_ab = {"task": "multiclass", "actual_column": "label", "classes": ["a", "b"],
                     "probability_columns": {"a": "p_a", "b": "p_b"}}
    binary = {"task": "binary", "actual_column": "label", "score_column": "score"}
    for name, file, event, error, line in [
        ("label-not-declared", "error-label-not-declared.csv", multiclass_ab, "LabelNotDeclared", 4),
        ("predicted-not-declared", "error-predicted-not-declared.csv",
         {"task": "multiclass", "actual_column": "label", "predicted_column": "predicted", "classes": ["a", "b"]},
         "LabelNotDeclared", 3),
        ("probabilities-sum", "error-probabilities-sum.csv", multiclass_ab, "ProbabilitiesDoNotSumToOne", 3),
        ("probability-range", "error-probability-range.csv", multiclass_ab, "ScoreOutOfRange", 2),
        ("score-range", "error-score-range.csv", binary, "ScoreOutOfRange", 4),
        ("binary-label", "error-binary-label.csv", binary, "LabelNotDeclared", 3),
        ("gate-metric", "binary-ties.csv",
         dict(binary, gate={"metric": "mape", "direction": "lower_is_better", "threshold": 10}),
         "InvalidInput", None),
    ]:
        cases.append({"name": name, "file": file, "event": event,
                      "expected": {"error_type": error, "line": line}})

    with open(OUT / "expected.json", "w") as f:
        json.dump({"generated_by": f"scikit-learn {sklearn.__version__}, numpy {np.__version__}",
                   "cases": cases}, f, indent=1)
        f.write("\n")


def coarse_rows(n):
    """Rows of the coarse case, by integer arithmetic the Rust test repeats exactly: score
    0.<9 digits> from a multiplicative hash of the row number, label 1 with a probability that
    grows with the score."""
    i = np.arange(n, dtype=np.uint64)
    h = (i * np.uint64(2654435761) + np.uint64(12345)) % np.uint64(1 << 32)
    digits = h % np.uint64(1_000_000_000)
    noise = (i * np.uint64(40503) + np.uint64(17)) % np.uint64(1000)
    y = (noise < digits // np.uint64(1_000_000)).astype(int)
    score = np.array([float(f"0.{d:09d}") for d in digits])
    return y, score


if __name__ == "__main__":
    main()
