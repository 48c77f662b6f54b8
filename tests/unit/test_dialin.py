"""Dial-in numbers, PINs and conference names (facilitation.dialin)."""

from __future__ import annotations

import random
import secrets

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from facilitation.dialin import (
    BadConference,
    BadNumber,
    conference_jid,
    grouped,
    is_weak,
    jitsi_numbers,
    new_pin,
    parse_conference,
    parse_numbers,
    pick_phone_participant,
    tel_link,
)


def test_numbers_are_validated_formatted_and_the_first_is_the_default() -> None:
    numbers = parse_numbers(["+44 20 7946 0000", "0800 123 4567 tollfree", "+1 212-555-0100"])
    assert [n.e164 for n in numbers] == ["+442079460000", "+448001234567", "+12125550100"]
    assert [n.country for n in numbers] == ["GB", "GB", "US"]
    assert [n.toll_free for n in numbers] == [False, True, False]
    assert [n.default for n in numbers] == [True, False, False]
    assert jitsi_numbers(numbers)[0] == {
        "countryCode": "GB",
        "tollFree": False,
        "formattedNumber": "+44 20 7946 0000",
        "default": True,
    }


@pytest.mark.parametrize("entry", ["not a number", "+44 12", "+999 1234 5678", ""])
def test_a_bad_number_is_named(entry: str) -> None:
    with pytest.raises(BadNumber, match="phone number"):
        parse_numbers([entry])


def test_the_same_number_twice_is_refused() -> None:
    with pytest.raises(BadNumber, match="twice"):
        parse_numbers(["+44 20 7946 0000", "020 7946 0000"])


def test_tel_link_dials_waits_and_types_the_pin_and_hash() -> None:
    (number,) = parse_numbers(["+44 20 7946 0000"])
    assert tel_link(number, "4817263") == "tel:+442079460000,,,4817263%23"


@settings(max_examples=500, derandomize=True)
@given(st.integers(min_value=6, max_value=9), st.integers(min_value=0, max_value=2**32))
def test_pins_have_the_length_no_leading_zero_and_no_easy_pattern(length: int, seed: int) -> None:
    pin = new_pin(length, random.Random(seed).randrange)
    assert len(pin) == length
    assert pin.isdigit()
    assert pin[0] != "0"
    assert not is_weak(pin)


@pytest.mark.parametrize("pin", ["1111111", "1234567", "7654321", "8901234", "1212121"])
def test_weak_pins(pin: str) -> None:
    assert is_weak(pin)


def test_pins_are_spread_out() -> None:
    pins = {new_pin(7, secrets.randbelow) for _ in range(2000)}
    assert len(pins) > 1990  # random, not sequential: almost no repeats in 2,000
    assert len({pin[0] for pin in pins}) == 9


@pytest.mark.parametrize("length", [5, 10])
def test_pin_length_is_6_to_9(length: int) -> None:
    with pytest.raises(ValueError, match="6 to 9"):
        new_pin(length, secrets.randbelow)


def test_grouped() -> None:
    assert grouped("481726") == "481 726"
    assert grouped("4817263") == "481 7263"
    assert grouped("48172639") == "4817 2639"
    assert grouped("481726391") == "481 726 391"


def test_conferences_on_the_muc_and_on_a_tenant() -> None:
    assert parse_conference("CatchUp@muc.meet.jitsi", "muc.meet.jitsi") == ("catchup", "")
    assert parse_conference("catchup@muc.acme.meet.jitsi", "muc.meet.jitsi") == ("catchup", "acme")
    assert parse_conference("[acme]catchup@muc.meet.jitsi", "muc.meet.jitsi") == ("catchup", "acme")
    dotted = parse_conference("room1@muc.team.a.meet.jitsi", "muc.meet.jitsi")
    assert dotted == ("room1", "team.a")
    assert conference_jid("catchup", "acme", "muc.meet.jitsi") == "catchup@muc.acme.meet.jitsi"
    assert conference_jid("catchup", "", "muc.meet.jitsi") == "catchup@muc.meet.jitsi"


@pytest.mark.parametrize(
    "text",
    [
        "catchup",
        "@muc.meet.jitsi",
        "catchup@conference.other.org",
        "catchup@muc..meet.jitsi",
        "catchup@muc.meet.jitsi/resource",
        "cat chup@muc.meet.jitsi",
        "x" * 201 + "@muc.meet.jitsi",
    ],
)
def test_other_domains_and_bad_rooms_are_refused(text: str) -> None:
    with pytest.raises(BadConference):
        parse_conference(text, "muc.meet.jitsi")


def test_a_call_is_matched_to_the_phone_participant_by_its_last_digits() -> None:
    people = [(1, "…555", 100.0), (2, "…123", 101.0), (3, "…777", 90.0)]
    assert pick_phone_participant("123", people, connected_at=99.0) == 2
    # Other callers' digits are never this caller.
    assert pick_phone_participant("999", people, connected_at=99.0) is None
    # Anyone who joined well before the call connected is someone else.
    assert pick_phone_participant("777", people, connected_at=99.0) is None
    # Jigasi hiding numbers: the first to join after the call was put through.
    hidden = [(4, "Phone caller", 102.0), (5, "Phone caller", 100.5)]
    assert pick_phone_participant("999", hidden, connected_at=99.0) == 5
    # A withheld number: the first to join after the call was put through.
    assert pick_phone_participant("", people, connected_at=99.0) == 1
    assert pick_phone_participant("", [], connected_at=99.0) is None
