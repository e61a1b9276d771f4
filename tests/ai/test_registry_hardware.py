"""The model registry, hardware profiles and detection, weight verification, and the CLI."""

from __future__ import annotations

import dataclasses
import json
import struct
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError
from typer.testing import CliRunner

from ai.cli import ai_app, models_app
from ai.doctor import doctor_checks
from ai.hardware import MachineInfo, detect_machine, load_profiles, match_profile
from ai.registry import MODALITIES, TIERS, Registry, load_registry
from ai.settings import use_ai_settings
from ai.weights import MANIFEST, check_safetensors, verify, write_manifest
from tests.ai.conftest import make_settings

CPU_BOX = MachineInfo("AMD Ryzen 9 9950X3D", 32, 123.0, False, None, 0.0, "2.13.0")


def test_the_shipped_registry_is_complete() -> None:
    registry = load_registry()
    for modality in MODALITIES:
        for tier in TIERS:
            if tier == "local-gpu":
                continue
            assert registry.tier_defaults(tier, modality), (tier, modality)
    for spec in registry.models:
        assert spec.license != "unknown", spec.id
        if spec.is_cloud:
            assert spec.price, spec.id
        if spec.tier == "local-gpu":
            assert spec.hf_repo and spec.path and spec.vram_gb > 0, spec.id


def test_every_profile_names_registered_models_of_the_right_modality() -> None:
    registry = load_registry()
    profiles = load_profiles()
    assert {"rtx5090-32gb", "h100-80gb", "24gb", "16gb", "cpu-only"} <= set(profiles)
    for profile in profiles.values():
        for modality, ids in profile.models.items():
            for model_id in ids:
                spec = registry.get(model_id)
                assert spec is not None and spec.modality == modality, (profile.name, model_id)
                assert spec.vram_gb <= profile.memory_budget_gb


@pytest.mark.parametrize(
    ("gpu", "vram", "expected"),
    [
        ("NVIDIA GeForce RTX 5090", 31.4, "rtx5090-32gb"),
        ("NVIDIA H100 80GB HBM3", 79.1, "h100-80gb"),
        ("NVIDIA GeForce RTX 4090", 23.6, "24gb"),
        ("NVIDIA L4", 22.0, "24gb"),
        ("NVIDIA GeForce RTX 4080", 15.6, "16gb"),
        ("NVIDIA A100-SXM4-80GB", 79.2, "h100-80gb"),  # no own profile: the largest that fits
        ("NVIDIA GeForce GTX 1060", 6.0, "cpu-only"),
        (None, 0.0, "cpu-only"),
    ],
)
def test_machines_match_profiles(gpu: str | None, vram: float, expected: str) -> None:
    machine = dataclasses.replace(CPU_BOX, cuda=gpu is not None, gpu_name=gpu, vram_gb=vram)
    assert match_profile(machine, load_profiles()).name == expected


def test_detection_reports_this_machine() -> None:
    machine = detect_machine()
    assert machine.cpu_count >= 1 and machine.ram_gb > 0
    assert machine.cuda == (machine.gpu_name is not None)


def test_registry_rejects_inconsistent_entries(tmp_path: Path) -> None:
    base = {"id": "x", "modality": "text", "backend": "openai", "tier": "cpu"}
    with pytest.raises(ValidationError, match="cannot be in tier"):
        Registry.model_validate({"models": [base]})
    with pytest.raises(ValidationError, match="unknown model"):
        Registry.model_validate({"models": [], "defaults": {"cpu": {"text": ["ghost"]}}})
    path = tmp_path / "registry.yaml"
    stated = {**base, "tier": "cloud", "license": "proprietary", "commercial": True}
    path.write_text(yaml.safe_dump({"models": [stated]}))
    with pytest.raises(ValidationError, match="remote_id"):
        load_registry(path)


def _safetensors(path: Path, payload: bytes, declared: int) -> None:
    header = json.dumps(
        {"w": {"dtype": "F32", "shape": [declared // 4], "data_offsets": [0, declared]}}
    ).encode()
    path.write_bytes(struct.pack("<Q", len(header)) + header + payload)


def test_verify_catches_truncated_and_missing_weights(tmp_path: Path) -> None:
    registry = load_registry()
    spec = registry.by_id["mms-tts-eng"]
    folder = tmp_path / "mms-tts-eng"
    assert not verify(spec, tmp_path).ok  # nothing pulled yet
    folder.mkdir()
    _safetensors(folder / "model.safetensors", b"\0" * 64, 64)
    (folder / "config.json").write_text("{}")
    write_manifest(folder)
    assert verify(spec, tmp_path).ok
    _safetensors(folder / "model.safetensors", b"\0" * 40, 64)  # an interrupted download
    verdict = verify(spec, tmp_path)
    assert not verdict.ok and "incomplete" in verdict.detail
    assert check_safetensors(folder / "model.safetensors") is not None
    (folder / "config.json").unlink()
    assert "config.json missing" in verify(spec, tmp_path).detail
    assert json.loads((folder / MANIFEST).read_text())["files"]["config.json"] == 2


def test_the_package_shipped_models_verify() -> None:
    registry = load_registry()
    for model_id in ("smollm2-135m-instruct", "all-minilm-l6-v2", "espeak-ng", "slides"):
        assert verify(registry.by_id[model_id], Path("/nonexistent")).ok, model_id


def test_models_cli_lists_and_verifies(tmp_path: Path) -> None:
    use_ai_settings(make_settings(tmp_path, ai_profile="rtx5090-32gb"))
    try:
        runner = CliRunner()
        listed = runner.invoke(models_app, ["list"], env={"COLUMNS": "200"})
        assert listed.exit_code == 0, listed.output
        assert "llama-3.1-8b-instruct*" in listed.output
        flat = " ".join(listed.output.split())
        assert "no: needs a CUDA device" in flat or "no: weights not found" in flat
        ok = runner.invoke(models_app, ["verify", "smollm2-135m-instruct", "all-minilm-l6-v2"])
        assert ok.exit_code == 0, ok.output
        bad = runner.invoke(models_app, ["verify", "sdxl-base-1.0"])
        assert bad.exit_code == 1 and "missing" in bad.output
        pull = runner.invoke(models_app, ["pull", "slides"])
        assert pull.exit_code == 1 and "not pulled from the Hub" in pull.output
        assert runner.invoke(ai_app, ["serve", "--help"]).exit_code == 0
    finally:
        use_ai_settings(None)


def test_doctor_names_the_profile(tmp_path: Path) -> None:
    checks = {c.name: c for c in doctor_checks(make_settings(tmp_path, ai_profile=None))}
    assert checks["ffmpeg"].ok and "ffmpeg" in checks["ffmpeg"].detail
    assert checks["espeak-ng"].ok and "voices" in checks["espeak-ng"].detail
    expected = "cpu-only" if not checks["cuda"].detail.startswith("available") else ""
    assert checks["profile"].detail.startswith(expected)
    assert checks["model smollm2-135m-instruct"].ok
