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
# The ioredis matrix: the library projects (and the worker's composition test) again against ioredis 6, which
# applications bring as their own client (ioredis is a peer of every package).
export IOREDIS_MAJOR=6
pnpm exec vitest run --project completion-schema --project completion-publisher --project completion-consumer \
  --project stream-registry --reporter=default --reporter=json --outputFile.json=test-results/vitest-ioredis6.json ||
  status=$?
pnpm exec vitest run --project consumer-worker test/ioredis-major.test.ts test/create-worker.test.ts \
  --reporter=default --reporter=json --outputFile.json=test-results/vitest-ioredis6-worker.json || status=$?
unset IOREDIS_MAJOR
# Node 24 (the active LTS line; Node 20's life ended in April 2026): the library projects and the main job again,
# with a Node binary from the npm registry (cached by npx after the first run).
node24="$(npx --yes --package node@24 --call 'command -v node' </dev/null)"
echo "[node 24] $("$node24" --version): library projects and the demo" >&2
"$node24" node_modules/vitest/vitest.mjs run --project completion-schema --project completion-publisher \
  --project completion-consumer --project stream-registry --reporter=default --reporter=json \
  --outputFile.json=test-results/vitest-node24.json || status=$?
"$node24" --import tsx apps/consumer-worker/scripts/demo.ts || status=$?
node scripts/summarize-tests.mjs test-results/vitest.json test-results/vitest-ioredis6.json \
  test-results/vitest-ioredis6-worker.json test-results/vitest-node24.json || status=1
exit "$status"
