"""A STAND-IN for the PBX kit's action listener (the Asterisk or FreeSWITCH side that moves a
call or plays to it when this service asks), built from the request shapes in
plugin.phoneline.pbx_push, not from a real PBX.

It does what the kit must: checks every request's Standard Webhooks signature from the
specification's formula (not with the service's own code) and a timestamp within 5 minutes
of now, answering 401 otherwise; answers a repeated `webhook-id` 200 without acting twice;
answers 404 for a call it does not know; and keeps each action it accepted. Tests can make
it fail (`fail_next`) or hang (`hang_next`) the next requests. It does not touch a call:
`actions` is what a real PBX would have done.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from aiohttp import web
from multidict import CIMultiDict

PATH = "/actions"
TOLERANCE = 300  # seconds: the Standard Webhooks recommendation
WEBHOOK_ID = re.compile(r"[A-Za-z0-9_.:-]{1,128}")
TYPES = ("call.move", "call.play")
# The tests' signing key for actions, and the service's setting that carries it.
ACTIONS_KEY = b"pbx-actions-key-0123456789abcdef"
ACTIONS_SECRET = "whsec_" + base64.b64encode(ACTIONS_KEY).decode()


@dataclass(frozen=True)
class Delivery:
    """One request as it arrived, and what the stand-in answered."""

    webhook_id: str | None
    headers: CIMultiDict[str]  # case-insensitive, as sent
    body: bytes
    status: int


class PbxStandin:
    def __init__(
        self,
        key: bytes,
        *,
        live_calls: Iterable[str] = (),
        tolerance: int = TOLERANCE,
    ) -> None:
        self.key = key
        self.tolerance = tolerance
        self.live_calls: set[str] = set(live_calls)
        self.actions: list[dict[str, Any]] = []
        self.deliveries: list[Delivery] = []
        self._done: set[str] = set()
        self._failures: list[int] = []
        self._hangs: list[float] = []
        self._closing = asyncio.Event()
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{PATH}"

    # --- Life ------------------------------------------------------------------------------

    async def start(self) -> PbxStandin:
        app = web.Application()
        app.router.add_post(PATH, self._receive)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def close(self) -> None:
        self._closing.set()  # lets hung requests finish at once
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> PbxStandin:
        return await self.start()

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    # --- What tests tell it ----------------------------------------------------------------

    def fail_next(self, status: int, times: int = 1) -> None:
        """Answer the next `times` signed requests with `status`, acting on none of them."""
        self._failures.extend([status] * times)

    def hang_next(self, seconds: float, times: int = 1) -> None:
        """Wait `seconds` before handling each of the next `times` requests."""
        self._hangs.extend([seconds] * times)

    async def wait_for(self, predicate: Callable[[PbxStandin], bool], timeout: float = 5.0) -> None:
        """Until `predicate(self)` holds, checked after every request; TimeoutError after
        `timeout` seconds."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: predicate(self))

    # --- The listener ----------------------------------------------------------------------

    async def _receive(self, request: web.Request) -> web.Response:
        raw = await request.read()
        if self._hangs:
            seconds = self._hangs.pop(0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), seconds)
        webhook_id = request.headers.get("webhook-id")
        if self._closing.is_set():
            status, message = 503, "closing"
        else:
            status, message = self._answer(request.headers, raw)
        async with self._changed:
            headers = CIMultiDict(request.headers)
            self.deliveries.append(Delivery(webhook_id, headers, raw, status))
            self._changed.notify_all()
        return web.json_response({"message": message}, status=status)

    def _answer(self, headers: Mapping[str, str], raw: bytes) -> tuple[int, str]:
        problem = self._signature_problem(headers, raw)
        if problem:
            return 401, problem
        if self._failures:
            return self._failures.pop(0), "failing as told"
        webhook_id = headers["webhook-id"]
        if webhook_id in self._done:
            return 200, "already done"  # a retry of an action that got through
        if headers.get("Content-Type", "").split(";")[0].strip() != "application/json":
            return 415, "application/json only"
        try:
            action = json.loads(raw)
        except ValueError:
            return 400, "not JSON"
        problem = _shape_problem(action)
        if problem:
            return 400, problem
        if action["call_id"] not in self.live_calls:
            return 404, "no such call"
        self._done.add(webhook_id)
        self.actions.append(action)
        return 200, "done"

    def _signature_problem(self, headers: Mapping[str, str], raw: bytes) -> str | None:
        webhook_id = headers.get("webhook-id", "")
        stamp = headers.get("webhook-timestamp", "")
        signatures = headers.get("webhook-signature", "")
        if not WEBHOOK_ID.fullmatch(webhook_id):
            return "webhook-id missing or malformed"
        if not (stamp.isascii() and stamp.isdigit()):
            return "webhook-timestamp missing or malformed"
        if abs(time.time() - int(stamp)) > self.tolerance:
            return "webhook-timestamp too far from now"
        signed = f"{webhook_id}.{stamp}.".encode() + raw
        expected = base64.b64encode(hmac.new(self.key, signed, hashlib.sha256).digest())
        for entry in signatures.split():
            version, _, value = entry.partition(",")
            if (
                version == "v1"
                and value.isascii()
                and hmac.compare_digest(expected, value.encode())
            ):
                return None
        return "webhook-signature does not match"


def _shape_problem(action: Any) -> str | None:
    if not isinstance(action, dict) or action.get("type") not in TYPES:
        return f"type must be one of {TYPES}"
    if not isinstance(action.get("call_id"), str):
        return "call_id must be text"
    say = action.get("say")
    if not isinstance(say, list) or not all(
        isinstance(entry, dict)
        and set(entry) == {"text", "prompt"}
        and all(isinstance(value, str) for value in entry.values())
        for entry in say
    ):
        return "say must be a list of {text, prompt}"
    if action["type"] == "call.move":
        headers = action.get("sip_headers")
        if not isinstance(action.get("room"), str) or not action["room"]:
            return "room must be text"
        if not (
            isinstance(headers, dict)
            and headers
            and all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items())
        ):
            return "sip_headers must map header names to text"
    return None
