#!/usr/bin/env python3
"""Seeds fuzz/corpus/<target>/ from the repository's own sample files.

Run `python3 fuzz/seed.py [CORPUS_DIR]` (default fuzz/corpus). Each seed is the input layout its target
reads (see the target's doc comment); the corpora are not committed (fuzz/.gitignore).
Set JSONATA_SUITE to the JSONata test suite to add its expressions to `jsonata_expr`.
It also seeds asl/fuzz's `parse_definition` (the definitions) and `eval_expressions` (each path,
reference path and intrinsic call of a definition, over `{}`); ASL_CONFORMANCE adds the
conformance corpus' definitions and their expressions over each case's input.
"""

import glob
import gzip
import hashlib
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "fuzz", "corpus")
# csv_row's first byte: bit 0 puts the usual header in front, the rest picks the chunk size.
CSV_AS_IS, CSV_WITH_HEADER = bytes([16]), bytes([17])
# jsonl_row's first byte: the chunk size less one.
JSONL_CHUNK = bytes([63])
# Seeds larger than this are cut (at a line break when there is one).
MAX_SEED = 16 * 1024


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    return gzip.decompress(data) if path.endswith(".gz") else data


def head(data, limit=MAX_SEED):
    if len(data) <= limit:
        return data
    cut = data.rfind(b"\n", 0, limit)
    return data[: cut + 1 if cut > 0 else limit]


def add(target, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def files(*patterns):
    for pattern in patterns:
        yield from sorted(glob.glob(os.path.join(ROOT, pattern), recursive=True))


def strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)


# Fields whose string value asl/fuzz's `eval_expressions` reads: a path, a reference path or an
# intrinsic call.
PATH_FIELDS = {"InputPath", "OutputPath", "ResultPath", "ItemsPath", "Variable"}


def expressions(value):
    if isinstance(value, list):
        for item in value:
            yield from expressions(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str) and (key.endswith(".$") or key in PATH_FIELDS):
                yield item
            else:
                yield from expressions(item)


def seed_definition(definition, given):
    """`parse_definition` gets the definition; `eval_expressions` each expression over `given`."""
    add("parse_definition", head(definition, 64 * 1024))
    try:
        parsed = json.loads(definition)
    except ValueError:
        return
    for expression in expressions(parsed):
        add("eval_expressions", f"{expression}\n{given}".encode()[:4096])


def main():
    for path in files("events/drift-bridge/*.json"):
        add("kafka_record", read(path))
    for path in files("events/drift-bridge/eventbridge-*.json", "events/model-approval/*.json"):
        add("eventbridge_event", read(path))
    for path in files("events/slack-notifier/*.json"):
        add("sns_message", head(read(path)))
    for path in files("config/data-quality/*.yaml"):
        add("dq_rules", read(path))
    for path in files(
        "events/evaluate-model-metrics/data/*.csv",
        "events/drift-monitor/data/*.csv.gz",
        "events/cache-warmup/data/forecasts/*/*.csv*",
    ):
        add("csv_row", CSV_AS_IS + head(read(path)))
        body = read(path).split(b"\n", 1)[-1]
        add("csv_row", CSV_WITH_HEADER + head(body, 2048))
    for path in files(
        "events/evaluate-model-metrics/data/*.jsonl*",
        "events/evaluate-model-metrics/data/*/*.jsonl*",
        "events/drift-monitor/data/capture/**/*.jsonl",
        "events/cache-warmup/data/forecasts/*/*.jsonl*",
    ):
        add("jsonl_row", JSONL_CHUNK + head(read(path), 4096))
    template = read(os.path.join(ROOT, "sam-template.yaml")).decode()
    expressions = re.findall(r"ScheduleExpression: (.*)\n\s*ScheduleExpressionTimezone: (.*)", template)
    for expression, zone in sorted(set(expressions)):
        add("schedule_expression", f"{expression}\n{zone}".encode())
    for extra in [
        "rate(5 minutes)\nEurope/Berlin\n2027-01-01T00:00:00Z\n2027-06-01T00:00:00Z",
        "cron(0 2 ? * SUN *)\nEurope/Berlin",
        "cron(30 1 L * ? *)\nAmerica/New_York",
        "cron(0 9 ? * 2#1 2027-2030)\nUTC",
        "cron(15 10 1W * ? *)\nAsia/Tokyo",
        "at(2027-03-28T02:30:00)\nEurope/Berlin",
    ]:
        add("schedule_expression", extra.encode())
    add("sam_template", head(template.encode()))
    for path in files("cli/tests/fixtures/**/*.yaml"):
        add("sam_template", head(read(path)))
    for path in files("events/*/mock-config.json", "cli/tests/fixtures/**/mock-config.json"):
        add("mock_config", read(path))
    # The definitions (asl/fuzz) and their JSONata expressions.
    definitions = files("state-machines/*.asl.json", "cli/tests/fixtures/**/*.asl.json", "bench/*.asl.json")
    for path in definitions:
        definition = read(path)
        seed_definition(definition, "{}")
        for text in strings(json.loads(definition)):
            if text.startswith("{%") and text.endswith("%}"):
                add("jsonata_expr", text[2:-2].strip().encode())
    conformance = os.environ.get("ASL_CONFORMANCE")
    if conformance:
        with open(conformance, "rb") as f:
            for line in f:
                case = json.loads(line)
                definition = case.get("definition")
                if definition is None:
                    continue
                if not isinstance(definition, str):
                    definition = json.dumps(definition)
                given = case.get("input", {})
                seed_definition(definition.encode(), given if isinstance(given, str) else json.dumps(given))
    suite = os.environ.get("JSONATA_SUITE")
    if suite:
        for path in sorted(glob.glob(os.path.join(suite, "groups", "*", "*.json"))):
            cases = json.loads(read(path))
            for case in cases if isinstance(cases, list) else [cases]:
                if isinstance(case, dict) and isinstance(case.get("expr"), str):
                    add("jsonata_expr", case["expr"].encode("utf-8", "surrogatepass"))
    for target in sorted(os.listdir(CORPUS)):
        print(f"{target}: {len(os.listdir(os.path.join(CORPUS, target)))} seeds")


if __name__ == "__main__":
    main()
