"""Reading posted forms safely: any body a client can send becomes fields or a clear 400."""

from __future__ import annotations

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from multidict import MultiDictProxy

MAX_FIELD = 4096
UNREADABLE = "The form could not be read"


async def read_form(
    request: web.Request,
) -> MultiDictProxy[str | bytes | bytearray | web.FileField]:
    """`request.post()`, with undecodable bodies, unknown charsets and broken multipart as 400."""
    try:
        return await request.post()
    except (UnicodeDecodeError, LookupError, ValueError, HttpProcessingError):
        raise web.HTTPBadRequest(reason=UNREADABLE) from None


async def form_fields(request: web.Request, *names: str, limit: int = MAX_FIELD) -> dict[str, str]:
    """Text fields of a posted form; missing ones are empty, files and NUL bytes are refused.
    A form that checks its own lengths (and says which field is too long) passes a bigger
    `limit`, so a long message comes back to its writer instead of being lost."""
    data = await read_form(request)
    values: dict[str, str] = {}
    for name in names:
        value = data.get(name, "")
        if not isinstance(value, str) or "\x00" in value or len(value) > limit:
            raise web.HTTPBadRequest(reason=f"{UNREADABLE}: field {name}")
        values[name] = value
    return values
