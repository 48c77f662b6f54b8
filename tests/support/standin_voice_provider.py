"""A STAND-IN for a Twilio-compatible voice provider's Calls API, the part that updates a
live call, built from Twilio's public request and answer shapes, not from the provider.

    POST /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json   (form: Url, Method, Twiml)

It checks HTTP basic auth (the account SID and auth token), answering 401 with error 20003;
answers 404 with error 20404 for a CallSid it does not know, 400 with error 21220 for a call
that has ended, and 400 when neither Url nor Twiml is given; and keeps each update it
accepted. Then, like the provider, it fetches the new Url (unless `fetch_urls` is off):
a POST of the call's fields (CallSid, AccountSid, From, To, CallStatus=in-progress,
Direction=inbound, ApiVersion) signed with X-Twilio-Signature, keeping what it got back
(the TwiML) for tests to read. It runs nothing: no Dial, no Say.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

from webhooks import twiml

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "voice-provider-auth-token-0123456789"
CALLER = "+447700900123"  # a number Ofcom keeps for drama: never anyone's
CALLED = "+442079460000"
API_VERSION = "2010-04-01"
PREFIX = f"/{API_VERSION}/Accounts/{{account}}/Calls/{{call}}"


@dataclass
class Call:
    sid: str
    caller: str = CALLER
    called: str = CALLED
    status: str = "in-progress"


@dataclass(frozen=True)
class Update:
    """One call update the stand-in accepted."""

    call_sid: str
    form: dict[str, str]


@dataclass(frozen=True)
class Fetch:
    """The stand-in's request to a call's new Url, and what came back."""

    url: str
    method: str
    params: dict[str, str]
    status: int  # 0: the URL could not be reached
    body: str
    content_type: str


def _error(status: int, code: int, message: str) -> web.Response:
    return web.json_response(
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
        status=status,
    )


class VoiceProviderStandin:
    def __init__(
        self,
        account_sid: str = ACCOUNT_SID,
        auth_token: str = AUTH_TOKEN,
        *,
        calls: Iterable[str] = (),
        fetch_urls: bool = True,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.fetch_urls = fetch_urls
        self.calls: dict[str, Call] = {}
        for sid in calls:
            self.add_call(sid)
        self.updates: list[Update] = []
        self.refused: list[tuple[str, int]] = []  # (path, status) of each refused request
        self.fetches: list[Fetch] = []
        self._failures: list[tuple[int, str]] = []
        self._hangs: list[float] = []
        self._closing = asyncio.Event()
        self._changed = asyncio.Condition()
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None
        self.port = 0

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def add_call(self, sid: str, *, caller: str = CALLER, called: str = CALLED) -> Call:
        call = self.calls[sid] = Call(sid, caller, called)
        return call

    def end_call(self, sid: str) -> None:
        self.calls[sid].status = "completed"

    # --- Life ------------------------------------------------------------------------------

    async def start(self) -> VoiceProviderStandin:
        app = web.Application()
        app.router.add_post(PREFIX, self._update)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self._client = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5))
        return self

    async def close(self) -> None:
        self._closing.set()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    async def __aenter__(self) -> VoiceProviderStandin:
        return await self.start()

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    # --- What tests tell it ----------------------------------------------------------------

    def fail_next(self, status: int, times: int = 1, message: str = "failing as told") -> None:
        """Answer the next `times` authenticated updates with `status` (code = status)."""
        self._failures.extend([(status, message)] * times)

    def hang_next(self, seconds: float, times: int = 1) -> None:
        self._hangs.extend([seconds] * times)

    async def wait_for(
        self, predicate: Callable[[VoiceProviderStandin], bool], timeout: float = 5.0
    ) -> None:
        """Until `predicate(self)` holds, checked after every update and fetch."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: predicate(self))

    # --- The API ---------------------------------------------------------------------------

    async def _update(self, request: web.Request) -> web.Response:
        if self._hangs:
            seconds = self._hangs.pop(0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), seconds)
        response = await self._answer(request)
        async with self._changed:
            if response.status != 200:
                self.refused.append((request.path, response.status))
            self._changed.notify_all()
        return response

    async def _answer(self, request: web.Request) -> web.Response:
        if self._closing.is_set():
            return _error(503, 20500, "closing")
        if not self._authenticated(request.headers.get("Authorization", "")):
            return _error(401, 20003, "Authenticate")
        account, call_name = request.match_info["account"], request.match_info["call"]
        if account != self.account_sid or not call_name.endswith(".json"):
            return _error(404, 20404, f"The requested resource {request.path} was not found")
        if self._failures:
            status, message = self._failures.pop(0)
            return _error(status, status, message)
        form = {name: str(value) for name, value in (await request.post()).items()}
        call = self.calls.get(call_name.removesuffix(".json"))
        if call is None:
            return _error(404, 20404, f"The requested resource {request.path} was not found")
        if call.status != "in-progress":
            return _error(400, 21220, "Call is not in-progress. Cannot redirect.")
        if not form.get("Url") and not form.get("Twiml"):
            return _error(400, 21200, "Url or Twiml is required")
        method = form.get("Method", "POST").upper()
        if method not in ("GET", "POST"):
            return _error(400, 21200, "Method must be GET or POST")
        async with self._changed:
            self.updates.append(Update(call.sid, form))
        if form.get("Url") and self.fetch_urls:
            task = asyncio.get_running_loop().create_task(self._fetch(call, form["Url"], method))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return web.json_response(
            {
                "sid": call.sid,
                "account_sid": self.account_sid,
                "api_version": API_VERSION,
                "from": call.caller,
                "to": call.called,
                "status": call.status,
                "direction": "inbound",
                "uri": f"/{API_VERSION}/Accounts/{self.account_sid}/Calls/{call.sid}.json",
            }
        )

    def _authenticated(self, header: str) -> bool:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            login, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return login == self.account_sid and password == self.auth_token

    async def _fetch(self, call: Call, url: str, method: str) -> None:
        assert self._client is not None
        params = {
            "AccountSid": self.account_sid,
            "ApiVersion": API_VERSION,
            "CallSid": call.sid,
            "CallStatus": "in-progress",
            "Direction": "inbound",
            "From": call.caller,
            "To": call.called,
        }
        pairs = list(params.items())
        target = url if method == "POST" else f"{url}?{urlencode(pairs)}"
        signature = twiml.sign(self.auth_token.encode(), target, pairs if method == "POST" else [])
        status, body, content_type = 0, "", ""
        kwargs: dict[str, Any] = {"data": urlencode(pairs)} if method == "POST" else {}
        headers = {twiml.HEADER: signature}
        if method == "POST":
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            async with self._client.request(
                method, target, headers=headers, allow_redirects=False, **kwargs
            ) as reply:
                status, body = reply.status, await reply.text()
                content_type = reply.headers.get("Content-Type", "")
        except (aiohttp.ClientError, TimeoutError, OSError):
            pass
        async with self._changed:
            self.fetches.append(Fetch(url, method, params, status, body, content_type))
            self._changed.notify_all()
