"""The participant's check-out form at /checkout/{token}: private headers, small and
self-contained pages, answers sealed at rest and editable until the link expires."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from facilitation.live_events import LiveEvent
from plugin import keys
from plugin.db.models import AuditEntry, Checkout, CheckoutLink, Flag, FlagAction
from tests.checkout.conftest import (
    add_people,
    join_code,
    last_step,
    personal_link,
    send_checkout,
    start_session,
)
from tests.conftest import CSRF_INPUT, Client, app_of

PRIVATE = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "X-Robots-Tag": "noindex"}


async def _rows(client: Client, model: type) -> list:  # type: ignore[type-arg]
    async with app_of(client)[keys.DATABASE].session() as db:
        return list((await db.exec(select(model))).all())


def _assert_private(response: object) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    for name, value in PRIVATE.items():
        assert headers.get(name) == value, name


async def test_the_form_is_private_small_and_needs_nothing_from_elsewhere(
    client: Client, signed_in_facilitator: None
) -> None:
    session_id = await start_session(client)
    ids = await add_people(client, session_id, ("Ann", "web"))
    path = await personal_link(client, session_id, ids["Ann"])
    response = await client.get(path)
    assert response.status == 200
    _assert_private(response)
    html = await response.text()
    assert "How are you feeling?" in html and "I'd rather not say" in html
    # Every script, style and image comes from this site: no third-party requests.
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert url.startswith(("/", "#", "tel:")), url
    assert "<script" not in html  # works, and is whole, without JavaScript
    css = [u for u in re.findall(r'href="([^"]+\.css[^"]*)"', html)]
    css_bytes = sum([len(await (await client.get(u)).read()) for u in css])
    total = len(html.encode()) + css_bytes
    assert total < 30 * 1024, f"{total} bytes"


async def test_answers_are_saved_sealed_and_editable_through_the_same_link(
    client: Client, signed_in_facilitator: None
) -> None:
    session_id = await start_session(client)
    ids = await add_people(client, session_id, ("Ann", "web"))
    path = await personal_link(client, session_id, ids["Ann"])
    hub = app_of(client)[keys.HUB]
    with hub.subscribe(session_id) as feed:
        sent = await send_checkout(
            client,
            path,
            {
                "feeling": "struggling",
                "contact": "call_later",
                "phone": "07700 900123",
                "good_time": "after six",
                "note": "the stairs at the venue were hard",
                "feedback": "shorter please",
            },
        )
        assert sent.status == 303
        assert sent.headers["Location"] == path + "?saved=1"
        _assert_private(sent)
        message = feed.get_nowait()
    assert message is not None and message["event"] == LiveEvent.CHECKOUT_FLAGGED
    assert message["level"] == "urgent" and message["name"] == "Ann"
    assert "7700" not in str(message) and "stairs" not in str(message)  # no answers pushed

    (row,) = await _rows(client, Checkout)
    for sealed in (row.contact_detail, row.note, row.feedback):
        assert sealed is not None
        assert "7700" not in sealed and "stairs" not in sealed and "shorter" not in sealed
    (flag,) = await _rows(client, Flag)
    assert flag.level == "urgent" and flag.reasons == ["struggling", "contact_requested"]

    page = await (await client.get(path + "?saved=1")).text()
    assert "Thank you. Your answers are saved." in page
    assert "emergency" in page  # said they are struggling: where to get help now
    assert "Someone will try to call you." in page
    assert 'name="feeling"' not in page and "stairs" not in page  # not the form again
    # Changing them: every page shows what was saved.
    first = await (await client.get(path + "?change=1")).text()
    assert re.search(r'value="struggling"[^>]*checked', first)
    last = await (await client.get(path + "?step=details")).text()
    assert 'value="+447700900123"' in last and "the stairs at the venue were hard" in last

    changed = await send_checkout(client, path, {"feeling": "ok", "contact": "none"})
    assert changed.status == 303
    (row,) = await _rows(client, Checkout)
    assert row.feeling == "ok" and row.contact_detail is None and row.note is None
    assert row.updated_at is not None
    (flag,) = await _rows(client, Flag)
    # No longer raised by the answers, but never closed by them: a host decides.
    assert flag.status == "open"
    (action,) = await _rows(client, FlagAction)
    assert (action.kind, action.actor_id) == ("answers_changed", None)
    (entry,) = [e for e in await _rows(client, AuditEntry) if e.action == "flag.changed"]
    assert entry.detail == {"status": "open", "by": "answers_changed"}


async def test_mistakes_are_explained_and_nothing_typed_is_lost(
    client: Client, signed_in_facilitator: None
) -> None:
    session_id = await start_session(client)
    path = await personal_link(client, session_id, None)
    sent = await send_checkout(
        client, path, {"contact": "call_later", "note": "please ring", "name": "Sam"}
    )
    assert sent.status == 400
    _assert_private(sent)
    html = await sent.text()
    assert "Please choose how you are feeling" in html
    assert "Please give a phone number" in html
    assert 'href="#feeling-good"' in html and 'href="#phone"' in html
    assert "please ring" in html and 'value="Sam"' in html
    assert await _rows(client, Checkout) == []


async def test_a_link_without_a_person_asks_for_a_name(
    client: Client, signed_in_facilitator: None
) -> None:
    session_id = await start_session(client)
    path = await personal_link(client, session_id, None)
    assert 'name="name"' not in await (await client.get(path)).text()  # the feeling first
    assert 'name="name"' in await last_step(client, path)
    await send_checkout(client, path, {"feeling": "good", "name": "Sam"})
    (row,) = await _rows(client, Checkout)
    assert row.display_name == "Sam" and row.participant_id is None
    ids = await add_people(client, session_id, ("Ann", "web"))
    known = await personal_link(client, session_id, ids["Ann"])
    assert 'name="note"' in (page := await last_step(client, known))
    assert 'name="name"' not in page


async def test_unknown_expired_and_guessed_links(
    client: Client, signed_in_facilitator: None
) -> None:
    session_id = await start_session(client)
    path = await personal_link(client, session_id, None)
    (link,) = await _rows(client, CheckoutLink)
    token = path.rsplit("/", 1)[1]
    assert len(token) >= 43  # 256 random bits, URL-safe
    assert token not in link.token_hash and len(link.token_hash) == 64  # only a hash is kept

    unknown = await client.get("/checkout/" + "A" * 43)
    assert unknown.status == 404
    _assert_private(unknown)
    assert (await client.get("/checkout/short")).status == 404

    app_of(client)[keys.CLOCK].advance(timedelta(hours=73))  # type: ignore[attr-defined]
    expired = await client.get(path)
    assert expired.status == 410
    assert "run out" in await expired.text()
    reused = await send_checkout_raw(client, path)
    assert reused.status == 410
    assert await _rows(client, Checkout) == []


async def send_checkout_raw(client: Client, path: str) -> Any:
    token = CSRF_INPUT.search(await (await client.get("/login")).text())
    assert token
    return await client.post(path, data={"feeling": "ok", "csrf_token": token.group(1)})


async def test_guessing_is_refused_for_a_while(client: Client, signed_in_facilitator: None) -> None:
    session_id = await start_session(client)
    path = await personal_link(client, session_id, None)
    for n in range(20):
        assert (await client.get(f"/checkout/{'G' * 40}{n:03d}")).status == 404
    blocked = await client.get(f"/checkout/{'G' * 43}")
    assert blocked.status == 429
    assert int(blocked.headers["Retry-After"]) > 0
    # Someone else at the same address (a day centre) still opens their own link.
    assert (await client.get(path)).status == 200
    app_of(client)[keys.CLOCK].advance(timedelta(minutes=11))  # type: ignore[attr-defined]
    assert (await client.get(f"/checkout/{'G' * 43}")).status == 404


async def test_answers_need_no_cookie_the_secret_address_is_the_key(
    client: Client, signed_in_facilitator: None
) -> None:
    """A browser that drops cookies (a library computer) still saves its answers: no other
    site can post to an address it does not know. Other forms still need their token."""
    session_id = await start_session(client)
    path = await personal_link(client, session_id, None)
    client.session.cookie_jar.clear()
    response = await client.post(path, data={"feeling": "ok"}, allow_redirects=False)
    assert response.status == 303
    (row,) = await _rows(client, Checkout)
    assert row.feeling == "ok"
    assert (await client.post("/checkout", data={"code": "ABC"})).status == 403


async def test_the_join_page_gives_a_link_that_is_not_tied_to_anyone(
    client: Client, signed_in_facilitator: None
) -> None:
    """Anyone with the join code could claim to be anyone: a link from the join page never
    counts as someone's check-out (the assistant's private message is the way to that)."""
    session_id = await start_session(client)
    ids = await add_people(client, session_id, ("Ann", "web"))
    code = await join_code(client, session_id)
    join = await client.get(f"/join/{code}")
    html = await join.text()
    assert f'action="/join/{code}/checkout"' in html
    assert code in html  # the meeting code, for Jitsi's close page
    csrf = CSRF_INPUT.search(html)
    assert csrf
    from tests.checkout.conftest import jitsi_id_of

    sent = await client.post(
        f"/join/{code}/checkout",
        data={"participant": await jitsi_id_of(client, ids["Ann"]), "csrf_token": csrf.group(1)},
        allow_redirects=False,
    )
    assert sent.status == 303
    location = sent.headers["Location"]
    assert location.startswith("/checkout/")
    links = await _rows(client, CheckoutLink)
    assert [(link.participant_id, link.channel) for link in links] == [(None, "join")]
    assert 'name="name"' in await last_step(client, location)
    # The page embeds the meeting with Jitsi's IFrame API from the Jitsi server only.
    policy = join.headers["Content-Security-Policy"]
    assert "script-src 'self' https://meet.example.org" in policy
    assert "frame-src https://meet.example.org" in policy
    assert 'data-api="https://meet.example.org/external_api.js"' in html
    assert 'data-checkout-prefix="http://127.0.0.1:8080/checkout/"' in html


async def test_no_new_links_long_after_the_meeting(
    client: Client, signed_in_facilitator: None
) -> None:
    from tests.checkout.conftest import end_session

    session_id = await start_session(client)
    code = await join_code(client, session_id)
    await end_session(client, session_id)
    app_of(client)[keys.CLOCK].advance(timedelta(hours=73))  # type: ignore[attr-defined]
    start = await client.get("/checkout")
    csrf = CSRF_INPUT.search(await start.text())
    assert csrf
    late = await client.post("/checkout", data={"code": code, "csrf_token": csrf.group(1)})
    assert late.status == 410
    assert "has closed" in await late.text()


async def test_a_long_message_comes_back_with_a_clear_error(
    client: Client, signed_in_facilitator: None
) -> None:
    session_id = await start_session(client)
    path = await personal_link(client, session_id, None)
    for size in (2001, 5000):
        text = "I want to say " + "x" * size
        sent = await send_checkout(client, path, {"feeling": "ok", "note": text})
        assert sent.status == 400
        page = await sent.text()
        assert "Please use 2000 letters or fewer" in page
        assert text in page  # every letter comes back to be shortened, none lost
    assert await _rows(client, Checkout) == []


async def test_worrying_words_count_in_every_box(
    client: Client, signed_in_facilitator: None
) -> None:
    session_id = await start_session(client)
    path = await personal_link(client, session_id, None)
    await send_checkout(client, path, {"feeling": "good", "feedback": "I don't feel safe at home"})
    (flag,) = await _rows(client, Flag)
    assert flag.level == "urgent" and flag.reasons == ["concern_in_words"]
    assert "emergency" in await (await client.get(path + "?saved=1")).text()


async def test_the_meeting_code_page_for_jitsi_s_close_page(
    client: Client, signed_in_facilitator: None
) -> None:
    session_id = await start_session(client)
    code = await join_code(client, session_id)
    start = await client.get("/checkout")
    assert start.status == 200
    _assert_private(start)
    csrf = CSRF_INPUT.search(await start.text())
    assert csrf
    wrong = await client.post("/checkout", data={"code": "NOPE", "csrf_token": csrf.group(1)})
    assert wrong.status == 400
    assert "could not find a meeting" in await wrong.text()
    right = await client.post(
        "/checkout",
        data={"code": code.lower(), "csrf_token": csrf.group(1)},
        allow_redirects=False,
    )
    assert right.status == 303 and right.headers["Location"].startswith("/checkout/")


async def test_no_token_reaches_the_logs(
    client: Client, signed_in_facilitator: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    session_id = await start_session(client)
    ids = await add_people(client, session_id, ("Ann", "web"))
    paths = [await personal_link(client, session_id, ids["Ann"]) for _ in range(3)]
    await send_checkout(client, paths[0], {"feeling": "struggling"})
    await send_checkout(client, paths[1], {"feeling": "ok", "contact": "pigeon"})
    app_of(client)[keys.CLOCK].advance(timedelta(days=4))  # type: ignore[attr-defined]
    await client.get(paths[2])
    logged = caplog.text
    for path in paths:
        assert path.rsplit("/", 1)[1] not in logged
