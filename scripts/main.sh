#!/usr/bin/env bash
# The project's main job: installs what it needs, builds everything, then runs the end-to-end demo.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-tools.sh

pnpm install --frozen-lockfile --reporter=append-only </dev/null
pnpm exec turbo run build --output-logs=errors-only
pnpm exec tsx scripts/smoke.ts
