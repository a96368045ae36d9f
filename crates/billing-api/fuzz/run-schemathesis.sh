#!/usr/bin/env bash
# Fuzzes a running spark-billing server against its own OpenAPI document
# with Schemathesis: every operation, valid and invalid inputs, and two
# checks — no answer is a 5xx, and every answer matches its documented
# schema. Exits non-zero on any failure.
#
#   BASE_URL=http://127.0.0.1:18080 API_KEY=sbk_... crates/billing-api/fuzz/run-schemathesis.sh
#
# Environment:
#   BASE_URL            the server, without a trailing slash (required)
#   API_KEY             an API key; an operator key reaches every route (required)
#   SCHEMATHESIS_VENV   where to install Schemathesis
#                       (default: $HOME/.cache/spark-billing/schemathesis)
#   SCHEMATHESIS_SPEC   what pip installs (default: schemathesis>=4.32,<5; the
#                       flags below are those of the 4.x command line)
#   MAX_EXAMPLES        test cases per operation and phase (default: 20)
#   TIME_LIMIT          seconds before the whole run is stopped (default: 900)
#   RATE_LIMIT          how fast to send, as <requests>/<s|m|h> (default: 40/s,
#                       under the server's default limit of 50 per second and key)
#   SEED                random seed, to repeat a run (default: a fresh one)
#   REPORT_DIR          when set, a JUnit report is written there too
set -euo pipefail

: "${BASE_URL:?set BASE_URL to the server, e.g. http://127.0.0.1:18080}"
: "${API_KEY:?set API_KEY to an API key of the server (an operator key reaches every route)}"
venv="${SCHEMATHESIS_VENV:-$HOME/.cache/spark-billing/schemathesis}"
spec="${SCHEMATHESIS_SPEC:-schemathesis>=4.32,<5}"
max_examples="${MAX_EXAMPLES:-20}"
time_limit="${TIME_LIMIT:-900}"
base_url="${BASE_URL%/}"

if [[ ! -x "$venv/bin/st" ]]; then
    echo "Installing $spec into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$spec"
fi
echo "Schemathesis $("$venv/bin/st" --version | awk '{print $NF}') against $base_url" >&2

args=(
    run "$base_url/api/openapi.json"
    --header "Authorization: Bearer $API_KEY"
    --checks not_a_server_error,response_schema_conformance
    --max-examples "$max_examples"
    --rate-limit "${RATE_LIMIT:-40/s}"
    --request-timeout 30
    --wait-for-schema 30
    --generation-database none
    --no-color
)
if [[ -n "${SEED:-}" ]]; then
    args+=(--seed "$SEED")
fi
if [[ -n "${REPORT_DIR:-}" ]]; then
    args+=(--report junit --report-dir "$REPORT_DIR")
fi

# `timeout` bounds the run even if the server stops answering; Schemathesis
# prints its own summary and exits non-zero when any check failed.
status=0
timeout --signal=INT --kill-after=30 "$time_limit" "$venv/bin/st" "${args[@]}" || status=$?
if [[ $status -eq 124 ]]; then
    echo "Schemathesis did not finish within ${time_limit}s" >&2
fi
exit "$status"
