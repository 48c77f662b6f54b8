"""Cross-cutting HTTP behaviour: security headers, error pages, 503 on database trouble."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

from aiohttp import web
from sqlalchemy.exc import (
    DataError,
    DisconnectionError,
    IntegrityError,
    InterfaceError,
    OperationalError,
)
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError

from plugin import keys
from plugin.web import messages
from plugin.web.auth import CsrfFailed, Handler
from plugin.web.pages import page

log = logging.getLogger(__name__)

BASE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'"
)
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
ERROR_MESSAGES = {
    400: messages.BAD_REQUEST,
    403: messages.FORBIDDEN,
    404: messages.NOT_FOUND,
    413: messages.TOO_LARGE,
    503: messages.DATABASE_DOWN,
}


def csp(frame_ancestors: str = "'none'") -> str:
    return f"{BASE_CSP}; frame-ancestors {frame_ancestors}"


def _route_name(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def metrics_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    metrics = request.app[keys.METRICS]
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        # Any token is a valid HTTP method: unknown ones share a label, so a client cannot
        # grow the metrics without bound.
        method = request.method if request.method in KNOWN_METHODS else "other"
        metrics.observe_request(method, _route_name(request), status, time.perf_counter() - started)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn errors into plain-language pages; database trouble is 503, never a 500."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or not _wants_html(request):
            raise
        if isinstance(exc, CsrfFailed):
            message = messages.CSRF_FAILED
        else:
            message = ERROR_MESSAGES.get(exc.status, messages.GENERIC)
        return _error_page(request, exc.status, message, exc.headers)
    except (IntegrityError, DataError) as exc:
        # Input or a race the handler did not foresee: the request is at fault, not the server.
        status, code, message = (
            (409, "conflict", messages.CONFLICT)
            if isinstance(exc, IntegrityError)
            else (400, "bad_value", messages.BAD_VALUE)
        )
        log.warning("%s on %s %s", type(exc).__name__, request.method, _route_name(request))
        return _database_error(request, status, code, message)
    except (OperationalError, InterfaceError, SQLAlchemyTimeoutError, DisconnectionError) as exc:
        log.error(
            "database unavailable on %s %s: %s",
            request.method,
            _route_name(request),
            type(exc).__name__,
        )
        return _database_error(
            request, 503, "database_unavailable", messages.DATABASE_DOWN, {"Retry-After": "30"}
        )


def _database_error(
    request: web.Request,
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
) -> web.Response:
    if _wants_html(request):
        return _error_page(request, status, message, headers)
    text = request.app[keys.TRANSLATIONS].gettext(message)
    return web.json_response({"error": code, "message": text}, status=status, headers=headers)


def _wants_html(request: web.Request) -> bool:
    if request.path.startswith(("/webhooks/", "/dial-in/", "/healthz", "/metrics")):
        return False
    return "application/json" not in request.headers.get("Accept", "")


def _error_page(
    request: web.Request, status: int, message: str, headers: Mapping[str, str] | None = None
) -> web.Response:
    extra = (
        {"Retry-After": headers["Retry-After"]} if headers and "Retry-After" in headers else None
    )
    context = {"status": status, "message": request.app[keys.TRANSLATIONS].gettext(message)}
    return page(request, "error.html", context, status=status, headers=extra)


@web.middleware
async def security_headers_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        _apply_headers(exc)
        raise
    _apply_headers(response)
    return response


def _apply_headers(response: web.StreamResponse) -> None:
    if response.prepared:
        return
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    if (response.content_type or "").startswith(
        "text/html"
    ) or "Content-Security-Policy" in headers:
        headers.setdefault("Content-Security-Policy", csp())
        if "frame-ancestors 'none'" in headers["Content-Security-Policy"]:
            headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Cache-Control", "no-store")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
