"""The warm-ups panel's content: the facilitator's filters (a GET form on the console),
what fits and was not played recently, what was, a preview with its read-aloud script, and
the running (or last) warm-up's results."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from facilitation.warmups import Energy, Filters, WarmUp, default_filters
from plugin import keys
from plugin.desks.warmup_meeting import question, sentences

MINUTES = ("", "2", "3", "5", "10")


def filters_from(query: Mapping[str, str], phone_callers: bool) -> Filters:
    """The console's filter form; before it is first used, phone-friendly is on when a
    caller is in the meeting."""
    if query.get("wu") != "1":
        return default_filters(phone_callers)
    minutes = query.get("wu_minutes", "")
    energy = query.get("wu_energy", "")
    return Filters(
        phone_friendly=query.get("wu_phone") == "on",
        max_minutes=int(minutes) if minutes in MINUTES and minutes else None,
        energy=Energy(energy) if energy in {e.value for e in Energy} else None,
        no_disclosure=query.get("wu_private") == "on",
    )


async def warmups_context(
    request: web.Request, session_id: str, phone_callers: bool
) -> dict[str, Any]:
    desk = request.app[keys.WARMUPS]
    filters = filters_from(request.query, phone_callers)
    fresh, again = await desk.offer(session_id, filters)
    chosen: WarmUp | None = desk.by_id.get(request.query.get("warmup", ""))
    preview = None
    if chosen is not None:
        t = request.app[keys.TRANSLATIONS].gettext
        preview = {
            "warmup": chosen,
            "script": " ".join([question(chosen, t), *sentences(chosen, t)]),
            "again": chosen in again,
        }
    return {
        "wu_filters": filters,
        "wu_fresh": fresh,
        "wu_again": again,
        "wu_preview": preview,
        "wu_view": await desk.view(session_id),
        "wu_error": "",
        "wu_minutes": MINUTES,
        # The filters travel with a chosen warm-up's link, so they are still set after.
        "wu_query": "".join(
            f"&{key}={request.query[key]}"
            for key in ("wu", "wu_phone", "wu_private", "wu_minutes", "wu_energy")
            if request.query.get(key, "") in ("1", "on", "calm", "lively", *MINUTES[1:])
            and request.query.get(key)
        ),
    }
