"""A phone caller through the PBX dialect, with the assistant in a real Prosody room: the
call is linked to the Jigasi participant the assistant sees, listed once and masked, and
`*9` raises that participant's hand. (Jigasi is a stand-in: a client that presents itself
the way Jigasi does, with the caller's number as its name.)"""

from __future__ import annotations

import asyncio
import base64

from pydantic import SecretStr
from sqlmodel import select

from facilitation.live_events import LiveEvent
from plugin import keys
from plugin.db.models import Participant, PhoneCall
from tests.conftest import Client, app_of
from tests.jitsi.conftest import MakeClient, joined, live_session
from tests.phone.conftest import post_pbx
from tests.support import prosody

PBX_KEY = b"pbx-standard-webhooks-key-0123456789"


async def _people(client: Client, session_id: str) -> list[Participant]:
    async with app_of(client)[keys.DATABASE].session() as db:
        query = select(Participant).where(Participant.session_id == session_id)
        return list((await db.exec(query)).all())


async def test_star_9_raises_the_hand_of_the_jigasi_participant_the_assistant_sees(
    make_client: MakeClient, server: prosody.Prosody
) -> None:
    client = await make_client(
        pbx_webhook_secret=(SecretStr("whsec_" + base64.b64encode(PBX_KEY).decode()),)
    )
    session_id, _, feed = await live_session(client, "https://meet.example.org/PhoneCall")
    mapping = await client.get(
        "/dial-in/conference-mapper", params={"conference": f"phonecall@{prosody.MUC}"}
    )
    pin = str((await mapping.json())["id"])

    reply = await post_pbx(
        client,
        {"type": "call.started", "call_id": "ast-1", "caller_id": "+447700900456", "pin": pin},
    )
    assert (await reply.json())["room"] == f"phonecall@{prosody.MUC}"
    # Jigasi joins the room for the caller, named by the caller's number.
    jigasi = await joined(server, "phonecall", "+447700900456", phone=True)
    try:
        seen = await feed.next(LiveEvent.PARTICIPANT_JOINED, id=jigasi.nick)
        assert seen["kind"] == "phone"
        assert seen["displayName"] == "…456"  # never the full number
        async with asyncio.timeout(10):
            while not any(p.jitsi_id == jigasi.nick for p in await _people(client, session_id)):
                await asyncio.sleep(0.05)

        assert (
            await post_pbx(client, {"type": "dtmf", "call_id": "ast-1", "digits": "*9"})
        ).status == 200
        hand = await feed.next(LiveEvent.RAISE_HAND_UPDATED, id=jigasi.nick)
        assert hand["handRaised"] > 0
        people = [p for p in await _people(client, session_id) if p.left_at is None]
        phones = [p for p in people if p.kind == "phone"]
        assert [(p.jitsi_id, p.display_name) for p in phones] == [(jigasi.nick, "…456")]
        queue = await app_of(client)[keys.QUEUE].load(session_id)
        assert [hand.participant for hand in queue.hands] == [jigasi.nick]
        async with app_of(client)[keys.DATABASE].session() as db:
            (call,) = (await db.exec(select(PhoneCall))).all()
        assert call.participant_id == phones[0].id
        console = await (await client.get(f"/sessions/{session_id}")).text()
        assert "7700900456" not in console
    finally:
        await jigasi.close()
