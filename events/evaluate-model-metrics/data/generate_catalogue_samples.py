"""Writes the batch-transform outputs (joined JSON Lines, as SageMaker's JoinSource=Input writes
them) that the ml-retraining test cases of the catalogue's classifiers evaluate:
damage-model (multiclass, good), anomaly-model (binary, good), poor-anomaly-model (binary, poor).
Deterministic: python3 events/evaluate-model-metrics/data/generate_catalogue_samples.py"""
import json, math, random
from pathlib import Path

here = Path(__file__).parent
classes = ["none", "scratch", "dent", "crack"]

def softmax(xs):
    m = max(xs)
    e = [math.exp(x - m) for x in xs]
    s = sum(e)
    return [round(v / s, 6) for v in e]

def damage(path, rows, skill, seed):
    rng = random.Random(seed)
    with open(path, "w") as out:
        for i in range(rows):
            label = rng.choices(classes, weights=[5, 2, 2, 1])[0]
            logits = [rng.gauss(0, 1) + (skill if c == label else 0) for c in classes]
            p = softmax(logits)
            p[-1] = round(1 - sum(p[:-1]), 6)  # sums to one exactly after rounding
            row = {"id": f"img-{i:05d}", "warehouse": f"wh-{i % 3}", "label": label,
                   "features": {"width": 640, "height": 480},
                   "SageMakerOutput": {"probabilities": dict(zip(classes, p))}}
            out.write(json.dumps(row) + "\n")

def anomaly(path, rows, skill, seed):
    rng = random.Random(seed)
    with open(path, "w") as out:
        for i in range(rows):
            y = 1 if rng.random() < 0.2 else 0
            z = rng.gauss(skill if y else 0, 1)
            score = round(1 / (1 + math.exp(-(z - skill / 2) * 1.5)), 6)
            row = {"id": f"r-{i:05d}", "sensor_type": ["temp", "vibration", "pressure"][i % 3],
                   "is_anomaly": y, "features": [round(rng.random(), 4) for _ in range(3)],
                   "SageMakerOutput": {"score": score}}
            out.write(json.dumps(row) + "\n")

damage(here / "damage-model" / "evaluation.jsonl.out", 400, 3.0, 7)
anomaly(here / "anomaly-model" / "evaluation.jsonl.out", 500, 3.0, 11)
anomaly(here / "poor-anomaly-model" / "evaluation.jsonl.out", 500, 0.4, 13)
