#!/usr/bin/env bash
# Runs the console's end-to-end tests in a real headless Chromium.
#
# Builds nothing: build the server first (`cargo build -p spark-billing`).
# The binary is taken from SPARK_BILLING_BIN, else
# $CARGO_TARGET_DIR/debug/spark-billing, else target/debug/spark-billing.
# Screenshots of every page land in target/e2e-screenshots/.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

if [[ ! -x /usr/bin/chromium ]]; then
  echo "error: /usr/bin/chromium is missing; install it with: apt-get install -y chromium" >&2
  exit 1
fi

bin="${SPARK_BILLING_BIN:-${CARGO_TARGET_DIR:-$here/../../target}/debug/spark-billing}"
if [[ ! -x "$bin" ]]; then
  echo "error: no spark-billing binary at $bin; run 'cargo build -p spark-billing' first" >&2
  exit 1
fi

if [[ ! -d node_modules/playwright-core ]]; then
  npm ci --no-audit --no-fund
fi

exec node --test ./*.test.mjs
