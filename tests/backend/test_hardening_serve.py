"""``ytempire serve --embedded``: no network call at start-up, and a prompt stop on SIGTERM.

Every discovery source that could reach the network is pointed at a local listener that
records each connection attempt (Google Trends, an RSS feed, the bundled series off); the
appliance is started as its users start it, in a subprocess, on a fresh data directory.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from tests.backend.conftest import MODELS_DIR

ROOT = Path(__file__).resolve().parents[2]
QUIET_S = 10.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Recorder(threading.Thread):
    """Accepts and counts connections on a local port (the stand-in for the internet)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self.connections = 0
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            conn.close()

    def stop(self) -> None:
        self.halt.set()
        self.join(timeout=2)
        self.sock.close()


def test_serve_embedded_makes_no_network_call_at_start_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    recorder = Recorder()
    recorder.start()
    port = free_port()
    outside = f"http://127.0.0.1:{recorder.port}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("YTE_")},
        "YTE_DATA_DIR": str(tmp_path / "data"),
        "YTE_MODELS_DIR": str(MODELS_DIR),
        "YTE_GOOGLE_TRENDS_URL": outside,
        "YTE_DISCOVERY_RSS_FEEDS": f"science={outside}/feed.xml",
        "YTE_OPENAI_BASE_URL": outside,
        "YTE_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "backend.cli.main", "serve", "--embedded", "--migrate"]
    process = subprocess.Popen(
        [*command, "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, process.communicate()[0].decode()[-3000:]
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            assert time.monotonic() < deadline, "serve --embedded did not start in 90 s"
            time.sleep(0.2)
        time.sleep(QUIET_S)
        assert recorder.connections == 0, (
            f"{recorder.connections} outbound connection(s) within {QUIET_S:.0f} s of start"
        )
        process.send_signal(signal.SIGTERM)
        stopping = time.monotonic()
        process.wait(timeout=15)
        assert time.monotonic() - stopping < 5, "took more than 5 s to stop after SIGTERM"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        recorder.stop()
