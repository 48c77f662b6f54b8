"""STAND-IN for Jicofo (the focus) and Jitsi's breakout-rooms and polls Prosody modules.

None of them can run here, so this small program plays their public protocol parts over
XEP-0114 external-component connections to the real Prosody:

- focus: answers the `conference` iq with ready="true" after joining the room as the
  occupant `focus` (so the room exists and is owned, as with Jicofo); grants moderator to
  the first other occupant (Jicofo's auto-owner); offers every occupant a Jingle
  session-initiate and records how they answer.
- breakout: takes `<breakout_rooms type="features/breakout-rooms/...">` requests from
  moderators and broadcasts `features/breakout-rooms/update` json-messages.
- polls: takes `{"type":"polls","command":"new-poll"|"answer-poll"}` json-messages from
  occupants and broadcasts them with `senderId`, as mod_polls_component does.

It is test code: written from the protocol, trusting its own Prosody.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element, tostring

from tests.support import prosody
from tests.support.xep0114 import COMPONENT_NS, Component, q

MUC_USER = "http://jabber.org/protocol/muc#user"
MUC_ADMIN = "http://jabber.org/protocol/muc#admin"
FOCUS_NS = "http://jitsi.org/protocol/focus"
JINGLE = "urn:xmpp:jingle:1"
JITMEET = "http://jitsi.org/jitmeet"
POLL_PAYLOAD_LIMIT = 1024


@dataclass
class Occupant:
    nick: str
    real_jid: str
    role: str
    display_name: str


@dataclass
class RoomState:
    jid: str
    occupants: dict[str, Occupant] = field(default_factory=dict)
    moderator_granted: bool = False
    breakouts: dict[str, dict[str, Any]] = field(default_factory=dict)
    counter: int = 0


class JitsiStandIn:
    def __init__(self, server: prosody.Prosody, *, auto_owner: bool = True) -> None:
        self.server = server
        self.auto_owner = auto_owner
        self.not_ready_replies = 0  # answer ready="false" this many times first, as a busy Jicofo
        self.rooms: dict[str, RoomState] = {}
        self.conference_requests: list[str] = []
        self.jingle_answers: list[Element] = []
        self.breakout_requests: list[dict[str, str]] = []
        self.polls: list[dict[str, Any]] = []
        self.focus = Component(server.component, prosody.FOCUS, self._focus_stanza)
        self.breakout = Component(server.component, prosody.BREAKOUT, self._breakout_stanza)
        self.polls_component = Component(server.component, prosody.POLLS, self._polls_stanza)
        self._ids = 0

    async def start(self) -> None:
        for component in (self.focus, self.breakout, self.polls_component):
            await component.start()

    async def close(self) -> None:
        for component in (self.focus, self.breakout, self.polls_component):
            await component.close()

    def _id(self) -> str:
        self._ids += 1
        return f"standin{self._ids}"

    # --- focus -------------------------------------------------------------------------

    def _focus_stanza(self, element: Element) -> None:
        if element.tag == q(COMPONENT_NS, "iq"):
            self._focus_iq(element)
        elif element.tag == q(COMPONENT_NS, "presence"):
            self._focus_presence(element)

    def _focus_iq(self, iq: Element) -> None:
        sender, iq_id, kind = iq.get("from", ""), iq.get("id", ""), iq.get("type")
        conference = iq.find(q(FOCUS_NS, "conference"))
        if kind == "set" and conference is not None:
            room = conference.get("room", "")
            self.conference_requests.append(room)
            if self.not_ready_replies > 0:
                self.not_ready_replies -= 1
                self.focus.send(
                    f"<iq type='result' from='{prosody.FOCUS}' to='{sender}' id='{iq_id}'>"
                    f"<conference xmlns='{FOCUS_NS}' room='{room}' ready='false'/></iq>"
                )
                return
            if room not in self.rooms:
                self.rooms[room] = RoomState(room)
                # Jicofo joins first, which creates and owns the room.
                self.focus.send(
                    f"<presence from='{prosody.FOCUS}' to='{room}/focus'>"
                    "<x xmlns='http://jabber.org/protocol/muc'/></presence>"
                )
            self.focus.send(
                f"<iq type='result' from='{prosody.FOCUS}' to='{sender}' id='{iq_id}'>"
                f"<conference xmlns='{FOCUS_NS}' room='{room}' ready='true' "
                f"focusjid='{prosody.FOCUS}'/></iq>"
            )
            return
        jingle = iq.find(q(JINGLE, "jingle"))
        if kind == "set" and jingle is not None:
            self.jingle_answers.append(jingle)
            self.focus.send(f"<iq type='result' from='{iq.get('to')}' to='{sender}' id='{iq_id}'/>")

    def _focus_presence(self, presence: Element) -> None:
        room_jid, _, nick = presence.get("from", "").partition("/")
        room = self.rooms.get(room_jid)
        if room is None or nick == "focus":
            return
        if presence.get("type") == "unavailable":
            room.occupants.pop(nick, None)
            return
        item = presence.find(f"{q(MUC_USER, 'x')}/{q(MUC_USER, 'item')}")
        if item is None:
            return
        name = presence.find(q("http://jabber.org/protocol/nick", "nick"))
        new = nick not in room.occupants
        room.occupants[nick] = Occupant(
            nick,
            item.get("jid", ""),
            item.get("role", ""),
            (name.text or "") if name is not None else "",
        )
        if not new:
            return
        if self.auto_owner and not room.moderator_granted:
            room.moderator_granted = True
            self.focus.send(
                f"<iq type='set' from='{prosody.FOCUS}' to='{room_jid}' id='{self._id()}'>"
                f"<query xmlns='{MUC_ADMIN}'><item nick='{nick}' role='moderator'/></query></iq>"
            )
        self.focus.send(
            f"<iq type='set' from='{prosody.FOCUS}' to='{room_jid}/{nick}' id='{self._id()}'>"
            f"<jingle xmlns='{JINGLE}' action='session-initiate' sid='{uuid.uuid4().hex[:10]}' "
            f"initiator='{room_jid}/focus'><content name='audio'/></jingle></iq>"
        )

    def kick(self, room_jid: str, nick: str) -> None:
        """What a moderator's "kick" does: role none, so Prosody sends status 307."""
        self.focus.send(
            f"<iq type='set' from='{prosody.FOCUS}' to='{room_jid}' id='{self._id()}'>"
            f"<query xmlns='{MUC_ADMIN}'><item nick='{nick}' role='none'/></query></iq>"
        )

    def room_of(self, real_jid: str) -> tuple[RoomState, Occupant] | None:
        for room in self.rooms.values():
            for occupant in room.occupants.values():
                if occupant.real_jid == real_jid:
                    return room, occupant
        return None

    # --- breakout rooms ----------------------------------------------------------------

    def _breakout_stanza(self, message: Element) -> None:
        request = message.find(q(COMPONENT_NS, "breakout_rooms"))
        if message.tag != q(COMPONENT_NS, "message") or request is None:
            return
        found = self.room_of(message.get("from", ""))
        if found is None or found[1].role != "moderator":
            return  # Jitsi's module ignores anyone but a moderator of a known room
        room, _ = found
        attrs = dict(request.attrib)
        self.breakout_requests.append(attrs)
        action = attrs.get("type", "").rsplit("/", 1)[-1]
        if action == "add":
            room_id = uuid.uuid4().hex
            room.breakouts[room_id] = {
                "id": room_id,
                "jid": f"{room_id}@{prosody.BREAKOUT}",
                "name": attrs.get("subject", ""),
                "participants": {},
            }
        elif action == "remove":
            room.breakouts = {
                key: value
                for key, value in room.breakouts.items()
                if value["jid"] != attrs.get("breakoutRoomJid")
            }
        elif action == "rename":
            for value in room.breakouts.values():
                if value["jid"] == attrs.get("breakoutRoomJid"):
                    value["name"] = attrs.get("subject", "")
        elif action == "move-to-room":
            person, target = attrs.get("participantJid", ""), attrs.get("roomJid", "")
            self._send_json(
                prosody.BREAKOUT,
                person,
                {
                    "type": "breakout_rooms",
                    "event": "features/breakout-rooms/move-to-room",
                    "roomJid": target,
                },
            )
            # Jitsi's module reports the move once the person is in the other room; the
            # stand-in has no breakout MUC, so it moves them in its own books at once.
            for value in room.breakouts.values():
                value["participants"] = {
                    key: entry
                    for key, entry in value["participants"].items()
                    if entry["jid"] != person
                }
                if value["jid"] == target:
                    nick = next(
                        (o.nick for o in room.occupants.values() if o.real_jid == person), "x"
                    )
                    value["participants"][f"{target}/{nick}"] = {"jid": person}
        self._broadcast_rooms(room)

    def _broadcast_rooms(self, room: RoomState) -> None:
        room.counter += 1
        main_id = room.jid.split("@", 1)[0]
        rooms = {
            main_id: {
                "isMainRoom": True,
                "id": main_id,
                "jid": room.jid,
                "name": main_id,
                "participants": {
                    f"{room.jid}/{o.nick}": {
                        "jid": o.real_jid,
                        "role": o.role,
                        "displayName": o.display_name,
                    }
                    for o in room.occupants.values()
                },
            },
            **room.breakouts,
        }
        payload = {
            "type": "breakout_rooms",
            "event": "features/breakout-rooms/update",
            "roomCounter": room.counter,
            "rooms": rooms,
        }
        for occupant in room.occupants.values():
            self._send_json(prosody.BREAKOUT, occupant.real_jid, payload)

    def _send_json(self, sender: str, to: str, payload: dict[str, Any]) -> None:
        message = Element("message", {"from": sender, "to": to})
        node = Element("json-message", {"xmlns": JITMEET})
        node.text = json.dumps(payload)
        message.append(node)
        component = self.breakout if sender == prosody.BREAKOUT else self.polls_component
        component.send(tostring(message, encoding="unicode"))

    # --- polls -------------------------------------------------------------------------

    def _polls_stanza(self, message: Element) -> None:
        node = message.find(q(JITMEET, "json-message"))
        if message.tag != q(COMPONENT_NS, "message") or node is None:
            return
        found = self.room_of(message.get("from", ""))
        if found is None:
            return
        room, sender = found
        try:
            data = json.loads(node.text or "")
        except ValueError:
            return
        if data.get("type") != "polls" or not isinstance(data.get("pollId"), str):
            return
        if len((node.text or "").encode()) >= POLL_PAYLOAD_LIMIT:
            return  # mod_polls_component drops these without a word
        data["senderId"] = sender.nick
        if data.get("command") == "answer-poll":
            data["senderName"] = sender.display_name
        self.polls.append(data)
        for occupant in room.occupants.values():
            self._send_json(prosody.POLLS, occupant.real_jid, data)
