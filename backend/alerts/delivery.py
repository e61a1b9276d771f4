"""Delivering alerts beyond the dashboard: a webhook (JSON POST) and e-mail (SMTP).

Both are optional settings. Every try is bounded (``YTE_ALERT_DELIVERY_TIMEOUT_SECONDS``)
and retried a bounded number of times (``YTE_ALERT_DELIVERY_ATTEMPTS``) with a short
backoff, only where another try may succeed (network errors, HTTP 5xx/429, SMTP 4xx). The
result says why a delivery failed; secrets (the webhook secret, the SMTP password) are
never logged or returned.

The webhook body is signed: ``X-YTEmpire-Signature: sha256=<hex HMAC-SHA256 of the raw body
with YTE_ALERT_WEBHOOK_SECRET>``; ``X-YTEmpire-Timestamp`` is also inside the body, so a
receiver can refuse replays.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import httpx
import structlog

from backend.alerts.metrics import DELIVERIES
from backend.settings import Settings

log = structlog.get_logger(__name__)

SIGNATURE_HEADER = "X-YTEmpire-Signature"
USER_AGENT = "ytempire-alerts/1"
BACKOFF_S = (0.5, 2.0, 5.0)


@dataclass(frozen=True, slots=True)
class Notice:
    """One alert as delivered: raised (``firing``), cleared (``resolved``) or a ``test``."""

    code: str
    state: str
    severity: str
    message: str
    subject: str = ""
    at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    channel: str  # webhook | email
    ok: bool
    detail: str  # "HTTP 204" / "sent to 1 recipient(s)" / the reason it failed
    attempts: int


def configured(settings: Settings) -> list[str]:
    found = []
    if settings.alert_webhook_url:
        found.append("webhook")
    if settings.alert_smtp_host and settings.alert_smtp_to.strip():
        found.append("email")
    return found


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _retrying(
    attempts: int, once: Callable[[], str], retryable: Callable[[Exception], bool]
) -> tuple[bool, str, int]:
    for attempt in range(1, attempts + 1):
        try:
            return True, once(), attempt
        except Exception as exc:  # every failure ends in a result with its reason
            reason = _reason(exc)
            if attempt >= attempts or not retryable(exc):
                return False, reason, attempt
            time.sleep(BACKOFF_S[min(attempt - 1, len(BACKOFF_S) - 1)])
    raise AssertionError("unreachable")


def _reason(exc: Exception) -> str:
    if isinstance(exc, _HTTPRefused):
        return str(exc)
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out ({type(exc).__name__})"
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else ""
        return f"SMTP {exc.smtp_code}: {text}"[:300]
    return f"{type(exc).__name__}: {exc}"[:300]


class _HTTPRefused(Exception):
    def __init__(self, status: int, retry: bool) -> None:
        super().__init__(f"HTTP {status}")
        self.retry = retry


def _http_retryable(exc: Exception) -> bool:
    if isinstance(exc, _HTTPRefused):
        return exc.retry
    return isinstance(exc, httpx.TransportError)


def send_webhook(
    settings: Settings, notices: Sequence[Notice], transport: httpx.BaseTransport | None = None
) -> DeliveryResult:
    url = settings.alert_webhook_url or ""
    body = json.dumps(
        {
            "source": "ytempire",
            "sent_at": datetime.now(UTC).isoformat(),
            "alerts": [asdict(n) for n in notices],
        },
        default=str,
        separators=(",", ":"),
    ).encode()
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    if settings.alert_webhook_secret is not None:
        headers[SIGNATURE_HEADER] = sign(settings.alert_webhook_secret.get_secret_value(), body)
    timeout = settings.alert_delivery_timeout_seconds

    def once() -> str:
        with httpx.Client(timeout=timeout, transport=transport, follow_redirects=False) as client:
            response = client.post(url, content=body, headers=headers)
        if response.status_code >= 300:
            status = response.status_code
            raise _HTTPRefused(status, retry=status >= 500 or status == 429)
        return f"HTTP {response.status_code}"

    ok, detail, tries = _retrying(settings.alert_delivery_attempts, once, _http_retryable)
    return _done("webhook", ok, detail, tries)


def _smtp_retryable(exc: Exception) -> bool:
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, smtplib.SMTPNotSupportedError | smtplib.SMTPRecipientsRefused):
        return False
    return isinstance(exc, OSError | smtplib.SMTPServerDisconnected)


def email_message(settings: Settings, notices: Sequence[Notice]) -> EmailMessage:
    first = notices[0]
    more = f" (+{len(notices) - 1} more)" if len(notices) > 1 else ""
    message = EmailMessage()
    message["Subject"] = f"[YTEMPIRE {first.severity}] {first.state}: {first.message[:120]}{more}"
    message["From"] = settings.alert_smtp_from or f"ytempire@{settings.alert_smtp_host}"
    message["To"] = ", ".join(_recipients(settings))
    lines = [f"{n.state.upper()} [{n.severity}] {n.code}: {n.message} ({n.at})" for n in notices]
    message.set_content("\n".join(lines) + "\n\nSent by your YTEMPIRE appliance.\n")
    return message


def _recipients(settings: Settings) -> list[str]:
    return [a.strip() for a in settings.alert_smtp_to.split(",") if a.strip()]


def send_email(settings: Settings, notices: Sequence[Notice]) -> DeliveryResult:
    host = settings.alert_smtp_host or ""
    message = email_message(settings, notices)
    timeout = settings.alert_delivery_timeout_seconds

    def once() -> str:
        with smtplib.SMTP(host, settings.alert_smtp_port, timeout=timeout) as smtp:
            smtp.ehlo()
            if settings.alert_smtp_starttls:  # refused (not sent in clear) when not offered
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if settings.alert_smtp_user:
                secret = settings.alert_smtp_password
                smtp.login(settings.alert_smtp_user, secret.get_secret_value() if secret else "")
            refused = smtp.send_message(message)
        sent = len(_recipients(settings)) - len(refused)
        return f"sent to {sent} recipient(s)"

    ok, detail, tries = _retrying(settings.alert_delivery_attempts, once, _smtp_retryable)
    return _done("email", ok, detail, tries)


def _done(channel: str, ok: bool, detail: str, attempts: int) -> DeliveryResult:
    DELIVERIES.labels(channel=channel, outcome="sent" if ok else "failed").inc()
    if ok:
        log.info("alert.delivered", channel=channel, detail=detail, attempts=attempts)
    else:
        log.warning("alert.delivery_failed", channel=channel, reason=detail, attempts=attempts)
    return DeliveryResult(channel, ok, detail, attempts)


def deliver(settings: Settings, notices: Sequence[Notice]) -> list[DeliveryResult]:
    """Send ``notices`` on every configured channel (none configured: nothing to do)."""
    if not notices:
        return []
    senders = {"webhook": send_webhook, "email": send_email}
    return [senders[name](settings, notices) for name in configured(settings)]


def test_notice() -> Notice:
    return Notice(
        code="test",
        state="test",
        severity="info",
        message="Test alert from YTEMPIRE: delivery works.",
        subject="test",
    )
