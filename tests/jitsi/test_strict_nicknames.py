"""The assistant on a Jitsi that checks nicknames strictly, in a real Prosody.

docker-jitsi-meet loads Jitsi's mod_muc_resource_validate on its MUC components; with its
`anonymous_strict` option on, an anonymous or token login must use the first 8 characters
of the local part the server gave it as its nickname, which is what Jitsi Meet's own
clients do. The module is a STAND-IN here (prosody_modules/
mod_muc_resource_validate_standin.lua), on the main, tenant and breakout MUCs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import Element

import pytest

from plugin.jitsi.jid import Jid, nickname_for
from tests.conftest import Client
from tests.jitsi.conftest import start_session
from tests.support import prosody
from tests.support.participant import Participant

pytestmark = pytest.mark.prosody
NOT_ALLOWED = "{urn:ietf:params:xml:ns:xmpp-stanzas}not-allowed"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[prosody.Prosody]:
    instance = prosody.Prosody(tmp_path / "prosody", strict_nicknames=True)
    instance.start()
    yield instance
    instance.stop()


async def _join_as(server: prosody.Prosody, room: str, nick: str | None) -> Element:
    """Join with `nick` (None: the JID's first 8 characters); the room's answer."""
    person = Participant(server, room, "Dee")
    seen: list[Element] = []
    person.listeners.append(lambda element, _: seen.append(element))
    await person.connect()
    person.nick = nick or person.jid.split("@", 1)[0][:8]
    try:
        await person.join()
        own = f"{person.room_jid}/{person.nick}"
        return next(e for e in seen if e.tag.endswith("presence") and e.get("from") == own)
    finally:
        await person.close()


async def test_the_assistant_takes_jitsis_nickname_and_gets_in(
    jitsi_client: Client, server: prosody.Prosody
) -> None:
    _, bot = await start_session(jitsi_client, "https://meet.example.org/StrictRoom")
    assert bot.stream is not None and bot.stream.jid is not None
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", bot.stream.jid.local
    )
    assert bot.nick == bot.stream.jid.local[:8]
    assert bot.role  # in the room, with the role the room gave it

    # The stand-in does refuse a random nickname (what the assistant used to take)...
    refused = await _join_as(server, "strictroom", "a1b2c3d4")
    assert refused.get("type") == "error"
    assert refused.find(f".//{NOT_ALLOWED}") is not None
    # ...and lets in a client that follows Jitsi Meet's rule.
    admitted = await _join_as(server, "strictroom", None)
    assert admitted.get("type") is None


def test_the_nickname_is_the_start_of_the_servers_name_for_us() -> None:
    assert nickname_for(Jid.parse("3f2a1b9c-77aa-4e1e-9a8e-0c3c8d1d2e4f@meet.jitsi/x")) == (
        "3f2a1b9c"
    )
    assert nickname_for(Jid.parse("bot@members.meet.jitsi/r")) == "bot"
    # A local part that is no valid nickname, or no address at all: 8 random hex digits.
    for jid in (Jid.parse("fa.bot@members.meet.jitsi/r"), Jid.parse("meet.jitsi"), None):
        assert re.fullmatch(r"[0-9a-f]{8}", nickname_for(jid))
