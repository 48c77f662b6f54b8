"""STAND-IN for Jicofo (the focus), over an XEP-0114 component connection to the real Prosody.

It answers the `conference` iq with ready="true" after joining the room as the occupant
`focus` (so the room exists and is owned, as with Jicofo); offers every occupant a Jingle
session-initiate and records how they answer. It joins rooms as prosody.FOCUS_USER, a JID
whose node is "focus" as Jicofo's (focus@auth.DOMAIN) is: Jitsi's Prosody modules leave
Jicofo out of what they report by that node. It makes moderators as Jicofo's
ChatRoomRoleManager.kt does, granting the owner affiliation (muc#admin, bare real JID):

- auto-owner (no authentication): exactly one owner. When someone joins and there is none,
  or when the owner leaves, it picks a member already owner, else any member but Jigasi
  (its feature in presence, from a JID on `trusted_domains`: Jicofo's
  jicofo.xmpp.trusted-domains, empty by default; older Jicofo took the feature alone and
  also skipped `<userinfo robot="true">`). Jicofo takes the first of a hash map, so which
  member is unspecified; here it is join order.
- `login_domain` set (Jicofo's XMPP authentication, docker-jitsi-meet ENABLE_AUTH=1 with
  AUTH_TYPE=internal): no auto-owner. A `conference` iq from that domain (it must carry
  machine-uid) authenticates the sender, who is made owner on joining; only an
  authenticated user may have a room created (others get not-authorized).

Breakout rooms (on prosody.BREAKOUT) are conferences like any other: a client asks the
focus before joining one, and the focus joins first, which is what creates the room. No
owner is elected there: the breakout module bases a breakout room's affiliations on the
main room's, so a grant there would change nothing. When a room is destroyed, the focus
forgets it, as Jicofo ends the conference.

It is test code: written from the protocol, trusting its own Prosody.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

from tests.support import prosody
from tests.support.xep0114 import COMPONENT_NS, Component, q

MUC_USER = "http://jabber.org/protocol/muc#user"
MUC_ADMIN = "http://jabber.org/protocol/muc#admin"
FOCUS_NS = "http://jitsi.org/protocol/focus"
JINGLE = "urn:xmpp:jingle:1"
STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"
FOCUS_OCCUPANT = f"{prosody.FOCUS_USER}/focus"  # the focus's own JID in every room


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


class FocusStandIn:
    def __init__(self, server: prosody.Prosody, *, auto_owner: bool = True) -> None:
        self.server = server
        self.auto_owner = auto_owner
        # Jicofo's XMPP authentication: users logged in on this domain are moderators.
        self.login_domain: str | None = None
        self.authenticated: set[str] = set()  # full JIDs with an authentication session
        self.trusted_domains: set[str] = set()  # where Jigasi's feature is believed
        self.not_ready_replies = 0  # answer ready="false" this many times first, as a busy Jicofo
        self.rooms: dict[str, RoomState] = {}
        self.conference_requests: list[str] = []
        self.jingle_answers: list[Element] = []
        self.focus = Component(server.component, prosody.FOCUS, self._focus_stanza)
        self._ids = 0

    def _id(self) -> str:
        self._ids += 1
        return f"standin{self._ids}"

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
                    f"<presence from='{FOCUS_OCCUPANT}' to='{room}/focus'>"
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
        if room is None:
            return
        if nick == "focus":
            if presence.get("type") in ("unavailable", "error"):
                del self.rooms[room_jid]  # destroyed (or never made): the conference ends
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
        if _is_breakout(room):
            pass  # affiliations there are the main room's
        elif self.login_domain is not None:  # AuthenticationRoleManager.memberJoined
            if item.get("jid", "") in self.authenticated and item.get("affiliation") != "owner":
                self._grant_owner(room, room.occupants[nick])
        elif room.owner is None:  # AutoOwnerRoleManager.memberJoined
            self._elect_owner(room)
        self.focus.send(
            f"<iq type='set' from='{FOCUS_OCCUPANT}' to='{room_jid}/{nick}' id='{self._id()}'>"
            f"<jingle xmlns='{JINGLE}' action='session-initiate' sid='{uuid.uuid4().hex[:10]}' "
            f"initiator='{room_jid}/focus'><content name='audio'/></jingle></iq>"
        )

    def _elect_owner(self, room: RoomState) -> None:
        """AutoOwnerRoleManager.electNewOwner: an owner already there, else a non-robot."""
        if not self.auto_owner or self.login_domain is not None or _is_breakout(room):
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
            f"<iq type='set' from='{FOCUS_OCCUPANT}' to='{room.jid}' id='{self._id()}'>"
            f"<query xmlns='{MUC_ADMIN}'><item affiliation='owner' jid='{bare}'/></query></iq>"
        )

    def kick(self, room_jid: str, nick: str) -> None:
        """What a moderator's "kick" does: role none, so Prosody sends status 307."""
        self.focus.send(
            f"<iq type='set' from='{FOCUS_OCCUPANT}' to='{room_jid}' id='{self._id()}'>"
            f"<query xmlns='{MUC_ADMIN}'><item nick='{nick}' role='none'/></query></iq>"
        )

    def room_of(self, real_jid: str) -> tuple[RoomState, Occupant] | None:
        for room in self.rooms.values():
            for occupant in room.occupants.values():
                if occupant.real_jid == real_jid:
                    return room, occupant
        return None


def _is_breakout(room: RoomState) -> bool:
    return room.jid.endswith(f"@{prosody.BREAKOUT}")


def _is_jigasi(presence: Element) -> bool:
    """Jigasi's feature in presence (ChatRoomMemberImpl); trust is checked by the caller."""
    return (
        presence.find(
            f"{q(COMPONENT_NS, 'features')}/{q(COMPONENT_NS, 'feature')}"
            "[@var='http://jitsi.org/protocol/jigasi']"
        )
        is not None
    )
