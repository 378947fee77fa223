#!/usr/bin/env python3
"""The classification metrics a Python team would write: pandas to read, sklearn.metrics to
score. Prints the headline metric and the row count.
usage: sklearn_classification.py multiclass|binary FILE.csv
"""
import sys

import numpy as np
import pandas as pd
from sklearn import metrics

kind, path = sys.argv[1], sys.argv[2]
df = pd.read_csv(path)
if kind == "multiclass":
    prob_cols = [c for c in df.columns if c.startswith("p_")]
    classes = [c[2:] for c in prob_cols]
    y = df["label"].to_numpy()
    proba = df[prob_cols].to_numpy()
    pred = np.array(classes)[proba.argmax(axis=1)]
    accuracy = metrics.accuracy_score(y, pred)
    report = metrics.precision_recall_fscore_support(y, pred, labels=classes, zero_division=0)
    macro_f1 = metrics.f1_score(y, pred, labels=classes, average="macro", zero_division=0)
    weighted_f1 = metrics.f1_score(y, pred, labels=classes, average="weighted", zero_division=0)
    matrix = metrics.confusion_matrix(y, pred, labels=classes)
    log_loss = metrics.log_loss(y, proba, labels=classes)
    top3 = metrics.top_k_accuracy_score(y, proba, k=3, labels=classes)
    per_region = df.assign(hit=(y == pred)).groupby("region")["hit"].mean().sort_values()
    print(f"accuracy={accuracy:.6f} macro_f1={macro_f1:.6f} log_loss={log_loss:.6f} top3={top3:.6f} rows={len(df)} worst={per_region.index[0]}")
else:
    y = df["label"].to_numpy() == 1
    score = df["score"].to_numpy()
    pred = score >= 0.5
    precision = metrics.precision_score(y, pred, zero_division=0)
    recall = metrics.recall_score(y, pred, zero_division=0)
    f1 = metrics.f1_score(y, pred, zero_division=0)
    accuracy = metrics.accuracy_score(y, pred)
    auc = metrics.roc_auc_score(y, score)
    ap = metrics.average_precision_score(y, score)
    p, r, t = metrics.precision_recall_curve(y, score)
    f1s = 2 * p[:-1] * r[:-1] / np.maximum(p[:-1] + r[:-1], 1e-300)
    best = int(np.argmax(f1s))
    per_region = df.assign(hit=(y == pred)).groupby("region")["hit"].mean().sort_values()
    print(f"roc_auc={auc:.6f} average_precision={ap:.6f} f1={f1:.6f} best_f1={f1s[best]:.6f}@{t[best]:.6f} rows={len(df)}")
