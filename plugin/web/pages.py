"""Shared helpers for page handlers: render with the common context, read form fields."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from plugin import keys
from plugin.templating import html
from plugin.web.auth import current_account, request_csrf


def page(
    request: web.Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> web.Response:
    full = {
        "account": current_account(request),
        "csrf": request_csrf(request) if keys.SID in request else "",
        "path": request.path,
        **(context or {}),
    }
    return html(request.app[keys.TEMPLATES].render(template, full), status=status, headers=headers)


def gettext(request: web.Request, message: str, **params: object) -> str:
    text = request.app[keys.TRANSLATIONS].gettext(message)
    return text % params  # always formats, so '%%' in a message shows as '%'
