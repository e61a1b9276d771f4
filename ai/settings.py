"""The gateway's own settings (env prefix ``YTE_``): it needs nothing from the backend.

The backend's ``Settings`` is a subclass, so a backend settings object *is* an
:class:`AISettings` and every ``ai`` function takes it as it is.

Fields marked ``access`` say how the gateway is reached and guarded (URL, bind address, key,
Host allow-list, the data dir holding the embedded key), not what it serves; the in-process
gateway settles those by itself, so :func:`gateway_identity` leaves them out and keys the
cached embedded gateway by everything else, whatever fields are added later.
"""

from __future__ import annotations

import os
import secrets
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator
from pydantic.json_schema import JsonDict
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_AI_API_KEY = "ytempire-local"
KEY_SETTING = "YTE_AI_API_KEY"
EMBEDDED_KEY_FILE = "ai-gateway.key"
_ACCESS: JsonDict = {"access": True}


def _access(default: Any, **kwargs: Any) -> Any:
    """A field about reaching the gateway, not about what it serves."""
    return Field(default, json_schema_extra=_ACCESS, **kwargs)


class AISettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="YTE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # where the embedded gateway keeps its generated key (the backend keeps its data here too)
    data_dir: Path = _access(Path("data"))
    # None: the backend reaches the gateway in-process (embedded); otherwise its URL.
    ai_base_url: str | None = _access(None)
    # Bearer key of /v1/*. The default and "" are refused off loopback (`ai serve`); embedded
    # mode replaces them with a random key kept in <data_dir>/ai-gateway.key.
    ai_api_key: str = _access(DEFAULT_AI_API_KEY)
    ai_host: str = _access("127.0.0.1")
    ai_port: int = _access(8100)
    # Host header names accepted besides localhost, 127.0.0.1, [::1] and the bound host:
    # "name,name:port,..." ("*": any; DNS-rebinding guard off).
    ai_allowed_hosts: str = _access("")
    ai_profile: str | None = None  # hardware profile name; None: detect
    models_dir: Path = Path("models")
    electricity_usd_per_kwh: float = Field(default=0.15, ge=0)
    openai_api_key: str | None = None
    openai_base_url: str | None = None
    elevenlabs_api_key: str | None = None
    elevenlabs_base_url: str | None = None
    ai_fallback_text: str = "local-gpu,cloud,cpu"
    ai_fallback_image: str = "local-gpu,cloud,cpu"
    ai_fallback_speech: str = "local-gpu,cloud,cpu"
    ai_fallback_embeddings: str = "local-gpu,cloud,cpu"
    ai_registry_path: Path | None = None  # None: models/registry.yaml shipped with the code
    ai_hardware_dir: Path | None = None  # None: hardware/ shipped with the code
    ai_request_timeout_seconds: float = Field(default=600, gt=0)  # per backend attempt
    # a profile or chain may select a model whose licence forbids commercial use (e.g.
    # mms-tts-eng, CC-BY-NC-4.0) only with this opt-in; it is then served with a warning
    ai_allow_noncommercial_models: bool = False

    @field_validator("data_dir", "models_dir")
    @classmethod
    def _absolute_dirs(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @classmethod
    def access_fields(cls) -> frozenset[str]:
        return frozenset(
            name
            for name, field in AISettings.model_fields.items()
            if field.json_schema_extra == _ACCESS
        )

    def embedded_api_key(self) -> str:
        """The key of the in-process gateway: the one chosen, else generated and kept."""
        if self.ai_api_key and self.ai_api_key != DEFAULT_AI_API_KEY:
            return self.ai_api_key
        return embedded_key(self.data_dir)


def ai_settings_of(settings: AISettings) -> AISettings:
    """Exactly the gateway's fields of ``settings`` (a backend ``Settings`` or an AISettings)."""
    return AISettings.model_construct(
        **{name: getattr(settings, name) for name in AISettings.model_fields}
    )


def gateway_identity(settings: AISettings) -> str:
    """What makes one in-process gateway differ from another: every non-access field."""
    return ai_settings_of(settings).model_dump_json(exclude=set(AISettings.access_fields()))


def embedded_key(data_dir: Path) -> str:
    """A random key kept in ``<data_dir>/ai-gateway.key`` (0600), made on first use."""
    path = data_dir / EMBEDDED_KEY_FILE
    if path.exists():
        key = path.read_text().strip()
        if key:
            return key
        path.unlink()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs once written
        for _ in range(50):
            if theirs := path.read_text().strip():
                return theirs
            time.sleep(0.02)
        raise
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


_current: AISettings | None = None


@lru_cache
def _from_environment() -> AISettings:
    return AISettings()


def get_ai_settings() -> AISettings:
    """The settings of the gateway's commands: those installed, else the environment."""
    return _current or _from_environment()


def use_ai_settings(settings: AISettings | None) -> None:
    """Install the settings the gateway's commands read (tests do; None: the environment)."""
    global _current
    _current = settings
