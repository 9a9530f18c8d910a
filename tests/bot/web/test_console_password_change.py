"""A password changed by the administrator ends the console sessions opened with the old one.

Found by the 2026-12-05 administrator's walkthrough: after `faqbot user password anna` (a
password seen over a shoulder, a laptop lost) whoever had logged in with the old password
kept working in the console until the cookie expired.
"""

from __future__ import annotations

import pytest

from tests.bot.core.conftest import PASSWORD
from tests.bot.web.conftest import Web, log_in

pytestmark = pytest.mark.anyio

NEW_PASSWORD = "Новый-пароль-2027!"


async def test_a_new_password_logs_out_the_sessions_opened_before(web: Web) -> None:
    await web.operator("anna")
    assert (await log_in(web.client, "anna")).status_code == 303
    assert (await web.client.get("/console")).status_code == 200

    await web.services.accounts.change_password("anna", NEW_PASSWORD)  # `faqbot user password`

    queue = await web.client.get("/console")
    assert queue.status_code == 303 and queue.headers["location"] == "/console/login"
    assert (await log_in(web.client, "anna", PASSWORD)).status_code == 401
    assert (await log_in(web.client, "anna", NEW_PASSWORD)).status_code == 303
    page = await web.client.get("/console")
    assert page.status_code == 200 and "anna" in page.text
