"""The admin's accounts page: add facilitators and hosts, disable and enable them."""

from __future__ import annotations

import asyncio

from aiohttp import web

from facilitation.roles import Role
from plugin import keys
from plugin.db import accounts, audit
from plugin.db.models import Account
from plugin.i18n import N_
from plugin.web import messages
from plugin.web.accounts_form import AccountForm, validate_account_form
from plugin.web.auth import require_role, signed_in
from plugin.web.forms import form_fields
from plugin.web.pages import gettext, page

routes = web.RouteTableDef()
admin_only = require_role(lambda role: role.can_manage_accounts)


async def _page(
    request: web.Request,
    form: AccountForm,
    errors: dict[str, str],
    status: int = 200,
    notice: str = "",
) -> web.Response:
    async with request.app[keys.DATABASE].session() as db:
        everyone = await accounts.list_accounts(db)
    context = {
        "accounts": everyone,
        "form": form,
        "errors": errors,
        "roles": list(Role),
        "notice": notice,
    }
    return page(request, "accounts.html", context, status=status)


@routes.get("/accounts", name="accounts")
@admin_only
async def accounts_page(request: web.Request) -> web.StreamResponse:
    notice = ""
    added = request.query.get("added", "")
    if added.isascii() and added.isdigit() and len(added) < 10:
        async with request.app[keys.DATABASE].session() as db:
            account = await db.get(Account, int(added))
        if account is not None:
            notice = gettext(request, N_("Account %(name)s added."), name=account.username)
    return await _page(request, AccountForm(), {}, notice=notice)


@routes.post("/accounts")
@admin_only
async def add_account(request: web.Request) -> web.StreamResponse:
    fields = await form_fields(
        request, "username", "display_name", "role", "password", "password_again"
    )
    form = AccountForm(**fields)
    errors = validate_account_form(request, form)
    if errors:
        return await _page(request, form, errors, status=400)
    admin = signed_in(request)
    password_hash = await asyncio.to_thread(request.app[keys.PASSWORDS].hash, form.password)
    now = request.app[keys.CLOCK].now()
    async with request.app[keys.DATABASE].session() as db:
        try:
            account = await accounts.create_account(
                db,
                username=form.username,
                display_name=form.display_name,
                password_hash=password_hash,
                role=Role(form.role),
                now=now,
            )
        except accounts.UsernameTaken:
            errors = {"username": gettext(request, messages.USERNAME_TAKEN)}
            return await _page(request, form, errors, status=409)
        audit.record(
            db,
            at=now,
            actor_id=admin.id,
            action="account.created",
            target=f"account:{account.id}",
            role=form.role,
            via="web",
        )
        await db.commit()
    # Post/redirect/get: a reload shows the page again instead of posting the form twice.
    raise web.HTTPSeeOther(f"/accounts?added={account.id}")


async def _set_disabled(request: web.Request, disabled: bool) -> web.StreamResponse:
    admin = signed_in(request)
    account_id = int(request.match_info["account_id"])  # the route allows 1 to 9 digits
    if account_id == admin.id:
        notice = gettext(request, N_("You cannot disable your own account."))
        return await _page(request, AccountForm(), {}, status=400, notice=notice)
    async with request.app[keys.DATABASE].session() as db:
        account = await db.get(Account, account_id)
        if account is None:
            raise web.HTTPNotFound()
        now = request.app[keys.CLOCK].now()
        await accounts.set_disabled(db, account, disabled, actor_id=admin.id, now=now, via="web")
        await db.commit()
    raise web.HTTPSeeOther("/accounts")


@routes.post(r"/accounts/{account_id:\d{1,9}}/disable")
@admin_only
async def disable(request: web.Request) -> web.StreamResponse:
    return await _set_disabled(request, True)


@routes.post(r"/accounts/{account_id:\d{1,9}}/enable")
@admin_only
async def enable(request: web.Request) -> web.StreamResponse:
    return await _set_disabled(request, False)
