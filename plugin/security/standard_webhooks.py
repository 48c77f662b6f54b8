"""Standard Webhooks secrets (`whsec_` + base64 key), read where the settings are checked
and where PBX events are verified (webhooks.pbx)."""

from __future__ import annotations

import base64
import binascii

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
