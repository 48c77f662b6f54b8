"""The console's picture of a warm-up: the question, the read-aloud script for phone
callers, and the results as figures (the panel draws them as a chart and a table)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from facilitation.warmups import Format, Tally, WarmUp, answered, counts, passes
from plugin.desks.warmup_meeting import labels, question, sentences
from plugin.i18n import N_

Translate = Callable[[str], str]


def describe(
    warmup: WarmUp,
    tally: Tally,
    said: list[dict[str, object]],
    running: bool,
    translate: Translate,
    notices: list[str] | None = None,
) -> dict[str, Any]:
    t = translate
    numbers = counts(tally) if warmup.choices else ()
    total = max(1, sum(numbers))
    lines = [
        {
            "number": i,
            "label": t(label),
            "count": numbers[i - 1],
            "share": round(100 * numbers[i - 1] / total),
        }
        for i, label in enumerate(labels(warmup, t), start=1)
    ]
    script = " ".join([question(warmup, t), *sentences(warmup, t)])
    return {
        "running": running,
        "warmup": {
            "id": warmup.id,
            "title": t(warmup.title),
            "prompt": t(warmup.prompt),
            "format": warmup.format.value,
            "contentNote": t(warmup.content_note) if warmup.content_note else "",
            "goRound": warmup.format is Format.GO_ROUND,
            "vote": warmup.format not in (Format.GO_ROUND, Format.CHAT_PROMPT),
            # A guess's number is shown once the warm-up is closed, never while it runs.
            "answer": warmup.answer if not running else None,
        },
        "readAloud": t(N_("Read this out: %(script)s")) % {"script": script},
        "counts": lines,
        "passes": passes(tally),
        "answered": answered(tally),
        "notices": list(notices or []),
        "said": [{"text": str(item.get("text", "")), "name": item.get("name")} for item in said],
    }
