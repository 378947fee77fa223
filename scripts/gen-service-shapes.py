#!/usr/bin/env python3
"""Writes asl/data/service-shapes.json: the result shapes of the Step Functions service
integrations, from the service models that ship with botocore (pinned in requirements-shapes.txt).

The engine (asl::service_shapes) checks every mocked `Return` and every TestState mock result
against these shapes, and every mocked `Throw` against the exception names listed here.

Run it with a Python that has the pinned botocore (scripts/setup-venv.sh installs one into
$PIPELINES_VENV/shapes):

    .venv/shapes/bin/python scripts/gen-service-shapes.py            # rewrite the file
    .venv/shapes/bin/python scripts/gen-service-shapes.py --check    # exit 1 when it differs

The output depends only on botocore's data files and on the integrations listed below plus the
`arn:aws:states:::` resources of state-machines/*.asl.json, so a second run reproduces it byte
for byte.

What Step Functions returns, per integration (AWS Step Functions Developer Guide):

* Request-response optimised integrations return the called API's response
  (https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html), with member
  names in PascalCase even where the service's model is camelCase ("Parameters in Step Functions
  are expressed in PascalCase, even if the native service API is in camelCase",
  https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html). The
  optimised integrations also add the Java SDK's `SdkHttpMetadata` and `SdkResponseMetadata`.
* `lambda:invoke` returns `Payload` (the function's output as JSON), `StatusCode`,
  `ExecutedVersion`, `FunctionError`, `LogResult`
  (https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html).
* `glue:startJobRun`: "The JobName field is extracted from the request and inserted into the
  response, which normally only contains JobRunID"; `.sync` returns the job run, the `JobRun`
  member of GetJobRun (https://docs.aws.amazon.com/step-functions/latest/dg/connect-glue.html;
  the CDK's GlueStartJobRun: "the output of this task is a JobRun structure").
* The other `.sync` results are the job as the service's describe call returns it when the job
  ends. The pages name the pattern ("Run a Job (.sync)") but not the result's shape, so these
  follow what executions return: `sagemaker:createTrainingJob.sync` / `createTransformJob.sync`
  -> DescribeTrainingJob / DescribeTransformJob
  (https://docs.aws.amazon.com/step-functions/latest/dg/connect-sagemaker.html);
  `athena:startQueryExecution.sync` -> GetQueryExecution
  (https://docs.aws.amazon.com/step-functions/latest/dg/connect-athena.html);
  `states:startExecution.sync` -> DescribeExecution, `.sync:2` the same with `Output` as JSON
  rather than a string (https://docs.aws.amazon.com/step-functions/latest/dg/connect-stepfunctions.html);
  `ecs:runTask.sync` -> the task as DescribeTasks describes it (a non-empty `Failures` fails it
  with `AmazonECS.Unknown`, https://docs.aws.amazon.com/step-functions/latest/dg/connect-ecs.html);
  `batch:submitJob.sync` -> the job as DescribeJobs describes it
  (https://docs.aws.amazon.com/step-functions/latest/dg/connect-batch.html).
* `aws-sdk:SERVICE:apiAction` returns the API's output; errors are `ServiceName.ErrorName`, both
  PascalCase, with an `Exception` suffix added where the service's name lacks one
  (`S3.NoSuchKeyException` for S3's `NoSuchKey`), per supported-services-awssdk.html above.
* Lambda's own errors are `Lambda.<Name>`: ServiceException, AWSLambdaException,
  SdkClientException, ClientExecutionTimeoutException, TooManyRequestsException, and
  `Lambda.Unknown` for unhandled function errors
  (https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html).
"""

import argparse
import glob
import gzip
import json
import os
import re
import sys

import botocore

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "asl", "data", "service-shapes.json")
DATA = os.path.join(os.path.dirname(botocore.__file__), "data")

PRIMITIVES = {
    "string",
    "integer",
    "long",
    "double",
    "float",
    "boolean",
    "timestamp",
    "blob",
    "any",
}

# Optimised integrations: Step Functions' service name -> (botocore service, error prefix, the
# Java SDK v1 base exception Step Functions reports for an unmodelled error, extra error names).
# Documented: `Lambda.` with AWSLambdaException (bp-lambda-serviceexception.html) and
# `AmazonECS.Unknown` (connect-ecs.html). The other prefixes and base names follow the same Java
# SDK v1 convention (Glue.AWSGlueException, SageMaker.AmazonSageMakerException, which the
# project's definitions already retry on); AWS does not list them per service.
OPTIMISED = {
    "athena": ("athena", "Athena", "AmazonAthenaException", []),
    "batch": ("batch", "Batch", "AWSBatchException", []),
    "dynamodb": ("dynamodb", "DynamoDB", "AmazonDynamoDBException", []),
    "ecs": ("ecs", "ECS", "AmazonECSException", ["AmazonECS.Unknown"]),
    "events": ("events", "EventBridge", "AmazonEventBridgeException", []),
    "glue": ("glue", "Glue", "AWSGlueException", []),
    "lambda": (
        "lambda",
        "Lambda",
        "AWSLambdaException",
        [
            "Lambda.ClientExecutionTimeoutException",
            "Lambda.SdkClientException",
            "Lambda.Unknown",
        ],
    ),
    "sagemaker": ("sagemaker", "SageMaker", "AmazonSageMakerException", []),
    "sns": ("sns", "SNS", "AmazonSNSException", []),
    "sqs": ("sqs", "SQS", "AmazonSQSException", []),
    "states": ("stepfunctions", "StepFunctions", "AWSStepFunctionsException", []),
}

