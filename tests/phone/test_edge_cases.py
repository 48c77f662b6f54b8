"""Calls at the edges: two callers at once, withheld numbers, rooms without a session,
tenants with dots, and how long a caller's data is kept."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import select

from plugin import keys
from plugin.clock import FixedClock
from plugin.db import phone as phone_db
from plugin.db.models import Checkout, Participant, PhoneCall
from tests.conftest import Client, app_of, post_form
from tests.phone.conftest import post_pbx, post_twiml, start_catchup, twilio_call
from tests.support import meeting
from tests.support.app import app_for


async def _rows(client: Client, model: Any) -> list[Any]:
    async with app_of(client)[keys.DATABASE].session() as db:
        return list((await db.exec(select(model))).all())


def _started(call: str, caller: str, pin: str) -> dict[str, Any]:
    return {"type": "call.started", "call_id": call, "caller_id": caller, "pin": pin}


async def _seen(client: Client, session_id: str, nick: str, name: str) -> None:
    await meeting.seen(app_of(client), session_id, nick, name, "phone")


async def _left(client: Client, session_id: str, nick: str) -> None:
    await meeting.gone(app_of(client), session_id, nick)


async def test_two_callers_each_keep_their_own_checkout(
    client: Client, signed_in_facilitator: None
) -> None:
    session_id, pin = await start_catchup(client)
    await post_pbx(client, _started("a", "+447700900111", pin))
    await post_pbx(client, _started("b", "+447700900222", pin))
    await _seen(client, session_id, "jig-b", "…222")
    await _seen(client, session_id, "jig-a", "…111")
    await post_pbx(client, {"type": "dtmf", "call_id": "a", "digits": "*9"})  # links A
    await _left(client, session_id, "jig-a")  # A's meeting leg ends; B is still there
    await post_pbx(client, {"type": "call.left_meeting", "call_id": "a"})
    await post_pbx(client, {"type": "dtmf", "call_id": "a", "digits": "3"})
    await post_pbx(client, {"type": "dtmf", "call_id": "a", "digits": "2"})
    (checkout,) = await _rows(client, Checkout)
    assert checkout.display_name == "…111"
    people = {p.id: p for p in await _rows(client, Participant)}
    assert people[checkout.participant_id].jitsi_id == "jig-a"
    # A's hand went down with A's meeting leg: the queue (the one record of hands) has none.
    queue = await app_of(client)[keys.QUEUE].load(session_id)
    assert queue.hands == ()


async def test_a_withheld_number_is_never_offered_a_call_back(
    client: Client, signed_in_facilitator: None
) -> None:
    _, pin = await start_catchup(client)
    await post_pbx(client, _started("w", "anonymous", pin))
    await post_pbx(client, {"type": "call.left_meeting", "call_id": "w"})
    done = await (await post_pbx(client, {"type": "dtmf", "call_id": "w", "digits": "3"})).json()
    assert done["action"] == "hangup"  # no "would you like a call back?"
    (checkout,) = await _rows(client, Checkout)
    assert (checkout.feeling, checkout.contact, checkout.contact_detail) == (
        "struggling",
        "none",
        None,
    )


async def test_withheld_callers_do_not_lock_each_other_out(
    client: Client, signed_in_facilitator: None
) -> None:
    _, pin = await start_catchup(client)
    for n in range(5):
        await post_twiml(client, "incoming", twilio_call(f"CW{n}", caller="+266696687"))
        for _ in range(3):
            await post_twiml(
                client, "gather", twilio_call(f"CW{n}", caller="+266696687", Digits="1111111#")
            )
    await post_twiml(client, "incoming", twilio_call("CW9", caller="+266696687"))
    reply = await post_twiml(
        client, "gather", twilio_call("CW9", caller="+266696687", Digits=pin + "#")
    )
    assert "<Dial" in await reply.text()


async def test_no_checkout_when_the_room_has_no_session(client: Client) -> None:
    mapping = await client.get(
        "/dial-in/conference-mapper", params={"conference": "plain@muc.meet.jitsi"}
    )
    pin = str((await mapping.json())["id"])
    await post_pbx(client, _started("n", "+447700900333", pin))
    bye = await (await post_pbx(client, {"type": "call.left_meeting", "call_id": "n"})).json()
    assert bye["action"] == "hangup"
    assert await _rows(client, Checkout) == []


async def test_a_tenant_with_a_dot(client: Client, signed_in_facilitator: None) -> None:
    response = await post_form(
        client, "/sessions", {"meeting": "https://meet.example.org/team.a/Room1"}
    )
    session_id = response.headers["Location"].rsplit("/", 1)[-1]
    mapping = await client.get(
        "/dial-in/conference-mapper", params={"conference": "room1@muc.team.a.meet.jitsi"}
    )
    assert mapping.status == 200
    pin = str((await mapping.json())["id"])
    reply = await (await post_pbx(client, _started("t", "+447700900444", pin))).json()
    assert reply["room"] == "room1@muc.team.a.meet.jitsi"
    (call,) = await _rows(client, PhoneCall)
    assert call.session_id == session_id


async def test_numbers_are_cleared_after_12_hours_and_calls_go_after_retention(
    client: Client, signed_in_facilitator: None
) -> None:
    session_id, pin = await start_catchup(client)
    await post_pbx(client, _started("r", "+447700900555", pin))  # never reported as ended
    await post_pbx(client, {"type": "call.left_meeting", "call_id": "r"})
    await post_pbx(client, {"type": "dtmf", "call_id": "r", "digits": "2"})
    await post_pbx(client, {"type": "dtmf", "call_id": "r", "digits": "1"})  # call me back
    await post_form(client, f"/sessions/{session_id}/end", {}, f"/sessions/{session_id}")
    app = app_of(client)
    clock = app[keys.CLOCK]
    assert isinstance(clock, FixedClock)
    retention = timedelta(days=app[keys.SETTINGS].retention_days)

    async def purge() -> None:  # both scheduled jobs: calls, then the session's check-outs
        async with app[keys.DATABASE].session() as db:
            await phone_db.purge_calls(db, clock.now(), retention)
            await db.commit()
        await app[keys.CHECKOUTS].purge_old()

    clock.advance(timedelta(hours=13))
    await purge()
    (call,) = await _rows(client, PhoneCall)
    assert call.caller_sealed is None
    (checkout,) = await _rows(client, Checkout)
    assert checkout.contact_detail is not None  # they asked: kept for the retention period
    clock.advance(retention)
    await purge()
    assert await _rows(client, PhoneCall) == []
    assert await _rows(client, Checkout) == []


async def test_no_pin_in_the_tel_link_when_callers_choose_a_language(
    aiohttp_client: Any, settings: Any, clock: Any, add_account: Any
) -> None:
    from tests.conftest import login

    client = await aiohttp_client(
        app_for(settings.model_copy(update={"phone_languages": ("en", "es")}), clock=clock)
    )
    await add_account("fran")
    await login(client, "fran")
    session_id, _ = await start_catchup(client)
    console = await (await client.get(f"/sessions/{session_id}")).text()
    assert 'href="tel:+442079460000"' in console


async def test_a_facilitator_names_a_caller_everywhere_but_the_meeting(
    client: Client, signed_in_facilitator: None
) -> None:
    from tests.conftest import csrf_from

    session_id, pin = await start_catchup(client)
    await post_pbx(client, _started("g", "+447700900666", pin))  # no assistant: listed by the call
    (person,) = await _rows(client, Participant)
    assert person.display_name == "…666"
    form = {
        "participant": person.jitsi_id,
        "name": "  Gwen   from Tuesday group ",
        "csrf_token": await csrf_from(client, f"/sessions/{session_id}"),
    }
    saved = await client.post(
        f"/sessions/{session_id}/participants/name", data=form, allow_redirects=False
    )
    assert saved.status == 303
    await post_pbx(client, {"type": "dtmf", "call_id": "g", "digits": "*9"})
    console = await (await client.get(f"/sessions/{session_id}")).text()
    assert console.count("Gwen from Tuesday group") >= 2  # people list and queue
    long_now = {
        **form,
        "name": "y" * 61,
        "csrf_token": await csrf_from(client, f"/sessions/{session_id}"),
    }
    shown = await client.post(f"/sessions/{session_id}/participants/name", data=long_now)
    assert shown.status == 400  # the console again, the error at the caller's field
    page = await shown.text()
    summary = page.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    assert "There is a problem" in summary and 'href="#name-1"' in summary
    assert 'id="name-1" name="name"' in page and 'aria-describedby="name-1-error"' in page
    await post_pbx(client, {"type": "call.left_meeting", "call_id": "g"})
    await post_pbx(client, {"type": "dtmf", "call_id": "g", "digits": "1"})
    await post_pbx(client, {"type": "dtmf", "call_id": "g", "digits": "2"})
    (checkout,) = await _rows(client, Checkout)
    assert checkout.display_name == "Gwen from Tuesday group"
    too_long = {
        **form,
        "name": "x" * 61,
        "csrf_token": await csrf_from(client, f"/sessions/{session_id}"),
    }
    refused = await client.post(f"/sessions/{session_id}/participants/name", data=too_long)
    assert refused.status == 400
    nobody = {
        **form,
        "participant": "nobody",
        "csrf_token": await csrf_from(client, f"/sessions/{session_id}"),
    }
    assert (
        await client.post(f"/sessions/{session_id}/participants/name", data=nobody)
    ).status == 404
