#!/usr/bin/env bash
# The appliance on the embedded default: SQLite, the in-process queue, CPU models, no Docker,
# no GPU, no network. Bootstraps the venv first.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
exec .venv/bin/ytempire serve --embedded "$@"
