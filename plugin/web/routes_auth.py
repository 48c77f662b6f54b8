"""Signing in and out, and the one-time link that creates the first admin."""

from __future__ import annotations

import asyncio
import math
from datetime import timedelta

from aiohttp import web
from sqlmodel.ext.asyncio.session import AsyncSession

from facilitation.accounts import normalise_username
from facilitation.roles import Role
from plugin import keys
from plugin.db import accounts, audit
from plugin.db.models import SetupToken
from plugin.web import login_guard, messages
from plugin.web.accounts_form import AccountForm, validate_account_form
from plugin.web.auth import cookie_name, current_account, safe_next, set_sid_cookie
from plugin.web.forms import form_fields
from plugin.web.pages import gettext, page

routes = web.RouteTableDef()
MAX_USERNAME = 64
SETUP_PATH = "/setup/{token:[A-Za-z0-9_-]{1,100}}"


@routes.get("/login", name="login")
async def login_form(request: web.Request) -> web.StreamResponse:
    if current_account(request) is not None:
        raise web.HTTPSeeOther(safe_next(request.query.get("next")))
    return page(request, "login.html", {"next": safe_next(request.query.get("next")), "error": ""})


@routes.post("/login")
async def login(request: web.Request) -> web.StreamResponse:
    fields = await form_fields(request, "username", "password", "next")
    # Capped to the width of the throttle key column; longer names cannot exist anyway.
    username = normalise_username(fields["username"])[:MAX_USERNAME]
    password = fields["password"]
    target = safe_next(fields["next"])
    now = request.app[keys.CLOCK].now()
    passwords = request.app[keys.PASSWORDS]

    def refuse(message: str, status: int, minutes: int = 0) -> web.Response:
        context = {
            "next": target,
            "error": gettext(request, message, minutes=minutes),
            "username": username,
        }
        headers = {"Retry-After": str(minutes * 60)} if minutes else None
        return page(request, "login.html", context, status=status, headers=headers)

    # Read, then verify with no database session open (argon2 takes a while and must not
    # hold a pooled connection), then write.
    async with request.app[keys.DATABASE].session() as db:
        account = await accounts.by_username(db, username)
        guard = await login_guard.check(request, db, username, account, now)
    if guard.wait is not None:
        minutes = max(1, math.ceil(guard.wait.total_seconds() / 60))
        return refuse(messages.LOGIN_THROTTLED, 429, minutes=minutes)
    # Disabled and unknown accounts are checked against a dummy hash: same time taken.
    stored = account.password_hash if account and not account.disabled else None
    ok = await asyncio.to_thread(passwords.verify, stored, password)
    if not ok or account is None or account.id is None:
        async with request.app[keys.DATABASE].session() as db:
            await accounts.record_failure(db, guard.failure_keys, now)
            audit.record(
                db, at=now, actor_id=None, action="login.failed", target=f"user:{username}"
            )
            await db.commit()
        return refuse(messages.LOGIN_FAILED, 403)
    if passwords.needs_rehash(account.password_hash):
        account.password_hash = await asyncio.to_thread(passwords.hash, password)
    async with request.app[keys.DATABASE].session() as db:
        db.add(account)
        # While strangers are held off the username, its count stays: signing in from a
        # known browser must not hand whoever is guessing a fresh set of tries.
        if not guard.others_waiting:
            await accounts.clear_failures(db, guard.user_key)
        if guard.device_key is not None:
            await accounts.clear_failures(db, guard.device_key)
        await accounts.end_login(db, request[keys.SID])
        lifetime = timedelta(hours=request.app[keys.SETTINGS].login_session_hours)
        token = await accounts.start_login(db, account.id, now, lifetime)
        audit.record(
            db,
            at=now,
            actor_id=account.id,
            action="login.succeeded",
            target=f"account:{account.id}",
        )
        await db.commit()
    response = web.HTTPSeeOther(target)
    set_sid_cookie(request, response, token)  # a new id at every sign-in: no fixation
    login_guard.remember_device(request, response, account, now)
    raise response


@routes.post("/logout", name="logout")
async def logout(request: web.Request) -> web.StreamResponse:
    async with request.app[keys.DATABASE].session() as db:
        await accounts.end_login(db, request[keys.SID])
        await db.commit()
    response = web.HTTPSeeOther("/login")
    settings = request.app[keys.SETTINGS]
    # A __Host- cookie is only replaced by one that is also Secure; match the original flags.
    response.del_cookie(
        cookie_name(request),
        path="/",
        secure=settings.secure_cookies,
        httponly=True,
        samesite="Lax",
    )
    raise response


@routes.get(SETUP_PATH, name="setup")
async def setup_form(request: web.Request) -> web.StreamResponse:
    async with request.app[keys.DATABASE].session() as db:
        await _valid_setup(request, db)
    return page(request, "setup.html", {"form": AccountForm(), "errors": {}})


@routes.post(SETUP_PATH)
async def setup(request: web.Request) -> web.StreamResponse:
    now = request.app[keys.CLOCK].now()
    fields = await form_fields(request, "username", "display_name", "password", "password_again")
    form = AccountForm(
        username=fields["username"],
        display_name=fields["display_name"],
        role=Role.ADMIN.value,
        password=fields["password"],
        password_again=fields["password_again"],
    )
    async with request.app[keys.DATABASE].session() as db:
        await _valid_setup(request, db)  # before any hashing: a bad link costs nothing
    errors = validate_account_form(request, form)
    if errors:
        return page(request, "setup.html", {"form": form, "errors": errors}, status=400)
    password_hash = await asyncio.to_thread(request.app[keys.PASSWORDS].hash, form.password)
    async with request.app[keys.DATABASE].session() as db:
        token_row = await _valid_setup(request, db)  # again: it may have been used meanwhile
        try:
            account = await accounts.create_account(
                db,
                username=form.username,
                display_name=form.display_name,
                password_hash=password_hash,
                role=Role.ADMIN,
                now=now,
            )
        except accounts.UsernameTaken:
            # A facilitator added with the CLI before any admin existed may hold the name.
            errors = {"username": gettext(request, messages.USERNAME_TAKEN)}
            return page(request, "setup.html", {"form": form, "errors": errors}, status=409)
        token_row.used_at = now
        db.add(token_row)
        assert account.id is not None
        audit.record(
            db,
            at=now,
            actor_id=account.id,
            action="account.created",
            target=f"account:{account.id}",
            role="admin",
            via="setup",
        )
        lifetime = timedelta(hours=request.app[keys.SETTINGS].login_session_hours)
        sid = await accounts.start_login(db, account.id, now, lifetime)
        await db.commit()
    response = web.HTTPSeeOther("/accounts")
    set_sid_cookie(request, response, sid)
    login_guard.remember_device(request, response, account, now)
    raise response


async def _valid_setup(request: web.Request, db: AsyncSession) -> SetupToken:
    now = request.app[keys.CLOCK].now()
    row = await accounts.setup_token_valid(db, request.match_info["token"], now)
    if row is None or await accounts.admin_exists(db):
        raise web.HTTPNotFound(reason="setup link used or expired")
    return row
