"""10,000 generated bodies at every webhook endpoint, authenticated so they reach the
parsers and the store: never a 5xx. The endpoints come from the published OpenAPI file."""

from __future__ import annotations

import asyncio
import io
import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from tests.support.fuzz_server import FuzzServer, fuzz_server
from tests.webhooks.conftest import JAAS_SECRET, prosody_headers
from tests.webhooks.test_jaas import envelope
from tests.webhooks.test_prosody import T0, destroyed, joined, left, occupant
from webhooks.jaas import sign
from webhooks.openapi import SPEC

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10000"))
PER_EXAMPLE = 10  # bodies per hypothesis example, posted together
ENDPOINTS = sorted(SPEC["paths"])
VALID: dict[str, dict[str, Any]] = {
    "/webhooks/prosody/events/room/created": {
        "event_name": "muc-room-created",
        "room_name": "fuzz",
        "room_jid": "fuzz@muc.meet.jitsi",
        "created_at": T0,
    },
    "/webhooks/prosody/events/room/destroyed": destroyed(T0 + 9, [occupant(1, T0, T0 + 9)]),
    "/webhooks/prosody/events/occupant/joined": joined(1, T0),
    "/webhooks/prosody/events/occupant/left": left(1, T0, T0 + 5),
    "/webhooks/jaas": envelope("PARTICIPANT_JOINED", "k", participantId="p", name="N"),
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=6,
)


@st.composite
def mutated(draw: st.DrawFn, valid: dict[str, Any]) -> Any:
    """A valid body with keys dropped, values replaced, or nested parts swapped for junk."""
    body = json.loads(json.dumps(valid))
    for _ in range(draw(st.integers(1, 3))):
        target = body
        path = draw(st.lists(st.sampled_from(["occupant", "data", "all_occupants"]), max_size=1))
        for key in path:
            inner = target.get(key) if isinstance(target, dict) else None
            if isinstance(inner, list) and inner:
                inner = inner[0]
            if isinstance(inner, dict):
                target = inner
        if not isinstance(target, dict) or not target:
            break
        key = draw(st.sampled_from(sorted(target)))
        if draw(st.booleans()):
            del target[key]
        else:
            target[key] = draw(json_values)
    return body


def bodies(endpoint: str) -> st.SearchStrategy[bytes]:
    return st.one_of(
        mutated(VALID[endpoint]).map(lambda b: json.dumps(b).encode()),
        json_values.map(lambda b: json.dumps(b).encode()),
        st.binary(max_size=64),
        st.just(json.dumps(VALID[endpoint]).encode()),
    )


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, migrated_template: Any
) -> Iterator[FuzzServer]:
    with fuzz_server(
        tmp_path_factory.mktemp("fuzz"),
        migrated_template,
        prosody_token=SecretStr("prosody-webhook-token-0123456789abcdef"),
        jaas_secret=(SecretStr(JAAS_SECRET),),
    ) as running:
        yield running


def _post_all(
    server: tuple[asyncio.AbstractEventLoop, TestClient[Any, Any]], endpoint: str, raws: list[bytes]
) -> list[int]:
    """Post a handful of bodies at once, as a busy sender would; their statuses in order."""
    loop, client = server

    async def post(raw: bytes) -> int:
        if endpoint == "/webhooks/jaas":
            headers = {"X-Jaas-Signature": sign(raw, JAAS_SECRET.encode(), 1795428000)}
        else:
            headers = prosody_headers()
        response = await client.post(endpoint, data=io.BytesIO(raw), headers=headers)
        await response.read()
        return response.status

    async def post_all() -> list[int]:
        return list(await asyncio.gather(*(post(raw) for raw in raws)))

    return loop.run_until_complete(post_all())


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_generated_bodies_never_get_a_5xx(
    server: tuple[asyncio.AbstractEventLoop, TestClient[Any, Any]], endpoint: str
) -> None:
    statuses: set[int] = set()
    sent = [0]

    @settings(
        max_examples=EXAMPLES // PER_EXAMPLE,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        database=None,
    )
    @given(st.lists(bodies(endpoint), min_size=PER_EXAMPLE, max_size=PER_EXAMPLE))
    def check(raws: list[bytes]) -> None:
        for raw, status in zip(raws, _post_all(server, endpoint, raws), strict=True):
            statuses.add(status)
            assert status < 500, raw[:200]
        sent[0] += len(raws)

    check()
    assert sent[0] >= EXAMPLES
    assert 200 in statuses and 400 in statuses  # both the happy and the refusing paths ran
