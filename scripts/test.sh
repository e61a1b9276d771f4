#!/usr/bin/env bash
# The whole test suite: bootstrap the venv, lint (ruff), type-check (mypy), run pytest.
# Tests talk to the real PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379); under CI=true a
# missing service fails the run instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
# The browser tests drive Debian's Chromium (never a downloaded browser build).
if [ ! -x /usr/bin/chromium ] && [ -x scripts/install_chromium.sh ]; then
  ./scripts/install_chromium.sh
fi
# The alert-rule unit tests run Debian's promtool.
if ! command -v promtool >/dev/null 2>&1 && [ -x scripts/install_promtool.sh ]; then
  ./scripts/install_promtool.sh
fi
PY=.venv/bin
echo "== ruff" && "$PY/ruff" check . && "$PY/ruff" format --check .
echo "== mypy" && "$PY/mypy" backend ai
echo "== pytest"
set +e
"$PY/pytest" -q -p no:cacheprovider "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests" >&2
  exit 1
fi
exit "$rc"
