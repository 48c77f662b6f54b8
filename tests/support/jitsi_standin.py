"""STAND-IN for Jicofo (the focus) and Jitsi's breakout-rooms and polls Prosody modules.

None of them can run here, so this small program plays their public protocol parts over
XEP-0114 external-component connections to the real Prosody:

- focus: answers the `conference` iq with ready="true" after joining the room as the
  occupant `focus` (so the room exists and is owned, as with Jicofo); offers every occupant
  a Jingle session-initiate and records how they answer. It makes moderators as Jicofo's
  ChatRoomRoleManager.kt does, granting the owner affiliation (muc#admin, bare real JID):
  - auto-owner (no authentication): exactly one owner. When someone joins and there is
    none, or when the owner leaves, it picks a member already owner, else any member but
    Jigasi (its feature in presence, from a JID on `trusted_domains`: Jicofo's
    jicofo.xmpp.trusted-domains, empty by default; older Jicofo took the feature alone and
    also skipped `<userinfo robot="true">`). Jicofo takes the first of a hash map, so which
    member is unspecified; here it is join order.
  - `login_domain` set (Jicofo's XMPP authentication, docker-jitsi-meet ENABLE_AUTH=1 with
    AUTH_TYPE=internal): no auto-owner. A `conference` iq from that domain (it must carry
    machine-uid) authenticates the sender, who is made owner on joining; only an
    authenticated user may have a room created (others get not-authorized).
- breakout: takes `<breakout_rooms type="features/breakout-rooms/...">` requests from
  moderators and broadcasts `features/breakout-rooms/update` json-messages.
- polls: takes `{"type":"polls","command":"new-poll"|"answer-poll"}` json-messages from
  occupants, checks them and broadcasts them with `senderId`, as mod_polls_component does.
  Only when the deployment runs the component (`polls_style="component"`, docker-jitsi-meet
  stable-10532 and later); with "room" nothing connects for polls.DOMAIN (Prosody bounces
  what is sent there) and prosody_modules/mod_polls_inroom_standin.lua plays mod_polls.

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
STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"
POLL_PAYLOAD_LIMIT = 1024
POLLS_LIMIT = 128


@dataclass
class Occupant:
    nick: str
    real_jid: str
    role: str
    display_name: str
    affiliation: str = "none"
    robot: bool = False  # Jigasi as Jicofo sees it: never elected


@dataclass
class RoomState:
    jid: str
    occupants: dict[str, Occupant] = field(default_factory=dict)
    owner: str | None = None  # the member auto-owner elected (nick)
    breakouts: dict[str, dict[str, Any]] = field(default_factory=dict)
    counter: int = 0


class JitsiStandIn:
    def __init__(
        self,
        server: prosody.Prosody,
        *,
        auto_owner: bool = True,
        polls_style: str | None = None,
    ) -> None:
        self.server = server
        self.auto_owner = auto_owner
        # Jicofo's XMPP authentication: users logged in on this domain are moderators.
        self.login_domain: str | None = None
        self.authenticated: set[str] = set()  # full JIDs with an authentication session
        self.trusted_domains: set[str] = set()  # where Jigasi's feature is believed
        # Which polls the deployment runs; it must match the Prosody config, so by default
        # it is the server's.
        self.polls_style = polls_style or server.polls_style
        self.not_ready_replies = 0  # answer ready="false" this many times first, as a busy Jicofo
        self.rooms: dict[str, RoomState] = {}
        self.conference_requests: list[str] = []
        self.jingle_answers: list[Element] = []
        self.breakout_requests: list[dict[str, str]] = []
        self.polls: list[dict[str, Any]] = []
        self.room_polls: dict[str, dict[str, dict[str, Any]]] = {}  # room JID -> pollId -> poll
        self.focus = Component(server.component, prosody.FOCUS, self._focus_stanza)
        self.breakout = Component(server.component, prosody.BREAKOUT, self._breakout_stanza)
        self.polls_component = Component(server.component, prosody.POLLS, self._polls_stanza)
        self._ids = 0

    @property
    def components(self) -> tuple[Component, ...]:
        if self.polls_style == "component":
            return (self.focus, self.breakout, self.polls_component)
        return (self.focus, self.breakout)

    async def start(self) -> None:
        for component in self.components:
            await component.start()

    async def close(self) -> None:
        for component in self.components:
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
            refusal = self._authenticate(sender, conference, room in self.rooms)
            if refusal is not None:
                self.focus.send(
                    f"<iq type='error' from='{prosody.FOCUS}' to='{sender}' id='{iq_id}'>"
                    f"<error type='{refusal[0]}'><{refusal[1]} xmlns='{STANZAS}'/></error></iq>"
                )
                return
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

    def _authenticate(
        self, sender: str, conference: Element, exists: bool
    ) -> tuple[str, str] | None:
        """XMPPDomainAuthAuthority and ConferenceIqHandler: an error (type, condition) to
        answer with, or None to go on."""
        if self.login_domain is None:
            return None
        if sender.split("@", 1)[-1].split("/", 1)[0] == self.login_domain:
            if not conference.get("machine-uid"):
                return "modify", "not-acceptable"  # "Missing mandatory attribute"
            self.authenticated.add(sender)
        if not exists and sender not in self.authenticated:
            return "auth", "not-authorized"  # "not authorized user domain"
        return None

    def _focus_presence(self, presence: Element) -> None:
        room_jid, _, nick = presence.get("from", "").partition("/")
        room = self.rooms.get(room_jid)
        if room is None or nick == "focus":
            return
        if presence.get("type") == "unavailable":
            room.occupants.pop(nick, None)
            if nick == room.owner:  # AutoOwnerRoleManager.memberLeftOrKicked
                room.owner = None
                self._elect_owner(room)
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
            item.get("affiliation", "none"),
            _is_jigasi(presence)
            and item.get("jid", "").split("@")[-1].split("/")[0] in self.trusted_domains,
        )
        if not new:
            return
        if self.login_domain is not None:  # AuthenticationRoleManager.memberJoined
            if item.get("jid", "") in self.authenticated and item.get("affiliation") != "owner":
                self._grant_owner(room, room.occupants[nick])
        elif room.owner is None:  # AutoOwnerRoleManager.memberJoined
            self._elect_owner(room)
        self.focus.send(
            f"<iq type='set' from='{prosody.FOCUS}' to='{room_jid}/{nick}' id='{self._id()}'>"
            f"<jingle xmlns='{JINGLE}' action='session-initiate' sid='{uuid.uuid4().hex[:10]}' "
            f"initiator='{room_jid}/focus'><content name='audio'/></jingle></iq>"
        )

    def _elect_owner(self, room: RoomState) -> None:
        """AutoOwnerRoleManager.electNewOwner: an owner already there, else a non-robot."""
        if not self.auto_owner or self.login_domain is not None:
            return
        people = [o for o in room.occupants.values() if not o.robot]
        owners = [o for o in people if o.affiliation == "owner"]
        if owners:
            room.owner = owners[0].nick
        elif people:
            room.owner = people[0].nick
            self._grant_owner(room, people[0])

    def _grant_owner(self, room: RoomState, occupant: Occupant) -> None:
        """ChatRoomImpl.grantOwnership: the owner affiliation for the bare real JID."""
        bare = occupant.real_jid.split("/", 1)[0]
        self.focus.send(
            f"<iq type='set' from='{prosody.FOCUS}' to='{room.jid}' id='{self._id()}'>"
            f"<query xmlns='{MUC_ADMIN}'><item affiliation='owner' jid='{bare}'/></query></iq>"
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
        """mod_polls_component's message/host handler, as far as clients can see it."""
        node = message.find(q(JITMEET, "json-message"))
        if message.tag != q(COMPONENT_NS, "message") or node is None:
            return
        if message.get("type") == "groupchat" or message.find(q(COMPONENT_NS, "body")) is not None:
            return
        found = self.room_of(message.get("from", ""))
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
            self._send_json(prosody.POLLS, occupant.real_jid, data)

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
        self.polls_component.send(tostring(reply, encoding="unicode"))


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


def _is_jigasi(presence: Element) -> bool:
    """Jigasi's feature in presence (ChatRoomMemberImpl); trust is checked by the caller."""
    return (
        presence.find(
            f"{q(COMPONENT_NS, 'features')}/{q(COMPONENT_NS, 'feature')}"
            "[@var='http://jitsi.org/protocol/jigasi']"
        )
        is not None
    )
