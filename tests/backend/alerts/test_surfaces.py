"""Where the owner meets alerts: the System page's card and its Send test alert button
(admins only, CSRF-checked), and ``ytempire alerts test|list``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner, Result

from backend.cli.main import app as cli_app
from backend.models import Event
from backend.settings import Settings, use_settings
from tests.backend.alerts.fakes import webhook_receiver
from tests.backend.web.conftest import Browser

POSTGRES = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)  # pages


@POSTGRES
async def test_the_system_page_shows_alerts_and_disk(owner_browser: Browser) -> None:
    page = await owner_browser.get("/system")
    assert page.status_code == 200
    assert "Alerts and disk" in page.text and "Send test alert" in page.text
    assert "No open alerts" in page.text and "GB free of" in page.text
    assert "Set YTE_ALERT_WEBHOOK_URL" in page.text


@POSTGRES
async def test_send_test_alert_needs_csrf_and_an_admin(
    owner_browser: Browser, other_browser: Browser
) -> None:
    assert (await owner_browser.http.post("/system/alerts/test")).status_code == 403
    member = await other_browser.submit("/system/alerts/test", page="/channels")
    assert member.status_code in (403, 404)


@POSTGRES
async def test_send_test_alert_without_a_channel_says_what_to_set(
    owner_browser: Browser, sessions: async_sessionmaker[AsyncSession]
) -> None:
    sent = await owner_browser.submit("/system/alerts/test", page="/system")
    assert sent.status_code == 303 and sent.headers["location"] == "/system#alerting"
    page = await owner_browser.get("/system")
    assert "Failed: no delivery channel is configured" in page.text
    async with sessions() as session:
        events = list(await session.scalars(select(Event).where(Event.type == "system.alert")))
    assert [e.data["code"] for e in events] == ["test"]  # the dashboard toast's event


@POSTGRES
async def test_send_test_alert_reaches_the_webhook(
    web_app: FastAPI, owner_browser: Browser
) -> None:
    with webhook_receiver(statuses=[500]) as hook:
        web_app.state.settings = web_app.state.settings.model_copy(
            update={"alert_webhook_url": hook.url, "alert_delivery_attempts": 1}
        )
        await owner_browser.submit("/system/alerts/test", page="/system")
        failed = await owner_browser.get("/system")
        await owner_browser.submit("/system/alerts/test", page="/system")
        sent = await owner_browser.get("/system")
    assert "Failed: HTTP 500" in failed.text
    assert "Sent: HTTP 204" in sent.text
    assert [json.loads(r.body)["alerts"][0]["code"] for r in hook.requests] == ["test", "test"]


def _cli(args: list[str], data: Path, **overrides: object) -> Result:
    """The CLI in this process (a subprocess per call costs ~15 s on a loaded box)."""
    use_settings(Settings(environment="test", data_dir=data, **overrides))  # type: ignore[arg-type]
    try:
        return CliRunner().invoke(cli_app, args, catch_exceptions=False)
    finally:
        use_settings(None)


def test_the_cli_sends_a_test_alert_and_names_failures(tmp_path: Path) -> None:
    assert _cli(["migrate"], tmp_path).exit_code == 0
    none = _cli(["alerts", "test"], tmp_path)
    assert none.exit_code == 1 and "no delivery channel is configured" in none.output
    with webhook_receiver(statuses=[404]) as hook:
        refused = _cli(["alerts", "test"], tmp_path, alert_webhook_url=hook.url)
        sent = _cli(
            ["alerts", "test"], tmp_path, alert_webhook_url=hook.url, alert_webhook_secret="hush"
        )
    assert refused.exit_code == 1 and "failed webhook: HTTP 404" in refused.output
    assert sent.exit_code == 0 and "sent webhook: HTTP 204" in sent.output, sent.output
    assert "X-YTEmpire-Signature" in hook.requests[-1].headers
    listed = _cli(["alerts", "list"], tmp_path)
    assert listed.exit_code == 0 and "No open alerts." in listed.output
    assert "delivery: dashboard only" in listed.output


@POSTGRES
async def test_the_overview_marks_a_cleared_alert_resolved(
    owner_browser: Browser, sessions: async_sessionmaker[AsyncSession]
) -> None:
    from backend.models import Channel, User

    async with sessions() as session:
        owner = (await session.scalars(select(User))).one()
        session.add_all(
            [
                Channel(owner_id=owner.id, name="Science Bites", niche="science"),
                Event(
                    user_id=owner.id,
                    type="system.alert",
                    severity="critical",
                    message="Media disk has 4 % free",
                    dedup_key=f"alert:open:disk_low:disk:{owner.id}",
                    data={"code": "disk_low"},
                ),
                Event(
                    user_id=owner.id,
                    type="system.alert",
                    severity="critical",
                    message="No backup yet (older than 26 h)",
                    dedup_key="alert:closed:1",
                    data={"code": "backup_stale"},
                ),
            ]
        )
        await session.commit()
    page = (await owner_browser.get("/")).text

    def item(message: str) -> str:  # the <li> of the alert with this message
        at = page.index(message)
        return page[page.rindex("<li", 0, at) : at]

    open_item, closed_item = item("Media disk has 4 % free"), item("No backup yet")
    assert "resolved" not in open_item and "sev-critical" in open_item
    assert "resolved" in closed_item and "sev-info" in closed_item
