"""Generated phone requests, correctly signed so they reach the parsers and the call state:
PBX events with mutated fields and TwiML callbacks with any form values, in any order on a
handful of call ids. Never a 5xx."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from plugin.app import create_app
from plugin.clock import FixedClock
from plugin.settings import Settings
from tests.phone.conftest import BASE, NUMBERS, PBX_KEY, PBX_SECRET, SIP, TWIML_TOKEN
from webhooks import pbx, twiml

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10000")) // 5  # 2,000 each by default
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
CALLS = st.sampled_from(["c1", "c2", "c3", "CA1", "CA2", ""])
KEYS = st.text(alphabet="0123456789*#a \u0000é", max_size=14)
ANY = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=20)
    | st.lists(st.integers(), max_size=2)
)


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, migrated_template: Any
) -> Iterator[tuple[asyncio.AbstractEventLoop, TestClient[Any, Any]]]:
    directory = tmp_path_factory.mktemp("phone-fuzz")
    shutil.copy(migrated_template, directory / "fuzz.db")
    config = Settings(
        database_url=f"sqlite:///{directory / 'fuzz.db'}",
        data_dir=directory / "data",
        secret_key=SecretStr("fuzz-secret-key-that-is-long-enough-0123456789"),
        jitsi_url=("https://meet.example.org",),
        base_url=BASE,
        bot_enabled=False,
        dial_in_numbers=NUMBERS,
        twiml_auth_token=SecretStr(TWIML_TOKEN),
        pbx_webhook_secret=(SecretStr(PBX_SECRET),),
        jigasi_sip_uri=SIP,
    )
    loop = asyncio.new_event_loop()
    client: TestClient[Any, Any] = TestClient(
        TestServer(create_app(config, clock=FixedClock(NOW))), loop=loop
    )
    loop.run_until_complete(client.start_server())
    yield loop, client
    loop.run_until_complete(client.close())
    loop.close()


@st.composite
def pbx_event(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["call.started", "dtmf", "call.left_meeting", "call.ended", "x"]))
    body: dict[str, Any] = {"type": kind, "call_id": draw(CALLS)}
    if kind == "call.started":
        body["caller_id"] = draw(st.sampled_from(["+447700900123", "", "anonymous"]))
        choice = draw(st.sampled_from(["pin", "room", "none"]))
        if choice == "pin":
            body["pin"] = draw(KEYS)
        elif choice == "room":
            body["room"] = draw(st.sampled_from(["catchup", "a@muc.meet.jitsi", "b@other.org", ""]))
    if kind == "dtmf":
        body["digits"] = draw(st.sampled_from(["*9", "1", "2", "3", "#"]) | KEYS)
    for _ in range(draw(st.integers(0, 2))):
        key = draw(
            st.sampled_from(["type", "call_id", "digits", "pin", "room", "language", "extra"])
        )
        if draw(st.booleans()):
            body.pop(key, None)
        else:
            body[key] = draw(ANY)
    return body


@st.composite
def twiml_request(draw: st.DrawFn) -> tuple[str, list[tuple[str, str]]]:
    step = draw(st.sampled_from(["incoming", "gather", "dial-ended", "status"]))
    params = [("CallSid", draw(CALLS)), ("From", draw(st.sampled_from(["+447700900123", ""])))]
    if draw(st.booleans()):
        params.append(("Digits", draw(KEYS)))
    if draw(st.booleans()):
        params.append(("DialCallStatus", draw(st.sampled_from(["completed", "failed", "odd"]))))
    if draw(st.booleans()):
        params.append((draw(st.text(max_size=8)), draw(st.text(max_size=8))))
    return step, params


def _run(
    server: tuple[asyncio.AbstractEventLoop, TestClient[Any, Any]], posts: list[Any]
) -> list[int]:
    loop, client = server

    async def one(post: Any) -> int:
        response = await post(client)
        await response.read()
        return int(response.status)

    async def all_of() -> list[int]:
        return [await one(post) for post in posts]  # in order: later ones meet earlier state

    return loop.run_until_complete(all_of())


def _pbx_post(body: dict[str, Any], n: int) -> Any:
    raw = json.dumps(body).encode()
    stamp = int(NOW.timestamp())
    webhook_id = f"msg_fuzz_{n}_{id(body)}"
    headers = {
        "Content-Type": "application/json",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": pbx.sign(PBX_KEY, webhook_id, stamp, raw),
    }
    return lambda client: client.post("/webhooks/phone/events", data=raw, headers=headers)


def _twiml_post(step: str, params: list[tuple[str, str]]) -> Any:
    path = f"/webhooks/phone/twiml/{step}"
    try:
        signature = twiml.sign(TWIML_TOKEN.encode(), BASE + path, params)
    except UnicodeEncodeError:
        signature = "x"
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
    data = urlencode(params).encode()
    return lambda client: client.post(path, data=data, headers=headers)


def test_generated_pbx_events_never_get_a_5xx(server: Any) -> None:
    statuses: set[int] = set()

    @settings(
        max_examples=EXAMPLES // 5,
        derandomize=True,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.lists(pbx_event(), min_size=5, max_size=5))
    def check(events: list[dict[str, Any]]) -> None:
        got = _run(server, [_pbx_post(event, n) for n, event in enumerate(events)])
        statuses.update(got)
        assert all(status < 500 for status in got), list(zip(events, got, strict=True))

    check()
    assert 200 in statuses
    assert {400, 404} <= statuses


def test_generated_twiml_callbacks_never_get_a_5xx(server: Any) -> None:
    statuses: set[int] = set()

    @settings(
        max_examples=EXAMPLES // 5,
        derandomize=True,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.lists(twiml_request(), min_size=5, max_size=5))
    def check(requests: list[tuple[str, list[tuple[str, str]]]]) -> None:
        got = _run(server, [_twiml_post(step, params) for step, params in requests])
        statuses.update(got)
        assert all(status < 500 for status in got), list(zip(requests, got, strict=True))

    check()
    assert 200 in statuses
    assert {400, 404} <= statuses
