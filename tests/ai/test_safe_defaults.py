"""The gateway is safe by default: no default or empty key off loopback, the key compared in
constant time, a Host allow-list against DNS rebinding, and a generated key when embedded."""

from __future__ import annotations

import hmac
import stat
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

import ai.app
import ai.security
from ai.app import create_app
from ai.cli import ai_app
from ai.client import embedded_gateway, make_openai_client, make_sync_openai_client
from ai.security import UnsafeBinding, check_binding, is_loopback
from ai.settings import DEFAULT_AI_API_KEY, EMBEDDED_KEY_FILE, embedded_key, use_ai_settings
from tests.ai.conftest import API_KEY, make_settings


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"])
@pytest.mark.parametrize("key", [DEFAULT_AI_API_KEY, ""])
def test_loopback_may_keep_the_default_or_no_key(tmp_path: Path, host: str, key: str) -> None:
    assert is_loopback(host)
    check_binding(make_settings(tmp_path, ai_api_key=key), host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "gpu-box.lan"])
def test_off_loopback_the_default_or_empty_key_is_refused(tmp_path: Path, host: str) -> None:
    with pytest.raises(UnsafeBinding, match="published default 'ytempire-local'") as default:
        check_binding(make_settings(tmp_path, ai_api_key=DEFAULT_AI_API_KEY), host)
    assert f"on {host}:" in str(default.value) and "bind to 127.0.0.1" in str(default.value)
    with pytest.raises(UnsafeBinding, match="empty, which switches the key check off"):
        check_binding(make_settings(tmp_path, ai_api_key=""), host)
    check_binding(make_settings(tmp_path, ai_api_key="a-key-of-my-own"), host)


def test_serve_refuses_before_loading_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_app(*_: Any, **__: Any) -> None:
        raise AssertionError("the app was built")

    monkeypatch.setattr(ai.app, "create_app", no_app)
    use_ai_settings(make_settings(tmp_path, ai_api_key=DEFAULT_AI_API_KEY, ai_host="0.0.0.0"))
    try:
        result = CliRunner().invoke(ai_app, ["serve", "--port", "1"])
    finally:
        use_ai_settings(None)
    assert result.exit_code == 2
    assert "refusing to serve the AI gateway on 0.0.0.0" in result.output
    assert "YTE_AI_API_KEY" in result.output


def _get(app: Any, url: str, **headers: str) -> httpx.Response:
    import asyncio

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport) as client:
            return await client.get(url, headers={"authorization": f"Bearer {API_KEY}", **headers})

    return asyncio.run(go())


@pytest.mark.parametrize("path", ["/health", "/v1/models", "/metrics"])
def test_a_foreign_host_header_is_refused_in_the_error_shape(tmp_path: Path, path: str) -> None:
    app = create_app(make_settings(tmp_path))
    response = _get(app, f"http://evil.example{path}")
    assert response.status_code == 421
    error = response.json()["error"]
    assert error["code"] == "host_not_allowed" and error["details"] == {"host": "evil.example"}
    assert error["type"] == "invalid_request_error"
    assert "DNS rebinding" in error["message"] and "YTE_AI_ALLOWED_HOSTS" in error["message"]
    assert _get(app, f"http://evil.example:8100{path}").status_code == 421
    assert _get(app, f"http://localhost.evil.example{path}").status_code == 421


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:8100",
        "http://127.0.0.1:8100",
        "http://[::1]:8100",
        "http://LOCALHOST",
        "http://127.0.0.1",
    ],
)
def test_loopback_names_are_allowed(tmp_path: Path, url: str) -> None:
    assert _get(create_app(make_settings(tmp_path)), f"{url}/health").status_code == 200


def test_the_bound_host_and_the_allowed_hosts_setting_are_allowed(tmp_path: Path) -> None:
    app = create_app(
        make_settings(
            tmp_path, ai_host="10.0.0.7", ai_allowed_hosts="gpu-box.lan, Gateway.Example:8100"
        )
    )
    for host in ("10.0.0.7:8100", "gpu-box.lan", "gpu-box.lan:8100", "gateway.example"):
        assert _get(app, "http://x/health", host=host).status_code == 200, host
    assert _get(app, "http://x/health", host="evil.example").status_code == 421
    anything = create_app(make_settings(tmp_path, ai_allowed_hosts="*"))
    assert _get(anything, "http://evil.example/health").status_code == 200


def test_bound_to_all_interfaces_the_machine_name_is_allowed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ai.security.socket, "gethostname", lambda: "Render-Box")
    app = create_app(make_settings(tmp_path, ai_host="0.0.0.0"))
    assert _get(app, "http://render-box:8100/health").status_code == 200
    assert _get(app, "http://evil.example/health").status_code == 421


def test_the_key_is_compared_in_constant_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(ai.security.hmac, "compare_digest", spy)
    app = create_app(make_settings(tmp_path))
    wrong = _get(app, "http://localhost/v1/models", authorization="Bearer wrong-key")
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_api_key"
    assert _get(app, "http://localhost/v1/models").status_code == 200
    assert calls == [(b"wrong-key", API_KEY.encode()), (API_KEY.encode(), API_KEY.encode())]


def test_the_embedded_key_is_generated_once_kept_0600_and_reused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    key = embedded_key(data)
    path = data / EMBEDDED_KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(key) >= 40 and key != DEFAULT_AI_API_KEY
    assert embedded_key(data) == key  # the next start reads it back
    for chosen in (DEFAULT_AI_API_KEY, ""):
        assert make_settings(tmp_path, data_dir=data, ai_api_key=chosen).embedded_api_key() == key
    assert make_settings(tmp_path, data_dir=data, ai_api_key="mine").embedded_api_key() == "mine"
    assert embedded_key(tmp_path / "other") != key


def test_the_embedded_gateway_uses_the_generated_key_not_the_default(
    tmp_path: Path, repo_models_dir: Path
) -> None:
    # a serving field of its own, so that this test builds its own in-process gateway
    settings = make_settings(
        repo_models_dir,
        data_dir=tmp_path / "a",
        ai_api_key=DEFAULT_AI_API_KEY,
        electricity_usd_per_kwh=0.123,
    )
    gateway = embedded_gateway(settings)
    kept = (tmp_path / "a" / EMBEDDED_KEY_FILE).read_text()
    assert gateway.api_key == kept != DEFAULT_AI_API_KEY
    client = make_sync_openai_client(settings)
    assert client.api_key == kept
    assert any(m.id == "slides" for m in client.models.list().data)
    default = client.with_options(api_key=DEFAULT_AI_API_KEY)
    with pytest.raises(Exception, match="invalid or missing API key"):
        default.models.list()
    # another data dir with the same serving settings: the same gateway (models stay loaded)
    second = make_settings(
        repo_models_dir, data_dir=tmp_path / "b", ai_api_key="", electricity_usd_per_kwh=0.123
    )
    assert embedded_gateway(second) is gateway
    assert make_openai_client(second).api_key == gateway.api_key
