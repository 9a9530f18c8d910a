"""«Вернуть в очередь» on a ticket's page: an admin takes a ticket from a colleague who is
away, the next operator takes it; other roles and closed tickets are refused in Russian."""

from __future__ import annotations

import pytest

from bot.core.roles import Role
from tests.bot.web.conftest import Web, csrf_of
from tests.bot.web.test_console_taking import TAKE_BUTTON, UNKNOWN, _hand_off, _logged_in, _visible

pytestmark = pytest.mark.anyio

RETURN_BUTTON = "Вернуть в очередь</button>"


async def test_an_admin_returns_a_colleagues_ticket_and_another_operator_takes_it(
    web: Web,
) -> None:
    number, session = await _hand_off(web, UNKNOWN[0])
    await web.operator("ivan")
    await web.operator("olga")
    await web.operator("root", Role.ADMIN)
    async with (
        _logged_in(web, "ivan") as ivan,
        _logged_in(web, "olga") as olga,
        _logged_in(web, "root") as root,
    ):
        token = csrf_of((await ivan.get("/console")).text)
        await ivan.post(f"/console/tickets/{number}/take", data={"csrf_token": token})
        # Ivan is away: olga may neither take the ticket nor return it.
        page = (await olga.get(f"/console/tickets/{number}")).text
        assert TAKE_BUTTON not in page and RETURN_BUTTON not in page
        refused = await olga.post(
            f"/console/tickets/{number}/return",
            data={"csrf_token": csrf_of(page), "text": "в отпуске"},
        )
        assert refused.status_code == 403
        assert "Роль «оператор» не может возвращать обращения в очередь." in refused.text

        page = (await root.get(f"/console/tickets/{number}")).text
        assert RETURN_BUTTON in page
        assert "Обращение в работе у сотрудника «ivan»" in _visible(page)
        done = await root.post(
            f"/console/tickets/{number}/return",
            data={"csrf_token": csrf_of(page), "text": "в отпуске до понедельника"},
            follow_redirects=True,
        )
        shown = _visible(done.text)
        assert f"Обращение № {number} возвращено в очередь." in shown
        assert f"Обращение № {number} Принято" in shown and "Исполнитель —" in shown
        assert (
            "Возвращено в очередь — root → Принято: у сотрудника «ivan»: в отпуске до понедельника"
            in shown
        )
        assert RETURN_BUTTON not in done.text

        # Olga sees it in the queue and takes it with «Взять следующее».
        queue = (await olga.get("/console")).text
        assert UNKNOWN[0] in queue
        taken = await olga.post(
            "/console/take", data={"csrf_token": csrf_of(queue)}, follow_redirects=True
        )
        assert f"Обращение № {number} у вас в работе." in _visible(taken.text)
        assert "Исполнитель olga" in _visible(taken.text)

        # A closed ticket is not returned.
        await olga.post(
            f"/console/tickets/{number}/resolve",
            data={"csrf_token": csrf_of(taken.text), "text": "Обратитесь в сервисный центр."},
        )
        page = (await root.get(f"/console/tickets/{number}")).text
        assert RETURN_BUTTON not in page
        closed = await root.post(
            f"/console/tickets/{number}/return",
            data={"csrf_token": csrf_of(page), "text": "по ошибке"},
        )
        assert closed.status_code == 409
        assert (
            f"Обращение № {number} закрыто («Завершено»): вернуть в очередь можно только открытое."
            in closed.text
        )
    # The citizen read no word about the return, and only once that the ticket was taken:
    # taken again after the return, it told them «Специалист взял обращение…» a second time.
    history = (await web.client.get("/api/v1/history", params={"session_id": session})).json()
    said = [m["text"] for m in history["messages"]]
    assert said.count(f"Специалист взял обращение № {number} в работу.") == 1
    assert not any("очеред" in text for text in said)
