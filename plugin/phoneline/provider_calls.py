"""Moving a live call at a TwiML provider, through Twilio's call update API.

    POST {api_base}/2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json
    Authorization: Basic (AccountSid, AuthToken)
    Url={public_url}/webhooks/phone/twiml/rejoin&Method=POST

The provider stops what the call is doing (the Dial to Jigasi, so the caller leaves the
room) and fetches the new Url, which answers TwiML that dials Jigasi again with the new
room. That is all such a provider can do mid-call: a redirect to speak a message would take
the caller out of the meeting, so there is no `speak` here.

Answers: 200 done; 404 (error 20404) no such call; 400 with error 21220 a call no longer
in progress; 401 or 403 our account details refused. The provider's `message` is never
passed on: it can quote the request, phone numbers included.
"""

from __future__ import annotations

import ipaddress
import json
import re
from urllib.parse import quote, urlsplit

import aiohttp

from plugin.phoneline.common import (
    ACCOUNT_SID_SETTING,
    API_BASE_SETTING,
    BASE_URL_SETTING,
    PhoneLineConfig,
    PhoneLineError,
    Transient,
    log,
)

WHO = "the phone provider"
REJOIN_PATH = "/webhooks/phone/twiml/rejoin"
API_VERSION = "2010-04-01"
NOT_IN_PROGRESS = 21220  # "Calls that have completed cannot be ... redirected"
NO_SUCH_RESOURCE = 20404
# Twilio's are AC and 32 hex digits; compatible providers use other ids (SignalWire a UUID).
ACCOUNT_ID = re.compile(r"[A-Za-z0-9-]{1,64}")
LOOPBACK_NAMES = frozenset({"localhost"})
MAX_ERROR_BODY = 16_384


def _loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_config(config: PhoneLineConfig) -> None:
    """The settings' shapes, before anything with the account's details is sent."""
    assert config.provider_api_base is not None
    assert config.provider_account_sid is not None
    base = urlsplit(config.provider_api_base)
    if base.scheme not in ("https", "http") or not base.hostname:
        raise PhoneLineError(f"{API_BASE_SETTING} must be an https:// address")
    if base.scheme == "http" and not _loopback(base.hostname):
        raise PhoneLineError(
            f"{API_BASE_SETTING} must be https: the account's details go with each request"
        )
    if base.username or base.password or base.query or base.fragment:
        raise PhoneLineError(f"{API_BASE_SETTING} must be a plain address (no login, no ?)")
    if not ACCOUNT_ID.fullmatch(config.provider_account_sid):
        raise PhoneLineError(f"{ACCOUNT_SID_SETTING} is not an account id (letters and digits)")
    public = urlsplit(config.public_url)
    if public.scheme not in ("https", "http") or not public.hostname:
        raise PhoneLineError(
            f"{BASE_URL_SETTING} must be this service's public address for the provider to "
            "fetch the call's next steps from"
        )


def update_url(config: PhoneLineConfig, call_sid: str) -> str:
    assert config.provider_api_base is not None
    assert config.provider_account_sid is not None
    base = config.provider_api_base.rstrip("/")
    account = quote(config.provider_account_sid, safe="")
    return f"{base}/{API_VERSION}/Accounts/{account}/Calls/{call_sid}.json"


def rejoin_url(config: PhoneLineConfig) -> str:
    return config.public_url.rstrip("/") + REJOIN_PATH


async def _error_code(reply: aiohttp.ClientResponse) -> int | None:
    """The provider's numeric error `code`, if its answer has one (never its message)."""
    try:
        raw = await reply.content.read(MAX_ERROR_BODY)
        code = json.loads(raw).get("code")
    except (aiohttp.ClientError, TimeoutError, OSError, ValueError, AttributeError):
        return None
    return code if isinstance(code, int) and not isinstance(code, bool) else None


async def redirect(session: aiohttp.ClientSession, config: PhoneLineConfig, call_sid: str) -> None:
    """One try at pointing the call at the rejoin URL."""
    assert config.provider_account_sid is not None
    assert config.provider_auth_token is not None
    authorization = aiohttp.encode_basic_auth(
        config.provider_account_sid, config.provider_auth_token
    )
    form = {"Url": rejoin_url(config), "Method": "POST"}
    code: int | None = None
    try:
        async with session.post(
            update_url(config, call_sid),
            data=form,
            headers={"Authorization": authorization},
            allow_redirects=False,
        ) as reply:
            status = reply.status
            if status >= 400:
                code = await _error_code(reply)
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        # Not the exception's text: it names the host.
        raise Transient(f"could not be reached ({type(exc).__name__})") from None
    if 200 <= status < 300:
        return
    if code is not None:
        log.info("phone line: the phone provider answered HTTP %s, error %s", status, code)
    if status == 404 or code == NO_SUCH_RESOURCE or (status == 400 and code == NOT_IN_PROGRESS):
        raise PhoneLineError("the call has ended")
    if status in (401, 403):
        raise PhoneLineError("the provider refused our account details")
    if status >= 500:
        raise Transient(f"answered HTTP {status}")
    if 300 <= status < 400:
        raise PhoneLineError(
            f"the phone provider answered HTTP {status} (redirects are not followed)"
        )
    raise PhoneLineError(f"the phone provider refused the change (HTTP {status})")
