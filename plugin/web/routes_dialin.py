"""Jitsi Meet's dial-in APIs: the numbers (`dialInNumbersUrl`) and the conference mapper
(`dialInConfCodeUrl`), which IVRs and PBXes use too (`?id=PIN`).

Jitsi Meet calls both from the browser, so they answer CORS requests from the configured
Jitsi origins. They need no sign-in: a PIN is no secret from someone in the meeting, and
guessing is rate-limited per address.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from facilitation.dialin import BadConference, conference_jid, jitsi_numbers, parse_conference
from plugin import keys
from plugin.db import accounts
from plugin.db import phone as phone_db
from plugin.web.auth import client_ip
from plugin.web.throttling import GUESSING, seconds_to_wait

routes = web.RouteTableDef()
PIN_QUERY = re.compile(r"[0-9]{6,9}")


def _json(request: web.Request, body: Any, status: int = 200, **headers: str) -> web.Response:
    origin = request.headers.get("Origin")
    if origin and origin in request.app[keys.SETTINGS].jitsi_origins:
        headers["Access-Control-Allow-Origin"] = origin
        headers["Vary"] = "Origin"
    headers["Cache-Control"] = "no-store"
    return web.json_response(body, status=status, headers=headers)


def _conference(request: web.Request, text: str) -> str:
    """The conference JID, normalised; BadConference for anything not on our MUC."""
    muc = request.app[keys.SETTINGS].muc_domain
    if len(text) > 600:
        raise BadConference("conference: too long")
    room, tenant = parse_conference(text, muc)
    return conference_jid(room, tenant, muc)


def _refused(request: web.Request, exc: BadConference) -> web.Response:
    return _json(request, {"error": str(exc), "field": "conference"}, 400)


@routes.get("/dial-in/numbers", name="dialin_numbers")
async def numbers(request: web.Request) -> web.StreamResponse:
    conference = request.query.get("conference")
    if conference is not None:
        try:
            _conference(request, conference)
        except BadConference as exc:
            return _refused(request, exc)  # a room on another deployment
    return _json(request, jitsi_numbers(request.app[keys.SETTINGS].dial_in))


@routes.get("/dial-in/conference-mapper", name="conference_mapper")
async def conference_mapper(request: web.Request) -> web.StreamResponse:
    settings = request.app[keys.SETTINGS]
    now = request.app[keys.CLOCK].now()
    conference = request.query.get("conference")
    pin = request.query.get("id")
    if conference is None and pin is None:
        return _json(request, {"error": "give conference=ROOM@MUC or id=PIN"}, 400)
    async with request.app[keys.DATABASE].session() as db:
        if conference is not None:
            try:
                jid = _conference(request, conference)
            except BadConference as exc:
                return _refused(request, exc)
            found = await phone_db.pin_for(db, jid, settings.pin_digits, now)
            await db.commit()
            return _json(
                request,
                {
                    "message": "Successfully retrieved conference mapping",
                    "id": int(found),
                    "conference": jid,
                },
            )
        assert pin is not None
        if not PIN_QUERY.fullmatch(pin):
            return _json(request, {"error": "id: a PIN is 6 to 9 digits", "field": "id"}, 400)
        key = "mapper:" + client_ip(request)
        wait = await seconds_to_wait(db, key, GUESSING, now)
        if wait is not None:
            return _json(
                request, {"error": "too many unknown PINs; wait"}, 429, **{"Retry-After": str(wait)}
            )
        jid_found = await phone_db.conference_for(db, pin, now)
        if jid_found is None:
            await accounts.record_failure(db, [key], now)
        await db.commit()
    if jid_found is None:
        # Jitsi's own "not found" shape: conference false.
        return _json(
            request,
            {"message": "No conference mapping was found", "id": int(pin), "conference": False},
        )
    return _json(
        request,
        {
            "message": "Successfully retrieved conference mapping",
            "id": int(pin),
            "conference": jid_found,
        },
    )
