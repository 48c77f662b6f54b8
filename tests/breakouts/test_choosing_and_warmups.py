"""A warm-up and people choosing their breakout group both read a "2" in the chat or on the
keypad, so only one of them may be live in a session: through the console's forms (with the
reason on the console, or as JSON for the console script), and if both end up live anyway
(a warm-up started while groups were opening, then the groups fell back to a plan), the
digits go to the warm-up alone. Without Jitsi: answers are published as the assistant
would report them."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from facilitation.meeting_events import ChatReceived, KeypadAnswer
from plugin import keys
from plugin.db.models import MeetingSession, WarmupRun
from tests.breakouts.conftest import breakout_post
from tests.checkout.conftest import add_people, start_session
from tests.conftest import Client, app_of, csrf_from, post_form

pytestmark = pytest.mark.usefixtures("signed_in_facilitator")
PEOPLE = (("Ann", "web"), ("Ben", "web"), ("Cat", "web"), ("Dan", "web"), ("…111", "phone"))
NO_CHOOSING = "A warm-up is running. Close it before people choose their groups."
NO_WARMUP = (
    "People are choosing their groups. Start the warm-up once the groups are open, "
    "or change how groups are made."
)


async def in_session(client: Client) -> str:
    session_id = await start_session(client, "Circle")
    await add_people(client, session_id, *PEOPLE)
    return session_id


async def plan(client: Client, session_id: str, method: str, mode: str = "calls") -> Any:
    form = {"action": "plan", "mode": mode, "method": method, "count": "2"}
    return await breakout_post(client, session_id, form)


async def warmup(client: Client, session_id: str, action: str = "run") -> Any:
    fields = {"action": action, "warmup": "tea-or-coffee"} if action == "run" else {}
    return await post_form(client, f"/sessions/{session_id}/warmups", {"action": action, **fields})


async def views(client: Client, session_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the breakout round, the warm-up) once both desks have taken in every event."""
    app = app_of(client)
    await app[keys.WARMUPS].settled()
    await app[keys.BREAKOUTS].settled()
    return await app[keys.BREAKOUTS].view(session_id), await app[keys.WARMUPS].view(session_id)


def ids_of(view: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: p["id"] for p in view["people"]}


def where(view: dict[str, Any]) -> dict[str, int]:
    return {m["id"]: g["number"] for g in view["groups"] for m in g["members"]}


def votes(view: dict[str, Any]) -> list[int]:
    return [line["count"] for line in view["counts"]]


async def test_while_a_warm_up_runs_people_are_not_asked_to_choose(client: Client) -> None:
    app = app_of(client)
    session_id = await in_session(client)
    assert (await plan(client, session_id, "balanced")).status == 303
    assert (await warmup(client, session_id)).status == 303
    before, _ = await views(client, session_id)

    # Without JavaScript: the console again, the reason at the breakout panel.
    refused = await plan(client, session_id, "choose")
    assert refused.status == 400
    page = await refused.text()
    assert NO_CHOOSING in page and "There is a problem" in page and "Breakout groups" in page
    # The console script asks for JSON.
    form = {"action": "plan", "mode": "calls", "method": "choose", "count": "2"}
    as_json = await client.post(
        f"/sessions/{session_id}/breakouts",
        data={**form, "csrf_token": await csrf_from(client, "/")},
        headers={"Accept": "application/json"},
    )
    assert as_json.status == 400
    assert await as_json.json() == {"error": NO_CHOOSING}

    # Nothing changed: the balanced plan stands, and "2" is only a vote.
    ids = ids_of(before)
    bus = app[keys.BUS]
    bus.publish(ChatReceived(session_id, ids["Ann"], "Ann", "2"))
    after, running = await views(client, session_id)
    assert after["method"] == "balanced" and after["groups"] == before["groups"]
    assert running["running"] is True and votes(running) == [0, 1, 0, 0]

    # Once the warm-up has ended, people may choose, and "2" is a pick again.
    assert (await warmup(client, session_id, "close")).status == 303
    assert (await plan(client, session_id, "choose")).status == 303
    bus.publish(ChatReceived(session_id, ids["Ben"], "Ben", "2"))
    chosen, ended = await views(client, session_id)
    assert chosen["method"] == "choose" and where(chosen) == {ids["Ben"]: 2}
    assert ended["running"] is False and votes(ended) == [0, 1, 0, 0]


