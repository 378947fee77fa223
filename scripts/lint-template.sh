#!/usr/bin/env bash
# Lints sam-template.yaml with cfn-lint (every rule, informational ones included),
# `sam validate --lint` and checkov (0 failed; each `# checkov:skip=ID:reason` must give a reason),
# and checks that the ${Name}s of every state machine definition match the
# state machine's DefinitionSubstitutions. Exits non-zero on any finding.
#
# Tools come from $VENV (default: .venv at the repository root), else from PATH.
# Neither cfn-lint nor sam looks inside ASL files or checks cron expressions: the tests do that.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
template="${1:-sam-template.yaml}"
venv="${VENV:-${PIPELINES_VENV:-$root/.venv}}"

tool() {
    if [[ -x "$venv/bin/$1" ]]; then echo "$venv/bin/$1"
    elif command -v "$1" >/dev/null 2>&1; then command -v "$1"
    else echo "lint-template: $1 not found (python3 -m venv .venv && .venv/bin/pip install cfn-lint aws-sam-cli)" >&2; exit 127
    fi
}
cfn_lint="$(tool cfn-lint)" || exit 127
sam="$(tool sam)" || exit 127
checkov="$(tool checkov)" || { echo "lint-template: checkov comes from requirements-checkov.txt: run make venv" >&2; exit 127; }
python="$venv/bin/python"; [[ -x "$python" ]] || python="$(command -v python3)"

# No telemetry, no update check: CI has no network beyond package registries.
export SAM_CLI_TELEMETRY=0 SAM_CLI_DISABLE_VERSION_CHECK=1 AWS_EC2_METADATA_DISABLED=true

status=0

echo "== cfn-lint --include-checks I $template"
"$cfn_lint" --include-checks I -- "$template" || status=1

echo "== sam validate --lint --template-file $template"
"$sam" validate --lint --template-file "$template" --region "${AWS_REGION:-us-east-1}" || status=1

echo "== checkov -f $template --framework cloudformation"
# --skip-download and no API key: checkov only warns that it cannot reach its vendor's API.
"$checkov" -f "$template" --framework cloudformation --compact --quiet --skip-download 2>/dev/null || status=1
unjustified="$(grep -nE 'checkov:skip=[A-Za-z0-9_,-]+ *(:[[:space:]]*)?$' "$template")"
if [[ -n "$unjustified" ]]; then
    echo "checkov skips without a reason (write # checkov:skip=ID:why):"; echo "$unjustified"; status=1
fi

echo "== DefinitionSubstitutions vs \${Name}s in state machine definitions"
"$python" - "$template" <<'PY' || status=1
import json, re, sys
from pathlib import Path
from cfnlint.decode import decode

template, matches = decode(sys.argv[1])
if matches:
    for m in matches: print(m)
    sys.exit(1)
bad = False
for name, res in (template.get("Resources") or {}).items():
    if res.get("Type") not in ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine"):
        continue
    props = res.get("Properties") or {}
    uri = props.get("DefinitionUri") or props.get("DefinitionS3Location")
    if not isinstance(uri, str) or uri.startswith("s3://"):
        continue
    text = (Path(sys.argv[1]).resolve().parent / uri).read_text()  # SAM resolves it from the template's folder
    try:
        json.loads(text)
    except ValueError as e:
        print(f"{name}: {uri} is not valid JSON: {e}"); bad = True; continue
    used = set(re.findall(r"\$\{([A-Za-z0-9_]+)\}", text))
    given = set((props.get("DefinitionSubstitutions") or {}).keys())
    for missing in sorted(used - given):
        print(f"{name}: {uri} uses ${{{missing}}} but DefinitionSubstitutions does not define it"); bad = True
    for unused in sorted(given - used):
        print(f"{name}: DefinitionSubstitutions.{unused} is not used by {uri}"); bad = True
    if not bad:
        print(f"{name}: {len(used)} substitutions, all defined and used")
sys.exit(1 if bad else 0)
PY

if [[ $status -ne 0 ]]; then echo "lint-template: FAILED"; else echo "lint-template: OK"; fi
exit $status
