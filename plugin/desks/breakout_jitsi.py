"""Waiting on Jitsi's breakout component: for the rooms asked for to exist, and for the
people sent to them to be there (both as the component's updates show them)."""

from __future__ import annotations

import asyncio

from facilitation.breakouts import Plan
from facilitation.meeting_events import PersonKind
from plugin.jitsi.bot import MeetingBot

POLL_SECONDS = 0.05


async def rooms_made(
    bot: MeetingBot, wanted: dict[str, int], within: float
) -> dict[int, tuple[str, str, str]]:
    """Group number -> (jid, name, id) of each breakout room named in `wanted` (name ->
    group number) that the component reported within `within` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        found = {
            wanted[room.name]: (room.jid, room.name, room_id)
            for room_id, room in bot.breakout_rooms.items()
            if not room.is_main and room.jid and room.name in wanted
        }
        if len(found) == len(wanted) or loop.time() > deadline:
            return found
        await asyncio.sleep(POLL_SECONDS)


async def everyone_arrived(bot: MeetingBot, plan: Plan, within: float) -> bool:
    """Wait until every web person the plan sends to a breakout room is in one (phone
    callers stay in the main room), for at most `within` seconds; whether they all were."""
    movers = {
        person_id
        for group in plan.groups
        if not group.main_room
        for person_id in group.members
        if (member := plan.member(person_id)) is not None and member.kind is not PersonKind.PHONE
    }
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        arrived = {
            member.occupant.rsplit("/", 1)[-1]
            for room in bot.breakout_rooms.values()
            if not room.is_main
            for member in room.members
        }
        if movers <= arrived:
            return True
        if loop.time() > deadline:
            return False
        await asyncio.sleep(POLL_SECONDS * 2)
