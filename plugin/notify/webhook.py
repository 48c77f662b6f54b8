"""The outgoing alert webhook, signed as Standard Webhooks: `webhook-id` (the same for
every try of one alert, so a receiver can drop repeats), `webhook-timestamp` and
`webhook-signature` (v1, HMAC-SHA256 of id.timestamp.body with the whsec_ key)."""

from __future__ import annotations

import time

import aiohttp

from plugin.security.standard_webhooks import decode_secret
from plugin.security.standard_webhooks import sign as signature
from plugin.settings import Settings

__all__ = ["AlertWebhook", "WebhookError", "signature"]


class WebhookError(Exception):
    """A delivery that failed; the message is safe to show and to log."""


class AlertWebhook:
    def __init__(self, settings: Settings) -> None:
        self.url = settings.alert_webhook_url
        secret = settings.alert_webhook_secret
        self._key = decode_secret(secret.get_secret_value()) if secret else b""
        self.timeout = settings.smtp_timeout_seconds

    @property
    def enabled(self) -> bool:
        return bool(self.url and self._key)

    async def send(self, webhook_id: str, body: str) -> None:
        assert self.url is not None
        raw = body.encode()
        now = int(time.time())
        headers = {
            "content-type": "application/json",
            "webhook-id": webhook_id,
            "webhook-timestamp": str(now),
            "webhook-signature": signature(self._key, webhook_id, now, raw),
        }
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as client,
                client.post(self.url, data=raw, headers=headers, allow_redirects=False) as reply,
            ):
                if not 200 <= reply.status < 300:
                    raise WebhookError(f"the webhook answered {reply.status}")
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise WebhookError(f"could not reach the webhook: {type(exc).__name__}") from None
