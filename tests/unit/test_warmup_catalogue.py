"""The warm-up catalogue (facilitation.warmups.catalogue): the shipped files load and keep
the catalogue's promises, and each kind of mistake in a file names its file, line and field."""

from __future__ import annotations

import copy
import io
from collections import Counter
from pathlib import Path

import pytest

from facilitation.warmups import (
    CatalogueError,
    Energy,
    Format,
    WarmUp,
    check_unique,
    parse_catalogue,
    texts_of,
)
from plugin.i18n_extract import extract_warmups

ROOT = Path(__file__).resolve().parents[2]
WARMUPS = ROOT / "plugin" / "catalogue" / "warmups"


def shipped() -> list[WarmUp]:
    entries: list[WarmUp] = []
    for path in sorted(WARMUPS.glob("*.toml")):
        entries.extend(parse_catalogue(path.read_text(encoding="utf-8"), path.name))
    return entries


# --- the shipped catalogue --------------------------------------------------------------


def test_the_shipped_catalogue_loads_with_unique_ids() -> None:
    entries = shipped()
    assert len(entries) >= 60
    check_unique(entries)
    assert len({w.id for w in entries}) == len(entries)


def test_every_format_is_there_as_often_as_promised() -> None:
    formats = Counter(w.format for w in shipped())
    wanted = {
        Format.CHOICE: 16,
        Format.WOULD_YOU_RATHER: 12,
        Format.SCALE: 8,
        Format.GUESS: 6,
        Format.GO_ROUND: 6,
        Format.CHAT_PROMPT: 6,
    }
    for form, least in wanted.items():
        assert formats[form] >= least, form


def test_a_mix_of_energy_and_mostly_keypad_friendly() -> None:
    entries = shipped()
    energies = Counter(w.energy for w in entries)
    assert energies[Energy.CALM] >= 10 and energies[Energy.LIVELY] >= 10
    assert sum(w.keypad for w in entries) > len(entries) / 2


def test_chat_prompts_are_never_keypad_and_votes_have_keys() -> None:
    for warmup in shipped():
        if warmup.format is Format.CHAT_PROMPT:
            assert not warmup.keypad, warmup.id
        if warmup.is_vote:
            assert 2 <= len(warmup.choices) <= 9, warmup.id
        if warmup.format is Format.GUESS:
            assert warmup.answer is not None and str(warmup.answer) in warmup.choices


def test_texts_are_short_and_pass_is_left_to_the_service() -> None:
    for warmup in shipped():
        for option in warmup.options:
            assert len(option) <= 40, (warmup.id, option)
            assert option.casefold() != "pass", warmup.id
        for text in texts_of(warmup):
            assert len(text) <= 200, (warmup.id, text)


def test_sources_point_at_the_header_line() -> None:
    path = WARMUPS / "choices.toml"
    lines = path.read_text(encoding="utf-8").splitlines()
    for warmup in parse_catalogue(path.read_text(encoding="utf-8"), "choices.toml"):
        filename, _, line = warmup.source.rpartition(":")
        assert filename == "choices.toml"
        assert lines[int(line) - 1].strip() == "[[warmup]]"
        assert lines[int(line)].strip() == f'id = "{warmup.id}"'


# --- the values -------------------------------------------------------------------------

GOOD = """\
# a comment
[[warmup]]
id = "tea-or-coffee"
title = "Tea or coffee?"
prompt = "Which do you like more on a cold day?"
format = "choice"
options = [
  "Tea",
  "Coffee",
]
minutes = 3
group_min = 2
group_max = 40
keypad = true
camera_off = true
no_disclosure = true
energy = "calm"
content_note = "About drinks."

[[warmup]]
id = "spider-legs"
title = "Spider legs"
prompt = "How many legs does a spider have?"
format = "guess"
minutes = 2
group_min = 2
group_max = 200
keypad = true
camera_off = true
no_disclosure = true
energy = "lively"
answer = 8
"""


