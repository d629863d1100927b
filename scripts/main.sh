#!/usr/bin/env bash
# The project's main job: installs what it needs, builds everything, then runs the end-to-end demo: the consumer
# worker on its embedded redis-server, a chat API serving SSE, and completions published as the Agent Generator would.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-tools.sh

pnpm install --frozen-lockfile --reporter=append-only </dev/null
pnpm exec turbo run build --output-logs=errors-only
node --import tsx apps/consumer-worker/scripts/demo.ts