# What a `.sync` integration returns: the describe call and, when the result is one member of
# its output (a structure or the first element of a list), that member.
SYNC = {
    ("athena", "startQueryExecution"): ("GetQueryExecution", None),
    ("batch", "submitJob"): ("DescribeJobs", "jobs"),
    ("ecs", "runTask"): ("DescribeTasks", "tasks"),
    ("glue", "startJobRun"): ("GetJobRun", "JobRun"),
    ("sagemaker", "createTrainingJob"): ("DescribeTrainingJob", None),
    ("sagemaker", "createTransformJob"): ("DescribeTransformJob", None),
    ("sagemaker", "createProcessingJob"): ("DescribeProcessingJob", None),
    ("states", "startExecution"): ("DescribeExecution", None),
}

# Documented changes to a model's shape (member -> type), per integration.
OVERRIDES = {
    # the function's output, parsed (connect-lambda.html)
    "lambda:invoke": {"Payload": "any"},
    # JobName is copied from the request into the response (connect-glue.html)
    "glue:startJobRun": {"JobName": "string"},
    # .sync:2 returns Output as JSON (connect-stepfunctions.html)
    "states:startExecution.sync:2": {"Output": "any"},
}

# The Java SDK (v1) response metadata the optimised integrations add to a result.
SDK_METADATA = {
    "SdkHttpMetadata": {
        "members": {
            "AllHttpHeaders": {"map": {"list": "string"}},
            "HttpHeaders": {"map": "string"},
            "HttpStatusCode": "integer",
        }
    },
    "SdkResponseMetadata": {"members": {"RequestId": "string"}},
}

# AWS's common errors (any API may return them; a service's model seldom lists them):
# https://docs.aws.amazon.com/step-functions/latest/apireference/CommonErrors.html
COMMON_ERRORS = [
    "AccessDeniedException",
    "IncompleteSignatureException",
    "InternalFailureException",
    "InvalidActionException",
    "InvalidClientTokenIdException",
    "NotAuthorizedException",
    "OptInRequiredException",
    "RequestExpiredException",
    "ServiceUnavailableException",
    "ThrottlingException",
    "ValidationErrorException",
    "ValidationException",
]

# Integrations a user commonly tests, besides those of the project's state machines.
COMMON = [
    "athena:getQueryExecution",
    "athena:getQueryResults",
    "athena:startQueryExecution",
    "athena:startQueryExecution.sync",
    "athena:stopQueryExecution",
    "aws-sdk:dynamodb:getItem",
    "aws-sdk:dynamodb:query",
    "aws-sdk:dynamodb:updateItem",
    "aws-sdk:s3:getObject",
    "aws-sdk:s3:headObject",
    "aws-sdk:s3:listObjectsV2",
    "aws-sdk:s3:putObject",
    "aws-sdk:s3:deleteObject",
    "aws-sdk:sfn:startExecution",
    "batch:submitJob",
    "batch:submitJob.sync",
    "dynamodb:deleteItem",
    "dynamodb:getItem",
    "dynamodb:putItem",
    "dynamodb:updateItem",
    "ecs:runTask",
    "ecs:runTask.sync",
    "events:putEvents",
    "glue:startJobRun",
    "glue:startJobRun.sync",
    "lambda:invoke",
    "sagemaker:createTrainingJob",
    "sagemaker:createTrainingJob.sync",
    "sagemaker:createTransformJob",
    "sagemaker:createTransformJob.sync",
    "sns:publish",
    "sqs:sendMessage",
    "states:startExecution",
    "states:startExecution.sync",
    "states:startExecution.sync:2",
]


def load_model(service):
    """The newest API version of botocore's model for `service`."""
    versions = sorted(os.listdir(os.path.join(DATA, service)))
    for version in reversed(versions):
        base = os.path.join(DATA, service, version, "service-2.json")
        if os.path.exists(base + ".gz"):
            with gzip.open(base + ".gz", "rt", encoding="utf-8") as f:
                return json.load(f)
        if os.path.exists(base):
            with open(base, encoding="utf-8") as f:
                return json.load(f)
    raise SystemExit(f"gen-service-shapes: botocore has no model for {service}")


