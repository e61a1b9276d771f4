"""What the machine offers the AI gateway: hardware, CUDA, ffmpeg, espeak, profile, weights."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

from ai.hardware import detect_machine, load_profiles, match_profile
from ai.registry import ALLOW_NONCOMMERCIAL_SETTING, ModelSpec, load_registry, noncommercial_message
from ai.settings import AISettings
from ai.weights import verify


@dataclass(frozen=True)
class DoctorCheck:
    name: str
    ok: bool
    detail: str


def doctor_checks(settings: AISettings) -> list[DoctorCheck]:
    machine = detect_machine()
    checks = [
        DoctorCheck("cpu", True, f"{machine.cpu_name} ({machine.cpu_count} threads)"),
        DoctorCheck("ram", machine.ram_gb >= 4, f"{machine.ram_gb:.1f} GB"),
        DoctorCheck("torch", True, machine.torch_version),
        DoctorCheck(
            "cuda",
            True,
            "available" if machine.cuda else "not available (CPU defaults and cloud only)",
        ),
    ]
    if machine.cuda:
        checks.append(DoctorCheck("gpu", True, f"{machine.gpu_name}, {machine.vram_gb:g} GB VRAM"))
    checks += [_ffmpeg(), _espeak()]
    profiles = load_profiles(settings.ai_hardware_dir)
    detected = match_profile(machine, profiles)
    if settings.ai_profile and settings.ai_profile != detected.name:
        detail = (
            f"{settings.ai_profile} (set by YTE_AI_PROFILE; this machine matches {detected.name})"
        )
        checks.append(DoctorCheck("profile", settings.ai_profile in profiles, detail))
    else:
        checks.append(DoctorCheck("profile", True, f"{detected.name}: {detected.description}"))
    profile = profiles.get(settings.ai_profile or detected.name, detected)
    registry = load_registry(settings.ai_registry_path)
    wanted = {m for ids in profile.models.values() for m in ids}
    wanted |= {m for per in registry.defaults.get("cpu", {}).values() for m in per}
    checks.append(_licences(settings, profile.name, [registry.get(m) for m in sorted(wanted)]))
    for model_id in sorted(wanted):
        spec = registry.get(model_id)
        if spec is not None:
            verdict = verify(spec, settings.models_dir)
            checks.append(DoctorCheck(f"model {model_id}", verdict.ok, verdict.detail))
    checks.append(
        DoctorCheck(
            "openai key", True, "configured" if settings.openai_api_key else "not set (optional)"
        )
    )
    eleven = "configured" if settings.elevenlabs_api_key else "not set (optional)"
    checks.append(DoctorCheck("elevenlabs key", True, eleven))
    return checks


def _licences(settings: AISettings, profile: str, specs: list[ModelSpec | None]) -> DoctorCheck:
    """Whether every model the profile selects may be used on a monetized channel."""
    barred = [s for s in specs if s is not None and s.noncommercial]
    if not barred:
        return DoctorCheck("licences", True, "every selected model allows commercial use")
    names = ", ".join(f"{s.id} ({s.license})" for s in barred)
    if settings.ai_allow_noncommercial_models:
        return DoctorCheck(
            "licences",
            True,
            f"WARNING: NON-COMMERCIAL {names} in use ({ALLOW_NONCOMMERCIAL_SETTING}=true); "
            "not for a monetized channel",
        )
    return DoctorCheck(
        "licences", False, noncommercial_message(barred[0], f"profile {profile}") + f" [{names}]"
    )


def _ffmpeg() -> DoctorCheck:
    try:
        from ai.audio import ffmpeg_exe

        exe = ffmpeg_exe()
        out = subprocess.run(
            [exe, "-version"], capture_output=True, text=True, timeout=20, check=True
        ).stdout
        return DoctorCheck("ffmpeg", True, out.splitlines()[0] if out else exe)
    except Exception as exc:
        return DoctorCheck("ffmpeg", False, f"not usable: {exc}")


def _espeak() -> DoctorCheck:
    try:
        from ai.backends.speech_espeak import EspeakSpeech

        speech = EspeakSpeech("espeakng_loader", {})
        return DoctorCheck(
            "espeak-ng",
            True,
            f"{len(speech.engine.voices)} voices, {speech.engine.sample_rate} Hz (espeakng-loader)",
        )
    except Exception as exc:
        return DoctorCheck("espeak-ng", False, f"not usable: {exc}")
