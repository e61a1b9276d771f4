#!/usr/bin/env bash
# The main job on the embedded default: `ytempire demo` makes one ~60-second video end to end
# (SQLite, the in-process queue, CPU models; no Docker, no GPU, no network). Bootstraps the
# venv first. Extra arguments go to `ytempire demo` (e.g. --out DIR, --niche, --format short).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
exec .venv/bin/ytempire --log-level WARNING demo "$@"