def pascal_words(text):
    """The Java SDK v2's PascalCase of a serviceId: `SageMaker Runtime` -> SageMakerRuntime,
    `DynamoDB` -> DynamoDb, `ACM PCA` -> AcmPca (the names aws-sdk errors carry)."""
    words = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+", text)
    return "".join(w[:1].upper() + w[1:].lower() for w in words)


def sdk_services():
    """aws-sdk service name (lower-case Java SDK v2 name) -> botocore service directory."""
    out = {}
    for service in sorted(os.listdir(DATA)):
        if not glob.glob(os.path.join(DATA, service, "*", "service-2.json*")):
            continue
        model = load_model(service)
        service_id = model["metadata"].get("serviceId") or service
        out.setdefault(pascal_words(service_id).lower(), service)
    return out


def project_resources():
    """Every `arn:aws:states:::` Resource of state-machines/*.asl.json, without the prefix."""
    found = set()

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "Resource" and isinstance(value, str):
                    if value.startswith("arn:aws:states:::") and "${" not in value:
                        found.add(value[len("arn:aws:states:::") :])
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in sorted(glob.glob(os.path.join(ROOT, "state-machines", "*.asl.json"))):
        with open(path, encoding="utf-8") as f:
            walk(json.load(f))
    return found


def member_name(name):
    """Step Functions' JSON name of a model member: PascalCase."""
    return name[:1].upper() + name[1:]


class Service:
    """The shapes of one botocore service reachable from the chosen operations."""

    def __init__(self, name):
        self.name = name
        self.model = load_model(name)
        self.shapes = {}

    def ref(self, shape_name):
        """A member's type: a primitive name or the name of a shape kept in `self.shapes`."""
        shape = self.model["shapes"][shape_name]
        kind = shape["type"]
        if kind in ("string", "integer", "long", "double", "float", "boolean", "timestamp", "blob"):
            if kind == "string" and "enum" in shape:
                self.keep(shape_name)
                return shape_name
            return kind
        if kind == "structure" and shape.get("document"):
            return "any"
        self.keep(shape_name)
        return shape_name

    def keep(self, shape_name):
        if shape_name in self.shapes:
            return
        if shape_name in PRIMITIVES:
            raise SystemExit(f"gen-service-shapes: {self.name} has a shape named {shape_name}")
        shape = self.model["shapes"][shape_name]
        kind = shape["type"]
        out = {}
        self.shapes[shape_name] = out  # before recursing: shapes can be recursive
        if kind == "string":
            out["enum"] = sorted(shape["enum"])
        elif kind == "list":
            out["list"] = self.ref(shape["member"]["shape"])
        elif kind == "map":
            out["map"] = self.ref(shape["value"]["shape"])
        elif kind == "structure":
            members = {}
            for name, member in shape.get("members", {}).items():
                members[member_name(name)] = self.ref(member["shape"])
            out["members"] = dict(sorted(members.items()))
            required = sorted(member_name(r) for r in shape.get("required", []))
            if required:
                out["required"] = required
            if shape.get("union"):
                out["union"] = True
        else:
            raise SystemExit(f"gen-service-shapes: {self.name} {shape_name}: type {kind}")

    def exceptions(self):
        return sorted(k for k, v in self.model["shapes"].items() if v.get("exception"))

    def operation(self, action):
        """The operation of a camelCase action (`startJobRun` -> StartJobRun)."""
        name = action[:1].upper() + action[1:]
        if name not in self.model["operations"]:
            raise SystemExit(f"gen-service-shapes: {self.name} has no operation {name}")
        return name, self.model["operations"][name]


