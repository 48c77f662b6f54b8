"""Standard Webhooks secrets (`whsec_` + base64 key), read where the settings are checked
and where PBX events are verified (webhooks.pbx); and the `webhook-signature` a sender sets,
shared by the alert webhook (plugin.notify.webhook) and the actions pushed to a PBX
(plugin.phoneline)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

WHSEC = "whsec_"
MIN_KEY_BYTES = 24


def decode_secret(value: str) -> bytes:
    """The HMAC key in a Standard Webhooks secret, `whsec_<base64>`."""
    if not value.startswith(WHSEC):
        raise ValueError("a Standard Webhooks secret starts with whsec_ (facilitate pbx-secret)")
    try:
        key = base64.b64decode(value.removeprefix(WHSEC), validate=True)
    except (binascii.Error, ValueError) as exc:  # non-ASCII text is a ValueError
        raise ValueError("the part of the secret after whsec_ is not valid base64") from exc
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(
            f"the secret's key is {len(key)} bytes; it must be at least {MIN_KEY_BYTES} "
            "(make one with: facilitate pbx-secret)"
        )
    return key


def sign(key: bytes, webhook_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header: `v1,` and the base64 HMAC-SHA256, keyed with the
    decoded secret, of `<webhook-id>.<webhook-timestamp>.` followed by the raw body."""
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
