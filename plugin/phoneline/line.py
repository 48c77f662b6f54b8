"""The phone line: one object that pushes actions to live calls, whichever dialect the call
came in by. See plugin.phoneline.pbx_push and plugin.phoneline.provider_calls for what goes
over the wire."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from types import TracebackType

import aiohttp

from plugin.phoneline import pbx_push, provider_calls
from plugin.phoneline.common import (
    ACCOUNT_SID_SETTING,
    API_BASE_SETTING,
    AUTH_TOKEN_SETTING,
    DIALECTS,
    ONE_LINE,
    PBX,
    PBX_CALL_ID,
    PBX_SECRET_SETTING,
    PBX_URL_SETTING,
    TWIML,
    TWIML_CALL_SID,
    CallRef,
    PhoneLineConfig,
    PhoneLineError,
    Spoken,
    log,
    missing,
    tail,
    with_one_retry,
)

__all__ = ["CallRef", "PhoneLine", "PhoneLineConfig", "PhoneLineError", "Spoken"]

CANNOT_PLAY = "this phone provider cannot play a message during the call"


class PhoneLine:
    """Moves callers between rooms and speaks to them, through the PBX kit or the TwiML
    provider. Open it once (one HTTP client for its life), close it at shutdown."""

    def __init__(self, config: PhoneLineConfig) -> None:
        self.config = config
        self._session: aiohttp.ClientSession | None = None

    # --- What is configured ------------------------------------------------------------

    def _pbx_missing(self) -> str | None:
        return missing(
            {
                PBX_URL_SETTING: self.config.pbx_actions_url,
                PBX_SECRET_SETTING: self.config.pbx_actions_secret,
            }
        )

    def _provider_missing(self) -> str | None:
        return missing(
            {
                API_BASE_SETTING: self.config.provider_api_base,
                ACCOUNT_SID_SETTING: self.config.provider_account_sid,
                AUTH_TOKEN_SETTING: self.config.provider_auth_token,
            }
        )

    def can_move(self, dialect: str) -> bool:
        if dialect == PBX:
            return self._pbx_missing() is None
        if dialect == TWIML:
            return self._provider_missing() is None and bool(self.config.public_url)
        return False

    def can_speak(self, dialect: str) -> bool:
        # A provider's redirect would take the caller out of the meeting to hear it.
        return dialect == PBX and self._pbx_missing() is None

    # --- Life ------------------------------------------------------------------------------

    async def open(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.config.timeout_seconds),
                cookie_jar=aiohttp.DummyCookieJar(),
            )

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def __aenter__(self) -> PhoneLine:
        await self.open()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    # --- Actions ---------------------------------------------------------------------------

    async def move(
        self, call: CallRef, *, room: str, conference: str, say: Sequence[Spoken] = ()
    ) -> None:
        """Put the caller in `room`: the PBX dials Jigasi again with `conference` in the
        room header (after playing `say`); a provider fetches the rejoin TwiML instead
        (which says what it says itself: `say` is not sent)."""
        self._check(call)
        if not ONE_LINE.fullmatch(room) or not ONE_LINE.fullmatch(conference):
            raise PhoneLineError("the room name is empty, too long or has control characters")
        session = self._open_session()
        if call.dialect == PBX:
            body = pbx_push.move_body(
                call.call_id, room, self.config.room_header, conference, tuple(say)
            )
            await self._logged("call.move", call, self._pbx_send(session, body))
        else:
            provider_calls.check_config(self.config)
            await self._logged(
                "call.move",
                call,
                with_one_retry(
                    lambda: provider_calls.redirect(session, self.config, call.call_id),
                    f"call.move twiml call {tail(call.call_id)}",
                    provider_calls.WHO,
                ),
            )

    async def speak(self, call: CallRef, say: Sequence[Spoken]) -> None:
        """Play `say` to the caller, who stays in the meeting (the PBX only)."""
        if call.dialect == TWIML:
            raise PhoneLineError(CANNOT_PLAY)
        self._check(call)
        if not say:
            return
        session = self._open_session()
        body = pbx_push.play_body(call.call_id, tuple(say))
        await self._logged("call.play", call, self._pbx_send(session, body))

    # --- Parts -----------------------------------------------------------------------------

    def _check(self, call: CallRef) -> None:
        """The dialect is known and configured, and the call id has its shape."""
        if call.dialect not in DIALECTS:
            raise PhoneLineError("unknown phone dialect (expected pbx or twiml)")
        unset = self._pbx_missing() if call.dialect == PBX else self._provider_missing()
        if unset:
            raise PhoneLineError(f"the phone line is not set up: set {unset}")
        shape = PBX_CALL_ID if call.dialect == PBX else TWIML_CALL_SID
        if not shape.fullmatch(call.call_id):
            raise PhoneLineError(
                "not a call id the PBX sends"
                if call.dialect == PBX
                else "not a call id the provider sends (CA and 32 hex digits)"
            )

    def _open_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            raise PhoneLineError("the phone line is not running (it was not opened)")
        return self._session

    async def _pbx_send(self, session: aiohttp.ClientSession, body: dict[str, object]) -> None:
        raw = pbx_push.encode(body)
        webhook_id = pbx_push.new_webhook_id()  # the same on the retry: the PBX drops repeats

        def attempt() -> Awaitable[None]:
            return pbx_push.post_action(session, self.config, webhook_id, raw)

        call_id = str(body["call_id"])
        await with_one_retry(attempt, f"{body['type']} pbx call {tail(call_id)}", pbx_push.WHO)

    @staticmethod
    async def _logged(action: str, call: CallRef, sending: Awaitable[None]) -> None:
        where = f"{action} {call.dialect} call {tail(call.call_id)}"
        try:
            await sending
        except PhoneLineError as exc:
            log.info("phone line: %s: failed: %s", where, exc)
            raise
        log.info("phone line: %s: done", where)