async def test_while_people_choose_a_warm_up_is_refused_and_a_2_counts_once(
    client: Client,
) -> None:
    app = app_of(client)
    session_id = await in_session(client)
    assert (await plan(client, session_id, "choose")).status == 303

    refused = await warmup(client, session_id)
    assert refused.status == 400
    page = await refused.text()
    assert NO_WARMUP in page and "There is a problem" in page
    async with app[keys.DATABASE].session() as db:
        assert (await db.exec(select(WarmupRun))).all() == []

    # Typed and pressed during the refused attempt: a pick of group 2, nothing else.
    view, _ = await views(client, session_id)
    ids = ids_of(view)
    bus = app[keys.BUS]
    bus.publish(ChatReceived(session_id, ids["Ann"], "Ann", "2"))
    bus.publish(KeypadAnswer(session_id, ids["…111"], 2))
    view, last = await views(client, session_id)
    assert where(view) == {ids["Ann"]: 2, ids["…111"]: 2}
    assert last == {"running": False, "warmup": None}

    # Changing how groups are made ends the choosing: then the warm-up may start.
    assert (await plan(client, session_id, "balanced")).status == 303
    assert (await warmup(client, session_id)).status == 303
    # And so does opening the groups (separate calls open without the assistant).
    assert (await warmup(client, session_id, "close")).status == 303
    assert (await plan(client, session_id, "choose")).status == 303
    assert (
        await breakout_post(client, session_id, {"action": "open", "minutes": "10"})
    ).status == 303
    assert (await app[keys.BREAKOUTS].view(session_id))["state"] == "open"
    again = await warmup(client, session_id)
    assert again.status == 303, await again.text()


async def test_groups_falling_back_to_choosing_leave_the_digits_to_a_running_warm_up(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A warm-up may start while the groups open; if Jitsi then makes no room, the plan
    (People choose) is back, and both would be live: the warm-up keeps the digits."""
    app = app_of(client)
    session_id = await in_session(client)
    assert (await plan(client, session_id, "choose", mode="jitsi")).status == 303
    desk = app[keys.BREAKOUTS]
    opening = desk.runner.open

    async def open_slowly(session: MeetingSession, plan_: Any) -> Any:
        # A co-facilitator runs a warm-up while the groups are opening: that may start.
        await app[keys.WARMUPS].start(session_id, "tea-or-coffee", announce=False)
        return await opening(session, plan_)

    monkeypatch.setattr(desk.runner, "open", open_slowly)
    opened = await breakout_post(client, session_id, {"action": "open", "minutes": "10"})
    assert opened.status == 303
    view, running = await views(client, session_id)
    assert view["state"] == "planning" and running["running"] is True
    texts = " ".join(n["text"] for n in view["notices"])
    assert "The assistant is not in the meeting right now" in texts
    assert "A warm-up is running, so numbers typed in the chat" in texts
    page = await (await client.get(f"/sessions/{session_id}")).text()
    assert "not as picks of a group" in page

    ids, placed = ids_of(view), where(view)  # (with Jitsi, the caller is in the phone group)
    bus = app[keys.BUS]
    bus.publish(ChatReceived(session_id, ids["Ann"], "Ann", "2"))
    view, running = await views(client, session_id)
    assert where(view) == placed and ids["Ann"] not in placed
    assert votes(running) == [0, 1, 0, 0]
    # Neither may start again until one of them ends.
    assert (await warmup(client, session_id)).status == 400
    assert (await plan(client, session_id, "choose", mode="jitsi")).status == 400

    assert (await warmup(client, session_id, "close")).status == 303
    bus.publish(ChatReceived(session_id, ids["Ann"], "Ann", "2"))
    view, closed = await views(client, session_id)
    assert where(view) == {**placed, ids["Ann"]: 2} and votes(closed) == [0, 1, 0, 0]
