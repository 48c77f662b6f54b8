"""Warm-ups through the console's forms, without Jitsi: picking (filters, no repeats,
Surprise me), a vote answered from a Jitsi poll (its answers as the assistant reports them)
and from a phone keypad merged into one result, keys that are not choices, late answers,
and what stays after the session.

The PBX that plays prompts to calls is a STAND-IN (tests.support.standin_pbx)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from pydantic import SecretStr
from sqlmodel import select

from facilitation.meeting_events import ChatReceived, PollAnswered
from plugin import keys
from plugin.clock import FixedClock
from plugin.db.models import WarmupRun
from plugin.settings import Settings
from tests.checkout.conftest import add_people, start_session
from tests.conftest import Client, app_of, login, post_form
from tests.phone.conftest import PBX_SECRET, post_pbx
from tests.support.app import app_for
from tests.support.standin_pbx import ACTIONS_KEY, ACTIONS_SECRET, PbxStandin

pytestmark = pytest.mark.usefixtures("signed_in_facilitator")


@pytest.fixture
async def pbx() -> AsyncIterator[PbxStandin]:
    standin = await PbxStandin(ACTIONS_KEY, live_calls=["ast-7"]).start()
    yield standin
    await standin.close()


@pytest.fixture
async def phone_client(
    aiohttp_client: Callable[..., Awaitable[Client]],
    settings: Settings,
    clock: FixedClock,
    pbx: PbxStandin,
) -> Client:
    changed = settings.model_copy(
        update={
            "pbx_webhook_secret": (SecretStr(PBX_SECRET),),
            "pbx_actions_url": pbx.url,
            "pbx_actions_secret": SecretStr(ACTIONS_SECRET),
        }
    )
    client = await aiohttp_client(app_for(changed, clock))
    await login(client, "fran")
    return client


async def warmup_post(client: Client, session_id: str, fields: dict[str, str]) -> Any:
    return await post_form(client, f"/sessions/{session_id}/warmups", fields)


async def caller_in(client: Client, room: str) -> str:
    mapping = await client.get(
        "/dial-in/conference-mapper", params={"conference": f"{room}@muc.meet.jitsi"}
    )
    pin = str((await mapping.json())["id"])
    body = {"type": "call.started", "call_id": "ast-7", "caller_id": "+447700900777", "pin": pin}
    assert (await post_pbx(client, body)).status == 200
    return "ast-7"


async def press(client: Client, digits: str) -> None:
    reply = await post_pbx(client, {"type": "dtmf", "call_id": "ast-7", "digits": digits})
    assert reply.status == 200


async def test_a_choice_answered_by_poll_and_keypad_gives_one_merged_result(
    phone_client: Client, pbx: PbxStandin
) -> None:
    client = phone_client
    app = app_of(client)
    session_id = await start_session(client, "Circle")
    await add_people(client, session_id, ("Ann", "web"), ("Ben", "web"))
    await caller_in(client, "circle")
    console = await (await client.get(f"/sessions/{session_id}")).text()
    assert "Works on a phone keypad" in console and "Surprise me" in console
    assert "Not built yet" not in console

    # The preview shows the question and the script to read to callers.
    preview = await (await client.get(f"/sessions/{session_id}?warmup=tea-or-coffee")).text()
    assert "Preview: Tea or coffee?" in preview
    assert "Read this out: Warm-up (Tea or coffee?): Which do you like more" in preview
    assert "Press 1 for Tea." in preview and "Press 0 to pass." in preview
    assert "Content note:" in preview

    started = await warmup_post(
        client, session_id, {"action": "run", "warmup": "tea-or-coffee", "announce": "on"}
    )
    assert started.status == 303
    # The caller heard the question on their call (PBX), with the keys.
    await pbx.wait_for(lambda p: any(a["type"] == "call.play" for a in p.actions))
    spoken = " ".join(s["text"] for s in pbx.actions[-1]["say"])
    assert "Tea or coffee?" in spoken and "Press 2 for Coffee." in spoken

    desk = app[keys.WARMUPS]
    # No assistant here: no poll was made; answers as the assistant would report them.
    running = desk._running[session_id]
    running.poll_id = "poll-1"
    bus = app[keys.BUS]
    bus.publish(PollAnswered(session_id, "poll-1", "ann00001", (True, False, False, False, False)))
    bus.publish(PollAnswered(session_id, "poll-1", "ben00002", (False, True, False, False, False)))
    bus.publish(PollAnswered(session_id, "poll-1", "ben00002", (True, False, False, False, False)))
    bus.publish(PollAnswered(session_id, "other", "eve00003", (False, True, False, False, False)))
    bus.publish(PollAnswered(session_id, "poll-1", "cat00004", (False, False, False, False, True)))
    await press(client, "2")
    await press(client, "7")  # not a choice: ignored, and told the keys again
    await desk.settled()
    view = await desk.view(session_id)
    assert [line["count"] for line in view["counts"]] == [2, 1, 0, 0]  # Ben changed his mind
    assert view["passes"] == 1 and view["answered"] == 4
    await pbx.wait_for(
        lambda p: any("Please press 1 to 4, or 0 to pass." in str(a.get("say")) for a in p.actions)
    )
    page = await (await client.get(f"/sessions/{session_id}")).text()
    assert "Now playing: Tea or coffee?" in page
    assert '<svg role="img"' in page and "<caption>Answers, as figures</caption>" in page

    closed = await warmup_post(client, session_id, {"action": "close"})
    assert closed.status == 303
    await press(client, "3")  # too late
    bus.publish(PollAnswered(session_id, "poll-1", "dan00005", (False, False, True, False, False)))
    await desk.settled()
    view = await desk.view(session_id)
    assert [line["count"] for line in view["counts"]] == [2, 1, 0, 0]
    assert view["running"] is False

    # After the session only the counts stay.
    assert (await post_form(client, f"/sessions/{session_id}/end", {})).status == 303
    await desk.settled()
    async with app[keys.DATABASE].session() as db:
        (run,) = (await db.exec(select(WarmupRun))).all()
    assert run.votes == {} and run.said == []
    assert run.counts == [2, 1, 0, 0] and run.passes == 1


async def test_chat_prompt_answers_are_shown_without_names_unless_signed(client: Client) -> None:
    app = app_of(client)
    session_id = await start_session(client, "Circle")
    response = await warmup_post(
        client, session_id, {"action": "run", "warmup": _first(app, "chat_prompt")}
    )
    assert response.status == 303
    bus = app[keys.BUS]
    bus.publish(ChatReceived(session_id, "ann00001", "Ann", "A walk by the sea"))
    bus.publish(ChatReceived(session_id, "ben00002", "Ben", "Ben: my dog"))
    await app[keys.WARMUPS].settled()
    view = await app[keys.WARMUPS].view(session_id)
    assert view["said"] == [
        {"text": "A walk by the sea", "name": None},
        {"text": "Ben: my dog", "name": "Ben"},
    ]


async def test_a_group_does_not_get_a_warm_up_from_its_last_ten_sessions(
    client: Client, clock: FixedClock
) -> None:
    from datetime import timedelta

    app = app_of(client)
    first = await start_session(client, "Circle")
    assert (
        await warmup_post(client, first, {"action": "run", "warmup": "tea-or-coffee"})
    ).status == 303
    assert (await warmup_post(client, first, {"action": "close"})).status == 303
    ended = await post_form(client, f"/sessions/{first}/end", {})
    assert ended.status == 303, await ended.text()
    clock.advance(timedelta(hours=1))  # (a sign-in lasts 12 hours)
    second = await start_session(client, "Circle")
    assert second != first
    fresh, again = await app[keys.WARMUPS].offer(second, _all())
    assert "tea-or-coffee" not in {w.id for w in fresh}
    assert [w.id for w in again] == ["tea-or-coffee"]
    refused = await warmup_post(client, second, {"action": "run", "warmup": "tea-or-coffee"})
    assert refused.status == 400 and "played that warm-up recently" in await refused.text()
    on_purpose = await warmup_post(
        client, second, {"action": "run", "warmup": "tea-or-coffee", "again": "1"}
    )
    assert on_purpose.status == 303
    # Another room is another group: no history there.
    other = await start_session(client, "Other")
    fresh, _ = await app[keys.WARMUPS].offer(other, _all())
    assert "tea-or-coffee" in {w.id for w in fresh}


async def test_surprise_me_previews_something_new_that_fits(client: Client) -> None:
    session_id = await start_session(client, "Circle")
    response = await post_form(
        client,
        f"/sessions/{session_id}/warmups",
        {"action": "surprise", "wu_phone": "on", "wu_energy": "calm"},
    )
    assert response.status == 303
    where = response.headers["Location"]
    assert where.startswith(f"/sessions/{session_id}?warmup=")
    picked = where.split("=", 1)[1].split("#", 1)[0]
    warmup = app_of(client)[keys.WARMUPS].by_id[picked]
    assert warmup.keypad and warmup.energy.value == "calm"
    text = await (await client.get(where)).text()
    assert "Preview:" in text and "Run it" in text


async def test_bad_warm_up_requests_get_a_clear_400(client: Client) -> None:
    session_id = await start_session(client, "Circle")
    for fields, words in (
        ({"action": "run", "warmup": "no-such-thing"}, "no such warm-up"),
        ({"action": "close"}, "no warm-up is running"),
        ({"action": "dance"}, "unknown warm-up action"),
    ):
        response = await warmup_post(client, session_id, fields)
        assert response.status == 400
        assert words in await response.text()
    assert (
        await warmup_post(client, session_id, {"action": "run", "warmup": "tea-or-coffee"})
    ).status == 303
    second = await warmup_post(client, session_id, {"action": "run", "warmup": "best-season"})
    assert second.status == 400 and "close it first" in await second.text()


def _all() -> Any:
    from facilitation.warmups import Filters

    return Filters()


def _first(app: Any, kind: str) -> str:
    return str(next(w.id for w in app[keys.CATALOGUE] if w.format.value == kind))


async def test_a_guess_shows_its_number_only_once_closed(client: Client) -> None:
    app = app_of(client)
    session_id = await start_session(client, "Circle")
    guess = next(w for w in app[keys.CATALOGUE] if w.format.value == "guess")
    assert (
        await warmup_post(client, session_id, {"action": "run", "warmup": guess.id})
    ).status == 303
    running = await app[keys.WARMUPS].view(session_id)
    assert running["warmup"]["answer"] is None and len(running["counts"]) == 9
    assert (await warmup_post(client, session_id, {"action": "close"})).status == 303
    page = await (await client.get(f"/sessions/{session_id}")).text()
    assert f"The number was {guess.answer}." in page
