"""The console's picture of a breakout round: the plan, where everyone actually is, the
time left and what went wrong (each with what to do), in the session's language."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from facilitation.breakouts import Plan, Route, timer
from facilitation.breakouts.record import plan_from_record, round_from_record
from facilitation.meeting_events import PersonKind
from plugin.db.models import BreakoutRound, Participant
from plugin.desks.breakout_rooms import group_label
from plugin.i18n import N_

Translate = Callable[[str], str]

NOTICES = {
    "not_moderator": N_(
        "The assistant is not a moderator, so Jitsi will not let it open breakout rooms. "
        "Make it a moderator, or use separate calls."
    ),
    "no_assistant": N_(
        "The assistant is not in the meeting right now, so nothing could be done there. "
        "Wait until it is back, then try again."
    ),
    "room_not_made": N_(
        "Jitsi did not make the room for %(group)s. Bring everyone back and open the "
        "groups again, or use separate calls."
    ),
    "move_refused": N_(
        "%(person)s could not be moved to %(group)s (%(detail)s). Ask them to pick the "
        "room in Jitsi's breakout rooms list."
    ),
    "link_not_sent": N_(
        "%(person)s did not get the link to %(group)s (%(detail)s). Read it out or send "
        "it yourself."
    ),
    "call_unknown": N_(
        "%(person)s is on the phone, but their call is not on this service's phone line, "
        "so it cannot be moved. They stay in the main meeting."
    ),
    "phone_press_key": N_(
        "This phone line cannot move calls by itself. Read this out to %(person)s: press "
        "star 8 to go to your group."
    ),
    "phone_back_by_hand": N_(
        "This phone line cannot move calls by itself. Read this out to %(person)s in "
        "their group room: press star 8 to come back to the main meeting."
    ),
    "phone_move_failed": N_(
        "%(person)s's call could not be moved to %(group)s (%(detail)s). They are still in "
        "the main meeting. Move them to the group again to retry."
    ),
    "phone_cannot_move": N_(
        "This phone line cannot move %(person)s's call, so they stay in the main meeting. "
        "Move them to a group that stays there, or keep someone with them."
    ),
    "phone_back_failed": N_(
        "%(person)s's call could not be brought back (%(detail)s). Ask them to press star "
        "8, or to call again with the same PIN."
    ),
    "chat_not_sent": N_(
        "The message did not reach the chat of %(group)s (%(detail)s). Tell them another way."
    ),
    "not_spoken": N_("%(person)s did not hear the message (%(detail)s)."),
    "choosing_paused": N_(
        "A warm-up is running, so numbers typed in the chat or pressed on the phone count "
        "for the warm-up, not as picks of a group. End the warm-up, then ask the people "
        "still waiting to pick their group."
    ),
    "group_room_trouble": N_(
        "The assistant could not stay in the room of %(group)s (%(detail)s). It keeps "
        "trying; hands raised there show when it is back."
    ),
}

PROBLEMS = {
    "phone_group_no_facilitator": N_(
        "Nobody leads the phone group in the main room. Name a facilitator for it."
    ),
    "no_facilitator": N_("%(group)s has nobody leading it."),
    "empty_group": N_("%(group)s has nobody in it yet."),
    "apart_not_kept": N_("Two people you wanted apart are in %(group)s."),
}

ROUTES = {
    Route.JITSI_MOVE: N_("moved by Jitsi"),
    Route.STAYS_MAIN: N_("stays in the main room with the phone group"),
    Route.CHAT_LINK: N_("gets the group's link in private chat"),
    Route.PHONE_LINE: N_("moved by the phone line"),
    Route.WAITING: N_("waiting for a group"),
}


def describe(
    row: BreakoutRound, present: list[Participant], now: datetime, translate: Translate
) -> dict[str, Any]:
    plan: Plan | None = plan_from_record(row.plan) if row.plan else None
    view: dict[str, Any] = {
        "seq": row.seq,
        "state": row.state if plan is not None or row.state == "none" else "none",
        "groups": [],
        "waiting": [],
        "people": [],
        "secondsLeft": None,
        "endsAt": None,
        "notices": [],
        "problems": [],
    }
    if plan is None:
        return view
    by_id = {p.jitsi_id: p for p in present if p.jitsi_id}
    labels = {g.number: group_label(g, translate) for g in plan.groups}

    def person(pid: str) -> dict[str, Any]:
        member = plan.member(pid)
        row_ = by_id.get(pid)
        name = (row_.shown_name if row_ else "") or (member.name if member else "")
        return {
            "id": pid,
            "name": name or translate(N_("Someone")),
            "phone": bool(member and member.kind is PersonKind.PHONE),
            "route": translate(ROUTES[plan.route(pid)]),
            "here": row_ is not None,
            "room": row_.room if row_ else None,
        }

    for group in plan.groups:
        room_info = row.rooms.get(str(group.number))
        room = str(room_info.get("room", "")) if isinstance(room_info, dict) else ""
        if group.main_room:
            there = [p for p in present if not p.room and p.jitsi_id in group.members]
        else:
            there = [p for p in present if room and p.room == room]
        view["groups"].append(
            {
                "number": group.number,
                "name": labels[group.number],
                "customName": group.name,
                "mainRoom": group.main_room,
                "facilitator": person(group.facilitator) if group.facilitator else None,
                "members": [person(pid) for pid in group.members],
                "room": room,
                "there": [
                    {
                        "id": p.jitsi_id,
                        "name": p.shown_name or translate(N_("Someone")),
                        "phone": p.kind == "phone",
                    }
                    for p in there
                ],
            }
        )
    view["waiting"] = [person(pid) for pid in plan.waiting]
    view["people"] = [person(m.id) for m in plan.people]
    view["mode"] = plan.mode.value
    view["method"] = plan.method.value
    if row.timer and row.state == "open":
        round_ = round_from_record(row.timer)
        view["secondsLeft"] = timer.seconds_left(round_, now)
        view["endsAt"] = round_.ends_at.isoformat()
    for item in row.notices:
        code = str(item.get("code", ""))
        number = item.get("group")
        values = {
            "group": labels.get(number, "") if isinstance(number, int) else "",
            "person": str(item.get("person", "")),
            "detail": str(item.get("detail", "")),
        }
        text = translate(NOTICES.get(code, N_("Something did not work (%(detail)s).")))
        view["notices"].append({"text": text % values, "at": item.get("at")})
    for problem in plan.problems():
        group_name = labels.get(problem.group, "") if problem.group is not None else ""
        view["problems"].append(translate(PROBLEMS[problem.code.value]) % {"group": group_name})
    return view
