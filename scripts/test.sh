#!/usr/bin/env bash
# The project's test command: installs what it needs, builds, checks and runs every test once.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-tools.sh

pnpm install --frozen-lockfile --reporter=append-only </dev/null
pnpm exec turbo run build typecheck check:package --output-logs=errors-only
pnpm exec biome check .
node scripts/check-changesets.mjs

mkdir -p test-results
status=0
pnpm exec vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json || status=$?
node scripts/summarize-tests.mjs test-results/vitest.json || status=1
exit "$status"
