#!/usr/bin/env python3
"""Start-up time of a Lambda bootstrap to its first event, with a minimal Lambda Runtime API.

Serves the Runtime API on 127.0.0.1 (a random port), spawns the command with
AWS_LAMBDA_RUNTIME_API pointing at it, and measures (a) spawn → first `GET /invocation/next`
(start-up: process, runtime and client initialisation) and (b) spawn → the response to one event.
usage: runtime_api.py EVENT.json RUNS -- COMMAND [ARGS...]
Prints the median of each in milliseconds.
"""
import http.server
import json
import os
import statistics
import subprocess
import sys
import threading
import time


def measure(event: bytes, command: list) -> tuple:
    marks = {}
    done = threading.Event()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            if self.path.endswith("/invocation/next"):
                if "next" in marks:  # second poll: the first event was answered
                    done.wait(5)
                    self.send_response(500)
                    self.end_headers()
                    return
                marks["next"] = time.perf_counter()
                self.send_response(200)
                self.send_header("Lambda-Runtime-Aws-Request-Id", "bench-1")
                self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 60000))
                self.send_header("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:bench")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(event)))
                self.end_headers()
                self.wfile.write(event)

        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            marks["response"] = time.perf_counter()
            marks["ok"] = self.path.endswith("/response")
            marks["body"] = body
            self.send_response(202)
            self.end_headers()
            done.set()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = dict(os.environ)
    env.update({
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{server.server_address[1]}",
        "AWS_LAMBDA_FUNCTION_NAME": "bench", "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512", "AWS_LAMBDA_LOG_GROUP_NAME": "bench",
        "AWS_LAMBDA_LOG_STREAM_NAME": "bench", "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
    })
    start = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    done.wait(30)
    proc.kill()
    proc.wait()
    server.shutdown()
    if "next" not in marks or "response" not in marks or not marks["ok"]:
        raise SystemExit(f"no successful invocation: {marks.get('body', b'')[:300]!r}")
    return (marks["next"] - start) * 1000, (marks["response"] - start) * 1000


def main() -> None:
    event = open(sys.argv[1], "rb").read()
    runs = int(sys.argv[2])
    command = sys.argv[sys.argv.index("--") + 1:]
    results = [measure(event, command) for _ in range(runs)]
    print(json.dumps({
        "startup_to_first_event_ms": round(statistics.median(r[0] for r in results), 1),
        "startup_to_first_response_ms": round(statistics.median(r[1] for r in results), 1),
        "runs": runs,
    }))


if __name__ == "__main__":
    main()
