"""Settings with dial-in numbers and both phone dialects configured."""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from defusedxml import ElementTree
from pydantic import SecretStr

from plugin import keys
from plugin.settings import Settings
from tests.conftest import Client, app_of, post_form
from tests.conftest import settings as base_settings  # noqa: F401  (the fixture we extend)
from webhooks import pbx, twiml

NUMBERS = ("+44 20 7946 0000", "0800 123 4567 tollfree")
TWIML_TOKEN = "twilio-auth-token-0123456789abcdef"
PBX_KEY = b"pbx-standard-webhooks-key-0123456789"
PBX_SECRET = "whsec_" + base64.b64encode(PBX_KEY).decode()
SIP = "sip:jigasi@jigasi.meet.example.org"


@pytest.fixture
def settings(tmp_path: Path, base_settings: Settings) -> Settings:  # noqa: F811
    return base_settings.model_copy(
        update={
            "dial_in_numbers": NUMBERS,
            "twiml_auth_token": SecretStr(TWIML_TOKEN),
            "pbx_webhook_secret": (SecretStr(PBX_SECRET),),
            "jigasi_sip_uri": SIP,
        }
    )


BASE = "http://127.0.0.1:8080"  # the settings' base_url: what a provider signs


async def start_catchup(client: Client) -> tuple[str, str]:
    """A live session for the CatchUp room (the client must be signed in): (id, PIN)."""
    response = await post_form(client, "/sessions", {"meeting": "https://meet.example.org/CatchUp"})
    session_id = response.headers["Location"].rsplit("/", 1)[-1]
    mapping = await client.get(
        "/dial-in/conference-mapper", params={"conference": "catchup@muc.meet.jitsi"}
    )
    return session_id, str((await mapping.json())["id"])


async def post_twiml(
    client: Client,
    step: str,
    params: dict[str, str],
    *,
    token: str = TWIML_TOKEN,
    sign: bool = True,
) -> Any:
    path = f"/webhooks/phone/twiml/{step}"
    pairs = list(params.items())
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if sign:
        headers["X-Twilio-Signature"] = twiml.sign(token.encode(), BASE + path, pairs)
    return await client.post(path, data=urlencode(pairs).encode(), headers=headers)


def twilio_call(call_sid: str, caller: str = "+447700900123", **extra: str) -> dict[str, str]:
    """The fields a TwiML provider posts with every request about a call."""
    return {
        "AccountSid": "AC0123456789abcdef0123456789abcdef",
        "ApiVersion": "2010-04-01",
        "CallSid": call_sid,
        "CallStatus": "in-progress",
        "Direction": "inbound",
        "From": caller,
        "To": "+442079460000",
        **extra,
    }


def parse_twiml(text: str) -> Any:
    return ElementTree.fromstring(text)


async def post_pbx(
    client: Client,
    body: dict[str, Any] | bytes,
    *,
    webhook_id: str | None = None,
    at: int | None = None,
    key: bytes = PBX_KEY,
    headers: dict[str, str] | None = None,
) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    timestamp = at if at is not None else int(app_of(client)[keys.CLOCK].now().timestamp())
    sent = pbx_headers(raw, timestamp, key=key, webhook_id=webhook_id)
    if headers is not None:
        sent = headers
    return await client.post("/webhooks/phone/events", data=raw, headers=sent)


def pbx_headers(
    raw: bytes, timestamp: int, *, key: bytes = PBX_KEY, webhook_id: str | None = None
) -> dict[str, str]:
    """What the PBX kit sends with an event: Standard Webhooks' id, time and signature."""
    webhook_id = webhook_id or f"msg_{uuid.uuid4().hex}"
    return {
        "Content-Type": "application/json",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": pbx.sign(key, webhook_id, timestamp, raw),
    }
