"""The licence gate: every model states its licence; a non-commercial one needs an opt-in."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import structlog
import structlog.testing
import yaml
from rich.console import Console
from typer.testing import CliRunner

import ai.cli
import ai.gateway as gateway_module
from ai.cli import models_app
from ai.doctor import doctor_checks
from ai.gateway import Gateway
from ai.hardware import MachineInfo, load_profiles
from ai.registry import REPO_ROOT, NonCommercialModel, load_registry
from ai.settings import use_ai_settings
from tests.ai.conftest import make_settings, tiny_profile

runner = CliRunner()
# the licences as the licensors state them (checked against the model cards / terms)
EXPECTED = {
    "smollm2-135m-instruct": ("apache-2.0", True),
    "all-minilm-l6-v2": ("apache-2.0", True),
    "kokoro-82m": ("apache-2.0", True),
    "sdxl-base-1.0": ("openrail++", True),
    "sdxl-lightning-4step": ("openrail++", True),
    "espeak-ng": ("gpl-3.0", True),
    "bge-base-en-v1.5": ("mit", True),
    "llama-3.1-8b-instruct": ("llama3.1", True),
    "mms-tts-eng": ("cc-by-nc-4.0", False),
}


def test_every_model_states_its_licence_and_commercial_use() -> None:
    registry = load_registry()
    for spec in registry.models:
        assert spec.license and spec.license != "unknown", spec.id
        assert spec.commercial is not None, spec.id
    for model_id, (licence, commercial) in EXPECTED.items():
        spec = registry.by_id[model_id]
        assert (spec.license, spec.commercial) == (licence, commercial), model_id
    # conditions are spelled out where there are any
    for model_id in ("llama-3.1-8b-instruct", "sdxl-base-1.0", "eleven-multilingual-v2"):
        assert registry.by_id[model_id].license_note, model_id
    assert "paid plan" in registry.by_id["eleven-multilingual-v2"].license_note


def test_a_registry_entry_without_its_licence_is_refused(tmp_path: Path) -> None:
    data = yaml.safe_load((REPO_ROOT / "models" / "registry.yaml").read_text())
    entry = next(m for m in data["models"] if m["id"] == "slides")
    del entry["commercial"]
    path = tmp_path / "registry.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ValueError, match="'slides' must state its licence"):
        load_registry(path)


def test_no_shipped_profile_selects_a_non_commercial_model(tmp_path: Path) -> None:
    registry = load_registry()
    for profile in load_profiles().values():
        for ids in profile.models.values():
            for model_id in ids:
                assert registry.by_id[model_id].commercial is True, (profile.name, model_id)
        gateway = Gateway(make_settings(tmp_path, ai_profile=profile.name))  # not refused
        assert gateway.licence_warnings == []
        for chain in gateway.chains.values():
            assert all(spec.commercial for spec in chain), profile.name
        if profile.match.gpu:
            assert profile.models["speech"] == ["kokoro-82m"]


def test_a_profile_naming_a_non_commercial_model_is_refused_without_the_opt_in(
    tmp_path: Path,
) -> None:
    profile = tiny_profile(models={"speech": ["mms-tts-eng"]})
    with pytest.raises(NonCommercialModel) as refused:
        Gateway(make_settings(tmp_path), profile=profile)
    message = str(refused.value)
    assert "mms-tts-eng" in message and "cc-by-nc-4.0" in message
    assert "YTE_AI_ALLOW_NONCOMMERCIAL_MODELS=true" in message
    assert "hardware profile test-tiny" in message
    # a chain that names it is refused the same way
    with pytest.raises(NonCommercialModel, match="YTE_AI_FALLBACK_SPEECH selects mms-tts-eng"):
        Gateway(make_settings(tmp_path, ai_fallback_speech="mms-tts-eng,cpu"))


def test_opted_in_the_model_serves_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a fresh logger: the module's may be cached with the processors of an earlier config
    monkeypatch.setattr(gateway_module, "log", structlog.get_logger("test"))
    profile = tiny_profile(models={"speech": ["mms-tts-eng"]})
    settings = make_settings(tmp_path, ai_allow_noncommercial_models=True)
    with structlog.testing.capture_logs() as logs:
        gateway = Gateway(settings, profile=profile)
    assert gateway.chains["speech"][0].id == "mms-tts-eng"
    assert gateway.licence_warnings and "NON-COMMERCIAL" in gateway.licence_warnings[0]
    warned = [e for e in logs if e["event"] == "ai.licence.noncommercial"]
    assert warned and warned[0]["log_level"] == "warning" and "mms-tts-eng" in warned[0]["detail"]
    rows = {row["id"]: row for row in gateway.models_info()}
    assert rows["mms-tts-eng"]["commercial"] is False
    assert "NON-COMMERCIAL" in rows["mms-tts-eng"]["warning"]
    assert rows["kokoro-82m"]["commercial"] is True and rows["kokoro-82m"]["warning"] is None
    # opted in, the licence is no reason not to serve (the weights are what is missing here)
    assert "licence" not in (gateway.unavailable(gateway.registry.by_id["mms-tts-eng"]) or "")


def test_asking_for_a_non_commercial_model_by_id_skips_it_without_the_opt_in(
    tmp_path: Path,
) -> None:
    gateway = Gateway(make_settings(tmp_path))
    chain = gateway.chain_for("speech", "mms-tts-eng")
    assert chain[0].id == "mms-tts-eng"
    reason = gateway.unavailable(chain[0])
    assert reason is not None and "cc-by-nc-4.0 forbids commercial use" in reason


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    monkeypatch.setattr(ai.cli, "console", Console(width=250, color_system=None))
    monkeypatch.setattr(
        ai.cli,
        "detect_machine",
        lambda: MachineInfo("test cpu", 2, 16.0, False, None, 0.0, "test"),
    )
    hardware = tmp_path / "hardware"
    hardware.mkdir()
    for source in (REPO_ROOT / "hardware").glob("*.yaml"):
        (hardware / source.name).write_text(source.read_text())
    (hardware / "nc.yaml").write_text(
        yaml.safe_dump(
            {
                "name": "nc-test",
                "match": {"gpu": True, "min_vram_gb": 1000},
                "memory_budget_gb": 8,
                "board_watts": 100,
                "models": {"speech": ["mms-tts-eng"]},
            }
        )
    )

    def install(**overrides: Any) -> None:
        use_ai_settings(make_settings(tmp_path, ai_hardware_dir=hardware, **overrides))

    yield install
    use_ai_settings(None)


def test_models_list_shows_licences_and_commercial_use(cli: Any) -> None:
    cli()
    result = runner.invoke(models_app, ["list"])
    assert result.exit_code == 0, result.output
    lines = {
        line.split("│")[1].strip(): line
        for line in result.stdout.splitlines()
        if line.startswith("│") and line.split("│")[1].strip()
    }
    assert "cc-by-nc-4.0" in lines["mms-tts-eng"] and "NO (non-commercial)" in lines["mms-tts-eng"]
    assert "apache-2.0" in lines["kokoro-82m"] and "│ yes" in lines["kokoro-82m"]
    assert "Built with Llama" in result.stdout  # the condition of Llama's licence
    data = json.loads(runner.invoke(models_app, ["list", "--json"]).stdout)
    rows = {r["id"]: r for r in data["models"]}
    assert rows["mms-tts-eng"]["commercial"] is False
    assert "forbids commercial use" in rows["mms-tts-eng"]["reason"]
    assert data["licence_warnings"] == []


def test_models_list_refuses_or_warns_for_a_non_commercial_profile(cli: Any) -> None:
    cli(ai_profile="nc-test")
    refused = runner.invoke(models_app, ["list"])
    assert refused.exit_code == 2
    assert "refused:" in refused.stdout and "mms-tts-eng" in refused.stdout
    assert "cc-by-nc-4.0" in refused.stdout
    cli(ai_profile="nc-test", ai_allow_noncommercial_models=True)
    warned = runner.invoke(models_app, ["list"])
    assert warned.exit_code == 0, warned.output
    assert "warning:" in warned.stdout and "NON-COMMERCIAL" in warned.stdout


def test_doctor_names_a_non_commercial_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hardware = tmp_path / "hardware"
    hardware.mkdir()
    for source in (REPO_ROOT / "hardware").glob("*.yaml"):
        (hardware / source.name).write_text(source.read_text())
    profile = yaml.safe_load((hardware / "cpu-only.yaml").read_text())
    profile["models"] = {"speech": ["mms-tts-eng"]}
    (hardware / "cpu-only.yaml").write_text(yaml.safe_dump(profile))
    checks = {c.name: c for c in doctor_checks(make_settings(tmp_path, ai_hardware_dir=hardware))}
    assert not checks["licences"].ok and "mms-tts-eng" in checks["licences"].detail
    opted = make_settings(tmp_path, ai_hardware_dir=hardware, ai_allow_noncommercial_models=True)
    checks = {c.name: c for c in doctor_checks(opted)}
    assert checks["licences"].ok and "NON-COMMERCIAL" in checks["licences"].detail
    shipped = {c.name: c for c in doctor_checks(make_settings(tmp_path))}
    assert shipped["licences"].ok and "allows commercial use" in shipped["licences"].detail
