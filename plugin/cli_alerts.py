"""The alert parts of the command line: `facilitate check` tries the SMTP server, and
`facilitate notify-test ADDRESS` sends a test email straight away (not through the outbox,
so the answer is the server's own)."""

from __future__ import annotations

import sys
import time

from facilitation.notices import trial_notice
from plugin.notify.mail import Mailer, MailError
from plugin.settings import Settings


async def check_alerts(settings: Settings) -> list[str]:
    """Problems with the alert settings that only trying can find (printed by check)."""
    mailer = Mailer(settings)
    try:
        print(await mailer.check())
    except MailError as exc:
        return [f"FACILITATE_SMTP_HOST: {exc}"]
    if settings.alert_webhook_url:
        print(f"alert webhook: {settings.alert_webhook_url} (try it with a flag; not called here)")
    return []


async def notify_test(settings: Settings, address: str) -> int:
    mailer = Mailer(settings)
    if not mailer.enabled:
        print(
            "Email alerts are off: set FACILITATE_SMTP_HOST and FACILITATE_SMTP_FROM first.",
            file=sys.stderr,
        )
        return 2
    notice = trial_notice(settings.base_url)
    try:
        await mailer.send(address, notice.subject, notice.body, f"test.{time.time_ns()}")
    except MailError as exc:
        print(f"Not sent: {exc}", file=sys.stderr)
        return 1
    print(f"Sent a test email to {address} through {settings.smtp_host}.")
    return 0
