"""Email over SMTP (aiosmtplib): STARTTLS on 587 by default, TLS on 465, or a plain local
relay. The password and the message bodies never reach a log."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Awaitable, Callable
from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib

from plugin.settings import Settings


class MailError(Exception):
    """A send or check that failed; the message is safe to show and to log."""


class Mailer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @property
    def enabled(self) -> bool:
        return self.settings.smtp_host is not None

    def _client(self) -> aiosmtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context(cafile=str(s.smtp_ca_file) if s.smtp_ca_file else None)
        password = s.smtp_password.get_secret_value() if s.smtp_password else None
        return aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            username=s.smtp_username,
            password=password,
            use_tls=s.smtp_security == "tls",
            start_tls=s.smtp_security == "starttls",
            tls_context=context,
            timeout=s.smtp_timeout_seconds,
        )

    async def _session(self, work: Callable[[aiosmtplib.SMTP], Awaitable[object]]) -> None:
        """Connect (securing and signing in), do `work`, say goodbye; always close."""
        client = self._client()
        try:
            await client.connect()
            await work(client)
            with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                await client.quit()
        except (aiosmtplib.SMTPException, OSError, ssl.SSLError) as exc:
            raise MailError(_describe(exc)) from None
        finally:
            client.close()
            # Let the TLS shutdown finish before a short-lived loop (the CLI, a test) ends.
            await asyncio.sleep(0.1)

    def message(self, to: str, subject: str, body: str, message_id: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.settings.smtp_from or ""
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = message_id
        # Alerts are not replies to anything and should not set off out-of-office storms.
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(body)
        return message

    def message_id(self, key: str) -> str:
        """The same alert always has the same Message-ID, so a repeat can be recognised."""
        domain = (self.settings.smtp_from or "@localhost").rpartition("@")[2]
        safe = "".join(c if c.isalnum() or c in ".-" else "." for c in key)
        return f"<{safe}@{domain}>"

    async def send(self, to: str, subject: str, body: str, key: str) -> None:
        message = self.message(to, subject, body, self.message_id(key))
        await self._session(lambda client: client.send_message(message))

    async def check(self) -> str:
        """Connect, secure and sign in without sending: what `facilitate check` reports."""
        if not self.enabled:
            return "email alerts are off (FACILITATE_SMTP_HOST is unset)"
        await self._session(lambda client: client.noop())
        secured = {"starttls": "STARTTLS", "tls": "TLS", "none": "no encryption"}
        how = secured[self.settings.smtp_security]
        who = " and signed in" if self.settings.smtp_username else ""
        return (
            f"SMTP server {self.settings.smtp_host}:{self.settings.smtp_port} answered ({how}{who})"
        )


def _describe(exc: BaseException) -> str:
    """A short reason for the review page and the log: never the password or the body."""
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return f"the SMTP server refused the login ({exc.code})"
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return "the SMTP server refused the recipient"
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return f"SMTP error {exc.code}: {exc.message[:120]}"
    if isinstance(exc, aiosmtplib.SMTPConnectTimeoutError | aiosmtplib.SMTPTimeoutError):
        return "the SMTP server did not answer in time"
    if isinstance(exc, aiosmtplib.SMTPConnectError | ConnectionError):
        return "could not connect to the SMTP server"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {exc.reason or type(exc).__name__}"
    return f"{type(exc).__name__}: {str(exc)[:120]}"
