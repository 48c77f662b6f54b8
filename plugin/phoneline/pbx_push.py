"""Actions pushed to the PBX kit (Asterisk or FreeSWITCH) for one live call.

One JSON object per action, POSTed to FACILITATE_PBX_ACTIONS_URL and signed the way the
PBX signs its events to us, as Standard Webhooks (https://www.standardwebhooks.com/):
`webhook-id` (new for each action, the same on its retry, so the PBX drops a repeat),
`webhook-timestamp` (unix seconds at each try; the PBX refuses one too far from its
clock) and `webhook-signature` (v1, HMAC-SHA256 of id.timestamp.body with the whsec_ key):

    {"type": "call.move", "call_id": "1700000000.42", "room": "breakout-1",
     "sip_headers": {"X-Room-Name": "breakout-1@muc.meet.jitsi"},
     "say": [{"text": "Moving you to your group.", "prompt": "moving-you-to-your-group"}]}
    {"type": "call.play", "call_id": "1700000000.42", "say": [...]}

`call.move` hangs up the caller's leg to Jigasi and dials it again with the new room in
the SIP header, playing `say` in between; `call.play` plays `say` to the caller while they
stay in the meeting. A 2xx answer means done; 404 or 410 that the call is gone.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from typing import Any

import aiohttp

from plugin.phoneline.common import PhoneLineConfig, PhoneLineError, Spoken, Transient
from plugin.security.standard_webhooks import sign

WHO = "the PBX"
GONE = frozenset({404, 410})


def new_webhook_id() -> str:
    """1 to 128 of A-Z a-z 0-9 _ . : - (what the PBX's own events use)."""
    return f"msg_{uuid.uuid4().hex}"


def move_body(
    call_id: str, room: str, header: str, conference: str, say: tuple[Spoken, ...]
) -> dict[str, Any]:
    return {
        "type": "call.move",
        "call_id": call_id,
        "room": room,
        "sip_headers": {header: conference},
        "say": said(say),
    }


def play_body(call_id: str, say: tuple[Spoken, ...]) -> dict[str, Any]:
    return {"type": "call.play", "call_id": call_id, "say": said(say)}


def said(say: tuple[Spoken, ...]) -> list[dict[str, str]]:
    return [{"text": entry.text, "prompt": entry.prompt} for entry in say]


def signed_headers(key: bytes, webhook_id: str, raw: bytes, now: int) -> Mapping[str, str]:
    return {
        "content-type": "application/json",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(now),
        "webhook-signature": sign(key, webhook_id, now, raw),
    }


async def post_action(
    session: aiohttp.ClientSession, config: PhoneLineConfig, webhook_id: str, raw: bytes
) -> None:
    """One try: signed now, so a retry carries a fresh timestamp with the same id."""
    assert config.pbx_actions_url is not None
    headers = signed_headers(config.pbx_actions_secret, webhook_id, raw, int(time.time()))
    try:
        async with session.post(
            config.pbx_actions_url, data=raw, headers=headers, allow_redirects=False
        ) as reply:
            status = reply.status
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        # Not the exception's text: it names the host and port.
        raise Transient(f"could not be reached ({type(exc).__name__})") from None
    if 200 <= status < 300:
        return
    if status in GONE:
        raise PhoneLineError("the call has ended")
    if status >= 500:
        raise Transient(f"answered HTTP {status}")
    if status in (401, 403):
        raise PhoneLineError(
            f"the PBX refused the action's signature (HTTP {status}): check that "
            "FACILITATE_PBX_ACTIONS_SECRET is the secret the PBX kit has, and both clocks"
        )
    if 300 <= status < 400:
        raise PhoneLineError(f"the PBX answered HTTP {status} (redirects are not followed)")
    raise PhoneLineError(f"the PBX refused the action (HTTP {status})")


def encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
