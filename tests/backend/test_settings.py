from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from backend.security.crypto import SecretBox
from backend.settings import ConfigurationError, Settings


@pytest.mark.parametrize("secret", [None, "", "changeme", "change-me"])
def test_outside_embedded_mode_a_missing_or_placeholder_secret_refuses(
    secret: str | None, tmp_path: Path
) -> None:
    settings = Settings(redis_url="redis://127.0.0.1:6379/0", secret_key=secret, data_dir=tmp_path)
    with pytest.raises(ConfigurationError, match="YTE_SECRET_KEY"):
        settings.resolved_secret_key()


def test_short_secret_refuses(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="too short"):
        Settings(secret_key="abc123", data_dir=tmp_path).resolved_secret_key()


def test_embedded_mode_generates_and_keeps_a_secret(tmp_path: Path) -> None:
    first = Settings(data_dir=tmp_path).resolved_secret_key()
    second = Settings(data_dir=tmp_path).resolved_secret_key()
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret.key").stat().st_mode & 0o077 == 0


def test_defaults_are_embedded_sqlite(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.embedded
    assert settings.resolved_database_url == f"sqlite+aiosqlite:///{tmp_path / 'ytempire.db'}"


def test_env_prefix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("YTE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("YTE_DEFAULT_CHANNEL_LIMIT", "3")
    settings = Settings()
    assert settings.data_dir == tmp_path and settings.default_channel_limit == 3


def test_importing_the_app_creates_nothing(tmp_path: Path) -> None:
    code = "import backend.app, backend.models, backend.costs.tasks, backend.cli.main"
    env = {"YTE_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=tmp_path)
    assert not (tmp_path / "data").exists()


def test_secrets_at_rest_round_trip_and_need_the_key() -> None:
    box = SecretBox("k" * 40)
    token = box.encrypt('{"refresh_token": "1//abc"}')
    assert "abc" not in token
    assert box.decrypt(token) == '{"refresh_token": "1//abc"}'
    with pytest.raises(ValueError, match="cannot be decrypted"):
        SecretBox("z" * 40).decrypt(token)
