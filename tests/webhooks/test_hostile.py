"""Requests no well-behaved sender makes, sent byte for byte: never a 500."""

from __future__ import annotations

import asyncio
import json

import pytest

from plugin import keys
from plugin.db.models import WebhookEvent
from tests.conftest import Client, app_of
from tests.webhooks.conftest import JAAS_SECRET, TOKEN, post_jaas, post_prosody
from tests.webhooks.test_jaas import envelope
from tests.webhooks.test_prosody import T0, joined, rows
from webhooks.jaas import sign

PATH = "/webhooks/prosody/events/occupant/joined"


async def raw_request(client: Client, head: bytes, body: bytes = b"") -> tuple[int, bytes]:
    """Send exactly these bytes; returns the status and the body of the answer."""
    assert client.server.port is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", client.server.port)
    writer.write(head + b"\r\n" + body)
    await writer.drain()
    answer = await reader.read()
    writer.close()
    status = int(answer.split(b" ", 2)[1])
    return status, answer.split(b"\r\n\r\n", 1)[-1]


def head(path: str, *headers: bytes) -> bytes:
    lines = [f"POST {path} HTTP/1.1".encode(), b"Host: test", b"Connection: close", *headers]
    return b"\r\n".join(lines) + b"\r\n"


async def test_chunked_bodies_are_read_whole_and_limited(hooks: Client) -> None:
    body = json.dumps(joined(1, T0)).encode()
    chunks = b"".join(
        b"%x\r\n%s\r\n" % (len(body[i : i + 7]), body[i : i + 7]) for i in range(0, len(body), 7)
    )
    status, _ = await raw_request(
        hooks,
        head(PATH, b"Authorization: Bearer " + TOKEN.encode(), b"Transfer-Encoding: chunked"),
        chunks + b"0\r\n\r\n",
    )
    assert status == 200
    big = b"x" * 4096
    many = b"".join(b"%x\r\n%s\r\n" % (len(big), big) for _ in range(300)) + b"0\r\n\r\n"
    status, _ = await raw_request(
        hooks,
        head(PATH, b"Authorization: Bearer " + TOKEN.encode(), b"Transfer-Encoding: chunked"),
        many,
    )
    assert status == 413


@pytest.mark.parametrize(
    "header",
    [
        b"Authorization: Bearer \xff\xfe",
        b"Authorization: Bearer " + TOKEN.encode() + b"\xff",
    ],
)
async def test_undecodable_bearer_tokens_are_401(hooks: Client, header: bytes) -> None:
    body = json.dumps(joined(1, T0)).encode()
    status, _ = await raw_request(
        hooks, head(PATH, header, b"Content-Length: %d" % len(body)), body
    )
    assert status == 401


@pytest.mark.parametrize(
    "header",
    [b"X-Jaas-Signature: t=%d,v1=\xff\xfe", b"X-Jaas-Signature: t=\xc2\xb2,v1=abc"],
)
async def test_undecodable_signatures_are_401(hooks: Client, header: bytes) -> None:
    body = json.dumps(envelope("ROOM_CREATED", "h1")).encode()
    now = int(app_of(hooks)[keys.CLOCK].now().timestamp())
    line = header % now if b"%d" in header else header
    status, _ = await raw_request(
        hooks, head("/webhooks/jaas", line, b"Content-Length: %d" % len(body)), body
    )
    assert status == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"event_name": NaN}', None),
        (json.dumps({**joined(1, T0), "room_name": "a\u0000b"}).encode(), "room_name"),
        (json.dumps(joined(1, T0)).replace('"Person 1"', '"\\ud800x"').encode(), "occupant.name"),
        (
            json.dumps({**joined(1, T0), "room_jid": "r" * 250 + "@muc.meet.jitsi"}).encode(),
            "room_jid",
        ),
        (
            json.dumps(
                {
                    **joined(1, T0),
                    "occupant": {**joined(1, T0)["occupant"], "occupant_jid": "o" * 400},
                }
            ).encode(),
            "occupant.occupant_jid",
        ),
    ],
)
async def test_text_a_database_cannot_store_is_a_400(
    hooks: Client, body: bytes, field: str | None
) -> None:
    response = await post_prosody(hooks, "occupant/joined", body)
    assert response.status == 400
    if field:
        assert (await response.json())["field"] == field
    assert await rows(hooks, WebhookEvent) == []


async def test_signed_jaas_with_unstorable_text_is_a_400(hooks: Client) -> None:
    raw = (
        json.dumps(envelope("PARTICIPANT_JOINED", "s1", participantId="x"))
        .replace('"x"', '"\\ud800x"')
        .encode()
    )
    stamp = int(app_of(hooks)[keys.CLOCK].now().timestamp())
    response = await hooks.post(
        "/webhooks/jaas",
        data=raw,
        headers={"X-Jaas-Signature": sign(raw, JAAS_SECRET.encode(), stamp)},
    )
    assert response.status == 400
    ok = await post_jaas(hooks, envelope("PARTICIPANT_JOINED", "s2", participantId="y"))
    assert ok.status == 200