def test_a_good_file_parses_in_order() -> None:
    tea, spider = parse_catalogue(GOOD, "good.toml")
    assert tea == WarmUp(
        id="tea-or-coffee",
        title="Tea or coffee?",
        prompt="Which do you like more on a cold day?",
        format=Format.CHOICE,
        options=("Tea", "Coffee"),
        minutes=3,
        group_min=2,
        group_max=40,
        keypad=True,
        camera_off=True,
        no_disclosure=True,
        energy=Energy.CALM,
        content_note="About drinks.",
        source="good.toml:2",
    )
    assert tea.choices == ("Tea", "Coffee") and tea.is_vote
    assert texts_of(tea) == ("Tea or coffee?", tea.prompt, "Tea", "Coffee", "About drinks.")
    assert spider.answer == 8 and spider.content_note == "" and spider.source == "good.toml:20"
    assert spider.choices == tuple("123456789") and spider.is_vote
    assert texts_of(spider) == ("Spider legs", "How many legs does a spider have?")


def test_choices_per_format() -> None:
    (tea, _) = parse_catalogue(GOOD, "good.toml")
    scale = WarmUp(**{**tea.__dict__, "format": Format.SCALE, "options": ("Low", "High")})
    assert scale.choices == ("1", "2", "3", "4", "5") and scale.is_vote
    for form in (Format.GO_ROUND, Format.CHAT_PROMPT):
        other = WarmUp(**{**tea.__dict__, "format": form, "options": ()})
        assert other.choices == () and not other.is_vote


# --- mistakes: file, line and field -----------------------------------------------------


def edit(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new, 1)


def error(text: str, filename: str = "bad.toml") -> CatalogueError:
    with pytest.raises(CatalogueError) as caught:
        parse_catalogue(text, filename)
    return caught.value


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        pytest.param(edit('energy = "calm"\n', ""), 2, "energy", id="missing field"),
        pytest.param(
            edit("minutes = 3\n", "minutes = 3\ncolour = 'red'\n"), 12, "colour", id="unknown field"
        ),
        pytest.param(edit("minutes = 3", 'minutes = "3"'), 11, "minutes", id="wrong type"),
        pytest.param(edit("keypad = true", "keypad = 1"), 14, "keypad", id="number for flag"),
        pytest.param(edit("minutes = 3", "minutes = true"), 11, "minutes", id="flag for number"),
        pytest.param(edit('format = "choice"', 'format = "quiz"'), 6, "format", id="bad format"),
        pytest.param(edit('energy = "calm"', 'energy = "wild"'), 17, "energy", id="bad energy"),
        pytest.param(
            edit('  "Coffee",\n', '  "Coffee", "1", "2", "3", "4", "5", "6", "7",\n'),
            7,
            "options",
            id="too many options",
        ),
        pytest.param(edit('  "Coffee",\n', ""), 7, "options", id="too few options"),
        pytest.param(
            edit('  "Coffee",\n', '  "Coffee", "Pass",\n'), 7, "options", id="pass option"
        ),
        pytest.param(
            edit('  "Coffee",\n', '  "Coffee", "tea",\n'), 7, "options", id="same option twice"
        ),
        pytest.param(edit('  "Coffee",\n', f'  "{"x" * 41}",\n'), 7, "options", id="long option"),
        pytest.param(edit("answer = 8\n", ""), 20, "answer", id="guess without answer"),
        pytest.param(edit("answer = 8", "answer = 10"), 32, "answer", id="answer not a key"),
        pytest.param(
            edit("minutes = 3\n", "minutes = 3\nanswer = 2\n"),
            12,
            "answer",
            id="answer on a choice",
        ),
        pytest.param(
            edit('format = "choice"', 'format = "would_you_rather"').replace(
                '  "Coffee",\n', '  "Coffee", "Juice",\n'
            ),
            7,
            "options",
            id="wyr with 3 options",
        ),
        pytest.param(
            edit('format = "guess"', 'format = "go_round"\noptions = ["A", "B"]'),
            25,
            "options",
            id="go round with options",
        ),
        pytest.param(
            edit("group_max = 40", "group_max = 1"), 13, "group_max", id="group_max below group_min"
        ),
        pytest.param(edit("group_min = 2", "group_min = 0"), 12, "group_min", id="group too small"),
        pytest.param(edit("minutes = 3", "minutes = 16"), 11, "minutes", id="too long"),
        pytest.param(edit('id = "tea-or-coffee"', 'id = "Tea or coffee"'), 3, "id", id="bad id"),
        pytest.param(edit('title = "Tea or coffee?"', 'title = ""'), 4, "title", id="empty title"),
        pytest.param(
            edit('title = "Tea or coffee?"', f'title = "{"a" * 201}"'), 4, "title", id="long title"
        ),
        pytest.param(
            edit('format = "guess"', 'format = "chat_prompt"').replace("answer = 8\n", ""),
            28,
            "keypad",
            id="chat prompt on the keypad",
        ),
        pytest.param(
            edit('id = "spider-legs"', 'id = "tea-or-coffee"'), 21, "id", id="duplicate id"
        ),
        pytest.param(edit("minutes = 3", "minutes = = 3"), 11, "toml", id="toml syntax error"),
        pytest.param(GOOD + 'title = "x"\n', 33, "toml", id="toml key twice"),
        pytest.param('colour = "red"\n' + GOOD, 1, "colour", id="unknown top-level key"),
        pytest.param('[warmup]\nid = "x"\n', 1, "warmup", id="table not array"),
        pytest.param(
            edit("minutes = 3\n", "minutes = 3\n[warmup.extra]\nx = 1\n"),
            12,
            "extra",
            id="sub-table",
        ),
    ],
)
def test_each_mistake_names_file_line_and_field(text: str, line: int, field: str) -> None:
    caught = error(text)
    assert (caught.filename, caught.line, caught.field) == ("bad.toml", line, field)
    assert str(caught) == f"bad.toml:{line}: {field}: {caught.message}"
    assert caught.message


