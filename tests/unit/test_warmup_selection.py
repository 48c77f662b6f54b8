"""Choosing a warm-up (facilitation.warmups.selection): the filters, the phone-friendly
default, the no-repeat rule over a group's last ten sessions, and the surprise pick."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from facilitation.warmups import (
    NO_REPEAT_SESSIONS,
    Energy,
    Filters,
    Format,
    WarmUp,
    default_filters,
    matching,
    parse_catalogue,
    recently_played,
    surprise,
)

WARMUPS = Path(__file__).resolve().parents[2] / "plugin" / "catalogue" / "warmups"


def warmup(ident: str, **changes: object) -> WarmUp:
    values: dict[str, object] = {
        "id": ident,
        "title": ident.title(),
        "prompt": "Which?",
        "format": Format.CHOICE,
        "options": ("A", "B"),
        "minutes": 3,
        "group_min": 2,
        "group_max": 40,
        "keypad": True,
        "camera_off": True,
        "no_disclosure": True,
        "energy": Energy.CALM,
    }
    return WarmUp(**{**values, **changes})  # type: ignore[arg-type]


CATALOGUE = (
    warmup("calm-keypad"),
    warmup("lively-keypad", energy=Energy.LIVELY, minutes=5),
    warmup("chat-only", format=Format.CHAT_PROMPT, options=(), keypad=False),
    warmup("personal", no_disclosure=False, minutes=10),
    warmup("camera-on", camera_off=False, energy=Energy.LIVELY),
    warmup("big-group", group_min=10, group_max=200, minutes=1),
)


def ids(warmups: list[WarmUp]) -> list[str]:
    return [w.id for w in warmups]


def test_no_filters_gives_the_whole_catalogue_in_order() -> None:
    assert matching(CATALOGUE, Filters()) == list(CATALOGUE)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (
            Filters(phone_friendly=True),
            ["calm-keypad", "lively-keypad", "personal", "camera-on", "big-group"],
        ),
        (Filters(max_minutes=3), ["calm-keypad", "chat-only", "camera-on", "big-group"]),
        (Filters(max_minutes=1), ["big-group"]),
        (Filters(energy=Energy.LIVELY), ["lively-keypad", "camera-on"]),
        (
            Filters(no_disclosure=True),
            ["calm-keypad", "lively-keypad", "chat-only", "camera-on", "big-group"],
        ),
        (
            Filters(camera_off=True),
            ["calm-keypad", "lively-keypad", "chat-only", "personal", "big-group"],
        ),
        (
            Filters(group_size=5),
            ["calm-keypad", "lively-keypad", "chat-only", "personal", "camera-on"],
        ),
        (Filters(group_size=100), ["big-group"]),
        (
            Filters(group_size=2),
            ["calm-keypad", "lively-keypad", "chat-only", "personal", "camera-on"],
        ),
        (Filters(group_size=1), []),
        (
            Filters(phone_friendly=True, energy=Energy.CALM, max_minutes=5, camera_off=True),
            ["calm-keypad", "big-group"],
        ),
    ],
)
def test_filters(filters: Filters, expected: list[str]) -> None:
    assert ids(matching(CATALOGUE, filters)) == expected


def test_phone_friendly_is_preselected_when_a_caller_is_present() -> None:
    assert default_filters(phone_callers_present=True) == Filters(phone_friendly=True)
    assert default_filters(phone_callers_present=False) == Filters()
    assert all(w.keypad for w in matching(CATALOGUE, default_filters(True)))


def test_the_shipped_catalogue_has_phone_friendly_choices_for_every_energy() -> None:
    catalogue = [
        w
        for path in sorted(WARMUPS.glob("*.toml"))
        for w in parse_catalogue(path.read_text(encoding="utf-8"), path.name)
    ]
    phone = matching(catalogue, default_filters(True))
    assert phone and not any(w.format is Format.CHAT_PROMPT for w in phone)
    for energy in Energy:
        found = matching(catalogue, Filters(phone_friendly=True, energy=energy, max_minutes=3))
        assert len(found) >= 5, energy


# --- no repeats -------------------------------------------------------------------------


def sessions(played_in_session: dict[int, list[str]], total: int) -> list[list[str]]:
    """`total` sessions, newest first (index 0 is the last session)."""
    return [played_in_session.get(i, []) for i in range(total)]


def test_played_in_the_last_ten_sessions_is_left_out() -> None:
    history = sessions({0: ["calm-keypad"], 9: ["lively-keypad", "personal"]}, 12)
    recent = recently_played(history)
    assert recent == {"calm-keypad", "lively-keypad", "personal"}
    assert ids(matching(CATALOGUE, Filters(), recent)) == ["chat-only", "camera-on", "big-group"]


def test_the_eleventh_session_back_no_longer_blocks() -> None:
    assert NO_REPEAT_SESSIONS == 10
    history = sessions({10: ["calm-keypad"], 11: ["chat-only"]}, 12)
    assert recently_played(history) == frozenset()
    assert matching(CATALOGUE, Filters(), recently_played(history)) == list(CATALOGUE)
    # Played ten sessions back: still blocked; one more session makes it eleven: free.
    tenth = sessions({9: ["calm-keypad"]}, 10)
    assert "calm-keypad" in recently_played(tenth)
    assert "calm-keypad" not in recently_played([[], *tenth])


def test_no_history_blocks_nothing() -> None:
    assert recently_played([]) == frozenset()


# --- surprise ---------------------------------------------------------------------------


def test_surprise_is_deterministic_with_a_seeded_rng() -> None:
    picks = [surprise(CATALOGUE, Filters(), (), random.Random(seed)) for seed in range(20)]
    again = [surprise(CATALOGUE, Filters(), (), random.Random(seed)) for seed in range(20)]
    assert picks == again
    assert len({p.id for p in picks if p is not None}) > 1, "different seeds pick differently"


def test_surprise_picks_only_what_matches() -> None:
    filters = Filters(phone_friendly=True, energy=Energy.LIVELY)
    rng = random.Random(3)
    for _ in range(50):
        pick = surprise(CATALOGUE, filters, {"lively-keypad"}, rng)
        assert pick is not None and pick.id == "camera-on"


def test_surprise_is_none_when_only_recent_ones_match() -> None:
    filters = Filters(energy=Energy.LIVELY)
    recent = recently_played([["lively-keypad"], [], ["camera-on"]])
    assert surprise(CATALOGUE, filters, recent, random.Random(1)) is None
    assert ids(matching(CATALOGUE, filters)) == ["lively-keypad", "camera-on"], (
        "the facilitator can still pick one on purpose"
    )


def test_surprise_is_none_when_nothing_fits() -> None:
    assert surprise(CATALOGUE, Filters(group_size=1), (), random.Random(1)) is None
