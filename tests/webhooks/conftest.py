"""An app with both webhook sources configured, and helpers to post like the senders do."""

from __future__ import annotations

import io
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from pydantic import SecretStr

from plugin import keys
from plugin.clock import FixedClock
from plugin.settings import Settings
from tests.conftest import Client, app_of
from tests.support.app import app_for
from webhooks.jaas import sign

TOKEN = "prosody-webhook-token-0123456789abcdef"
JAAS_SECRET = "jaas-webhook-secret-0123456789abcdef"
OLD_JAAS_SECRET = "jaas-webhook-old-secret-0123456789"


@pytest.fixture
def hook_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "prosody_token": SecretStr(TOKEN),
            "jaas_secret": (SecretStr(JAAS_SECRET), SecretStr(OLD_JAAS_SECRET)),
        }
    )


@pytest.fixture
async def hooks(
    aiohttp_client: Callable[..., Awaitable[Client]], hook_settings: Settings, clock: FixedClock
) -> Client:
    return await aiohttp_client(app_for(hook_settings, clock))


def prosody_headers(token: str = TOKEN) -> dict[str, str]:
    """What event_sync sends: its fixed headers plus the admin's api_headers."""
    return {
        "User-Agent": "Prosody (0.12.3; posix)",
        "Content-Type": "application/json",
        "Authorization": f"Bearer {token}",
    }


async def post_prosody(client: Client, path: str, body: dict[str, Any] | bytes, **kw: Any) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return await client.post(
        f"/webhooks/prosody/events/{path}",
        data=io.BytesIO(raw),
        headers=kw.get("headers") or prosody_headers(),
    )


async def post_jaas(
    client: Client,
    body: dict[str, Any] | bytes,
    *,
    secret: str = JAAS_SECRET,
    at: int | None = None,
) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    stamp = at if at is not None else int(app_of(client)[keys.CLOCK].now().timestamp())
    headers = {
        "Content-Type": "application/json",
        "X-Jaas-Signature": sign(raw, secret.encode(), stamp),
    }
    return await client.post("/webhooks/jaas", data=raw, headers=headers)


async def applied(client: Client) -> None:
    """Run the after-the-response processing to the end, as the background loop would."""
    while await app_of(client)[keys.INTAKE].apply_pending():
        pass
