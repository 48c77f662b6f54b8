"""Reading and checking webhook bodies; every refusal names what was wrong."""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web
from pydantic import ValidationError


class Rejected(Exception):
    """A webhook we refuse, with the status and a message that names the field."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field

    @property
    def reason(self) -> str:
        """The message for a log line: it quotes field names from the body, so it is
        shortened and has control characters escaped (one refusal, one line)."""
        return repr(self.message[:200])

    def response(self) -> web.Response:
        body: dict[str, Any] = {"error": self.message}
        if self.field:
            body["field"] = self.field
        headers = {"WWW-Authenticate": "Bearer"} if self.status == 401 else None
        return web.json_response(body, status=self.status, headers=headers)


async def read_limited(request: web.Request, limit: int) -> bytes:
    """The whole raw body, up to `limit` bytes (a signature covers these exact bytes).

    Read to the end in chunks: a chunked upload arrives in pieces, and one read would
    return only the first of them.
    """
    if request.content_length is not None and request.content_length > limit:
        raise Rejected(413, f"body over the {limit}-byte limit")
    parts: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_any():
        size += len(chunk)
        if size > limit:
            raise Rejected(413, f"body over the {limit}-byte limit")
        parts.append(chunk)
    return b"".join(parts)


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_DECODER = json.JSONDecoder(parse_constant=_no_constants)
_ESCAPES = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")


def _check_text(value: Any, path: str = "") -> None:
    """Strings a database cannot store (NUL, lone surrogates) are the sender's mistake."""
    if isinstance(value, str):
        if "\x00" in value or any("\ud800" <= c <= "\udfff" for c in value):
            raise Rejected(
                400, f"{path or 'body'}: text with NUL or unpaired surrogates", path or None
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, path)
            _check_text(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_text(item, f"{path}.{index}" if path else str(index))


def parse_object(raw: bytes) -> dict[str, Any]:
    try:
        value = _DECODER.decode(raw.decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise Rejected(400, f"body is not valid JSON ({type(exc).__name__})") from exc
    if not isinstance(value, dict):
        raise Rejected(400, "body must be a JSON object")
    # Raw JSON can only carry NUL or a surrogate as a \\u escape: a regex over the bytes
    # finds the few bodies worth walking (valid escaped pairs pass the walk).
    if _ESCAPES.search(raw):
        _check_text(value)
    return value


def header_bytes(value: str) -> bytes:
    """A header as the bytes that were sent (aiohttp decodes undecodable ones this way)."""
    return value.encode("utf-8", "surrogateescape")


def invalid(exc: ValidationError) -> Rejected:
    """The first problem pydantic found, as a message naming the field path."""
    error = exc.errors()[0]
    field = ".".join(str(part) for part in error["loc"]) or None
    message = error["msg"].removeprefix("Value error, ")
    return Rejected(400, f"{field}: {message}" if field else message, field)
