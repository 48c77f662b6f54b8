"""Generated phone requests, correctly signed so they reach the parsers and the call state:
PBX events with mutated fields and TwiML callbacks with any form values, in any order on a
handful of call ids. Never a 5xx."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from tests.phone.conftest import BASE, NUMBERS, PBX_KEY, PBX_SECRET, SIP, TWIML_TOKEN
from tests.support.fuzz_server import NOW, FuzzServer, fuzz_server
from webhooks import pbx, twiml

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10000")) // 5  # 2,000 each by default
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
) -> Iterator[FuzzServer]:
    with fuzz_server(
        tmp_path_factory.mktemp("phone-fuzz"),
        migrated_template,
        base_url=BASE,
        dial_in_numbers=NUMBERS,
        twiml_auth_token=SecretStr(TWIML_TOKEN),
        pbx_webhook_secret=(SecretStr(PBX_SECRET),),
        jigasi_sip_uri=SIP,
    ) as running:
        yield running


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


def _never_5xx(server: Any, requests: st.SearchStrategy[Any], to_post: Any) -> set[int]:
    """Post 5 generated requests per example, in order; every status must be under 500."""
    statuses: set[int] = set()

    @settings(
        max_examples=EXAMPLES // 5,
        derandomize=True,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.lists(requests, min_size=5, max_size=5))
    def check(batch: list[Any]) -> None:
        got = _run(server, [to_post(n, item) for n, item in enumerate(batch)])
        statuses.update(got)
        assert all(status < 500 for status in got), list(zip(batch, got, strict=True))

    check()
    return statuses


def test_generated_pbx_events_never_get_a_5xx(server: Any) -> None:
    statuses = _never_5xx(server, pbx_event(), lambda n, event: _pbx_post(event, n))
    assert 200 in statuses
    assert {400, 404} <= statuses


def test_generated_twiml_callbacks_never_get_a_5xx(server: Any) -> None:
    statuses = _never_5xx(server, twiml_request(), lambda _n, request: _twiml_post(*request))
    assert 200 in statuses
    assert {400, 404} <= statuses
