"""Reading and checking webhook bodies; every refusal names what was wrong."""

from __future__ import annotations

import json
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

    def response(self) -> web.Response:
        body: dict[str, Any] = {"error": self.message}
        if self.field:
            body["field"] = self.field
        headers = {"WWW-Authenticate": "Bearer"} if self.status == 401 else None
        return web.json_response(body, status=self.status, headers=headers)


async def read_limited(request: web.Request, limit: int) -> bytes:
    """The raw body, up to `limit` bytes (the signature covers these exact bytes)."""
    if request.content_length is not None and request.content_length > limit:
        raise Rejected(413, f"body over the {limit}-byte limit")
    raw = await request.content.read(limit + 1)
    if len(raw) > limit:
        raise Rejected(413, f"body over the {limit}-byte limit")
    return raw


def parse_object(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise Rejected(400, f"body is not valid JSON ({type(exc).__name__})") from exc
    if not isinstance(value, dict):
        raise Rejected(400, "body must be a JSON object")
    return value


def invalid(exc: ValidationError) -> Rejected:
    """The first problem pydantic found, as a message naming the field path."""
    error = exc.errors()[0]
    field = ".".join(str(part) for part in error["loc"]) or None
    message = error["msg"].removeprefix("Value error, ")
    return Rejected(400, f"{field}: {message}" if field else message, field)
