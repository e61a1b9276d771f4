#!/usr/bin/env bash
# Install promtool (Debian's `prometheus` package) for the alert-rule unit tests
# (tests/deploy/test_alert_rules.py), once; a no-op when present.
set -euo pipefail
if command -v promtool >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "install_promtool.sh: need root (or sudo) to apt-get install prometheus" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends prometheus >/dev/null
promtool --version | head -1
