"""Jicofo (the focus) creates the room: ask it for the conference and wait until it says the
conference is ready, asking again less and less often. Only then may the bot join."""

from __future__ import annotations

import asyncio
import logging

from plugin.jitsi import stanzas
from plugin.jitsi.xmpp import XmppStream

log = logging.getLogger(__name__)
FOCUS_WAIT_CAP = 120.0


async def ask_focus(
    stream: XmppStream, focus: str, room_jid: str, nick: str, session_id: str
) -> None:
    wait = 1.0
    request = stanzas.conference_request(room_jid, nick)
    while True:
        reply = await stream.request("set", focus, request)
        if stanzas.conference_ready(reply):
            return
        log.info("session %s: focus not ready; asking again in %.0f s", session_id, wait)
        await asyncio.sleep(wait)
        wait = min(FOCUS_WAIT_CAP, wait * 2)
