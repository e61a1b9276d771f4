"""The voices this machine can speak with, for pickers: named voices and eSpeak NG's own.

Named voices (``alloy``, ``echo``, ...) are the keys of the speech models' ``voices``
tables in the registry: every speech model maps each to one of its own voices (an eSpeak
voice, an ElevenLabs voice id, an OpenAI voice), so a channel with a named voice sounds
right whichever model of the chain serves it. eSpeak NG voices are read from the data of
the installed ``espeakng-loader`` package (its ``lang`` files), without loading the
library; the gateway's eSpeak backend accepts exactly these names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ai.registry import ModelSpec, Registry, package_dir

NAMED_GROUP = "Named voices (every speech model has one)"
ESPEAK_GROUP = "eSpeak NG voices (CPU, installed)"
KOKORO_GROUP = "Kokoro-82M voices (GPU, pulled)"


@dataclass(frozen=True)
class Voice:
    id: str  # the value a channel stores as its voice
    label: str
    group: str
    language: str | None = None
    # model id -> that model's own voice for this one
    served_by: dict[str, str] = field(default_factory=dict)


def _espeak_file(path: Path) -> tuple[str, str | None] | None:
    name = language = None
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        key, _, value = line.strip().partition(" ")
        if key == "name" and name is None:
            name = value.strip()
        elif key == "language" and language is None:
            language = value.split()[0] if value.split() else None
    return (name, language) if name else None


@lru_cache(maxsize=4)
def espeak_voices(package: str = "espeakng_loader") -> tuple[Voice, ...]:
    """eSpeak NG's language voices, by the name the gateway's eSpeak backend accepts."""
    try:
        lang_dir = package_dir(package) / "espeak-ng-data" / "lang"
    except FileNotFoundError:
        return ()
    voices = []
    for path in sorted(p for p in lang_dir.rglob("*") if p.is_file()):
        parsed = _espeak_file(path)
        if parsed is None:
            continue
        name, language = parsed
        ident = path.name.lower()
        voices.append(Voice(ident, f"{name} ({ident})", ESPEAK_GROUP, language))
    return tuple(sorted(voices, key=lambda v: v.label.lower()))


def _speech_models(registry: Registry) -> list[ModelSpec]:
    return registry.of_modality("speech")


BACKEND_NAMES = {
    "espeak": "eSpeak",
    "openai": "OpenAI",
    "elevenlabs": "ElevenLabs",
    "kokoro": "Kokoro",
}


def _speaks_as(spec: ModelSpec, own: str) -> str:
    """How a model speaks a named voice, short: ``eSpeak en-us+m3``, ``OpenAI echo``."""
    name = BACKEND_NAMES.get(spec.backend, spec.id)
    return name if spec.backend == "elevenlabs" else f"{name} {own}"


def named_voices(registry: Registry) -> list[Voice]:
    specs = _speech_models(registry)
    names: list[str] = []
    for spec in specs:
        names += [n for n in spec.voices if n != "default" and n not in names]
    voices = []
    for name in names:
        having = [s for s in specs if name in s.voices]
        served = {s.id: s.voices[name] for s in having}
        detail = ", ".join(_speaks_as(s, s.voices[name]) for s in having)
        voices.append(Voice(name, f"{name} ({detail})", NAMED_GROUP, None, served))
    return voices


def kokoro_voices(spec: ModelSpec, models_dir: Path) -> list[Voice]:
    """A Kokoro model's own voices whose style file was pulled (``voices/<id>.pt``)."""
    folder = spec.local_dir(models_dir)
    if folder is None:
        return []
    return [
        Voice(voice, f"{voice} ({language})", KOKORO_GROUP, language, {spec.id: voice})
        for voice, language in spec.speakers.items()
        if (folder / "voices" / f"{voice}.pt").is_file()
    ]


def installed_voices(registry: Registry, models_dir: Path | None = None) -> list[Voice]:
    """Every voice a channel can pick here: named voices, eSpeak NG's, and (given the
    models dir) the own voices of the Kokoro models pulled into it."""
    voices = named_voices(registry)
    seen = {v.id for v in voices}
    if models_dir is not None:
        for spec in _speech_models(registry):
            if spec.backend == "kokoro":
                for voice in kokoro_voices(spec, models_dir):
                    if voice.id not in seen:
                        seen.add(voice.id)
                        voices.append(voice)
    for spec in _speech_models(registry):
        if spec.backend == "espeak":
            for voice in espeak_voices(spec.package or "espeakng_loader"):
                if voice.id not in seen:
                    seen.add(voice.id)
                    served = {spec.id: voice.id}
                    voices.append(Voice(voice.id, voice.label, voice.group, voice.language, served))
    return voices
