"""Webhook and SMTP delivery with the real client code (httpx, smtplib) against local
receivers: signed bodies, bounded retries only where another try can help, timeouts, clear
reasons, and secrets that never show in a result or a log line."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import SecretStr
from structlog.testing import capture_logs

from backend.alerts import delivery
from backend.alerts.delivery import Notice, deliver, send_email, send_webhook
from backend.settings import Settings
from tests.backend.alerts.fakes import smtp_server, webhook_receiver

NOTICE = Notice("disk_low", "firing", "critical", "Disk almost full: 3.0 GB free", "media")


@pytest.fixture(autouse=True)
def _fast_backoff(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(delivery, "BACKOFF_S", (0.01,))
    yield


def config(tmp_path: Any, **kw: Any) -> Settings:
    return Settings(data_dir=tmp_path, **{"alert_delivery_timeout_seconds": 2.0, **kw})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_webhook_gets_signed_json(tmp_path: Any) -> None:
    with webhook_receiver() as hook:
        settings = config(tmp_path, alert_webhook_url=hook.url, alert_webhook_secret="s3cret")
        result = send_webhook(settings, [NOTICE])
    assert result.ok and result.detail == "HTTP 204" and result.attempts == 1
    [request] = hook.requests
    expected = "sha256=" + hmac.new(b"s3cret", request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-YTEmpire-Signature"] == expected
    body = json.loads(request.body)
    assert body["source"] == "ytempire"
    assert body["alerts"][0] | {"at": None} == {
        "code": "disk_low",
        "state": "firing",
        "severity": "critical",
        "message": "Disk almost full: 3.0 GB free",
        "subject": "media",
        "at": None,
        "data": {},
    }


def test_the_webhook_retries_server_errors_within_its_tries(tmp_path: Any) -> None:
    with webhook_receiver(statuses=[503, 500]) as hook:
        settings = config(tmp_path, alert_webhook_url=hook.url, alert_delivery_attempts=3)
        result = send_webhook(settings, [NOTICE])
    assert result.ok and result.attempts == 3 and len(hook.requests) == 3


def test_a_refusing_webhook_fails_at_once_with_the_status(tmp_path: Any) -> None:
    with webhook_receiver(statuses=[404]) as hook:
        result = send_webhook(config(tmp_path, alert_webhook_url=hook.url), [NOTICE])
    assert not result.ok and result.detail == "HTTP 404" and result.attempts == 1


def test_a_slow_webhook_times_out_after_its_tries(tmp_path: Any) -> None:
    with webhook_receiver(delay_s=1.5) as hook:
        settings = config(
            tmp_path,
            alert_webhook_url=hook.url,
            alert_delivery_timeout_seconds=0.3,
            alert_delivery_attempts=2,
        )
        result = send_webhook(settings, [NOTICE])
    assert not result.ok and result.attempts == 2
    assert result.detail.startswith("timed out")


def test_an_unreachable_webhook_says_so(tmp_path: Any) -> None:
    url = f"http://127.0.0.1:{free_port()}/hook"
    result = send_webhook(
        config(tmp_path, alert_webhook_url=url, alert_delivery_attempts=2), [NOTICE]
    )
    assert not result.ok and result.attempts == 2 and "ConnectError" in result.detail


def test_email_is_sent_with_login(tmp_path: Any) -> None:
    with smtp_server() as smtp:
        settings = config(
            tmp_path,
            alert_smtp_host="127.0.0.1",
            alert_smtp_port=smtp.port,
            alert_smtp_starttls=False,
            alert_smtp_user="ytempire",
            alert_smtp_password=SecretStr("right password"),
            alert_smtp_from="box@example.com",
            alert_smtp_to="owner@example.com, ops@example.com",
        )
        [result] = deliver(settings, [NOTICE])
    assert result.channel == "email" and result.ok, result
    assert result.detail == "sent to 2 recipient(s)"
    assert smtp.logins == [("ytempire", "right password")]
    [mail] = smtp.mails
    assert mail.sender == "box@example.com"
    assert mail.recipients == ["owner@example.com", "ops@example.com"]
    assert "Subject: [YTEMPIRE critical] firing: Disk almost full" in mail.data
    assert "FIRING [critical] disk_low: Disk almost full: 3.0 GB free" in mail.data


def test_a_wrong_password_fails_at_once_and_is_never_shown(tmp_path: Any) -> None:
    with smtp_server() as smtp, capture_logs() as logs:
        settings = config(
            tmp_path,
            alert_smtp_host="127.0.0.1",
            alert_smtp_port=smtp.port,
            alert_smtp_starttls=False,
            alert_smtp_user="ytempire",
            alert_smtp_password=SecretStr("wrong-and-secret"),
            alert_smtp_to="owner@example.com",
        )
        result = send_email(settings, [NOTICE])
    assert not result.ok and result.attempts == 1
    assert result.detail == "SMTP 535: 5.7.8 bad credentials"
    assert smtp.mails == []
    assert "wrong-and-secret" not in repr(logs) + repr(result) + repr(settings)


def test_starttls_is_required_when_set(tmp_path: Any) -> None:
    with smtp_server() as smtp:  # offers no STARTTLS: the password must not go in clear
        settings = config(
            tmp_path,
            alert_smtp_host="127.0.0.1",
            alert_smtp_port=smtp.port,
            alert_smtp_user="ytempire",
            alert_smtp_password=SecretStr("right password"),
            alert_smtp_to="owner@example.com",
        )
        result = send_email(settings, [NOTICE])
    assert not result.ok and result.attempts == 1
    assert "STARTTLS extension not supported by server" in result.detail
    assert smtp.logins == [] and smtp.mails == []


def test_nothing_configured_delivers_nothing(tmp_path: Any) -> None:
    assert deliver(config(tmp_path), [NOTICE]) == []
    assert delivery.configured(config(tmp_path, alert_smtp_host="mail")) == []  # no recipient
