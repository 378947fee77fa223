#!/usr/bin/env python3
"""Writes a synthetic evaluation file: store_id,actual,prediction (CSV with a header).

Deterministic for a given seed. 10,000,000 rows is about 160 MB.
usage: generate_eval_data.py OUT.csv [ROWS] [SEED]
"""
import random
import sys


def main() -> None:
    out = sys.argv[1]
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000_000
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 42
    rng = random.Random(seed)
    stores = [f"store-{i:04d}" for i in range(1, 2001)]
    base = {s: rng.uniform(5, 500) for s in stores}
    with open(out, "w", buffering=1 << 20) as f:
        f.write("store_id,actual,prediction\n")
        batch = []
        for i in range(rows):
            store = stores[i % len(stores)]
            b = base[store]
            actual = 0.0 if rng.random() < 0.02 else round(b * rng.uniform(0.6, 1.4), 2)
            prediction = round(max(0.0, (actual or b * 0.05) * rng.gauss(1.0, 0.12)), 2)
            batch.append(f"{store},{actual},{prediction}\n")
            if len(batch) == 100_000:
                f.write("".join(batch))
                batch.clear()
        f.write("".join(batch))


if __name__ == "__main__":
    main()