def test_a_line_inside_a_multiline_string_is_never_a_key_or_header() -> None:
    text = edit(
        'title = "Tea or coffee?"',
        'title = """\\\n  [[warmup]]\n  colour = 1\n  Tea or coffee?"""',
    ).replace("minutes = 3", "minutes = 30")
    caught = error(text)
    assert (caught.line, caught.field) == (14, "minutes")


def test_unterminated_toml_at_the_end_names_the_last_line() -> None:
    caught = error(GOOD + 'title = "x')
    assert (caught.line, caught.field) == (33, "toml")


def test_duplicate_ids_across_files_name_both_places() -> None:
    first = parse_catalogue(GOOD, "one.toml")
    second = parse_catalogue(GOOD.replace("spider-legs", "other"), "two.toml")
    with pytest.raises(CatalogueError) as caught:
        check_unique([*first, *second])
    assert (caught.value.filename, caught.value.line, caught.value.field) == ("two.toml", 2, "id")
    assert "one.toml:2" in caught.value.message


def test_the_error_can_be_copied_whole() -> None:
    # deepcopy rebuilds it the way pickle does (multiprocessing, logging handlers).
    caught = error(edit('format = "choice"', 'format = "quiz"'))
    again = copy.deepcopy(caught)
    assert str(again) == str(caught) and again.line == caught.line


# --- translation extraction -------------------------------------------------------------


def test_the_extractor_yields_every_text_with_a_comment_naming_it() -> None:
    found = list(extract_warmups(io.BytesIO(GOOD.encode()), ["N_"], [], {}))
    assert found == [
        (2, None, "Tea or coffee?", ["warm-up tea-or-coffee: title"]),
        (2, None, "Which do you like more on a cold day?", ["warm-up tea-or-coffee: prompt"]),
        (2, None, "Tea", ["warm-up tea-or-coffee: option 1"]),
        (2, None, "Coffee", ["warm-up tea-or-coffee: option 2"]),
        (2, None, "About drinks.", ["warm-up tea-or-coffee: content note"]),
        (20, None, "Spider legs", ["warm-up spider-legs: title"]),
        (20, None, "How many legs does a spider have?", ["warm-up spider-legs: prompt"]),
    ]


def test_the_extractor_stops_at_a_broken_file() -> None:
    broken = io.BytesIO(edit('format = "choice"', 'format = "quiz"').encode())
    broken.name = "broken.toml"
    with pytest.raises(CatalogueError, match=r"^broken\.toml:6: format: "):
        list(extract_warmups(broken, ["N_"], [], {}))
