#!/usr/bin/env python3
"""The pandas + numpy metrics a Python team would write; prints MAPE and row count."""
import sys

import numpy as np
import pandas as pd

df = pd.read_csv(sys.argv[1], dtype={"store_id": "category", "actual": "float64", "prediction": "float64"})
a = df["actual"].to_numpy()
p = df["prediction"].to_numpy()
e = p - a
nz = a != 0
mape = 100 * np.mean(np.abs(e[nz]) / np.abs(a[nz]))
wape = 100 * np.abs(e).sum() / np.abs(a).sum()
den = np.abs(a) + np.abs(p)
smape = 100 * np.mean(np.where(den == 0, 0.0, 2 * np.abs(e) / np.where(den == 0, 1, den)))
mae = np.abs(e).mean()
rmse = np.sqrt((e**2).mean())
bias = e.mean()
r2 = 1 - (e**2).sum() / ((a - a.mean()) ** 2).sum()
df["ape"] = np.where(nz, np.abs(e) / np.where(nz, np.abs(a), 1), np.nan)
seg = df.groupby("store_id", observed=True)["ape"].mean().mul(100).sort_values(ascending=False).head(10)
print(f"pandas mape={mape:.6f} wape={wape:.6f} smape={smape:.6f} rmse={rmse:.6f} r2={r2:.6f} rows={len(df)} worst={seg.index[0]}")
