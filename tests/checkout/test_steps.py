"""The check-out one question at a time: each step its own small page with nothing chosen
for the person, follow-up fields only for the answer that needs them, the feeling saved (and
flagged) as soon as it is given, and a thank-you page of its own."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from facilitation.live_events import LiveEvent
from plugin import keys
from plugin.db.checkouts import open_details
from plugin.db.models import Checkout, Flag, FlagAction
from tests.checkout.conftest import (
    check_out_in_steps,
    personal_link,
    send_checkout,
    start_session,
)
from tests.conftest import Client, app_of

LIMIT = 15 * 1024
PRIVATE = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
# The fields a person fills in (not the hidden ones the page carries).
ASKED = re.compile(r'<(?:input|textarea) (?:type="radio" )?id="[^"]+" name="(\w+)"')


async def _page(client: Client, path: str, status: int = 200) -> str:
    """A page, checked for what every check-out page must be: private and under 15 KB."""
    response = await client.get(path)
    assert response.status == status, path
    for name, value in PRIVATE.items():
        assert response.headers.get(name) == value, name
    body = await response.read()
    assert len(body) < LIMIT, f"{path}: {len(body)} bytes"
    return body.decode()


def _asked(html: str) -> set[str]:
    return set(ASKED.findall(html))


async def _row(client: Client) -> Checkout | None:
    async with app_of(client)[keys.DATABASE].session() as db:
        return (await db.exec(select(Checkout))).first()


async def _all(client: Client, model: type) -> list[Any]:
    async with app_of(client)[keys.DATABASE].session() as db:
        return list((await db.exec(select(model))).all())


async def test_one_question_at_a_time_with_nothing_chosen_for_the_person(
    client: Client, signed_in_facilitator: None
) -> None:
    session_id = await start_session(client)
    path = await personal_link(client, session_id, None)
    first = await _page(client, path)
    assert _asked(first) == {"feeling"}
    assert first.count('type="radio"') == 5 and "Step 1 of 3" in first
    assert " checked" not in first
    assert re.search(r"<form [^>]*novalidate", first)
    assert "<h1>How are you feeling?</h1>" in first

    sent = await send_checkout(client, path, {"step": "feeling", "feeling": "ok"})
    assert sent.status == 303 and sent.headers["Location"] == path + "?step=contact"
    second = await _page(client, sent.headers["Location"])
    assert _asked(second) == {"contact"}
    assert second.count('type="radio"') == 4 and "Step 2 of 3" in second
    # The first step stored "none" for the question not yet asked; it is not shown as theirs.
    row = await _row(client)
    assert row is not None and (row.feeling, row.contact) == ("ok", "none")
    assert " checked" not in second
    assert re.search(r"<form [^>]*novalidate", second)


@pytest.mark.parametrize(
    ("contact", "asked", "details"),
    [
        ("none", set(), {}),
        ("chat_now", set(), {}),
        ("call_later", {"phone", "good_time"}, {"phone": "07700 900123", "good_time": "9am"}),
        ("other", {"other_way"}, {"other_way": "sam@example.org"}),
    ],
)
async def test_follow_up_fields_only_for_the_chosen_answer(
    client: Client,
    signed_in_facilitator: None,
    contact: str,
    asked: set[str],
    details: dict[str, str],
) -> None:
    session_id = await start_session(client)
    path = await personal_link(client, session_id, None)
    await send_checkout(client, path, {"step": "feeling", "feeling": "good"})
    sent = await send_checkout(client, path, {"step": "contact", "contact": contact})
    assert sent.status == 303
    last = await _page(client, sent.headers["Location"])
    assert _asked(last) == asked | {"name", "note", "feedback"}
    assert "Step 3 of 3" in last and 'name="contact" value="' + contact + '"' in last

    done = await check_out_in_steps(client, path, "good", contact, details)
    assert done.status == 303 and done.headers["Location"] == path + "?saved=1"
    row = await _row(client)
    assert row is not None and row.contact == contact
    kept = open_details(app_of(client)[keys.CHECKOUTS].sealer, row.contact_detail)
    assert set(kept) == asked


async def test_struggling_at_the_first_step_is_flagged_before_the_end(
    client: Client, signed_in_facilitator: None
) -> None:
    session_id = await start_session(client)
    path = await personal_link(client, session_id, None)
    with app_of(client)[keys.HUB].subscribe(session_id) as feed:
        sent = await send_checkout(client, path, {"step": "feeling", "feeling": "struggling"})
        assert sent.status == 303
        message = feed.get_nowait()
    # The person may close the page now: the host already knows.
    assert message is not None
    assert message["event"] == LiveEvent.CHECKOUT_FLAGGED and message["level"] == "urgent"
    (flag,) = await _all(client, Flag)
    assert flag.level == "urgent" and flag.reasons == ["struggling"]
    assert " checked" not in await _page(client, path + "?step=contact")

    done = await check_out_in_steps(
        client, path, "struggling", "call_later", {"phone": "07700 900123", "name": "Sam"}
    )
    assert done.status == 303
    (flag,) = await _all(client, Flag)  # the same flag, now with the request and the name
    assert flag.reasons == ["struggling", "contact_requested"] and flag.display_name == "Sam"
    assert "emergency" in await _page(client, path + "?saved=1")


async def test_the_thank_you_page_is_a_page_of_its_own_with_a_way_back(
    client: Client, signed_in_facilitator: None
) -> None:
    session_id = await start_session(client)
    path = await personal_link(client, session_id, None)
    done = await check_out_in_steps(
        client, path, "not_sure", "other", {"other_way": "sam@example.org", "note": "thanks"}
    )
    assert done.status == 303
    thanks = await _page(client, done.headers["Location"])
    assert "Thank you. Your answers are saved." in thanks
    assert "Someone will get in touch with you." in thanks
    assert "You can change your answers for the next 3 days." in thanks
    assert "emergency" not in thanks  # no help text when nothing asks for it
    assert _asked(thanks) == set() and "sam@example.org" not in thanks
    assert f'href="{path}?change=1"' in thanks

    app_of(client)[keys.CLOCK].advance(timedelta(hours=70, minutes=30))  # type: ignore[attr-defined]
    later = await _page(client, path + "?saved=1")
    assert "You can change your answers for the next 2 hours." in later

    # "Change your answers": every page has the answers filled in.
    first = await _page(client, path + "?change=1")
    assert re.search(r'value="not_sure" required checked', first)
    assert '<input type="hidden" name="change" value="1">' in first
    sent = await send_checkout(
        client, path + "?change=1", {"step": "feeling", "feeling": "not_sure", "change": "1"}
    )
    assert sent.headers["Location"] == path + "?step=contact&change=1"
    second = await _page(client, sent.headers["Location"])
    assert re.search(r'value="other" required checked', second)
    assert second.count(" checked") == 1
    last = await _page(client, path + "?step=details&contact=other")
    assert 'value="sam@example.org"' in last and ">thanks</textarea>" in last


async def test_no_thank_you_shows_as_chosen_only_when_the_person_chose_it(
    client: Client, signed_in_facilitator: None
) -> None:
    session_id = await start_session(client)
    path = await personal_link(client, session_id, None)
    assert (await check_out_in_steps(client, path, "ok", "none")).status == 303
    chosen = await _page(client, path + "?step=contact&change=1")
    assert re.search(r'value="none" required checked', chosen)
    # Opening the link again (not through the thank-you page): a stored "none" may be the
    # first step's, so nothing is chosen for the person.
    assert " checked" not in await _page(client, path + "?step=contact")


async def test_each_step_explains_its_mistakes_and_keeps_what_was_typed(
    client: Client, signed_in_facilitator: None
) -> None:
    session_id = await start_session(client)
    path = await personal_link(client, session_id, None)
    nothing = await send_checkout(client, path, {"step": "feeling"})
    assert nothing.status == 400
    html = await nothing.text()
    assert "There is a problem" in html and "<title>Error: How are you feeling?" in html
    assert 'href="#feeling-good"' in html and 'id="feeling-good"' in html
    assert await _row(client) is None

    await send_checkout(client, path, {"step": "feeling", "feeling": "ok"})
    for contact, words, target in (
        ("", "You can choose “No, thank you”.", "#contact-none"),
        ("pigeon", "Please choose one of the answers.", "#contact-none"),
    ):
        wrong = await send_checkout(client, path, {"step": "contact", "contact": contact})
        assert wrong.status == 400
        html = await wrong.text()
        assert words in html and f'href="{target}"' in html and "Step 2 of 3" in html

    no_phone = {"step": "details", "feeling": "ok", "contact": "call_later", "note": "ring me"}
    sent = await send_checkout(client, path + "?step=details&contact=call_later", no_phone)
    assert sent.status == 400
    html = await sent.text()
    assert 'href="#phone"' in html and 'id="phone"' in html and ">ring me</textarea>" in html
    assert 'name="feeling"' in html and 'type="radio"' not in html  # only what needs a look
    row = await _row(client)
    assert row is not None and (row.contact, row.note) == ("none", None)  # nothing half-saved


async def test_changing_half_way_keeps_the_request_and_repeats_leave_no_trace(
    client: Client, signed_in_facilitator: None
) -> None:
    session_id = await start_session(client)
    path = await personal_link(client, session_id, None)
    details = {"phone": "07700 900123", "name": "Sam"}
    assert (await check_out_in_steps(client, path, "not_sure", "call_later", details)).status == 303
    # Changes the feeling, then closes the page: the request to be called stays.
    await send_checkout(client, path, {"step": "feeling", "feeling": "good", "change": "1"})
    row = await _row(client)
    assert row is not None and (row.feeling, row.contact, row.display_name) == (
        "good",
        "call_later",
        "Sam",
    )
    sealer = app_of(client)[keys.CHECKOUTS].sealer
    assert open_details(sealer, row.contact_detail)["phone"] == "+447700900123"
    (flag,) = await _all(client, Flag)
    assert flag.reasons == ["contact_requested"]

    # Then "No, thank you": the flag is no longer raised by the answers, noted once in its
    # history; going through the same answers again adds nothing.
    for _ in range(2):
        assert (
            await check_out_in_steps(client, path, "good", "none", {"name": "Sam"})
        ).status == 303
    row = await _row(client)
    assert row is not None and row.contact == "none" and row.contact_detail is None
    assert [a.kind for a in await _all(client, FlagAction)] == ["answers_changed"]


async def test_a_step_needs_the_one_before(client: Client, signed_in_facilitator: None) -> None:
    session_id = await start_session(client)
    path = await personal_link(client, session_id, None)
    early = await send_checkout(client, path, {"step": "contact", "contact": "chat_now"})
    assert early.status == 303 and early.headers["Location"] == path
    assert await _row(client) is None
    assert _asked(await _page(client, path + "?step=details&contact=call_later")) == {"feeling"}
    await send_checkout(client, path, {"step": "feeling", "feeling": "ok"})
    odd = await _page(client, path + "?step=details&contact=pigeon")
    assert 'name="contact" value="none"' in odd and "phone" not in _asked(odd)


def _luminance(colour: str) -> float:
    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


async def test_the_four_faces_differ_in_more_than_the_mouth(
    client: Client, signed_in_facilitator: None
) -> None:
    session_id = await start_session(client)
    html = await _page(client, await personal_link(client, session_id, None))
    labels = dict(re.findall(r'<label for="feeling-(\w+)">(.*?)</label>', html))
    faces = {k: v for k, v in labels.items() if "<svg" in v}
    assert set(faces) == {"good", "ok", "not_sure", "struggling"}
    words = {"good": "Good", "ok": "OK", "not_sure": "Not sure", "struggling": "Struggling"}
    for value, label in faces.items():
        assert label.startswith('<svg class="face" aria-hidden="true" focusable="false"')
        assert label.endswith("</svg> " + words[value])  # the word beside the face
    mouths = {k: re.findall(r'<path class="mouth"[^>]*>', v) for k, v in faces.items()}
    assert all(len(m) == 1 for m in mouths.values())
    assert 'fill="#1a1a1a"' in mouths["good"][0]  # an open smile
    assert not any('fill="#1a1a1a"' in mouths[k][0] for k in ("ok", "not_sure", "struggling"))
    rest = {k: v.replace(mouths[k][0], "") for k, v in faces.items()}
    assert len(set(rest.values())) == 4  # different without their mouths too
    fills = {
        k: re.findall(r'<circle [^>]*r="10.5" fill="(#[0-9a-f]{6})"', v) for k, v in faces.items()
    }
    assert len({f[0] for f in fills.values()}) == 4
    for (fill,) in fills.values():  # the dark eyes and mouth stand out on every face
        ratio = (_luminance(fill) + 0.05) / (_luminance("#1a1a1a") + 0.05)
        assert ratio >= 4.5, fill


async def test_chat_now_after_a_flagged_feeling_still_reaches_the_console(
    client: Client, signed_in_facilitator: None
) -> None:
    from facilitation.meeting_events import CheckoutFlagged

    seen: list[CheckoutFlagged] = []
    app_of(client)[keys.BUS].subscribe(CheckoutFlagged, seen.append)
    session_id = await start_session(client)
    path = await personal_link(client, session_id, None)
    await send_checkout(client, path, {"step": "feeling", "feeling": "struggling"})
    assert [event.flag.get("chatNow") for event in seen] == [False]
    await send_checkout(client, path, {"step": "contact", "contact": "chat_now"})
    assert [event.flag.get("chatNow") for event in seen] == [False, True]
    await send_checkout(client, path, {"step": "contact", "contact": "chat_now"})
    assert len(seen) == 2  # said once, not on every save
