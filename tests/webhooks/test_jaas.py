"""JaaS-style webhooks: signatures on the raw bytes, rotation, replay window, event types."""

from __future__ import annotations

import json
from typing import Any

import pytest

from plugin import keys
from plugin.db.models import Attendance, WebhookEvent
from tests.conftest import Client, app_of
from tests.webhooks.conftest import JAAS_SECRET, OLD_JAAS_SECRET, applied, post_jaas
from tests.webhooks.test_prosody import rows
from webhooks.jaas import sign


def envelope(event: str, key: str, **data: Any) -> dict[str, Any]:
    return {
        "idempotencyKey": key,
        "customerId": "cust-1",
        "appId": "vpaas-magic-cookie-1",
        "eventType": event,
        "sessionId": "sess-1",
        "timestamp": 1_790_000_000_000,
        "fqn": "vpaas-magic-cookie-1/CoProduction",
        "data": data,
    }


async def test_signed_events_are_stored_and_make_attendance(hooks: Client) -> None:
    joined = envelope("PARTICIPANT_JOINED", "k1", participantId="p1", name="Ana", moderator=False)
    dial = envelope("DIAL_IN_STARTED", "k2", participantId="p2", name="+447700900123")
    for body in (joined, dial):
        response = await post_jaas(hooks, body)
        assert response.status == 200, await response.text()
    await applied(hooks)
    stays = {s.occupant: s for s in await rows(hooks, Attendance)}
    assert stays["p1"].kind == "web"
    assert stays["p2"].kind == "phone"
    assert stays["p1"].room == "coproduction"
    assert stays["p1"].tenant == "vpaas-magic-cookie-1"


async def test_secret_rotation_and_several_signatures(hooks: Client) -> None:
    assert (
        await post_jaas(hooks, envelope("ROOM_CREATED", "r1"), secret=OLD_JAAS_SECRET)
    ).status == 200
    raw = json.dumps(envelope("ROOM_CREATED", "r2")).encode()
    stamp = int(app_of(hooks)[keys.CLOCK].now().timestamp())
    good = sign(raw, JAAS_SECRET.encode(), stamp).split(",")[1]
    header = f"t={stamp},v1=bm90IGl0,v0=ignored-scheme,{good}"
    response = await hooks.post("/webhooks/jaas", data=raw, headers={"X-Jaas-Signature": header})
    assert response.status == 200
    assert len(await rows(hooks, WebhookEvent)) == 2


@pytest.mark.parametrize(
    ("mangle", "reason"),
    [
        (lambda h, now: None, "missing"),
        (lambda h, now: h.replace("v1=", "v2="), "no v1"),
        (lambda h, now: h.split(",")[1], "timestamp"),
        (lambda h, now: h[:-4] + "AAA=", "does not match"),
        (lambda h, now: h.replace(f"t={now}", f"t={now - 301}"), "timestamp"),
        (lambda h, now: h.replace(f"t={now}", f"t={now + 301}"), "timestamp"),
    ],
)
async def test_bad_signatures_are_401(hooks: Client, mangle: Any, reason: str) -> None:
    raw = json.dumps(envelope("ROOM_CREATED", "x")).encode()
    now = int(app_of(hooks)[keys.CLOCK].now().timestamp())
    header = mangle(sign(raw, JAAS_SECRET.encode(), now), now)
    headers = {"X-Jaas-Signature": header} if header is not None else {}
    response = await hooks.post("/webhooks/jaas", data=raw, headers=headers)
    assert response.status == 401
    assert reason in (await response.json())["error"]
    assert await rows(hooks, WebhookEvent) == []


async def test_the_signature_covers_the_exact_bytes(hooks: Client) -> None:
    raw = json.dumps(envelope("ROOM_CREATED", "x")).encode()
    now = int(app_of(hooks)[keys.CLOCK].now().timestamp())
    header = sign(raw, JAAS_SECRET.encode(), now)
    changed = raw.replace(b"CoProduction", b"CoProductioN")
    response = await hooks.post(
        "/webhooks/jaas", data=changed, headers={"X-Jaas-Signature": header}
    )
    assert response.status == 401


async def test_unknown_types_are_acknowledged_and_ignored(hooks: Client) -> None:
    response = await post_jaas(hooks, envelope("RECORDING_UPLOADED", "u1"))
    assert response.status == 200
    assert (await response.json())["ignored"]
    assert await rows(hooks, WebhookEvent) == []


async def test_idempotency_key_and_shape_errors(hooks: Client) -> None:
    body = envelope("PARTICIPANT_LEFT", "same", participantId="p1")
    first, second = await post_jaas(hooks, body), await post_jaas(hooks, body)
    assert (await first.json())["duplicate"] is False
    assert (await second.json())["duplicate"] is True
    missing = envelope("PARTICIPANT_JOINED", "k9")
    response = await post_jaas(hooks, missing)
    assert response.status == 400
    assert (await response.json())["field"] == "data.participantId"
    bad = {**envelope("ROOM_CREATED", "k10"), "timestamp": "yesterday"}
    response = await post_jaas(hooks, bad)
    assert response.status == 400
    assert (await response.json())["field"] == "timestamp"
