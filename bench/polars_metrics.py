#!/usr/bin/env python3
"""The polars metrics a Python team would write; prints MAPE and row count."""
import sys

import polars as pl

df = pl.read_csv(sys.argv[1], schema_overrides={"store_id": pl.Utf8, "actual": pl.Float64, "prediction": pl.Float64})
e = pl.col("prediction") - pl.col("actual")
den = pl.col("actual").abs() + pl.col("prediction").abs()
out = df.select(
    mape=(e.abs() / pl.col("actual").abs()).filter(pl.col("actual") != 0).mean() * 100,
    wape=e.abs().sum() / pl.col("actual").abs().sum() * 100,
    smape=pl.when(den == 0).then(0.0).otherwise(2 * e.abs() / den).mean() * 100,
    mae=e.abs().mean(),
    rmse=(e**2).mean().sqrt(),
    bias=e.mean(),
    r2=1 - (e**2).sum() / ((pl.col("actual") - pl.col("actual").mean()) ** 2).sum(),
    rows=pl.len(),
)
seg = (
    df.filter(pl.col("actual") != 0)
    .group_by("store_id")
    .agg(mape=((pl.col("prediction") - pl.col("actual")).abs() / pl.col("actual").abs()).mean() * 100)
    .sort("mape", descending=True)
    .head(10)
)
r = out.row(0, named=True)
print(f"polars mape={r['mape']:.6f} wape={r['wape']:.6f} smape={r['smape']:.6f} rmse={r['rmse']:.6f} r2={r['r2']:.6f} rows={r['rows']} worst={seg['store_id'][0]}")
