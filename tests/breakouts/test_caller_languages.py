"""Each phone caller hears the meeting in the language they chose at the start of the call,
end to end in a real Prosody: two PBX callers in one meeting, one in Spanish and one in
English (FACILITATE_PHONE_LANGUAGES=en,es, the service itself in English), hear a warm-up's
question and keys, the "please press" reminder, the speaking queue's "you are next" and a
breakout warning each in their own language, under the same recording ids. The chat stays
in the service's language, and a facilitator's own typed message is spoken as typed.

The expected Spanish is the Spanish catalogue's own (`load_translations("es")`), and each
sentence is checked to differ from the English: the test fails if the catalogue lacks it.

STAND-INs (none of these can run here): Jicofo and Jitsi's breakout module (as in
test_jitsi_breakout_rooms), Jigasi (a client presenting itself as Jigasi does) and the PBX
that plays words to calls (tests.support.standin_pbx)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr
from sqlmodel import select

from facilitation.queue import order
from plugin import keys
from plugin.db.models import PhoneCall
from plugin.i18n import load_translations
from tests.breakouts.conftest import (
    Guest,
    breakout_post,
    guest,
    phone_caller,
    rows,
    time_passes,
    until_async,
)
from tests.conftest import Client, app_of, post_form
from tests.jitsi.conftest import MakeClient, live_session, until
from tests.phone.conftest import PBX_SECRET, post_pbx
from tests.support import prosody
from tests.support.standin_pbx import ACTIONS_KEY, ACTIONS_SECRET, PbxStandin

pytestmark = pytest.mark.prosody
EN_CALL, ES_CALL = "ast-1", "ast-2"
SPANISH = load_translations("es")


def spanish(english: str, **values: str) -> str:
    """The Spanish catalogue's sentence for `english`, filled; never the English itself."""
    said = SPANISH.gettext(english)
    assert said != english, f"the Spanish catalogue does not translate {english!r}"
    return said % values if values else said


def english(text: str, **values: str) -> str:
    return text % values if values else text


def heard(pbx: PbxStandin, call_id: str) -> list[list[str]]:
    """Each call.play to the call: its sentences, in order."""
    return [
        [entry["text"] for entry in action["say"]]
        for action in pbx.actions
        if action["type"] == "call.play" and action["call_id"] == call_id
    ]


def prompts(pbx: PbxStandin, call_id: str, first: str) -> list[str]:
    """The recording ids of the (first) call.play to the call that began with `first`. (The
    test's own timer tick can race the desk's, so a warning may come twice.)"""
    return next(
        [entry["prompt"] for entry in action["say"]]
        for action in pbx.actions
        if action["type"] == "call.play"
        and action["call_id"] == call_id
        and action["say"][0]["text"] == first
    )


async def test_each_caller_hears_the_meeting_in_their_own_language(
    make_client: MakeClient, server: prosody.Prosody, guests: list[Guest]
) -> None:
    pbx = await PbxStandin(ACTIONS_KEY, live_calls=[EN_CALL, ES_CALL]).start()
    try:
        client = await make_client(
            pbx_webhook_secret=(SecretStr(PBX_SECRET),),
            pbx_actions_url=pbx.url,
            pbx_actions_secret=SecretStr(ACTIONS_SECRET),
            phone_languages=("en", "es"),
        )
        await _run(client, server, guests, pbx)
    finally:
        await pbx.close()


async def _run(
    client: Client, server: prosody.Prosody, guests: list[Guest], pbx: PbxStandin
) -> None:
    app = app_of(client)
    assert app[keys.SETTINGS].language == "en"
    session_id, bot, _feed = await live_session(client, "https://meet.example.org/Plaza")
    await until(lambda: bot.role == "moderator")
    mapping = await client.get(
        "/dial-in/conference-mapper", params={"conference": f"plaza@{prosody.MUC}"}
    )
    pin = str((await mapping.json())["id"])
    ann, ben = await guest(server, "plaza", "Ann"), await guest(server, "plaza", "Ben")
    guests.extend([ann, ben])
    en_caller = await phone_caller(client, server, "plaza", pin, EN_CALL, "+447700900111", "en")
    es_caller = await phone_caller(client, server, "plaza", pin, ES_CALL, "+447700900222", "es")
    guests.extend([en_caller, es_caller])
    await until_async(lambda: _count(client, session_id, 4))
    async with app[keys.DATABASE].session() as db:
        chosen = {c.call_key: c.language for c in (await db.exec(select(PhoneCall))).all()}
    assert chosen == {f"pbx:{EN_CALL}": "en", f"pbx:{ES_CALL}": "es"}

    await _warmup(client, session_id, pbx, ann)
    await _queue(client, session_id, pbx, ann, en_caller, es_caller)
    await _breakout_warning(client, session_id, pbx, ann)


