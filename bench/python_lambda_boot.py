#!/usr/bin/env python3
"""What a Python Lambda pays before its first event: import boto3 and create two clients,
then poll the Runtime API once and answer (for runtime_api.py)."""
import json
import os
import urllib.request

import boto3

s3 = boto3.client("s3")
dynamodb = boto3.client("dynamodb")
api = os.environ["AWS_LAMBDA_RUNTIME_API"]
with urllib.request.urlopen(f"http://{api}/2018-06-01/runtime/invocation/next") as r:
    request_id = r.headers["Lambda-Runtime-Aws-Request-Id"]
    r.read()
req = urllib.request.Request(
    f"http://{api}/2018-06-01/runtime/invocation/{request_id}/response",
    data=json.dumps({"ok": True}).encode(), method="POST")
urllib.request.urlopen(req).read()
