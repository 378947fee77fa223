"""The Python baseline: the same files from the same S3 prefix into a DynamoDB table with boto3's
Table.batch_writer (25 items per BatchWriteItem, unprocessed items re-sent), the same item
layout as cache-warmup (pk = store_id#item_id, forecast_date, forecast_version, expires_at).

usage: boto3_batch_writer.py BUCKET PREFIX TABLE   (AWS_ENDPOINT_URL points at the server)
Prints one JSON line: {"items_written": N, "seconds": S, "items_per_second": R}.
"""
import gzip
import io
import json
import sys
import time
from decimal import Decimal

import boto3

bucket, prefix, table_name = sys.argv[1:4]
s3 = boto3.client("s3")
table = boto3.resource("dynamodb").Table(table_name)
expires_at = 1_795_737_600 + 3 * 86_400

started = time.perf_counter()
written = 0
keys = sorted(o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
              for o in page.get("Contents", []))
with table.batch_writer(overwrite_by_pkeys=["pk", "forecast_date"]) as writer:
    for key in keys:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"]
        stream = gzip.GzipFile(fileobj=body) if key.endswith(".gz") else body
        for line in io.TextIOWrapper(stream, encoding="utf-8"):
            if not line.strip():
                continue
            record = json.loads(line, parse_float=Decimal)
            record["pk"] = f'{record["store_id"]}#{record["item_id"]}'
            record["forecast_date"] = "2026-11-27"
            record["forecast_version"] = "bench"
            record["expires_at"] = expires_at
            writer.put_item(Item=record)
            written += 1
seconds = time.perf_counter() - started
print(json.dumps({"items_written": written, "seconds": round(seconds, 3),
                  "items_per_second": round(written / seconds, 1)}))
