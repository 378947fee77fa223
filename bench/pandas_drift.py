#!/usr/bin/env python3
"""The drift check a Python team would write with json, pandas, numpy and scipy: read every
capture file of the window, pull the CSV input and output out of each record, load them into a
DataFrame, then per feature PSI on the training data's decile bins (the null bin included, 1e-4 for
empty bins) and scipy's two-sample KS against the training values; categories by share.
Prints the largest PSI and the features past 0.25.

Usage: pandas_drift.py TRAINING.csv CAPTURE_DIR
"""
import glob
import io
import json
import os
import sys

import numpy as np
import pandas as pd
from scipy import stats

CATEGORICAL = {"f18", "f19"}
EPSILON = 1e-4


def psi(expected, actual):
    e = np.maximum(expected, EPSILON)
    a = np.maximum(actual, EPSILON)
    return float(np.sum((a - e) * np.log(a / e)))


def numeric_shares(values, edges):
    present = values[~np.isnan(values)]
    counts = np.bincount(np.searchsorted(edges, present, side="left"), minlength=len(edges) + 1)
    return np.append(counts, len(values) - len(present)) / len(values)


def categorical_shares(values, kept):
    shares = [(values == k).mean() for k in kept]
    shares.append((~values.isin(kept) & values.notna()).mean())
    shares.append(values.isna().mean())
    return np.array(shares)


def main():
    training = pd.read_csv(sys.argv[1])
    features = [c for c in training.columns if c != "prediction"]
    inputs, outputs = [], []
    for path in sorted(glob.glob(os.path.join(sys.argv[2], "*", "*", "*", "*", "*.jsonl"))):
        with open(path) as f:
            for line in f:
                record = json.loads(line)["captureData"]
                inputs.append(record["endpointInput"]["data"])
                outputs.append(record["endpointOutput"]["data"])
    live = pd.read_csv(io.StringIO("\n".join(inputs)), header=None, names=features)
    live["prediction"] = pd.to_numeric(pd.Series(outputs), errors="coerce")
    scores = {}
    for name in features + ["prediction"]:
        if name in CATEGORICAL:
            counts = training[name].value_counts()
            kept = [k for k, c in counts.items() if c / len(training) >= 0.01][:50]
            scores[name] = (psi(categorical_shares(training[name], kept), categorical_shares(live[name], kept)), None)
        else:
            base = training[name].to_numpy(dtype=float)
            edges = np.unique(np.quantile(base[~np.isnan(base)], np.arange(1, 10) / 10))
            values = live[name].to_numpy(dtype=float)
            ks = stats.ks_2samp(base[~np.isnan(base)], values[~np.isnan(values)]).statistic
            scores[name] = (psi(numeric_shares(base, edges), numeric_shares(values, edges)), float(ks))
    worst = max(scores, key=lambda k: scores[k][0])
    drifted = [k for k, (p, _) in scores.items() if p >= 0.25]
    print(json.dumps({"rows": len(live), "max_psi_feature": worst, "max_psi": round(scores[worst][0], 6),
                      "drifted": drifted}))


if __name__ == "__main__":
    main()
