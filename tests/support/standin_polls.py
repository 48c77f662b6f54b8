"""STAND-IN for Jitsi's polls component (mod_polls_component, docker-jitsi-meet stable-10532
and later), over an XEP-0114 component connection to the real Prosody.

It takes `{"type":"polls","command":"new-poll"|"answer-poll"}` json-messages from
occupants, checks them and broadcasts them with `senderId`, as mod_polls_component does.
Only when the deployment runs the component (`polls_style="component"`); with "room"
nothing connects for polls.DOMAIN (Prosody bounces what is sent there) and
prosody_modules/mod_polls_inroom_standin.lua plays mod_polls.

Who is in which room comes from the focus stand-in's books (Jicofo sees every occupant),
standing in for the Prosody room the real module looks into. It is test code: written
from the protocol, trusting its own Prosody.
"""

from __future__ import annotations

import json
from typing import Any
from xml.etree.ElementTree import Element, tostring

from tests.support import prosody
from tests.support.standin_focus import STANZAS, FocusStandIn
from tests.support.xep0114 import COMPONENT_NS, Component, q

JITMEET = "http://jitsi.org/jitmeet"
POLL_PAYLOAD_LIMIT = 1024
POLLS_LIMIT = 128


class PollsStandIn:
    def __init__(self, server: prosody.Prosody, focus: FocusStandIn) -> None:
        self.focus = focus
        self.polls: list[dict[str, Any]] = []
        self.room_polls: dict[str, dict[str, dict[str, Any]]] = {}  # room JID -> pollId -> poll
        self.component = Component(server.component, prosody.POLLS, self._polls_stanza)

    def _polls_stanza(self, message: Element) -> None:
        """mod_polls_component's message/host handler, as far as clients can see it."""
        node = message.find(q(JITMEET, "json-message"))
        if message.tag != q(COMPONENT_NS, "message") or node is None:
            return
        if message.get("type") == "groupchat" or message.find(q(COMPONENT_NS, "body")) is not None:
            return
        found = self.focus.room_of(message.get("from", ""))
        if found is None:
            return  # "Occupant sending poll msg ... was not found"
        room, sender = found
        text = node.text or ""
        if len(text.encode()) >= POLL_PAYLOAD_LIMIT:
            return  # "Poll payload too large, discarding": no reply
        try:
            data = json.loads(text)
        except ValueError:
            return
        if not isinstance(data, dict) or data.get("command") not in ("new-poll", "answer-poll"):
            return
        if not _valid_poll(data):
            return  # "Invalid poll data": dropped without a reply
        polls = self.room_polls.setdefault(room.jid, {})
        if data["command"] == "new-poll":
            if len(polls) >= POLLS_LIMIT:
                return
            if data["pollId"] in polls:
                self._polls_error(message, "not-allowed", "Poll already exists")
                return
            polls[data["pollId"]] = data
        elif data["pollId"] not in polls:
            return  # "answering inexistent poll"
        data["senderId"] = sender.nick
        if data["command"] == "answer-poll":
            data["senderName"] = sender.display_name
        data["type"] = "polls"
        self.polls.append(data)
        for occupant in room.occupants.values():
            self._send_json(occupant.real_jid, data)

    def _send_json(self, to: str, payload: dict[str, Any]) -> None:
        message = Element("message", {"from": prosody.POLLS, "to": to})
        node = Element("json-message", {"xmlns": JITMEET})
        node.text = json.dumps(payload)
        message.append(node)
        self.component.send(tostring(message, encoding="unicode"))

    def _polls_error(self, message: Element, condition: str, text: str) -> None:
        reply = Element(
            "message",
            {
                "type": "error",
                "from": prosody.POLLS,
                "to": message.get("from", ""),
                "id": message.get("id", ""),
            },
        )
        error = Element("error", {"type": "cancel"})
        error.append(Element(condition, {"xmlns": STANZAS}))
        words = Element("text", {"xmlns": STANZAS})
        words.text = text
        error.append(words)
        reply.append(error)
        self.component.send(tostring(reply, encoding="unicode"))


def _valid_poll(data: dict[str, Any]) -> bool:
    """validate_polls() in mod_polls_component."""
    answers = data.get("answers")
    if data.get("type") != "polls" or not isinstance(data.get("pollId"), str):
        return False
    if not isinstance(answers, list) or not answers:
        return False
    if data["command"] == "new-poll":
        return isinstance(data.get("question"), str) and all(
            isinstance(answer, dict) and isinstance(answer.get("name"), str) for answer in answers
        )
    return all(isinstance(answer, bool) for answer in answers)
