"""X-Forwarded-For picks the throttle bucket only when the request came through a trusted proxy.

`ytempire serve` runs in a subprocess (the real uvicorn with the options the CLI passes):
with the default (no trusted proxies) every forged X-Forwarded-For lands in the one bucket
of the real client address; with YTE_TRUSTED_PROXIES=127.0.0.1 the proxy's header counts.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.backend.test_cli_pipeline import _free_port, _start, _stop

pytestmark = pytest.mark.slow


def _failures_then_one_more(port: int, forged: bool) -> int:
    base = f"http://127.0.0.1:{port}/api/v1"
    deadline = time.monotonic() + 120
    with httpx.Client(base_url=base, timeout=30) as http:
        while True:
            try:
                if http.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "serve did not come up"
            time.sleep(0.3)
        for i in range(4):
            headers = {"X-Forwarded-For": f"203.0.113.{i + 1}"} if forged else {}
            body = {"email": f"{uuid.uuid4().hex[:8]}@example.com", "password": "guess-guess"}
            response = http.post("/auth/login", json=body, headers=headers)
            if response.status_code == 429:
                return 429
        return response.status_code


@pytest.mark.parametrize("trusted", ["", "127.0.0.1"])
def test_forwarded_for_counts_only_from_a_trusted_proxy(tmp_path: Path, trusted: str) -> None:
    port = _free_port()
    serve = _start(
        ["serve", "--embedded", "--port", str(port)],
        tmp_path,
        YTE_LOGIN_MAX_FAILURES_PER_ADDRESS="3",
        YTE_TRUSTED_PROXIES=trusted,
    )
    try:
        status = _failures_then_one_more(port, forged=True)
    finally:
        _stop(serve, 15)
    # Untrusted: all four tries share 127.0.0.1's bucket, the fourth is refused.
    # Trusted proxy: each forwarded address has its own bucket, nothing is refused.
    assert status == (401 if trusted else 429)
