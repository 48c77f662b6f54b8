"""Breakout groups through the console's forms, without Jitsi: plans, changes, bad input
(a clear 400, never a 500, nothing lost), people choosing, late joiners, the timer, and
what the console says when the meeting cannot be reached."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from pydantic import SecretStr
from sqlmodel import select

from facilitation.meeting_events import ChatReceived, KeypadAnswer, Person, PersonJoined, PersonKind
from plugin import keys
from plugin.clock import FixedClock
from plugin.db.models import PhoneCall
from plugin.settings import Settings
from tests.breakouts.conftest import breakout_post
from tests.checkout.conftest import add_people, start_session
from tests.conftest import Client, app_of, login
from tests.phone.conftest import PBX_SECRET, post_pbx
from tests.support.app import app_for
from tests.support.standin_pbx import ACTIONS_KEY, ACTIONS_SECRET, PbxStandin

pytestmark = pytest.mark.usefixtures("signed_in_facilitator")
PEOPLE = (("Ann", "web"), ("Ben", "web"), ("Cat", "web"), ("Dan", "web"), ("…111", "phone"))


async def planned(client: Client, **fields: str) -> tuple[str, dict[str, Any]]:
    session_id = await start_session(client, "Circle")
    await add_people(client, session_id, *PEOPLE)
    form = {"action": "plan", "mode": "calls", "method": "balanced", "count": "2", **fields}
    response = await breakout_post(client, session_id, form)
    assert response.status == 303, await response.text()
    return session_id, await app_of(client)[keys.BREAKOUTS].view(session_id)


async def settled(client: Client) -> None:
    app = app_of(client)
    await app[keys.PRESENCE].flush()
    await app[keys.BREAKOUTS].settled()


async def test_a_plan_is_a_preview_shown_on_the_console(client: Client) -> None:
    session_id, view = await planned(client)
    assert view["state"] == "planning"
    assert sorted(len(g["members"]) for g in view["groups"]) == [2, 3]
    page = await (await client.get(f"/sessions/{session_id}")).text()
    assert "This is a preview" in page
    assert "moved by the phone line" in page and "Open the groups" in page
    assert "Not built yet: running breakout rooms" not in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"count": "abc"}, "The number must be a whole number"),
        ({"count": "0"}, "group"),
        ({"count": "9"}, "There are more groups (9) than people"),
        ({"mode": "zoom"}, "choose how the groups meet"),
        ({"method": "magic"}, "choose how people are put into groups"),
        ({"by": "rooms"}, "choose a number of groups or of people per group"),
        ({"action": "explode"}, "unknown breakout action"),
    ],
)
async def test_a_bad_plan_form_gets_a_clear_400_and_the_console(
    client: Client, fields: dict[str, str], message: str
) -> None:
    session_id = await start_session(client, "Circle")
    await add_people(client, session_id, *PEOPLE)
    form = {"action": "plan", "mode": "calls", "method": "balanced", "count": "2", **fields}
    response = await breakout_post(client, session_id, form)
    assert response.status == 400
    text = await response.text()
    assert message.lower() in text.lower()
    assert "There is a problem" in text and "Breakout groups" in text


async def test_bad_changes_are_refused_and_the_plan_is_kept(client: Client) -> None:
    session_id, before = await planned(client)
    for fields in (
        {"action": "move", "person": "nobody", "group": "1"},
        {"action": "move", "person": before["people"][0]["id"], "group": "7"},
        {"action": "rename", "group": "1", "name": "x" * 61},
        {"action": "rename", "group": "1", "name": "bad\x07name"},
        {"action": "open", "minutes": "0"},
        {"action": "open", "minutes": "999"},
        {"action": "open", "minutes": "ten"},
        {"action": "extend", "minutes": "5"},
        {"action": "broadcast", "message": "hello"},
        {"action": "close"},
    ):
        response = await breakout_post(client, session_id, fields)
        assert response.status == 400, (fields, await response.text())
    after = await app_of(client)[keys.BREAKOUTS].view(session_id)
    assert after["groups"] == before["groups"] and after["state"] == "planning"


async def test_moves_names_and_leads_change_the_preview(client: Client) -> None:
    session_id, view = await planned(client)
    ann = next(p for p in view["people"] if p["name"] == "Ann")
    await breakout_post(client, session_id, {"action": "move", "person": ann["id"], "group": ""})
    await breakout_post(client, session_id, {"action": "rename", "group": "2", "name": "Ideas"})
    view = await app_of(client)[keys.BREAKOUTS].view(session_id)
    assert [p["id"] for p in view["waiting"]] == [ann["id"]]
    assert view["groups"][1]["name"] == "Ideas"
    await breakout_post(client, session_id, {"action": "move", "person": ann["id"], "group": "2"})
    response = await breakout_post(
        client, session_id, {"action": "lead", "group": "2", "person": ann["id"]}
    )
    assert response.status == 303
    view = await app_of(client)[keys.BREAKOUTS].view(session_id)
    assert view["groups"][1]["facilitator"]["id"] == ann["id"]
    assert view["waiting"] == []


async def test_people_choose_by_chat_or_keypad_and_late_joiners_are_placed(
    client: Client,
) -> None:
    session_id, view = await planned(client, method="choose")
    assert all(g["members"] == [] for g in view["groups"])
    ids = {p["name"]: p["id"] for p in view["people"]}
    bus = app_of(client)[keys.BUS]
    bus.publish(ChatReceived(session_id, ids["Ann"], "Ann", "group 2"))
    bus.publish(ChatReceived(session_id, ids["Ben"], "Ben", "I was in group 1 last time"))
    bus.publish(KeypadAnswer(session_id, ids["…111"], 1))
    bus.publish(KeypadAnswer(session_id, ids["Cat"], 9))  # no group 9: ignored
    late = Person("late0001", "Eve", kind=PersonKind.WEB)
    bus.publish(PersonJoined(session_id, late))
    await settled(client)
    view = await app_of(client)[keys.BREAKOUTS].view(session_id)
    where = {m["id"]: g["number"] for g in view["groups"] for m in g["members"]}
    assert where == {ids["Ann"]: 2, ids["…111"]: 1}
    assert {p["id"] for p in view["waiting"]} == {ids["Ben"], ids["Cat"], ids["Dan"], "late0001"}


async def test_a_late_joiner_is_placed_by_the_balanced_rule(client: Client) -> None:
    session_id, view = await planned(client)
    bus = app_of(client)[keys.BUS]
    bus.publish(PersonJoined(session_id, Person("late0002", "Fay", kind=PersonKind.PHONE)))
    await settled(client)
    view = await app_of(client)[keys.BREAKOUTS].view(session_id)
    assert sum(len(g["members"]) for g in view["groups"]) == 6
    phones = [sum(m["phone"] for m in g["members"]) for g in view["groups"]]
    assert sorted(phones) == [1, 1]  # the second caller goes to the group without one


async def test_opening_rooms_without_the_assistant_keeps_the_plan_and_says_why(
    client: Client,
) -> None:
    session_id, _ = await planned(client, mode="jitsi")
    response = await breakout_post(client, session_id, {"action": "open", "minutes": "10"})
    assert response.status == 303
    view = await app_of(client)[keys.BREAKOUTS].view(session_id)
    assert view["state"] == "planning"  # Jitsi made no room: nobody moved
    assert "The assistant is not in the meeting right now" in view["notices"][0]["text"]
    page = await (await client.get(f"/sessions/{session_id}")).text()
    assert "What needs you" in page and "Open the groups" in page


async def test_separate_calls_open_without_the_assistant_and_the_timer_ends_them(
    client: Client, clock: FixedClock
) -> None:
    session_id, _ = await planned(client)
    response = await breakout_post(client, session_id, {"action": "open", "minutes": "10"})
    assert response.status == 303
    desk = app_of(client)[keys.BREAKOUTS]
    view = await desk.view(session_id)
    assert view["state"] == "open" and view["secondsLeft"] == 600
    texts = " ".join(n["text"] for n in view["notices"])
    assert "did not get the link" in texts  # each web person: read the link out
    page = await (await client.get(f"/sessions/{session_id}")).text()
    assert "Bring everyone back now" in page and "What needs you" in page
    # Extending adds time; when it is over, everyone is brought back by itself.
    extended = await breakout_post(client, session_id, {"action": "extend", "minutes": "5"})
    assert extended.status == 303
    assert (await desk.view(session_id))["secondsLeft"] == 900
    clock.advance(timedelta(minutes=15, seconds=1))
    await desk.tick()
    assert (await desk.view(session_id))["state"] in ("closing", "closed")


async def test_the_join_page_of_a_group_only_works_while_its_call_is_open(
    client: Client,
) -> None:
    session_id, _ = await planned(client)
    async with app_of(client)[keys.DATABASE].session() as db:
        from plugin.db.models import MeetingSession

        session = await db.get(MeetingSession, session_id)
        assert session is not None
        code = session.join_code
    closed = await client.get(f"/join/{code}/groups/1", allow_redirects=False)
    assert closed.status == 303 and closed.headers["Location"] == f"/join/{code}"
    await breakout_post(client, session_id, {"action": "open", "minutes": "10"})
    page = await client.get(f"/join/{code}/groups/1")
    text = await page.text()
    assert page.status == 200
    assert "Join your group: Group 1" in text and "circle-group-1" in text
    assert "Back to the main meeting" in text
    missing = await client.get(f"/join/{code}/groups/7", allow_redirects=False)
    assert missing.status == 303


async def test_a_call_the_pbx_cannot_move_stays_in_the_main_meeting_and_is_listed(
    aiohttp_client: Callable[..., Awaitable[Client]],
    settings: Settings,
    clock: FixedClock,
) -> None:
    """The PBX (a STAND-IN, tests.support.standin_pbx) answers 503 twice: the service tried
    once more, then gave up; the caller was never taken out of the meeting."""
    pbx = await PbxStandin(ACTIONS_KEY, live_calls=["ast-9"]).start()
    try:
        changed = settings.model_copy(
            update={
                "pbx_webhook_secret": (SecretStr(PBX_SECRET),),
                "pbx_actions_url": pbx.url,
                "pbx_actions_secret": SecretStr(ACTIONS_SECRET),
            }
        )
        client = await aiohttp_client(app_for(changed, clock))
        await login(client, "fran")
        app = app_of(client)
        session_id = await start_session(client, "Circle")
        await add_people(client, session_id, ("Ann", "web"), ("Ben", "web"))
        mapping = await client.get(
            "/dial-in/conference-mapper", params={"conference": "circle@muc.meet.jitsi"}
        )
        pin = str((await mapping.json())["id"])
        body = {
            "type": "call.started",
            "call_id": "ast-9",
            "caller_id": "+447700900999",
            "pin": pin,
        }
        assert (await post_pbx(client, body)).status == 200
        form = {"action": "plan", "mode": "calls", "method": "balanced", "count": "2"}
        assert (await breakout_post(client, session_id, form)).status == 303
        pbx.fail_next(503, times=2)
        opened = await breakout_post(client, session_id, {"action": "open", "minutes": "10"})
        assert opened.status == 303
        view = await app[keys.BREAKOUTS].view(session_id)
        texts = [n["text"] for n in view["notices"]]
        assert any("could not be moved" in t and "still in" in t for t in texts), texts
        assert len(pbx.deliveries) == 2 and pbx.actions == []  # tried twice, acted on none
        async with app[keys.DATABASE].session() as db:
            call = (await db.exec(select(PhoneCall))).one()
        assert call.group_room is None  # *8 or a rejoin keeps them in the main meeting
        assert "7700900999" not in str(view)
    finally:
        await pbx.close()
