"""Roster bookkeeping, addresses, backoff, the bot's token and log redaction."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import jwt
import pytest

from facilitation.meeting_events import (
    MAIN_ROOM,
    BreakoutRoom,
    HandChanged,
    HandSource,
    PersonJoined,
    PersonKind,
    PersonLeft,
    PersonMoved,
    PersonUpdated,
    RoomMember,
)
from plugin.jitsi.bot import backoff_delay
from plugin.jitsi.jid import Jid, RoomAddress
from plugin.jitsi.roster import Roster
from plugin.jitsi.stanzas import Presence
from plugin.jitsi.tokens import mint_token
from plugin.jitsi.urls import redact, with_query

ROOM = Jid("circle", "conference.meet.jitsi")


def presence(nick: str, **changes: object) -> Presence:
    values: dict[str, object] = {
        "sender": Jid(ROOM.local, ROOM.domain, nick),
        "unavailable": False,
        "nick": nick,
        "display_name": "Ana",
        "role": "participant",
        "affiliation": "none",
        "real_jid": None,
        "raised_hand": None,
        "raised_hand_unknown_time": False,
        "is_jigasi": False,
        "status_codes": frozenset(),
    }
    values.update(changes)
    return Presence(**values)  # type: ignore[arg-type]


def test_roster_reports_each_change_once() -> None:
    roster = Roster("botbot00", "s1")
    joined = roster.apply(presence("aaaa0001"), now_ms=1000)
    assert [type(e) for e in joined] == [PersonJoined]
    assert isinstance(joined[0], PersonJoined)
    assert joined[0].person.joined_at_ms == 1000
    assert roster.apply(presence("aaaa0001"), now_ms=2000) == []  # nothing changed
    hand = roster.apply(presence("aaaa0001", raised_hand=1500), now_ms=3000)
    assert hand == [HandChanged("s1", "aaaa0001", 1500, HandSource.JITSI)]
    renamed = roster.apply(presence("aaaa0001", raised_hand=1500, display_name="Ana B"), 4000)
    assert len(renamed) == 1 and isinstance(renamed[0], PersonUpdated)
    assert (renamed[0].person.name, renamed[0].changed) == ("Ana B", frozenset({"name"}))
    assert roster.members["aaaa0001"].joined_at == 1000
    left = roster.apply(presence("aaaa0001", unavailable=True), now_ms=5000)
    assert left == [PersonLeft("s1", "aaaa0001")]
    assert roster.apply(presence("aaaa0001", unavailable=True), now_ms=6000) == []


def test_roster_ignores_self_and_focus_and_dates_old_style_hands() -> None:
    roster = Roster("botbot00", "s1")
    assert roster.apply(presence("botbot00"), 1) == []
    assert roster.apply(presence("focus"), 1) == []
    events = roster.apply(presence("bbbb0002", raised_hand_unknown_time=True), now_ms=777)
    assert events[-1] == HandChanged("s1", "bbbb0002", 777, HandSource.JITSI)
    # The same "true" again keeps the first time, so the queue order does not jump.
    assert roster.apply(presence("bbbb0002", raised_hand_unknown_time=True), now_ms=999) == []


def test_phone_callers_are_marked() -> None:
    roster = Roster("botbot00", "s1")
    events = roster.apply(presence("cccc0003", is_jigasi=True), 1)
    assert isinstance(events[0], PersonJoined)
    assert events[0].person.kind is PersonKind.PHONE


def test_the_jigasi_feature_counts_only_from_trusted_domains_when_listed() -> None:
    roster = Roster("botbot00", "s1", jigasi_domains=("Recorder.Meet.Jitsi",))
    trusted = Jid("9c0d1e2f", "recorder.meet.jitsi", "res")
    stranger = Jid("9c0d1e2f", "guest.meet.jitsi", "res")
    calls = roster.apply(presence("cccc0003", is_jigasi=True, real_jid=trusted), 1)
    fakes = roster.apply(presence("dddd0004", is_jigasi=True, real_jid=stranger), 1)
    hidden = roster.apply(presence("eeee0005", is_jigasi=True), 1)
    kinds = [e.person.kind for e in calls + fakes + hidden if isinstance(e, PersonJoined)]
    assert kinds == [PersonKind.PHONE, PersonKind.WEB, PersonKind.PHONE]


def test_rejoin_keeps_people_until_the_grace_ends() -> None:
    roster = Roster("botbot00", "s1")
    roster.apply(presence("aaaa0001"), 1)
    roster.apply(presence("bbbb0002"), 1)
    roster.begin_rejoin("botbot00")
    assert roster.apply(presence("aaaa0001"), 50) == []  # back, unchanged: no event
    assert roster.drop_unconfirmed() == [PersonLeft("s1", "bbbb0002")]
    assert set(roster.members) == {"aaaa0001"}


MAIN = BreakoutRoom("circle", "circle@conference.meet.jitsi", "circle", is_main=True)


def _group(name: str, *people: tuple[str, str]) -> BreakoutRoom:
    jid = f"{name}@breakout.meet.jitsi"
    members = tuple(RoomMember(f"{jid}/{nick}", real) for nick, real in people)
    return BreakoutRoom(name, jid, f"Group {name}", members=members)


def test_a_move_to_a_breakout_room_is_a_move_not_a_leave() -> None:
    roster = Roster("botbot00", "s1")
    roster.apply(presence("aaaa0001", real_jid=Jid("ana", "meet.jitsi", "r1")), 1)
    roster.apply_rooms((MAIN, _group("g1")))  # a breakout room exists, empty
    # Ana leaves the main room on her way to the group: nothing is said yet ...
    assert roster.apply(presence("aaaa0001", unavailable=True), 2) == []
    # ... until the component's update places her (matched by her real JID).
    moved = roster.apply_rooms((MAIN, _group("g1", ("aaaa0001", "ana@meet.jitsi/r1"))))
    assert moved == [PersonMoved("s1", "aaaa0001", "Group g1")]
    assert [p.room for p in roster.people()] == ["Group g1"]
    # Back in the main room: a move back, never a join.
    back = roster.apply(presence("aaaa0001", real_jid=Jid("ana", "meet.jitsi", "r1")), 3)
    assert back == [PersonMoved("s1", "aaaa0001", MAIN_ROOM)]
    assert roster.members["aaaa0001"].joined_at == 1


def test_a_hand_raised_before_a_move_comes_back_with_the_person() -> None:
    roster = Roster("botbot00", "s1")
    ana = {"real_jid": Jid("ana", "meet.jitsi", "r1")}
    roster.apply(presence("aaaa0001", raised_hand=1500, **ana), 1)
    roster.apply_rooms((MAIN, _group("g1")))
    roster.apply(presence("aaaa0001", unavailable=True), 2)
    roster.apply_rooms((MAIN, _group("g1", ("aaaa0001", "ana@meet.jitsi/r1"))))
    # Jitsi Meet comes back without a hand (it lowers its own on leaving a conference).
    back = roster.apply(presence("aaaa0001", **ana), 3)
    assert back == [PersonMoved("s1", "aaaa0001", MAIN_ROOM)]
    assert roster.apply(presence("aaaa0001", display_name="Ana", **ana), 4) == []  # still held
    assert roster.members["aaaa0001"].hand_raised_at == 1500
    # A hand raised again in Jitsi is news, and lowering that one lowers it.
    again = roster.apply(presence("aaaa0001", raised_hand=4500, **ana), 5)
    assert again == [HandChanged("s1", "aaaa0001", 4500, HandSource.JITSI)]
    lowered = roster.apply(presence("aaaa0001", **ana), 6)
    assert lowered == [HandChanged("s1", "aaaa0001", None, HandSource.JITSI)]


def test_a_leave_while_groups_run_is_a_leave_once_nobody_places_them() -> None:
    roster = Roster("botbot00", "s1")
    roster.apply(presence("aaaa0001"), 1)
    roster.apply_rooms((MAIN, _group("g1")))
    assert roster.apply(presence("aaaa0001", unavailable=True), 2) == []
    assert roster.expire_leaving() == [PersonLeft("s1", "aaaa0001")]
    assert roster.people() == ()


def test_without_breakout_rooms_a_leave_is_at_once() -> None:
    roster = Roster("botbot00", "s1")
    roster.apply(presence("aaaa0001"), 1)
    assert roster.apply(presence("aaaa0001", unavailable=True), 2) == [PersonLeft("s1", "aaaa0001")]


def test_someone_who_went_straight_to_a_group_is_there() -> None:
    roster = Roster("botbot00", "s1")
    events = roster.apply_rooms((MAIN, _group("g2", ("dddd0004", "dan@meet.jitsi/x"))))
    assert len(events) == 1 and isinstance(events[0], PersonJoined)
    assert (events[0].person.id, events[0].person.room) == ("dddd0004", "Group g2")
    # The rooms close with them in none: held (they may be on their way to the main
    # room), and gone only when the move grace ends.
    assert roster.apply_rooms((MAIN,)) == []
    assert "dddd0004" in roster.leaving
    assert roster.expire_leaving() == [PersonLeft("s1", "dddd0004")]


def test_backoff_grows_with_jitter_and_stays_under_the_cap() -> None:
    rng = random.Random(7)
    delays = [backoff_delay(attempt, 60.0, rng) for attempt in range(12)]
    assert 0.5 <= delays[0] <= 1.0
    assert 4.0 <= delays[3] <= 8.0
    assert all(30.0 <= d <= 60.0 for d in delays[6:])
    assert len(set(delays[6:])) > 1  # jittered, so bots do not all return at once


@pytest.mark.parametrize(
    ("tenant", "expected"),
    [(None, "circle@conference.meet.jitsi"), ("acme", "circle@conference.acme.meet.jitsi")],
)
def test_room_address_with_and_without_tenant(tenant: str | None, expected: str) -> None:
    address = RoomAddress("circle", tenant, "conference.meet.jitsi")
    assert address.jid == expected
    assert address.occupant("abcd1234") == f"{expected}/abcd1234"


@pytest.mark.parametrize("text", ["", "a@b@c", "room@/x", "a@b c", "x@y/\x07"])
def test_bad_addresses(text: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        Jid.parse(text)


def test_the_bots_token_has_jitsis_claims() -> None:
    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    token = mint_token(
        app_id="facilitate",
        secret="s3cret-s3cret-s3cret-s3cret-s3cret",
        audience="jitsi",
        domain="meet.jitsi",
        room="circle",
        tenant="acme",
        display_name="Facilitation assistant",
        bot_id="facilitate-s1",
        now=now,
    )
    claims = jwt.decode(
        token,
        "s3cret-s3cret-s3cret-s3cret-s3cret",
        algorithms=["HS256"],
        audience="jitsi",
        options={"verify_exp": False, "verify_nbf": False},
    )
    assert (claims["iss"], claims["sub"], claims["room"]) == ("facilitate", "acme", "circle")
    assert claims["context"]["user"] == {
        "id": "facilitate-s1",
        "name": "Facilitation assistant",
        "moderator": True,
    }
    assert claims["nbf"] < now.timestamp() < claims["exp"]


def test_tokens_are_redacted_from_urls() -> None:
    url = with_query("wss://meet.example.org/xmpp-websocket", room="circle", token="abc.def.ghi")
    assert "token=abc.def.ghi" in url
    assert "abc.def.ghi" not in redact(url)
    assert "room=circle" in redact(url)
