#!/usr/bin/env bash
# The project's test command: installs what it needs, builds, checks and runs every test once.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-tools.sh

pnpm install --frozen-lockfile --reporter=append-only </dev/null
pnpm exec turbo run build typecheck check:package --output-logs=errors-only
pnpm exec biome check .
node scripts/check-changesets.mjs
pnpm --filter @chat/completion-publisher run size

mkdir -p test-results
status=0
pnpm exec vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json || status=$?
# The matrix's other corner: the library projects (and the worker's composition test) again on Node 24 (the active
# LTS line; Node 20's life ended in April 2026) with ioredis 6, which applications bring as their own client
# (ioredis is a peer of every package). Node 20 with ioredis 5 is the run above; one run per corner keeps the
# suite short, and each axis is covered on both of its values. The Node binary comes from the npm registry
# (cached by npx after the first run).
node24="$(npx --yes --package node@24 --call 'command -v node' </dev/null)"
echo "[node 24 + ioredis 6] $("$node24" --version): library projects, the worker's composition test, the demo" >&2
export IOREDIS_MAJOR=6
"$node24" node_modules/vitest/vitest.mjs run --project completion-schema --project completion-publisher \
  --project completion-consumer --project stream-registry --reporter=default --reporter=json \
  --outputFile.json=test-results/vitest-node24-ioredis6.json || status=$?
"$node24" node_modules/vitest/vitest.mjs run --project consumer-worker test/ioredis-major.test.ts \
  test/create-worker.test.ts --reporter=default --reporter=json \
  --outputFile.json=test-results/vitest-node24-ioredis6-worker.json || status=$?
unset IOREDIS_MAJOR
"$node24" --import tsx apps/consumer-worker/scripts/demo.ts || status=$?
reports=(test-results/vitest.json test-results/vitest-node24-ioredis6.json
  test-results/vitest-node24-ioredis6-worker.json)
# Valkey (what many managed Redis services run): the consumer, registry and fault tests again, on valkey-server
# from VALKEY_BIN_DIR or PATH (the helpers spawn what REDIS_SERVER_BIN and REDIS_CLI_BIN name). Without one, the
# phase is skipped with one line, so a machine with only Redis still passes.
valkey_server=""
if [ -n "${VALKEY_BIN_DIR:-}" ]; then
  valkey_server="$VALKEY_BIN_DIR/valkey-server"
  if [ ! -x "$valkey_server" ]; then
    echo "[valkey] VALKEY_BIN_DIR is set but holds no executable valkey-server: $valkey_server" >&2
    valkey_server=""
    status=1
  fi
elif command -v valkey-server >/dev/null 2>&1; then
  valkey_server="$(command -v valkey-server)"
fi
if [ -n "$valkey_server" ]; then
  valkey_cli="$(dirname "$valkey_server")/valkey-cli"
  [ -x "$valkey_cli" ] || valkey_cli="$(command -v valkey-cli || command -v redis-cli)"
  echo "[valkey] $("$valkey_server" --version): completion-consumer, stream-registry, fault-tests" >&2
  REDIS_SERVER_BIN="$valkey_server" REDIS_CLI_BIN="$valkey_cli" pnpm exec vitest run --project completion-consumer \
    --project stream-registry --project fault-tests --reporter=default --reporter=json \
    --outputFile.json=test-results/vitest-valkey.json || status=$?
  reports+=(test-results/vitest-valkey.json)
elif [ -z "${VALKEY_BIN_DIR:-}" ]; then
  echo "[valkey] skipped: no valkey-server on PATH (or set VALKEY_BIN_DIR)" >&2
fi
node scripts/summarize-tests.mjs "${reports[@]}" || status=1
exit "$status"
