"""The bot's own Jitsi JWT, so that token-protected deployments let it in as a moderator."""

from __future__ import annotations

from datetime import datetime, timedelta

import jwt

TOKEN_LIFETIME = timedelta(hours=1)
# Prosody checks nbf against its own clock; a little slack absorbs clock drift.
CLOCK_SLACK = timedelta(minutes=1)


def mint_token(
    *,
    app_id: str,
    secret: str,
    audience: str,
    domain: str,
    room: str,
    tenant: str | None,
    display_name: str,
    bot_id: str,
    now: datetime,
) -> str:
    """A token with the claims Jitsi's token verification reads.

    `sub` is the tenant for tenant URLs and the XMPP domain otherwise; `context.user`
    carries the name shown to participants and `moderator: true`, which deployments that
    grant moderator from the token (token_affiliation, token_moderation) honour.
    """
    claims = {
        "iss": app_id,
        "aud": audience,
        "sub": tenant or domain,
        "room": room,
        "nbf": int((now - CLOCK_SLACK).timestamp()),
        "exp": int((now + TOKEN_LIFETIME).timestamp()),
        "context": {
            "user": {"id": bot_id, "name": display_name, "moderator": True},
            "features": {"create-polls": True},
        },
    }
    return jwt.encode(claims, secret, algorithm="HS256")
