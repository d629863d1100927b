#!/usr/bin/env bash
# Installs what the project's commands need on a fresh machine: pnpm at the pinned version, redis-server,
# (for the registry's browser tests) Debian's chromium, (for the interop tests) Debian's python3-redis and
# python3-pydantic and (for the /metrics lint and the alert rule tests) Debian's prometheus, for its promtool.
# Sourced by scripts/test.sh and scripts/main.sh. Never prompts, never hangs on input.
set -euo pipefail

PNPM_VERSION="$(node -p "require('./package.json').packageManager.split('@')[1]")"

if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  echo "[setup] installing pnpm@$PNPM_VERSION with npm" >&2
  npm install --global --no-fund --no-audit "pnpm@$PNPM_VERSION" </dev/null >&2
fi

if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
    echo "[setup] installing redis-server with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq </dev/null >&2
    apt-get install -y -qq --no-install-recommends redis-server redis-tools </dev/null >&2
    # The Debian package starts a system service on 6379; our commands start their own servers, so stop it.
    (service redis-server stop || systemctl stop redis-server) >/dev/null 2>&1 || true
  else
    echo "redis-server not found: install Redis >= 7.0 (e.g. 'apt-get install redis-server' or 'brew install redis') and retry." >&2
    exit 1
  fi
fi

# The registry's browser tests drive Debian's chromium through playwright-core (never a downloaded browser). Where
# it cannot be installed they skip with one printed line, so this is not fatal.
if [ ! -x /usr/bin/chromium ]; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
    echo "[setup] installing chromium with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium; } </dev/null >&2 ||
      echo "[setup] chromium could not be installed: the browser tests will be skipped" >&2
  else
    echo "[setup] /usr/bin/chromium not found: the browser tests will be skipped (apt-get install chromium)" >&2
  fi
fi

# The interop tests run the Python original's side with Debian's python3 and its redis and pydantic (1.x)
# packages, never a pyenv or virtualenv python. Where they cannot be installed the tests skip with one printed line.
if ! /usr/bin/python3 -c 'import redis, pydantic' >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
    echo "[setup] installing python3-redis and python3-pydantic with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends python3 python3-redis python3-pydantic; } \
      </dev/null >&2 || echo "[setup] python3-redis/python3-pydantic could not be installed: the interop tests will be skipped" >&2
  else
    echo "[setup] /usr/bin/python3 lacks redis or pydantic: the interop tests will be skipped (apt-get install python3-redis python3-pydantic)" >&2
  fi
fi

# promtool (Debian's `prometheus` package) lints /metrics and runs the alert rules' unit tests
# (deploy/prometheus/alerts.test.yml). Where it cannot be installed those tests skip with one printed line.
if ! command -v promtool >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
    echo "[setup] installing promtool (prometheus) with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    if { apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus; } </dev/null >&2; then
      # The package starts a Prometheus server on 9090; only its promtool is wanted.
      (service prometheus stop || systemctl stop prometheus) >/dev/null 2>&1 || true
    else
      echo "[setup] promtool could not be installed: the promtool checks will be skipped" >&2
    fi
  else
    echo "[setup] promtool not found: the promtool checks will be skipped (apt-get install prometheus)" >&2
  fi
fi
