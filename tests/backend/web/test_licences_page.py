"""The system page shows each model's licence and flags the non-commercial ones."""

from __future__ import annotations

import re

from tests.backend.web.conftest import Browser


async def test_system_page_flags_a_non_commercial_model(owner_browser: Browser) -> None:
    page = await owner_browser.get("/system")
    assert page.status_code == 200
    row = re.search(r"<tr>\s*<td>mms-tts-eng.*?</tr>", page.text, re.S)
    assert row, page.text[:2000]
    assert "cc-by-nc-4.0" in row.group() and "<strong>non-commercial</strong>" in row.group()
    assert "NON-COMMERCIAL licence cc-by-nc-4.0: not for a monetized channel" in row.group()
    kokoro = re.search(r"<tr>\s*<td>kokoro-82m.*?</tr>", page.text, re.S)
    assert kokoro and "apache-2.0" in kokoro.group() and "non-commercial" not in kokoro.group()