async def _warmup(client: Client, session_id: str, pbx: PbxStandin, ann: Guest) -> None:
    app = app_of(client)
    (warmup,) = [w for w in app[keys.CATALOGUE] if w.id == "tea-or-coffee"]
    run = await post_form(
        client,
        f"/sessions/{session_id}/warmups",
        {"action": "run", "warmup": "tea-or-coffee", "announce": "on"},
    )
    assert run.status == 303
    question = "Warm-up (%(title)s): %(prompt)s"
    press = "Press %(key)s for %(option)s."
    in_english = [
        english(question, title=warmup.title, prompt=warmup.prompt),
        *(
            english(press, key=str(key), option=option)
            for key, option in enumerate(warmup.options, start=1)
        ),
        "Press 0 to pass.",
    ]
    in_spanish = [
        spanish(question, title=spanish(warmup.title), prompt=spanish(warmup.prompt)),
        *(
            spanish(press, key=str(key), option=spanish(option))
            for key, option in enumerate(warmup.options, start=1)
        ),
        spanish("Press 0 to pass."),
    ]
    assert in_english[0] == "Warm-up (Tea or coffee?): Which do you like more on a cold day?"
    assert all(es != en for es, en in zip(in_spanish, in_english, strict=True))
    await pbx.wait_for(
        lambda p: in_spanish in heard(p, ES_CALL) and in_english in heard(p, EN_CALL)
    )
    assert in_spanish not in heard(pbx, EN_CALL) and in_english not in heard(pbx, ES_CALL)
    # The same recordings, named by the English, whatever language is spoken.
    assert prompts(pbx, ES_CALL, in_spanish[0]) == prompts(pbx, EN_CALL, in_english[0])
    # The meeting's chat stays in the service's language.
    await until(lambda: ann.heard(in_english[0]))
    assert not ann.heard(in_spanish[0])

    # A key that is not a choice: the reminder, in each caller's language.
    for call_id in (ES_CALL, EN_CALL):
        pressed = await post_pbx(client, {"type": "dtmf", "call_id": call_id, "digits": "7"})
        assert pressed.status == 200
    reminder = "Please press 1 to %(n)s, or 0 to pass."
    n = str(len(warmup.choices))
    assert english(reminder, n=n) != spanish(reminder, n=n)
    await pbx.wait_for(
        lambda p: (
            [spanish(reminder, n=n)] in heard(p, ES_CALL)
            and [english(reminder, n=n)] in heard(p, EN_CALL)
        )
    )
    closed = await post_form(client, f"/sessions/{session_id}/warmups", {"action": "close"})
    assert closed.status == 303


async def _queue(
    client: Client,
    session_id: str,
    pbx: PbxStandin,
    ann: Guest,
    en_caller: Guest,
    es_caller: Guest,
) -> None:
    app = app_of(client)

    async def waiting(expected: list[str]) -> bool:
        queue = await app[keys.QUEUE].load(session_id)
        return [entry.participant for entry in order(queue)] == expected

    # Ann, then the Spanish caller, then the English one.
    await ann.person.raise_hand()
    await until_async(lambda: waiting([ann.nick]))
    for call_id, expected in (
        (ES_CALL, [ann.nick, es_caller.nick]),
        (EN_CALL, [ann.nick, es_caller.nick, en_caller.nick]),
    ):
        pressed = await post_pbx(client, {"type": "dtmf", "call_id": call_id, "digits": "*9"})
        assert pressed.status == 200
        await until_async(lambda expected=expected: waiting(expected))

    next_ = "You are next, after %(now)s."
    # Ann speaks: the Spanish caller is next, and is told so in Spanish.
    assert (await queue_next(client, session_id)).status == 303
    told_es = spanish(next_, now="Ann")
    assert told_es != english(next_, now="Ann")
    await pbx.wait_for(lambda p: [told_es] in heard(p, ES_CALL))
    # The Spanish caller speaks: the English caller is next, and is told so in English.
    (es_row,) = [r for r in await rows(client, session_id) if r.jitsi_id == es_caller.nick]
    assert es_row.display_name == "…222"
    assert (await queue_next(client, session_id)).status == 303
    told_en = english(next_, now=es_row.display_name)
    assert told_en == "You are next, after …222."
    await pbx.wait_for(lambda p: [told_en] in heard(p, EN_CALL))
    assert prompts(pbx, ES_CALL, told_es) == prompts(pbx, EN_CALL, told_en)


async def _breakout_warning(client: Client, session_id: str, pbx: PbxStandin, ann: Guest) -> None:
    app = app_of(client)
    plan = {"action": "plan", "mode": "jitsi", "method": "balanced", "count": "1"}
    assert (await breakout_post(client, session_id, plan)).status == 303
    opened = await breakout_post(client, session_id, {"action": "open", "minutes": "10"})
    assert opened.status == 303, await opened.text()
    groups = app[keys.CONNECTOR].groups

    def assistant_in_room() -> bool:
        rooms = groups.rooms(session_id)
        return len(rooms) == 1 and all(
            (one := groups.bot(session_id, room)) is not None and one.ready for room in rooms
        )

    await until(assistant_in_room, within=15)
    await time_passes(client, session_id, 100)
    warning = "Two minutes left in your groups."
    await pbx.wait_for(
        lambda p: [spanish(warning)] in heard(p, ES_CALL) and [warning] in heard(p, EN_CALL)
    )
    assert prompts(pbx, ES_CALL, spanish(warning)) == prompts(pbx, EN_CALL, warning)
    await until(lambda: ann.heard(warning))  # the chat: the service's language
    assert not ann.heard(spanish(warning))

    # The facilitator's own words cannot be translated: both hear them as typed (even
    # words the catalogue happens to know).
    typed = "Tea or coffee?"
    assert SPANISH.gettext(typed) != typed
    said = {"action": "broadcast", "message": typed}
    assert (await breakout_post(client, session_id, said)).status == 303
    await pbx.wait_for(lambda p: [typed] in heard(p, ES_CALL) and [typed] in heard(p, EN_CALL))


async def queue_next(client: Client, session_id: str) -> Any:
    return await post_form(client, f"/sessions/{session_id}/queue", {"action": "next"})


async def _count(client: Client, session_id: str, expected: int) -> bool:
    return len(await rows(client, session_id)) == expected
