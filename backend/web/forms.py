"""HTML form values → the API's channel schemas, with errors keyed by form field."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from backend.channels.schemas import ChannelCreate, ChannelUpdate
from backend.models import Channel
from backend.models.channel import CHANNEL_DEFAULTS as D

TEXT_FIELDS = (
    "name",
    "niche",
    "language",
    "format",
    "tone",
    "voice",
    "music_mood",
    "shorts",
    "caption_style",
)
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
    "music_mood": "Music",
    "shorts": "Shorts",
    "caption_style": "Shorts captions",
}
# Labels of the other form and query fields of the pages (login, queue, analytics, niches).
FIELD_LABELS = {
    **LABELS,
    "topic": "Topic",
    "email": "Email",
    "password": "Password",
    "next": "The page to go back to",
    "back": "The page to go back to",
    "from": "From",
    "to": "To",
    "status": "Status",
    "cursor": "The page position",
    "threshold": "Alert threshold",
    "action": "Action",
    "niche_id": "Niche",
    "channel_id": "Channel",
    "video_id": "Video",
}
# Rules a generic message cannot say well: what the value should look like.
FIELD_RULES = {
    "language": "Language must be a 2- or 3-letter code such as en or pt, "
    "optionally with a region: pt-BR",
    "youtube_channel_id": "YouTube channel id must start with UC followed by 22 letters, "
    "digits, - or _",
    "email": "Email must be an address such as name@example.com",
}
MODEL_RULES = {
    "daily_budget_usd cannot exceed monthly_budget_usd": (
        "The daily budget cannot exceed the monthly budget"
    ),
}
VALUE_RULES = {
    "must not be blank": "{label} must not be blank",
    "topic must have at least 3 characters, or be omitted": (
        "Topic must have at least 3 characters, or leave it empty to let YTEMPIRE pick one"
    ),
}


def _number(value: Any) -> str:
    try:
        return f"{float(value):g}"
    except (TypeError, ValueError):
        return str(value)


def plain_message(name: str, error: Mapping[str, Any]) -> str:
    """One pydantic error as a sentence a person understands, naming the field by its label."""
    label = FIELD_LABELS.get(name) or (name.replace("_", " ").capitalize() or "This value")
    kind = str(error.get("type", ""))
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    if kind == "missing" or (kind == "string_too_short" and ctx.get("min_length") == 1):
        return f"{label} is required"
    if name in FIELD_RULES and kind in ("string_pattern_mismatch", "value_error"):
        return FIELD_RULES[name]
    if kind == "string_too_short":
        return f"{label} must have at least {ctx.get('min_length')} characters"
    if kind == "string_too_long":
        return f"{label} can have at most {ctx.get('max_length')} characters"
    if kind == "string_pattern_mismatch":
        return f"{label} is not in the expected form"
    if kind in ("float_parsing", "float_type", "decimal_parsing", "decimal_type", "finite_number"):
        return f"{label} must be a number, such as 1 or 2.5"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"{label} must be a whole number"
    if kind == "greater_than":
        return f"{label} must be more than {_number(ctx.get('gt'))}"
    if kind == "greater_than_equal":
        return f"{label} must be {_number(ctx.get('ge'))} or more"
    if kind == "less_than":
        return f"{label} must be less than {_number(ctx.get('lt'))}"
    if kind == "less_than_equal":
        return f"{label} must be {_number(ctx.get('le'))} or less"
    if kind in ("decimal_max_places", "decimal_max_digits"):
        places = ctx.get("decimal_places")
        return (
            f"{label} can have at most {places} decimal places"
            if places
            else f"{label} is too long"
        )
    if kind in ("enum", "literal_error"):
        expected = str(ctx.get("expected", "")).replace("'", "")
        return f"{label} must be {expected}" if expected else f"{label} is not one of the choices"
    if kind.startswith(("date_", "datetime_")):
        return f"{label} must be a date such as 2026-01-31"
    if kind.startswith("uuid"):
        return f"{label} is not a valid id"
    if kind in ("bool_parsing", "bool_type"):
        return f"{label} must be yes or no"
    if kind == "value_error":
        message = str(error.get("msg", "")).removeprefix("Value error, ").strip().rstrip(".")
        rule = MODEL_RULES.get(message) or VALUE_RULES.get(message)
        if rule:
            return rule.format(label=label)
        return _sentence(message) if message else f"{label} is not valid"
    return f"{label} is not valid"


def error_field(error: Mapping[str, Any]) -> str:
    """The form field an error belongs to (``voice_settings.voice`` is the ``voice`` field)."""
    loc = [str(p) for p in error.get("loc", ()) if not isinstance(p, int)]
    if loc and loc[0] in ("body", "query", "path", "form", "header", "cookie"):
        loc = loc[1:]
    if loc and loc[0] in ("style_settings", "voice_settings") and len(loc) > 1:
        return loc[-1]
    return loc[0] if loc else ""


def validation_messages(errors: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Field name -> the first error of that field, in plain words."""
    out: dict[str, str] = {}
    for error in errors:
        name = error_field(error)
        out.setdefault(name, _sentence(plain_message(name, error)) + ".")
    return out


