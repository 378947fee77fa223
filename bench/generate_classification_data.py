#!/usr/bin/env python3
"""Writes the synthetic classification evaluation files of evaluate-classification.sh.

multiclass: label,region,p_<class>... (10 damage classes, probabilities with 6 decimals, as
            `DataFrame.to_csv(float_format="%.6f")` writes them; ~830 MB for 10M rows)
binary:     label,region,score (label 1/0, score as pandas writes a float64; ~250 MB for 10M rows)
Deterministic for a given seed.
usage: generate_classification_data.py multiclass|binary OUT.csv [ROWS] [SEED]
"""
import sys

import numpy as np
import pandas as pd

CLASSES = ["bumper", "crack", "dent", "glass", "light", "none", "paint", "rust", "scratch", "tire"]
REGIONS = np.array(["north", "south", "east", "west"])
CHUNK = 500_000


def multiclass_chunk(rng, n):
    k = len(CLASSES)
    y = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), y] += 1.5
    proba = np.exp(logits)
    proba /= proba.sum(axis=1, keepdims=True)
    frame = pd.DataFrame(proba, columns=[f"p_{c}" for c in CLASSES])
    frame.insert(0, "region", REGIONS[rng.integers(0, 4, n)])
    frame.insert(0, "label", np.array(CLASSES)[y])
    return frame, "%.6f"


def binary_chunk(rng, n):
    y = (rng.random(n) < 0.3).astype(int)
    score = 1 / (1 + np.exp(-rng.normal(-1.0 + 2.0 * y, 1.2)))
    frame = pd.DataFrame({"label": y, "region": REGIONS[rng.integers(0, 4, n)], "score": score})
    return frame, None


def main() -> None:
    kind, out = sys.argv[1], sys.argv[2]
    rows = int(sys.argv[3]) if len(sys.argv) > 3 else 10_000_000
    rng = np.random.default_rng(int(sys.argv[4]) if len(sys.argv) > 4 else 42)
    chunk = {"multiclass": multiclass_chunk, "binary": binary_chunk}[kind]
    with open(out, "w") as f:
        for start in range(0, rows, CHUNK):
            frame, float_format = chunk(rng, min(CHUNK, rows - start))
            frame.to_csv(f, index=False, header=start == 0, float_format=float_format)


if __name__ == "__main__":
    main()
