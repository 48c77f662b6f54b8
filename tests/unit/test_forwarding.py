"""Passing console requests on to a meeting's owner: only a request signed with the shared
key counts as passed on (a forged header changes nothing), the live feed is never passed
on, and an owner that cannot be reached leaves the request to the instance it reached."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from pydantic import SecretStr

from plugin import keys
from plugin.settings import Settings
from plugin.web import forwarding
from plugin.web.auth import client_ip
from plugin.web.forwarding import CLIENT, HEADER, forwarding_middleware, signature

SECRET = "forwarding-test-secret-key-that-is-long-enough-0123"
SESSION = "/sessions/AbC123xyz/queue"


class Owner:
    def __init__(self, url: str | None) -> None:
        self.url = url
        self.asked: list[str] = []

    async def owner_url(self, session_id: str) -> str | None:
        self.asked.append(session_id)
        return self.url


def request(
    path: str,
    owner: Owner,
    headers: dict[str, str] | None = None,
    client: aiohttp.ClientSession | None = None,
) -> web.Request:
    app = web.Application()
    app[keys.SETTINGS] = Settings(secret_key=SecretStr(SECRET))
    app[keys.OWNERSHIP] = owner  # type: ignore[misc]
    if client is not None:
        app[keys.PASS_ON] = client
    return make_mocked_request("POST", path, headers=headers or {}, app=app)


async def answered_here(req: web.Request) -> web.StreamResponse:
    return web.Response(text=f"here {client_ip(req)}")


async def text_of(response: Any) -> str:
    return str(response.text)


async def test_a_signed_request_is_answered_here_with_the_first_instances_client() -> None:
    sig = signature(SECRET.encode(), "POST", SESSION, "203.0.113.9")
    req = request(SESSION, Owner("http://127.0.0.1:1"), {HEADER: sig, CLIENT: "203.0.113.9"})
    response = await forwarding_middleware(req, answered_here)
    assert await text_of(response) == "here 203.0.113.9"


async def test_a_forged_header_is_not_trusted() -> None:
    owner = Owner(None)
    forged = {HEADER: "0" * 64, CLIENT: "198.51.100.1"}
    req = request(SESSION, owner, forged)
    response = await forwarding_middleware(req, answered_here)
    assert "198.51.100.1" not in await text_of(response)
    assert owner.asked == ["AbC123xyz"]  # treated as any request: the owner was looked up
    # A signature for another client address does not hold either.
    sig = signature(SECRET.encode(), "POST", SESSION, "203.0.113.9")
    req = request(SESSION, Owner(None), {HEADER: sig, CLIENT: "198.51.100.1"})
    assert "198.51.100.1" not in await text_of(await forwarding_middleware(req, answered_here))


async def test_the_live_feed_and_other_pages_are_never_passed_on() -> None:
    for path in ("/sessions/AbC123xyz/live", "/login", "/checkout/abc"):
        owner = Owner("http://127.0.0.1:1")
        response = await forwarding_middleware(request(path, owner), answered_here)
        assert (await text_of(response)).startswith("here")
        assert owner.asked == []


async def test_an_owner_that_cannot_be_reached_leaves_the_request_here() -> None:
    owner = Owner("http://127.0.0.1:9")  # the discard port: nothing listens
    async with pass_on_client() as client:
        response = await forwarding_middleware(
            request(SESSION, owner, client=client), answered_here
        )
    assert (await text_of(response)).startswith("here")
    assert owner.asked == ["AbC123xyz"]


@asynccontextmanager
async def pass_on_client() -> AsyncIterator[aiohttp.ClientSession]:
    """The client the app makes for passing requests on (forwarding.client)."""
    app = web.Application()
    context = forwarding.client(app)
    await anext(context)
    try:
        yield app[keys.PASS_ON]
    finally:
        with contextlib.suppress(StopAsyncIteration):
            await anext(context)


async def test_one_persons_cookie_never_goes_with_another_persons_request(
    aiohttp_server: Any,
) -> None:
    """The owner's answer to one person sets a cookie; the next request passed on, another
    person's, carries only its own."""
    cookies: list[str] = []

    async def owner_page(req: web.Request) -> web.Response:
        cookies.append(req.headers.get("Cookie", ""))
        response = web.Response(text="owner")
        response.set_cookie("sid", f"person-{len(cookies)}")
        return response

    app = web.Application()
    app.router.add_post(SESSION, owner_page)
    server = await aiohttp_server(app)
    owner = Owner(f"http://localhost:{server.port}")  # a name: a cookie jar would keep it
    async with pass_on_client() as client:
        first = request(SESSION, owner, {"Cookie": "sid=ann"}, client=client)
        answer = await forwarding_middleware(first, answered_here)
        assert await text_of(answer) == "owner"
        assert "person-1" in answer.headers.get("Set-Cookie", "")  # back to Ann's browser
        second = request(SESSION, owner, {"Cookie": "sid=bob"}, client=client)
        await forwarding_middleware(second, answered_here)
    assert cookies == ["sid=ann", "sid=bob"]
