"""What the session pages share: the session path, who may see or run a session, and
the dial-in details the templates show."""

from __future__ import annotations

from aiohttp import web
from sqlmodel.ext.asyncio.session import AsyncSession

from facilitation.dialin import conference_jid, grouped, tel_link
from facilitation.roles import MemberRole, Role
from plugin import keys
from plugin.db import phone as phone_db
from plugin.db import sessions as sessions_db
from plugin.db.models import MeetingSession
from plugin.web.auth import require_role, signed_in

SESSION_PATH = "/sessions/{session_id:[A-Za-z0-9_-]{1,32}}"
starters_only = require_role(lambda role: role.can_start_sessions)


async def can_run(request: web.Request, db: AsyncSession, session: MeetingSession) -> bool:
    """Whether the signed-in account may change the session (not only review it)."""
    account = signed_in(request)
    if Role(account.role).sees_every_session:
        return True
    return await sessions_db.member_role(db, session.id, account.id or 0) is MemberRole.FACILITATOR


async def session_for(
    request: web.Request, db: AsyncSession, session_id: str | None = None, *, to_run: bool = False
) -> MeetingSession:
    """The session in the URL (or the one given), if the signed-in account ran or hosts
    it, or is an admin; anyone else gets a plain 404, as if it did not exist. `to_run`:
    only its facilitators (and admins) may change it; its hosts get 403."""
    account = signed_in(request)
    session = await sessions_db.get(db, session_id or request.match_info["session_id"])
    if session is None:
        raise web.HTTPNotFound()
    if Role(account.role).sees_every_session:
        return session
    part = await sessions_db.member_role(db, session.id, account.id or 0)
    if part is None:
        raise web.HTTPNotFound()
    if to_run and part is not MemberRole.FACILITATOR:
        raise web.HTTPForbidden(reason="hosts review; facilitators run the session")
    return session


async def dial_in_context(
    request: web.Request, db: AsyncSession, session: MeetingSession
) -> dict[str, object]:
    """The numbers and this meeting's PIN (allocated on first need), for the templates."""
    settings = request.app[keys.SETTINGS]
    numbers = settings.dial_in
    if not numbers or session.ended_at is not None:
        return {"dial_in": ()}
    jid = conference_jid(session.room, session.tenant or "", settings.muc_domain)
    one_language = len(settings.phone_languages) == 1
    pin = await phone_db.pin_for(db, jid, settings.pin_digits, request.app[keys.CLOCK].now())
    await db.commit()
    return {
        "dial_in": [
            {
                "formatted": number.formatted,
                "country": number.country,
                "toll_free": number.toll_free,
                # With a language menu first, typed PIN digits would answer the menu.
                "tel": tel_link(number, pin if one_language else None),
            }
            for number in numbers
        ],
        "dial_in_pin_grouped": grouped(pin),
    }
