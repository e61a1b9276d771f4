"""Run Python in a subprocess where ``backend`` cannot be imported (the gateway stands alone)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ai.registry import REPO_ROOT

NO_BACKEND = '''
import sys

class _NoBackend:
    """Any import of backend fails, whoever asks for it."""

    def find_spec(self, name, path=None, target=None):
        if name == "backend" or name.startswith("backend."):
            raise ImportError(f"the AI gateway imported {name}")
        return None

sys.meta_path.insert(0, _NoBackend())
'''

RUN_AI = (
    NO_BACKEND
    + """
import runpy
sys.argv[0] = "python -m ai"
runpy.run_module("ai", run_name="__main__", alter_sys=True)
"""
)


def clean_env(**values: str) -> dict[str, str]:
    """The environment without any YTE_ setting, plus ``values``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("YTE_")}
    env.update(
        {
            "PYTHONPATH": str(REPO_ROOT),
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "COLUMNS": "200",
        }
    )
    env.update(values)
    return env


def python_without_backend(
    code: str, cwd: Path, env: dict[str, str], timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", NO_BACKEND + code],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def ai_command(args: list[str]) -> list[str]:
    """``python -m ai ARGS`` with backend unimportable."""
    return [sys.executable, "-c", RUN_AI, *args]
