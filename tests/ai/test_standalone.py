"""The gateway stands alone: nothing in ``ai/`` imports ``backend``; it has its own settings,
which the backend's compose; ``python -m ai serve`` runs with ``backend`` unimportable."""

from __future__ import annotations

import ast
import json
import signal
import socket
import subprocess
import time
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from ai.registry import REPO_ROOT
from ai.settings import AISettings, ai_settings_of, gateway_identity
from tests.ai.standalone import ai_command, clean_env, python_without_backend

AI_DIR = REPO_ROOT / "ai"
KEY = "standalone-owner-key-91c2"
START_TIMEOUT_S = 90


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def test_no_module_of_ai_imports_backend() -> None:
    """Every import statement, top-level or inside a function."""
    offenders = [
        f"{path.relative_to(REPO_ROOT)}: {name}"
        for path in sorted(AI_DIR.rglob("*.py"))
        for name in _imports(path)
        if name == "backend" or name.startswith("backend.")
    ]
    assert not offenders, offenders


def test_every_ai_module_imports_with_backend_unimportable(tmp_path: Path) -> None:
    code = """
import importlib, json, pkgutil
import ai
try:
    import backend.settings
except ImportError:
    blocked = True
else:
    blocked = False
names = ["ai"] + [m.name for m in pkgutil.walk_packages(ai.__path__, "ai.")]
for name in names:
    importlib.import_module(name)
print(json.dumps({"blocked": blocked, "modules": names,
                  "backend_loaded": any(m.split(".")[0] == "backend" for m in sys.modules)}))
"""
    result = python_without_backend(code, tmp_path, clean_env())
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.splitlines()[-1])
    assert report["blocked"] is True  # the blocker works
    assert report["backend_loaded"] is False
    expected = {
        "ai.app",
        "ai.cli",
        "ai.client",
        "ai.gateway",
        "ai.settings",
        "ai.security",
        "ai.doctor",
        "ai.__main__",
        "ai.backends.text_transformers",
        "ai.services.speech",
    }
    assert expected <= set(report["modules"])


def test_the_backend_settings_are_ai_settings_with_the_same_variables(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from backend.settings import Settings

    assert issubclass(Settings, AISettings)
    assert set(AISettings.model_fields) <= set(Settings.model_fields)
    monkeypatch.setenv("YTE_AI_API_KEY", "from-the-environment")
    monkeypatch.setenv("YTE_AI_FALLBACK_TEXT", "cpu")
    monkeypatch.setenv("YTE_ELECTRICITY_USD_PER_KWH", "0.4")
    monkeypatch.setenv("YTE_DATA_DIR", str(tmp_path))
    backend, gateway = Settings(_env_file=None), AISettings(_env_file=None)
    for settings in (backend, gateway):
        assert settings.ai_api_key == "from-the-environment"
        assert settings.ai_fallback_text == "cpu" and settings.electricity_usd_per_kwh == 0.4
        assert settings.data_dir == tmp_path
    # the backend's own fields do not make another gateway
    assert gateway_identity(backend) == gateway_identity(gateway)
    other = backend.model_copy(update={"secret_key": "x" * 40, "narration_wpm": 150.0})
    assert gateway_identity(other) == gateway_identity(gateway)
    assert ai_settings_of(backend).model_dump() == gateway.model_dump()


def _changed(value: Any, annotation: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    if isinstance(value, str):
        return value + "-changed"
    if isinstance(value, Path):
        return value / "changed"
    assert value is None, value
    return Path("/elsewhere") if Path in typing.get_args(annotation) else "changed"


def test_the_embedded_gateway_key_is_every_serving_field_and_no_access_field() -> None:
    """Derived from AISettings: a field added there is part of the key without a list."""
    base = AISettings(_env_file=None)
    access = AISettings.access_fields()
    assert access == {
        "ai_base_url",
        "ai_api_key",
        "ai_host",
        "ai_port",
        "ai_allowed_hosts",
        "data_dir",
    }
    for name, field in AISettings.model_fields.items():
        other = base.model_copy(update={name: _changed(getattr(base, name), field.annotation)})
        same = gateway_identity(other) == gateway_identity(base)
        assert same == (name in access), name


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def standalone(
    tmp_path_factory: pytest.TempPathFactory, repo_models_dir: Path
) -> Iterator[tuple[str, Path]]:
    """``python -m ai serve`` on a free loopback port, backend unimportable."""
    folder = tmp_path_factory.mktemp("ai-standalone")
    port = _free_port()
    env = clean_env(
        YTE_AI_API_KEY=KEY,
        YTE_AI_PROFILE="cpu-only",
        YTE_MODELS_DIR=str(repo_models_dir),
        YTE_DATA_DIR=str(folder / "data"),
    )
    out = folder / "out.txt"
    with out.open("wb") as sink:
        process = subprocess.Popen(
            ai_command(["serve", "--host", "127.0.0.1", "--port", str(port)]),
            cwd=folder,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                pytest.fail(
                    f"python -m ai serve exited {process.returncode}: {out.read_text()[-3000:]}"
                )
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"python -m ai serve did not answer: {out.read_text()[-3000:]}")
            time.sleep(0.3)
        yield base, out
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def test_python_m_ai_serve_runs_without_the_backend(standalone: tuple[str, Path]) -> None:
    base, out = standalone
    text = out.read_text()
    assert f"AI gateway on {base}/v1 (profile cpu-only); key: YTE_AI_API_KEY (set)" in text
    assert "Host allow-list: 127.0.0.1, ::1, localhost, ytempire-ai.embedded" in text
    assert "the AI gateway imported backend" not in text and KEY not in text
    client = openai.OpenAI(base_url=f"{base}/v1", api_key=KEY, max_retries=0, timeout=60)
    assert any(m.id == "espeak-ng" for m in client.models.list().data)
    client.close()


def test_python_m_ai_serve_refuses_a_rebound_host_name(standalone: tuple[str, Path]) -> None:
    base, _ = standalone
    refused = httpx.get(
        f"{base}/v1/models", headers={"host": "evil.example", "authorization": f"Bearer {KEY}"}
    )
    assert refused.status_code == 421
    assert refused.json()["error"]["code"] == "host_not_allowed"
    assert "YTE_AI_ALLOWED_HOSTS" in refused.json()["error"]["message"]
    assert (
        httpx.get(
            f"{base}/health", headers={"host": f"localhost:{base.rsplit(':', 1)[1]}"}
        ).status_code
        == 200
    )


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("ytempire-local", "is the published default 'ytempire-local'"),
        ("", "is empty, which switches the key check off"),
    ],
)
def test_python_m_ai_serve_on_all_interfaces_without_a_key_of_its_own_exits(
    tmp_path: Path, key: str, reason: str
) -> None:
    env = clean_env(YTE_AI_API_KEY=key, YTE_AI_PROFILE="cpu-only", YTE_DATA_DIR=str(tmp_path))
    result = subprocess.run(
        ai_command(["serve", "--host", "0.0.0.0", "--port", "1"]),
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "refusing to serve the AI gateway on 0.0.0.0" in result.stderr
    assert f"YTE_AI_API_KEY {reason}" in result.stderr
    assert "Set YTE_AI_API_KEY to a random value" in result.stderr
    assert "AI gateway on" not in result.stdout  # nothing started
