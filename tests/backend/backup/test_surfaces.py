"""Where the owner sees backups: the System page's card and the /metrics gauges."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from backend.backup import service, tasks
from backend.settings import Settings
from tests.backend.web.conftest import Browser, api, owner_browser, web_app  # noqa: F401


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_system_page_and_metrics_show_the_last_backup(
    settings: Settings,
    owner_browser: Browser,  # noqa: F811
    api: httpx.AsyncClient,  # noqa: F811
    web_app: FastAPI,  # noqa: F811
) -> None:
    for refresher in web_app.state.metrics_refreshers:  # every scrape reads the backup dir
        if refresher.name == "backups":
            refresher.min_interval_s = 0
    page = await owner_browser.get("/system")
    assert page.status_code == 200 and "No backup yet" in page.text
    assert "ytempire_backup_last_success_timestamp_seconds 0.0" in (await api.get("/metrics")).text

    made = await service.create_backup(settings)
    await service.verify_backup(settings, made.archive)
    page = await owner_browser.get("/system")
    assert made.archive.name in page.text and "verified" in page.text
    assert f"{made.size / 1e6:.1f} MB" in page.text
    assert "ytempire backup restore" in page.text
    body = (await api.get("/metrics")).text
    assert "ytempire_backup_last_verified 1.0" in body
    assert f"ytempire_backup_last_size_bytes {float(made.size)}" in body

    tasks.write_state(settings.resolved_backup_dir, {"ok": False, "error": "OSError: disk full"})
    page = await owner_browser.get("/system")
    assert "The scheduled backup failed" in page.text and "disk full" in page.text
