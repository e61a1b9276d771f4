"""``ytempire models list|verify``: what runs on this machine and why not; the profile checked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

import ai.cli
from ai.cli import models_app
from ai.hardware import MachineInfo
from ai.settings import use_ai_settings
from tests.ai.conftest import make_settings

runner = CliRunner()
# models_app itself, not the root app: the root's callback binds logging to the runner's
# captured stream, which is closed after each invoke


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, repo_models_dir: Path) -> Iterator[dict[str, Any]]:
    """The real CLI with test settings installed and a console wide enough to read."""
    settings: dict[str, Any] = {}
    monkeypatch.setattr(ai.cli, "console", Console(width=250, color_system=None))
    monkeypatch.setattr(ai.cli, "detect_machine", _cpu_machine)  # same answers on a GPU box

    def install(**overrides: Any) -> None:
        use_ai_settings(make_settings(overrides.pop("models_dir", repo_models_dir), **overrides))

    settings["install"] = install
    install()
    yield settings
    use_ai_settings(None)


def _listing() -> dict[str, Any]:
    result = runner.invoke(models_app, ["list", "--json"])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_list_says_what_runs_here_and_why_not(cli: dict[str, Any]) -> None:
    data = _listing()
    assert data["profile"] == "cpu-only"
    rows = {r["id"]: r for r in data["models"]}
    for cpu_model in ("smollm2-135m-instruct", "slides", "espeak-ng", "all-minilm-l6-v2"):
        assert rows[cpu_model]["runs_here"] is True and rows[cpu_model]["reason"] is None
        assert rows[cpu_model]["in_chain"] is True
    assert "CUDA" in rows["llama-3.1-8b-instruct"]["reason"]
    assert rows["llama-3.1-8b-instruct"]["runs_here"] is False
    assert "weights not found" in rows["kokoro-82m"]["reason"]  # device auto: CPU would do
    assert "ytempire models pull kokoro-82m" in rows["kokoro-82m"]["reason"]
    assert "forbids commercial use" in rows["mms-tts-eng"]["reason"]  # opt-in only
    assert "YTE_OPENAI_API_KEY" in rows["openai-gpt-4o-mini"]["reason"]
    assert "YTE_ELEVENLABS_API_KEY" in rows["eleven-multilingual-v2"]["reason"]
    assert rows["mms-tts-eng"]["license"].startswith("cc-by-nc-4.0")
    assert rows["smollm2-135m-instruct"]["license"] == "apache-2.0"
    aliases = {a["alias"]: a for a in data["aliases"]}
    assert aliases["gpt-4o-mini"]["served_by"] == "smollm2-135m-instruct"


def test_list_names_the_vram_budget_when_a_model_does_not_fit(
    cli: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ai.cli, "detect_machine", _fake_gpu_machine)
    cli["install"](ai_profile="16gb")
    rows = {r["id"]: r for r in _listing()["models"]}
    assert "needs 17 GB; profile 16gb allows" in rows["llama-3.1-8b-instruct"]["reason"]


def _fake_gpu_machine() -> MachineInfo:
    return MachineInfo("test cpu", 2, 16.0, True, "Test GPU 16GB", 16.0, "test")


def _cpu_machine() -> MachineInfo:
    return MachineInfo("test cpu", 2, 16.0, False, None, 0.0, "test")


def test_list_prints_a_table_with_reasons_and_licenses(cli: dict[str, Any]) -> None:
    result = runner.invoke(models_app, ["list"])
    assert result.exit_code == 0, result.output
    lines = {
        line.split("│")[1].strip(): line
        for line in result.stdout.splitlines()
        if line.startswith("│") and line.split("│")[1].strip()
    }
    assert "no: needs a CUDA device" in lines["sdxl-base-1.0"]
    assert "openrail++" in lines["sdxl-base-1.0"]
    assert "yes" in lines["espeak-ng*"] and "gpl-3.0" in lines["espeak-ng*"]
    assert "smollm2-135m-instruct" in lines["gpt-4o-mini"]  # the alias table


def test_verify_checks_the_profile_and_passes_on_a_cpu_box(cli: dict[str, Any]) -> None:
    result = runner.invoke(models_app, ["verify"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "models of profile cpu-only" in out
    for model in ("smollm2-135m-instruct", "slides", "espeak-ng", "all-minilm-l6-v2"):
        assert model in out
    assert "llama-3.1-8b-instruct" not in out and "mms-tts-eng" not in out  # not the profile's
    assert "skipped: no OpenAI API key" in out  # cloud without a key is not a failure
    assert "ok: 4 model(s) ready here; 5 cloud model(s) skipped, no key" in out


def test_verify_all_includes_the_models_that_are_not_pulled(cli: dict[str, Any]) -> None:
    result = runner.invoke(models_app, ["verify", "--all"])
    assert result.exit_code == 1
    assert "mms-tts-eng" in result.stdout and "missing:" in result.stdout
    assert "llama-3.1-8b-instruct" in result.stdout


def test_verify_fails_when_a_profile_model_cannot_run(cli: dict[str, Any], tmp_path: Path) -> None:
    cli["install"](ai_profile="24gb", models_dir=tmp_path)  # forced GPU profile, no CUDA here
    result = runner.invoke(models_app, ["verify"])
    assert result.exit_code == 1
    assert "llama-3.1-8b-instruct" in result.stdout
    assert "needs a CUDA device" in result.stdout


def test_verify_fails_when_no_model_of_a_modality_can_serve(cli: dict[str, Any]) -> None:
    cli["install"](ai_fallback_text="cloud")  # only gpt-4o-mini via OpenAI, and no key
    result = runner.invoke(models_app, ["verify"])
    assert result.exit_code == 1
    assert "no text model can serve on this machine" in result.stdout


def test_verify_names_an_unknown_id(cli: dict[str, Any]) -> None:
    result = runner.invoke(models_app, ["verify", "no-such-model"])
    assert result.exit_code == 1
    assert "not in the registry" in result.stdout


def test_the_installed_command_verifies_a_cpu_box(tmp_path: Path, repo_models_dir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YTE_")}
    env.update(
        {
            "YTE_AI_PROFILE": "cpu-only",
            "YTE_MODELS_DIR": str(repo_models_dir),
            "YTE_DATA_DIR": str(tmp_path / "data"),
            "COLUMNS": "200",
        }
    )
    command = [str(Path(sys.executable).parent / "ytempire"), "models", "verify"]
    result = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "models of profile cpu-only" in result.stdout
    assert "ok: 4 model(s) ready here; 5 cloud model(s) skipped, no key" in result.stdout