STYLE_KEYS = {
    "tone": "tone",
    "target_minutes": "target_minutes",
    "music_mood": "music_mood",
    "shorts": "shorts",
    "caption_style": "caption_style",
}
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
                "language": D.language,
                "format": D.format.value,
                "cadence_per_day": f"{D.cadence_per_day:g}",
                "daily_budget_usd": f"{float(D.daily_budget_usd):g}",
                "monthly_budget_usd": f"{float(D.monthly_budget_usd):g}",
                "quality_threshold": f"{D.quality_threshold:g}",
                "target_minutes": f"{D.target_minutes:g}",
                "tone": D.tone,
                "voice": D.voice,
                "music_mood": "calm",
                "shorts": "no",
                "caption_style": "line",
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
                "target_minutes": f"{float(style.get('target_minutes', D.target_minutes)):g}",
                "tone": str(style.get("tone", D.tone)),
                "voice": str(voice.get("voice", D.voice)),
                "music_mood": str(style.get("music_mood", "calm")),
                "shorts": "yes" if style.get("shorts") else "no",
                "caption_style": str(style.get("caption_style", "line")),
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
            name = error_field(error)
            if name not in LABELS:  # a model-level rule: the budgets
                name = "monthly_budget_usd" if "budget" in str(error.get("msg")) else "name"
            if error.get("type") != "value_error" and error.get("input") in (None, ""):
                message = f"{LABELS[name]} is required"
            else:
                message = plain_message(name, error)
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


PRIVACY_CHOICES = (
    ("private", "Private: only you see it on YouTube"),
    ("unlisted", "Unlisted: anyone with the link"),
    ("public", "Public: everyone"),
)
YES_NO = {"yes": True, "no": False}


@dataclass
class PublishingForm:
    """A channel's publishing settings: made for kids (yes/no, no default), the privacy of
    its uploads, the auto-publish switch, and how long published videos keep their media
    (``media_retention_days``: blank keeps it; ``prune_mp4``: the MP4 goes too)."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, channel: Channel) -> PublishingForm:
        kids = channel.made_for_kids
        return cls(
            values={
                "made_for_kids": "" if kids is None else ("yes" if kids else "no"),
                "privacy": channel.privacy.value,
                "auto_publish": "on" if channel.auto_publish else "",
                "autopilot": "on" if channel.autopilot else "",
                "autopilot_buffer_days": str(channel.autopilot_buffer_days),
                "timezone": channel.timezone,
                "media_retention_days": (
                    str(channel.media_retention_days) if channel.media_retention_days else ""
                ),
                "prune_mp4": "on" if channel.prune_mp4 else "",
                "has_media": "1",
            }
        )

    @classmethod
    def read(cls, form: FormData) -> PublishingForm:
        def text(name: str) -> str:
            raw = form.get(name)
            return raw.strip() if isinstance(raw, str) else ""

        return cls(
            values={
                "made_for_kids": text("made_for_kids"),
                "privacy": text("privacy"),
                "auto_publish": "on" if text("auto_publish") in ("on", "1", "true") else "",
                "autopilot": "on" if text("autopilot") in ("on", "1", "true") else "",
                "autopilot_buffer_days": text("autopilot_buffer_days"),
                "timezone": text("timezone"),
                "media_retention_days": text("media_retention_days"),
                "prune_mp4": "on" if text("prune_mp4") in ("on", "1", "true") else "",
                "has_media": "1" if "media_retention_days" in form else "",
            }
        )

    def _media(self, payload: dict[str, Any]) -> None:
        """Retention days (blank: keep forever) and prune_mp4; an older form without them
        keeps both as they are."""
        if not self.values.get("has_media"):
            return
        days = self.values.get("media_retention_days", "")
        if days and (not days.isdigit() or not 1 <= int(days) <= 3650):
            self.errors["media_retention_days"] = (
                "Keep media for a whole number of days, 1 to 3650, or leave it empty"
            )
            return
        payload["media_retention_days"] = int(days) if days else None
        payload["prune_mp4"] = bool(self.values.get("prune_mp4"))

    def to_update(self) -> ChannelUpdate | None:
        payload: dict[str, Any] = {
            "auto_publish": bool(self.values.get("auto_publish")),
            "autopilot": bool(self.values.get("autopilot")),
        }
        days = self.values.get("autopilot_buffer_days", "")
        if days:  # left out (an older form): kept
            if not days.isdigit() or not 1 <= int(days) <= 14:
                self.errors["autopilot_buffer_days"] = "Days ahead must be a whole number, 1 to 14"
            else:
                payload["autopilot_buffer_days"] = int(days)
        if self.values.get("timezone"):
            payload["timezone"] = self.values["timezone"]
        self._media(payload)
        kids = self.values.get("made_for_kids", "")
        if kids:  # left unchosen: stays unset (uploads stay held), the rest is saved
            if kids not in YES_NO:
                self.errors["made_for_kids"] = "Made for kids must be yes or no"
            else:
                payload["made_for_kids"] = YES_NO[kids]
        privacy = self.values.get("privacy", "")
        if privacy not in {value for value, _ in PRIVACY_CHOICES}:
            self.errors["privacy"] = "Privacy must be private, unlisted or public"
        else:
            payload["privacy"] = privacy
        if self.errors:
            return None
        try:
            return ChannelUpdate.model_validate(payload)
        except ValidationError as exc:  # the checks above catch what the schema refuses
            for name, message in validation_messages(exc.errors()).items():
                self.errors.setdefault(name or "privacy", message)
            return None