def with_exception_suffix(name):
    return name if name.endswith("Exception") else name + "Exception"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    parser.add_argument("--output", default=OUT, help="where to write (default: %(default)s)")
    args = parser.parse_args()

    sdk = sdk_services()
    services = {}
    integrations = {}
    wanted = sorted(set(COMMON) | project_resources())
    for key in wanted:
        pattern = ""
        action_part = key
        for suffix in (".sync:2", ".sync", ".waitForTaskToken"):
            if key.endswith(suffix):
                pattern, action_part = suffix, key[: -len(suffix)]
                break
        parts = action_part.split(":")
        if parts[0] == "aws-sdk":
            _, sdk_name, action = parts
            if sdk_name not in sdk:
                raise SystemExit(f"gen-service-shapes: no botocore service for aws-sdk:{sdk_name}")
            botocore_name = sdk[sdk_name]
            model_meta = load_model(botocore_name)["metadata"]
            prefix = pascal_words(model_meta.get("serviceId") or botocore_name)
            base = [prefix + "Exception"]
            extra = []
            optimised = False
            suffix_exceptions = True
        else:
            sfn_name, action = parts
            if sfn_name not in OPTIMISED:
                raise SystemExit(f"gen-service-shapes: {sfn_name} is not a known optimised integration")
            botocore_name, prefix, base_exception, extra = OPTIMISED[sfn_name]
            base = [base_exception]
            optimised = True
            suffix_exceptions = False
        service = services.setdefault(botocore_name, Service(botocore_name))
        op_name, op = service.operation(action)
        entry = {"service": botocore_name}
        if pattern == ".waitForTaskToken":
            # the result is whatever the task token's holder sends (SendTaskSuccess)
            entry["result"] = "callback"
        elif pattern in (".sync", ".sync:2") and not key.startswith("aws-sdk:"):
            describe, member = SYNC[(sfn_name, action)]
            _, describe_op = service.operation(describe[:1].lower() + describe[1:])
            output = describe_op["output"]["shape"]
            via = f"{describe} > {output}"
            root = output
            if member is not None:
                target = service.model["shapes"][output]["members"][member]["shape"]
                target_shape = service.model["shapes"][target]
                if target_shape["type"] == "list":
                    target = target_shape["member"]["shape"]
                    via = f"{output} > {member_name(member)}[]"
                else:
                    via = f"{output} > {member_name(member)}"
                root = target
            service.keep(root)
            entry["shape"] = root
            entry["name"] = via
        else:
            if "output" not in op:
                entry["shape"] = None
                entry["name"] = f"{op_name} (no output)"
            else:
                root = op["output"]["shape"]
                service.keep(root)
                entry["shape"] = root
                entry["name"] = root
        overrides = OVERRIDES.get(key) or OVERRIDES.get(action_part)
        if overrides and entry.get("result") != "callback":
            entry["overrides"] = dict(sorted(overrides.items()))
        if optimised and entry.get("result") != "callback":
            entry["metadata"] = True
        errors = sorted(e["shape"] for e in op.get("errors", []))
        if suffix_exceptions:
            errors = [with_exception_suffix(e) for e in errors]
        entry["errors"] = errors
        entry["errorPrefix"] = prefix
        entry["baseErrors"] = sorted(set(base))
        if extra:
            entry["extraErrors"] = sorted(extra)
        entry["suffixExceptions"] = suffix_exceptions
        integrations[key] = dict(sorted(entry.items()))

    out_services = {}
    for name in sorted(services):
        service = services[name]
        exceptions = service.exceptions()
        out_services[name] = {
            "exceptions": exceptions,
            "shapes": dict(sorted(service.shapes.items())),
        }

    text = render(
        {
            "source": f"botocore {botocore.__version__}, generated by scripts/gen-service-shapes.py: do not edit",
            "commonErrors": COMMON_ERRORS,
            "sdkMetadata": SDK_METADATA,
            "integrations": integrations,
            "services": out_services,
        }
    )
    if args.check:
        try:
            with open(args.output, encoding="utf-8") as f:
                current = f.read()
        except FileNotFoundError:
            current = ""
        if current != text:
            print(f"gen-service-shapes: {args.output} is not what botocore {botocore.__version__} gives; run scripts/gen-service-shapes.py", file=sys.stderr)
            return 1
        print(f"gen-service-shapes: {args.output} is up to date")
        return 0
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    with open(args.output, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    print(f"gen-service-shapes: wrote {args.output} ({len(integrations)} integrations, {sum(len(s['shapes']) for s in out_services.values())} shapes)")
    return 0


def compact(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def render(doc):
    """Readable but small: one line per integration and per shape."""
    lines = ["{"]
    lines.append(f'  "source": {compact(doc["source"])},')
    lines.append(f'  "commonErrors": {compact(doc["commonErrors"])},')
    lines.append(f'  "sdkMetadata": {compact(doc["sdkMetadata"])},')
    lines.append('  "integrations": {')
    items = list(doc["integrations"].items())
    for i, (key, entry) in enumerate(items):
        comma = "," if i + 1 < len(items) else ""
        lines.append(f"    {compact(key)}: {compact(entry)}{comma}")
    lines.append("  },")
    lines.append('  "services": {')
    services = list(doc["services"].items())
    for i, (name, service) in enumerate(services):
        lines.append(f"    {compact(name)}: {{")
        lines.append(f'      "exceptions": {compact(service["exceptions"])},')
        lines.append('      "shapes": {')
        shapes = list(service["shapes"].items())
        for j, (shape_name, shape) in enumerate(shapes):
            comma = "," if j + 1 < len(shapes) else ""
            lines.append(f"        {compact(shape_name)}: {compact(shape)}{comma}")
        lines.append("      }")
        lines.append("    }" + ("," if i + 1 < len(services) else ""))
    lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
