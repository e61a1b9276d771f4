"""``ytempire ai serve``: the key it requires is discoverable, and the real ``openai`` client
works against it as a subprocess on a free port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import openai
import pytest
from typer.testing import CliRunner

from ai.app import describe_key
from ai.cli import ai_app
from tests.ai.conftest import make_settings

SECRET = "owner-chosen-secret-7f3a"
START_TIMEOUT_S = 90


def test_serve_help_names_the_key_setting_and_its_default() -> None:
    result = CliRunner().invoke(ai_app, ["serve", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "YTE_AI_API_KEY" in text
    assert "'ytempire-local'" in text
    assert "Authorization: Bearer <key>" in text


def test_the_key_description_never_prints_a_chosen_key(tmp_path: Path) -> None:
    assert describe_key(make_settings(tmp_path, ai_api_key=SECRET)) == "key: YTE_AI_API_KEY (set)"
    default = describe_key(make_settings(tmp_path, ai_api_key="ytempire-local"))
    assert default.startswith("key: ytempire-local (the default of YTE_AI_API_KEY")
    assert "none required" in describe_key(make_settings(tmp_path, ai_api_key=""))


@dataclass
class Served:
    base_url: str
    stdout: Path
    stderr: Path
    process: subprocess.Popen[bytes]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, repo_models_dir: Path) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("ai-serve")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("YTE_")}
    env.update(
        {
            "YTE_AI_API_KEY": SECRET,
            "YTE_AI_PROFILE": "cpu-only",
            "YTE_MODELS_DIR": str(repo_models_dir),
            "YTE_DATA_DIR": str(folder / "data"),
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "COLUMNS": "200",
        }
    )
    stdout, stderr = folder / "stdout.txt", folder / "stderr.txt"
    command = [
        str(Path(sys.executable).parent / "ytempire"),
        "ai",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            command, cwd=folder, env=env, stdout=out, stderr=err, start_new_session=True
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                pytest.fail(
                    f"ai serve exited with {process.returncode}: "
                    f"{stdout.read_text()} {stderr.read_text()[-2000:]}"
                )
            try:
                if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"ai serve did not answer within {START_TIMEOUT_S} s: "
                    f"{stderr.read_text()[-2000:]}"
                )
            time.sleep(0.3)
        yield Served(base_url, stdout, stderr, process)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def _client(served: Served, key: str = SECRET) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{served.base_url}/v1", api_key=key, max_retries=0, timeout=120)


def test_the_startup_line_names_the_key_setting_not_the_key(served: Served) -> None:
    first = served.stdout.read_text().splitlines()[0]
    assert first.startswith(f"AI gateway on {served.base_url}/v1 (profile cpu-only)")
    assert first.endswith("key: YTE_AI_API_KEY (set)")
    assert SECRET not in served.stdout.read_text() + served.stderr.read_text()


def test_the_openai_client_gets_local_models_for_openai_names(served: Served) -> None:
    client = _client(served)
    completion = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}], max_tokens=3
    )
    assert completion.model == "smollm2-135m-instruct"
    speech = client.audio.speech.with_raw_response.create(
        model="tts-1", voice="alloy", input="Served over HTTP."
    )
    assert speech.headers["content-type"] == "audio/mpeg"
    assert speech.headers["x-model"] == "espeak-ng"
    image = client.images.generate(model="gpt-image-1", prompt="x", size="256x256")
    assert (image.model_extra or {})["model"] == "slides"
    vectors = client.embeddings.create(model="text-embedding-3-small", input="x")
    assert vectors.model == "all-minilm-l6-v2"
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(
            model="gpt-5-ultra", messages=[{"role": "user", "content": "Hi"}]
        )
    assert caught.value.code == "model_not_found"
    client.close()


def test_a_wrong_key_says_which_setting_holds_the_right_one(served: Served) -> None:
    client = _client(served, key="wrong")
    with pytest.raises(openai.AuthenticationError, match="YTE_AI_API_KEY") as caught:
        client.models.list()
    assert caught.value.code == "invalid_api_key"
    assert SECRET not in str(caught.value)
    client.close()
