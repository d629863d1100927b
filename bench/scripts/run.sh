#!/usr/bin/env bash
# `pnpm bench`: installs and builds what the benchmark imports, then runs it. Arguments go to the bench CLI.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/ensure-tools.sh

pnpm install --frozen-lockfile --reporter=append-only </dev/null >&2
pnpm exec turbo run build --filter=@chat/bench... --output-logs=errors-only >&2
cd bench
exec node dist/cli.js "$@"
