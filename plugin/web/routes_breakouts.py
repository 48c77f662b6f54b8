"""Console actions on breakout groups: plan, change the plan, open, broadcast, extend,
bring everyone back. Every one is a plain form (the page reloads); a console with its
script asks for JSON and refreshes the panel instead. A request that cannot be done
redraws the console with the reason at the panel (400)."""

from __future__ import annotations

import re
import secrets

from aiohttp import web

from facilitation.breakouts import Method, Mode, Request
from plugin import keys
from plugin.db import audit
from plugin.db import participants as participants_db
from plugin.desks.breakouts import BreakoutError
from plugin.web.auth import require_login, signed_in
from plugin.web.console_view import render_console
from plugin.web.forms import read_form
from plugin.web.pages import page
from plugin.web.session_access import SESSION_PATH, can_run, session_for, starters_only

routes = web.RouteTableDef()
BASE = SESSION_PATH + "/breakouts"
NUMBER = re.compile(r"[0-9]{1,3}")
MAX_ID = 120
ACTIONS = frozenset(
    {"plan", "move", "rename", "lead", "open", "extend", "broadcast", "close", "discard"}
)


def _wants_json(request: web.Request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _number(
    fields: dict[str, list[str]], name: str, label: str, *, required: bool = True
) -> int | None:
    value = (fields.get(name) or [""])[0].strip()
    if not value and not required:
        return None
    if not NUMBER.fullmatch(value):
        raise BreakoutError(f"{label} must be a whole number")
    return int(value)


def _text(fields: dict[str, list[str]], name: str) -> str:
    return (fields.get(name) or [""])[0]


def _pairs(fields: dict[str, list[str]], prefix: str) -> tuple[tuple[str, str], ...]:
    """Pairs chosen with two lists each (`together_a1`, `together_b1`, ...)."""
    pairs = []
    for index in (1, 2, 3):
        first = _text(fields, f"{prefix}_a{index}")[:MAX_ID]
        second = _text(fields, f"{prefix}_b{index}")[:MAX_ID]
        if first and second and first != second:
            pairs.append((first, second))
    return tuple(pairs)


def plan_request(fields: dict[str, list[str]]) -> tuple[Request, frozenset[str] | None]:
    try:
        mode = Mode(_text(fields, "mode") or Mode.JITSI.value)
    except ValueError:
        raise BreakoutError(
            "choose how the groups meet: Jitsi's breakout rooms or separate calls"
        ) from None
    try:
        method = Method(_text(fields, "method") or Method.BALANCED.value)
    except ValueError:
        raise BreakoutError("choose how people are put into groups") from None
    count = _number(fields, "count", "The number")
    by = _text(fields, "by") or "groups"
    if by not in ("groups", "per_group"):
        raise BreakoutError("choose a number of groups or of people per group")
    leaders = fields.get("leader", [])
    request = Request(
        method=method,
        mode=mode,
        groups=count if by == "groups" else None,
        per_group=count if by == "per_group" else None,
        together=tuple(frozenset(pair) for pair in _pairs(fields, "together")),
        apart=_pairs(fields, "apart"),
        seed=secrets.randbelow(2**31),
    )
    chosen = frozenset(v[:MAX_ID] for v in leaders) if "leaders_shown" in fields else None
    return request, chosen


@routes.get(BASE, name="breakouts_panel")
@require_login
async def breakouts_panel(request: web.Request) -> web.StreamResponse:
    """The breakout panel alone, for the console script to refresh after a change."""
    async with request.app[keys.DATABASE].session() as db:
        session = await session_for(request, db)
        runs = await can_run(request, db, session)
        people = await participants_db.present(db, session.id)
    if request.headers.get("X-Requested-With") != "console":
        raise web.HTTPSeeOther(f"/sessions/{session.id}#breakouts")
    queue = await request.app[keys.QUEUE].view(session.id)
    context = {
        "session": session,
        "breakouts": await request.app[keys.BREAKOUTS].view(session.id),
        "hands": {entry["id"] for entry in queue["entries"]},
        "present": [p for p in people if p.jitsi_id],
        "can_run": runs,
        "breakout_error": "",
    }
    return page(request, "_breakouts_panel.html", context)


@routes.post(BASE, name="breakouts_action")
@starters_only
async def breakouts_action(request: web.Request) -> web.StreamResponse:
    form = await read_form(request)
    fields: dict[str, list[str]] = {}
    for name, value in form.items():
        if not isinstance(value, str) or "\x00" in value or len(value) > 2000:
            raise web.HTTPBadRequest(reason=f"The form could not be read: field {name}")
        fields.setdefault(name, []).append(value)
    action = _text(fields, "action")
    async with request.app[keys.DATABASE].session() as db:
        session = await session_for(request, db, to_run=True)
    if session.ended_at is not None:
        raise web.HTTPConflict(reason="The session has ended")
    desk = request.app[keys.BREAKOUTS]
    try:
        if action not in ACTIONS:
            raise BreakoutError("unknown breakout action")
        if action == "plan":
            plan, leaders = plan_request(fields)
            row = await desk.make_plan(session.id, plan, leaders)
        elif action in ("move", "rename", "lead"):
            group = _number(fields, "group", "The group", required=action != "move")
            row = await desk.edit(
                session.id,
                action,
                person=_text(fields, "person")[:MAX_ID],
                group=group if group else None,
                name=_text(fields, "name"),
            )
        elif action == "open":
            row = await desk.start(session.id, _number(fields, "minutes", "The minutes") or 0)
        elif action == "extend":
            row = await desk.extend(session.id, _number(fields, "minutes", "The minutes") or 0)
        elif action == "broadcast":
            row = await desk.broadcast(session.id, _text(fields, "message"))
        elif action == "close":
            row = await desk.finish(session.id)
        else:
            row = await desk.discard(session.id)
    except BreakoutError as exc:
        if _wants_json(request):
            return web.json_response({"error": str(exc)}, status=400)
        return await render_console(request, status=400, breakout_error=str(exc))
    if action in ("open", "close"):
        async with request.app[keys.DATABASE].session() as db:
            audit.record(
                db,
                at=request.app[keys.CLOCK].now(),
                actor_id=signed_in(request).id,
                action=f"breakouts.{action}",
                target=f"session:{session.id}",
            )
            await db.commit()
    if _wants_json(request):
        return web.json_response({"seq": row.seq, "state": row.state})
    raise web.HTTPSeeOther(f"/sessions/{session.id}#breakouts")
