"""The breakout-rooms STAND-IN, seen from Python.

Jitsi's breakout rooms are a Prosody module (mod_muc_breakout_rooms) on a real MUC
component, so the stand-in is one too: prosody_modules/mod_muc_breakout_rooms_standin.lua,
loaded on breakout.DOMAIN by tests.support.prosody. Its header lists what it does and what it
leaves out. In short: it answers moderators' requests, sends a person only a move-to-room
message (the client leaves its room and joins the other itself, asking Jicofo first), and
sends the rooms with who is in them at most every 0.3 s, after every change and every join
or leave in any of the rooms. This module reads what the Lua side logs for the tests.
"""

from __future__ import annotations

import json

from tests.support import prosody

KIND = "breakout_rooms"
MOVE = "features/breakout-rooms/move-to-room"
UPDATE = "features/breakout-rooms/update"
UPDATE_EVERY = 0.3  # seconds: the module sends the rooms at most this often
_LOGGED = "breakout request "


def requests(server: prosody.Prosody) -> list[dict[str, str]]:
    """The attributes of each request that passed the module's moderator check, in order."""
    found = []
    for line in server.log_text.splitlines():
        _, marker, payload = line.partition(_LOGGED)
        if marker and payload.startswith("{"):
            found.append({str(key): str(value) for key, value in json.loads(payload).items()})
    return found
