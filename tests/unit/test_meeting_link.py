"""Meeting-link validation: a table of good and bad links, and a fuzz property."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from facilitation.meeting_link import (
    JitsiBase,
    LinkProblem,
    MeetingLinkError,
    parse_meeting_link,
)

ALLOWED = (
    JitsiBase.parse("https://meet.example.org"),
    JitsiBase.parse("https://video.example.net/jitsi/"),
)


@pytest.mark.parametrize(
    ("link", "tenant", "room", "url"),
    [
        (
            "https://meet.example.org/CoproCircle",
            None,
            "coprocircle",
            "https://meet.example.org/CoproCircle",
        ),
        (
            "  https://meet.example.org/CoproCircle/  ",
            None,
            "coprocircle",
            "https://meet.example.org/CoproCircle",
        ),
        (
            "meet.example.org/CoproCircle",
            None,
            "coprocircle",
            "https://meet.example.org/CoproCircle",
        ),
        (
            "https://MEET.example.org:443/Room1?lang=en#config.startWithAudioMuted=true",
            None,
            "room1",
            "https://meet.example.org/Room1",
        ),
        (
            "https://meet.example.org/Haven/WeeklyCircle",
            "haven",
            "weeklycircle",
            "https://meet.example.org/haven/WeeklyCircle",
        ),
        (
            "https://video.example.net/jitsi/Drop-In_Tuesday",
            None,
            "drop-in_tuesday",
            "https://video.example.net/jitsi/Drop-In_Tuesday",
        ),
        (
            "https://video.example.net/jitsi/team/Room",
            "team",
            "room",
            "https://video.example.net/jitsi/team/Room",
        ),
        (
            "https://meet.example.org//Haven//Circle",
            "haven",
            "circle",
            "https://meet.example.org/haven/Circle",
        ),
        (
            "https://meet.example.org/Caf%C3%A9Talk",
            None,
            "cafétalk",
            "https://meet.example.org/CaféTalk",
        ),
    ],
)
def test_good_links(link: str, tenant: str | None, room: str, url: str) -> None:
    ref = parse_meeting_link(link, ALLOWED)
    assert (ref.tenant, ref.room, ref.url) == (tenant, room, url)


@pytest.mark.parametrize(
    ("link", "problem"),
    [
        ("", LinkProblem.EMPTY),
        ("   ", LinkProblem.EMPTY),
        ("ftp://meet.example.org/Room", LinkProblem.NOT_A_LINK),
        ("https://", LinkProblem.NOT_A_LINK),
        ("https://meet.example.org:99999/Room", LinkProblem.NOT_A_LINK),
        ("https://evil.example.com/Room", LinkProblem.WRONG_SERVER),
        ("http://meet.example.org/Room", LinkProblem.WRONG_SERVER),
        ("https://meet.example.org.evil.com/Room", LinkProblem.WRONG_SERVER),
        ("https://video.example.net/other/Room", LinkProblem.WRONG_SERVER),
        ("https://video.example.net/Room", LinkProblem.WRONG_SERVER),
        ("https://meet.example.org/", LinkProblem.NO_ROOM),
        ("https://meet.example.org", LinkProblem.NO_ROOM),
        ("https://meet.example.org/a/b/c", LinkProblem.TOO_MANY_PARTS),
        ("https://meet.example.org/My%20Room", LinkProblem.BAD_CHARACTERS),
        ("https://meet.example.org/Room%27s", LinkProblem.BAD_CHARACTERS),
        ("https://meet.example.org/a%40b", LinkProblem.BAD_CHARACTERS),
        ("https://meet.example.org/100%25", LinkProblem.BAD_CHARACTERS),
        ("https://meet.example.org/tab%09room", LinkProblem.BAD_CHARACTERS),
        ("https://meet.example.org/" + "x" * 201, LinkProblem.TOO_LONG),
        ("https://meet.example.org/static", LinkProblem.RESERVED),
        ("https://meet.example.org/config.js", LinkProblem.RESERVED),
        ("https://meet.example.org/Static/Room", LinkProblem.RESERVED),
        ("https://meet.example.org:0/Room", LinkProblem.NOT_A_LINK),
        ("https://meet.example.org/%ff", LinkProblem.BAD_CHARACTERS),
        ("https://meet.example.org/libs/app.bundle.min.js", LinkProblem.RESERVED),
    ],
)
def test_bad_links(link: str, problem: LinkProblem) -> None:
    with pytest.raises(MeetingLinkError) as caught:
        parse_meeting_link(link, ALLOWED)
    assert caught.value.problem is problem


def test_same_room_same_key_whatever_the_case() -> None:
    one = parse_meeting_link("https://meet.example.org/CoproCircle", ALLOWED)
    two = parse_meeting_link("meet.example.org/coprocircle/", ALLOWED)
    other_tenant = parse_meeting_link("https://meet.example.org/t/CoproCircle", ALLOWED)
    assert one.key == two.key
    assert one.key != other_tenant.key


@given(st.text(max_size=300))
def test_any_text_gives_a_ref_or_a_link_error(text: str) -> None:
    try:
        ref = parse_meeting_link(text, ALLOWED)
    except MeetingLinkError:
        return
    assert ref.room
    assert ref.room == ref.room.lower()


@given(
    st.text(
        st.characters(codec="utf-8", exclude_characters="?&:\"'%#/@<>\\"), min_size=1, max_size=50
    )
)
def test_valid_names_round_trip(name: str) -> None:
    name = name.strip()
    if not name or any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in name):
        return
    from facilitation.meeting_link import RESERVED_PATHS

    if name.lower() in RESERVED_PATHS:
        return
    from urllib.parse import quote

    ref = parse_meeting_link("https://meet.example.org/" + quote(name), ALLOWED)
    assert ref.room == name.lower()
