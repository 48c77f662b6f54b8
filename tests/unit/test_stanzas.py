"""The stanza parser: Jitsi's shapes, hostile XML, and 10,000 mutated stanzas."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facilitation.meeting_events import HandChanged, MeetingEvent
from plugin.clock import Clock
from plugin.desks.console import serialize
from plugin.jitsi import stanzas
from plugin.jitsi.bot import MeetingBot
from plugin.jitsi.bot_types import BotConfig
from plugin.jitsi.jid import Jid, RoomAddress
from plugin.jitsi.stanzas import ChatMessage, Iq, JsonMessage, Presence, StanzaError

ROOM = "circle@conference.meet.jitsi"
PRESENCE = (
    f"<presence xmlns='jabber:client' from='{ROOM}/1a2b3c4d' to='bot@meet.jitsi/x'>"
    "<nick xmlns='http://jabber.org/protocol/nick'>Ana &amp; Co</nick>"
    "<jitsi_participant_raisedHand>1790000000123</jitsi_participant_raisedHand>"
    "<features><feature var='http://jitsi.org/protocol/jigasi'/></features>"
    "<x xmlns='http://jabber.org/protocol/muc#user'>"
    "<item affiliation='none' role='participant' jid='ana@meet.jitsi/web'/>"
    "<status code='100'/></x></presence>"
)
CORPUS = [
    PRESENCE,
    f"<presence xmlns='jabber:client' from='{ROOM}/1a2b3c4d' type='unavailable'/>",
    f"<message xmlns='jabber:client' from='{ROOM}/1a2b3c4d' type='groupchat' id='m1'>"
    "<body>hand</body></message>",
    f"<message xmlns='jabber:client' from='{ROOM}/1a2b3c4d' type='chat'>"
    "<json-message xmlns='http://jitsi.org/jitmeet'>"
    '{"type":"new-poll","pollId":"p1","question":"Q?","answers":["A","B"]}'
    "</json-message></message>",
    "<message xmlns='jabber:client' from='breakout.meet.jitsi' to='bot@meet.jitsi/x'>"
    "<json-message xmlns='http://jitsi.org/jitmeet'>"
    '{"type":"breakout_rooms","event":"features/breakout-rooms/update","roomCounter":1,'
    '"rooms":{"circle":{"isMainRoom":true,"id":"circle","jid":"circle@conference.meet.jitsi",'
    '"participants":{}}}}</json-message></message>',
    f"<iq xmlns='jabber:client' type='set' id='j1' from='{ROOM}/focus'>"
    "<jingle xmlns='urn:xmpp:jingle:1' action='session-initiate' sid='s1' initiator='f'>"
    "<content name='audio'/></jingle></iq>",
    "<iq xmlns='jabber:client' type='get' id='p1' from='meet.jitsi'>"
    "<ping xmlns='urn:xmpp:ping'/></iq>",
    "<stream:features xmlns:stream='http://etherx.jabber.org/streams'>"
    "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>ANONYMOUS</mechanism>"
    "</mechanisms></stream:features>",
    "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' id='abc' version='1.0'/>",
]


def test_presence_in_jitsi_shape() -> None:
    parsed = stanzas.parse(PRESENCE)
    assert isinstance(parsed, Presence)
    assert parsed.nick == "1a2b3c4d"
    assert parsed.display_name == "Ana & Co"
    assert parsed.raised_hand == 1790000000123
    assert parsed.is_jigasi
    assert parsed.role == "participant"
    assert parsed.real_jid == Jid("ana", "meet.jitsi", "web")
    assert parsed.status_codes == frozenset({100})
    assert not parsed.is_self


@pytest.mark.parametrize(
    ("value", "expected", "unknown"),
    [("0", None, False), ("", None, False), ("false", None, False), ("true", None, True)],
)
def test_lowered_and_old_style_hands(value: str, expected: int | None, unknown: bool) -> None:
    text = PRESENCE.replace("1790000000123", value)
    parsed = stanzas.parse(text)
    assert isinstance(parsed, Presence)
    assert (parsed.raised_hand, parsed.raised_hand_unknown_time) == (expected, unknown)


@pytest.mark.parametrize("value", ["soon", "-5", "12345678901234567890", "1e9"])
def test_a_raised_hand_that_is_not_a_time_counts_as_lowered(value: str) -> None:
    parsed = stanzas.parse(PRESENCE.replace("1790000000123", value))
    assert isinstance(parsed, Presence)  # the rest of the presence still counts
    assert (parsed.raised_hand, parsed.display_name) == (None, "Ana & Co")


def test_deeply_nested_json_is_refused_not_crashed() -> None:
    text = CORPUS[3].replace(
        '{"type":"new-poll","pollId":"p1","question":"Q?","answers":["A","B"]}',
        "[" * 100_000 + "]" * 100_000,
    )
    with pytest.raises(StanzaError, match="usable JSON"):
        stanzas.parse(text)


def test_builders_drop_characters_xml_forbids() -> None:
    text = stanzas.chat_message("a@b", "bell\x07 and escape\x1b[0m", private=False)
    assert "\x07" not in text
    assert "\x1b" not in text
    assert "bell and escape[0m" in text
    stanzas.parse_xml(text)  # well-formed


def test_messages_and_iqs() -> None:
    chat = stanzas.parse(CORPUS[2])
    assert isinstance(chat, ChatMessage)
    assert (chat.body, chat.private, chat.delayed) == ("hand", False, False)
    poll = stanzas.parse(CORPUS[3])
    assert isinstance(poll, JsonMessage)
    assert poll.payload["pollId"] == "p1"
    offer = stanzas.parse(CORPUS[5])
    assert isinstance(offer, Iq)
    decline = stanzas.jingle_decline(offer, "t1")
    assert decline is not None
    assert "session-terminate" in decline
    assert "<decline />" in decline


@pytest.mark.parametrize(
    "text",
    [
        "<message from='a@b'>unclosed",
        "<iq xmlns='jabber:client' type='get' from='a@b'><ping xmlns='urn:xmpp:ping'/></iq>",
        "<iq xmlns='jabber:client' type='teleport' id='1'/>",
        "<presence xmlns='jabber:client'/>",
        f"<message xmlns='jabber:client' from='{ROOM}/n'><json-message "
        "xmlns='http://jitsi.org/jitmeet'>[1]</json-message></message>",
        "<message xmlns='jabber:client' from='a@b/\x01'/>".replace("\x01", "&#1;"),
        "<a>" + "x" * (stanzas.MAX_STANZA_CHARS + 1) + "</a>",
        "\ud800" + CORPUS[2],  # a lone surrogate (found by the property test below)
    ],
)
def test_malformed_stanzas_are_refused_with_a_reason(text: str) -> None:
    with pytest.raises(StanzaError):
        stanzas.parse(text)


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + "]><message xmlns='jabber:client' from='a@b'><body>&lol9;</body></message>"
)
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE m [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    "<message xmlns='jabber:client' from='a@b'><body>&xxe;</body></message>"
)


@pytest.mark.parametrize("text", [BILLION_LAUGHS, EXTERNAL_ENTITY])
def test_entity_attacks_are_refused_quickly(text: str) -> None:
    started = time.perf_counter()
    with pytest.raises(StanzaError, match=r"hostile|malformed"):
        stanzas.parse(text)
    assert time.perf_counter() - started < 0.05


def _bot(events: list[MeetingEvent]) -> MeetingBot:
    config = BotConfig(
        make_url=lambda: "ws://unused",
        domain="meet.jitsi",
        focus=None,
        breakout="breakout.meet.jitsi",
        polls="polls.meet.jitsi",
        display_name="Facilitation assistant",
    )
    address = RoomAddress("circle", None, "conference.meet.jitsi")
    return MeetingBot("s1", address, config, events.append, Clock())


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(CORPUS))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["insert", "delete", "replace", "cut", "dup", "inject"]))
        at = draw(st.integers(0, len(text)))
        if kind == "insert":
            text = text[:at] + draw(st.text(max_size=8)) + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 10)) :]
        elif kind == "replace":
            text = text[:at] + draw(st.characters()) + text[at + 1 :]
        elif kind == "cut":
            text = text[:at]
        elif kind == "dup":
            end = draw(st.integers(at, len(text)))
            text = text[:end] + text[at:end] + text[end:]
        else:
            text = text[:at] + draw(st.sampled_from(INJECTIONS)) + text[at:]
    return text


INJECTIONS = [
    "<!DOCTYPE x [<!ENTITY e 'boom'>]>",
    "&e;",
    "<jitsi_participant_raisedHand>-1</jitsi_participant_raisedHand>",
    "<jitsi_participant_raisedHand>99999999999999999999</jitsi_participant_raisedHand>",
    "<json-message xmlns='http://jitsi.org/jitmeet'>{\"rooms\":[]}</json-message>",
    "<status code='110'/>",
    "<item jid='@@'/>",
    "<body/>",
    "<?xml-stylesheet href='x'?>",
    "\x00",
]


@settings(
    max_examples=10_000,
    deadline=None,
    derandomize=True,
    database=None,  # the same 10,000 stanzas here and in CI
    suppress_health_check=[HealthCheck.too_slow],
)
@given(mutated())
def test_ten_thousand_mutated_stanzas_never_escape_the_parser(text: str) -> None:
    events: list[MeetingEvent] = []
    bot = _bot(events)
    try:
        parsed = stanzas.parse(text)
    except StanzaError:
        return
    # Whatever parses must also pass through the bot's handlers without an exception.
    bot._on_stanza(parsed)
    for event in events:
        assert isinstance(event, MeetingEvent)
        assert event.session_id == "s1"
        # Every event the bot publishes can be shown on a console, except raw hands:
        # consoles show the speaking queue's verdict on those (HandShown).
        assert isinstance(event, HandChanged) or serialize(event) is not None


# --- polls: bounces and the domain's disco#info (plugin.jitsi.polls) ---------------------


def test_a_bounced_message_keeps_its_id_condition_and_the_servers_words() -> None:
    bounced = stanzas.parse(
        "<message xmlns='jabber:client' from='polls.meet.jitsi' to='bot@meet.jitsi/x' "
        "id='ab-7' type='error'><error type='cancel'>"
        "<not-allowed xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
        "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>Communication with remote "
        "domains is not enabled</text></error></message>"
    )
    assert bounced == stanzas.MessageError(
        Jid.parse("polls.meet.jitsi"),
        "ab-7",
        "not-allowed",
        "Communication with remote domains is not enabled",
    )
    # No defined condition and no id: the error type stands in, nothing is invented.
    bare = stanzas.parse(
        f"<message xmlns='jabber:client' from='{ROOM}' type='error'><error type='wait'/></message>"
    )
    assert bare == stanzas.MessageError(Jid.parse(ROOM), "", "wait", "")


def test_disco_info_identities_name_the_polls_component() -> None:
    reply = stanzas.parse(
        "<iq xmlns='jabber:client' from='meet.jitsi' type='result' id='d1'>"
        "<query xmlns='http://jabber.org/protocol/disco#info'>"
        "<identity category='server' type='im' name='Prosody'/>"
        "<identity category='component' type='polls' name='polls.meet.jitsi'/>"
        "<feature var='urn:xmpp:ping'/></query></iq>"
    )
    assert isinstance(reply, Iq)
    info = stanzas.parse_disco_info(reply)
    assert info.named("component", "polls") == ["polls.meet.jitsi"]
    assert info.named("component", "breakout_rooms") == []
    assert "urn:xmpp:ping" in info.features
    empty = stanzas.parse("<iq xmlns='jabber:client' from='meet.jitsi' type='result' id='d2'/>")
    assert isinstance(empty, Iq)
    with pytest.raises(StanzaError):
        stanzas.parse_disco_info(empty)


def test_json_messages_carry_an_id_and_extra_attributes_when_asked() -> None:
    text = stanzas.json_message(
        ROOM, {"type": "new-poll"}, kind="groupchat", message_id="m9", attrs={"roomJid": ROOM}
    )
    element = stanzas.parse_xml(text)
    assert (element.get("type"), element.get("id"), element.get("to")) == ("groupchat", "m9", ROOM)
    node = element.find("{http://jitsi.org/jitmeet}json-message")
    assert node is not None and node.get("roomJid") == ROOM
    assert stanzas.parse_xml(stanzas.json_message(ROOM, {})).get("id") is None
