"""HTML form values → the API's channel schemas, with errors keyed by form field."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from backend.channels.schemas import ChannelCreate, ChannelUpdate
from backend.models import Channel

TEXT_FIELDS = ("name", "niche", "language", "format", "tone", "voice")
NUMBER_FIELDS = (
    "cadence_per_day",
    "daily_budget_usd",
    "monthly_budget_usd",
    "quality_threshold",
    "target_minutes",
)
LABELS = {
    "name": "Name",
    "niche": "Niche",
    "language": "Language",
    "format": "Format",
    "cadence_per_day": "Videos per day",
    "daily_budget_usd": "Daily budget",
    "monthly_budget_usd": "Monthly budget",
    "quality_threshold": "Quality threshold",
    "target_minutes": "Target length",
    "tone": "Tone",
    "voice": "Voice",
}
MODEL_RULES = {
    "daily_budget_usd cannot exceed monthly_budget_usd": (
        "The daily budget cannot exceed the monthly budget"
    ),
}
STYLE_KEYS = {"tone": "tone", "target_minutes": "target_minutes"}
VOICE_KEYS = {"voice": "voice"}


@dataclass
class ChannelForm:
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def blank(cls) -> ChannelForm:
        return cls(
            values={
                "name": "",
                "niche": "",
                "language": "en",
                "format": "long",
                "cadence_per_day": "1",
                "daily_budget_usd": "5",
                "monthly_budget_usd": "100",
                "quality_threshold": "0.75",
                "target_minutes": "1",
                "tone": "informative",
                "voice": "en-us",
            }
        )

    @classmethod
    def of(cls, channel: Channel) -> ChannelForm:
        style = channel.style_settings or {}
        voice = channel.voice_settings or {}
        return cls(
            values={
                "name": channel.name,
                "niche": channel.niche,
                "language": channel.language,
                "format": channel.format.value,
                "cadence_per_day": f"{channel.cadence_per_day:g}",
                "daily_budget_usd": f"{float(channel.daily_budget_usd):g}",
                "monthly_budget_usd": f"{float(channel.monthly_budget_usd):g}",
                "quality_threshold": f"{channel.quality_threshold:g}",
                "target_minutes": f"{float(style.get('target_minutes', 1.0)):g}",
                "tone": str(style.get("tone", "informative")),
                "voice": str(voice.get("voice", "en-us")),
            }
        )

    @classmethod
    def read(cls, form: FormData) -> ChannelForm:
        values = {}
        for name in (*TEXT_FIELDS, *NUMBER_FIELDS):
            raw = form.get(name)
            values[name] = raw.strip() if isinstance(raw, str) else ""
        return cls(values=values)

    def _payload(self, base_voice: dict[str, Any], base_style: dict[str, Any]) -> dict[str, Any]:
        payload: dict[str, Any] = {}
        for name in ("name", "niche", "language", "format"):
            payload[name] = self.values.get(name) or None
        for name in ("cadence_per_day", "daily_budget_usd", "monthly_budget_usd"):
            payload[name] = self.values.get(name) or None
        payload["quality_threshold"] = self.values.get("quality_threshold") or None
        style = dict(base_style)
        for form_key, key in STYLE_KEYS.items():
            if self.values.get(form_key):
                style[key] = self.values[form_key]
        voice = dict(base_voice)
        for form_key, key in VOICE_KEYS.items():
            if self.values.get(form_key):
                voice[key] = self.values[form_key]
        payload["style_settings"] = style
        payload["voice_settings"] = voice
        return payload

    def _collect(self, exc: ValidationError) -> None:
        for error in exc.errors():
            loc = [str(p) for p in error.get("loc", ())]
            name = loc[-1] if loc and loc[0] in ("style_settings", "voice_settings") else None
            name = name or (loc[0] if loc else "")
            message = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
            if name not in LABELS:  # a model-level rule: the budgets
                name = "monthly_budget_usd" if "budget" in message else "name"
                message = MODEL_RULES.get(message, message)
            if error.get("type") == "missing" or (
                error.get("input") is None and error.get("type") != "value_error"
            ):
                message = "This field is required"
            self.errors.setdefault(name, _sentence(message))

    def to_create(self) -> ChannelCreate | None:
        try:
            payload = {k: v for k, v in self._payload({}, {}).items() if v is not None}
            return ChannelCreate.model_validate(payload)
        except ValidationError as exc:
            self._collect(exc)
            return None

    def to_update(self, channel: Channel) -> ChannelUpdate | None:
        try:
            payload = self._payload(channel.voice_settings or {}, channel.style_settings or {})
            for name in ("name", "niche", "language", "format"):
                if payload[name] is None:
                    self.errors[name] = "This field is required"
            if self.errors:
                return None
            clean = {k: v for k, v in payload.items() if v is not None}
            return ChannelUpdate.model_validate(clean)
        except ValidationError as exc:
            self._collect(exc)
            return None


def _sentence(message: str) -> str:
    message = message.strip().rstrip(".")
    return message[:1].upper() + message[1:] if message else "Not valid"
