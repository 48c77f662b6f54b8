"""One XMPP-over-WebSocket connection (RFC 7395): SASL, bind, iq tracking, ping.

Anonymous sign-in by default; with an account (`Credentials`) it logs in with SCRAM-SHA-1,
or PLAIN when that is all the server offers and the password cannot be overheard.

It knows nothing about meetings. Stanzas it cannot parse are logged and skipped; the
connection ends only when the socket does, a ping goes unanswered, or `close()` is called.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import secrets
from collections.abc import Callable
from typing import TypeVar
from xml.etree.ElementTree import Element

from scramp import ScramClient, ScramException  # type: ignore[import-untyped]
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException
from websockets.typing import Subprotocol

from plugin.jitsi import stanzas
from plugin.jitsi.jid import Jid
from plugin.jitsi.sasl import (
    ANONYMOUS,
    PASSING_FAILURES,
    PLAIN,
    SCRAM,
    Credentials,
    LoginRefused,
    choose_mechanism,
)
from plugin.jitsi.stanzas import Iq, Parsed, StanzaError
from plugin.jitsi.stanzas.sasl import SaslReply, parse_sasl_reply, sasl_element
from plugin.jitsi.urls import redact

log = logging.getLogger(__name__)
T = TypeVar("T")
# websockets logs request lines at DEBUG, and ours carry the bot's token: keep it quieter.
wire_log = logging.getLogger("plugin.jitsi.wire")
wire_log.setLevel(logging.INFO)

MAX_MESSAGE_BYTES = 1024 * 1024
HANDSHAKE_TIMEOUT = 15.0
CLOSE_TIMEOUT = 2.0
SEND_TIMEOUT = 10.0


class ConnectionLost(Exception):
    """The connection is gone or unusable; the bot reconnects."""


class IqFailed(Exception):
    def __init__(self, condition: str) -> None:
        super().__init__(condition)
        self.condition = condition


class XmppStream:
    def __init__(
        self,
        url: str,
        domain: str,
        on_stanza: Callable[[Parsed], list[str]],
        *,
        ping_seconds: float = 60.0,
        ping_timeout: float = 20.0,
        credentials: Credentials | None = None,
    ) -> None:
        self.url = url
        # With an account the stream goes to the account's domain: only there can it log in.
        self.domain = credentials.domain if credentials is not None else domain
        self.credentials = credentials
        self.on_stanza = on_stanza
        self.ping_seconds = ping_seconds
        self.ping_timeout = ping_timeout
        self.jid: Jid | None = None
        self.skipped = 0  # stanzas refused by the parser, for tests and metrics
        self._ws: ClientConnection | None = None
        self._pending: dict[str, tuple[asyncio.Future[Iq], str]] = {}
        self._ids = itertools.count(1)
        self._prefix = secrets.token_hex(3)

    def next_id(self) -> str:
        return f"{self._prefix}-{next(self._ids)}"

    async def connect(self) -> Jid:
        """Open the socket, sign in and bind; returns our full JID."""
        try:
            self._ws = await asyncio.wait_for(
                connect(
                    self.url,
                    subprotocols=[Subprotocol("xmpp")],
                    max_size=MAX_MESSAGE_BYTES,
                    ping_interval=None,  # XMPP pings instead: they prove the server, not a proxy
                    open_timeout=HANDSHAKE_TIMEOUT,
                    close_timeout=CLOSE_TIMEOUT,
                    logger=wire_log,
                ),
                HANDSHAKE_TIMEOUT,
            )
        except (OSError, WebSocketException, TimeoutError) as exc:
            raise ConnectionLost(f"cannot open {redact(self.url)}: {type(exc).__name__}") from exc
        try:
            return await asyncio.wait_for(self._negotiate(), HANDSHAKE_TIMEOUT)
        except TimeoutError as exc:
            await self.close()
            raise ConnectionLost("XMPP handshake timed out") from exc
        except LoginRefused:
            await self.close()
            raise
        except (StanzaError, ConnectionClosed) as exc:
            await self.close()
            raise ConnectionLost(f"XMPP handshake failed: {exc}") from exc

    async def _negotiate(self) -> Jid:
        features = await self._restart()
        mechanism = choose_mechanism(features.mechanisms, self.credentials, self.url)
        if mechanism == ANONYMOUS:
            await self._send_raw(stanzas.sasl_anonymous())
            result = await self._read_until(stanzas.SaslResult)
            if not result.success:
                raise StanzaError(f"anonymous sign-in refused: {result.condition}")
        else:
            await self._login(mechanism)
        features = await self._restart()
        if not features.bind:
            raise StanzaError("server offers no resource binding")
        bound = await self._handshake_iq(stanzas.bind_request())
        self.jid = stanzas.parse_bound_jid(bound)
        if features.session_required:
            await self._handshake_iq(stanzas.session_request())
        return self.jid

    async def _login(self, mechanism: str) -> None:
        account = self.credentials
        assert account is not None
        if mechanism == PLAIN:
            await self._send_raw(
                sasl_element("auth", f"\0{account.username}\0{account.password}", mechanism=PLAIN)
            )
            self._accept(await self._readsasl_element(), None)
        else:
            try:
                client = ScramClient([SCRAM], account.username, account.password)
            except ScramException as exc:  # SASLprep forbids some characters
                raise LoginRefused("incorrect-encoding", str(exc)) from exc
            await self._send_raw(sasl_element("auth", client.get_client_first(), mechanism=SCRAM))
            challenge = await self._readsasl_element()
            try:
                if challenge.kind != "challenge":
                    # A failure, or a success with no proof that can be right yet: refused.
                    self._accept(challenge, client)
                # scramp also refuses fewer than 4096 iterations (an overheard proof would
                # be easy to crack) and more than ten million (a hostile server's CPU trap).
                client.set_server_first(challenge.data)
            except ScramException as exc:
                raise LoginRefused("bad-server-challenge", str(exc)) from exc
            # PBKDF2 takes a while: keep it off the event loop other meetings share.
            proof = await asyncio.to_thread(client.get_client_final)
            try:
                await self._send_raw(sasl_element("response", proof))
                reply = await self._readsasl_element()
                if reply.kind == "challenge":  # the server's proof may come as a challenge
                    client.set_server_final(reply.data)
                    await self._send_raw(sasl_element("response"))
                    reply, client = await self._readsasl_element(), None
                self._accept(reply, client)
            except ScramException as exc:
                raise LoginRefused("bad-server-proof", str(exc)) from exc
        log.info("logged in to %s as %s with %s", account.domain, account.username, mechanism)

    @staticmethod
    def _accept(reply: SaslReply, scram: ScramClient | None) -> None:
        """Accept a success, checking the server's SCRAM proof when one is still due."""
        if reply.kind == "failure":
            if reply.condition in PASSING_FAILURES:
                raise StanzaError(f"login failed for now: {reply.condition}")
            raise LoginRefused(reply.condition)
        if reply.kind != "success":
            raise StanzaError(f"unexpected SASL {reply.kind}")
        if scram is not None:
            if not reply.data:
                raise LoginRefused("bad-server-proof", "the server sent no proof")
            scram.set_server_final(reply.data)

    async def _readsasl_element(self) -> SaslReply:
        ws = self._ws
        if ws is None:
            raise ConnectionLost("closed during the login")
        while True:
            message = await ws.recv()
            if isinstance(message, str) and (reply := parse_sasl_reply(message)) is not None:
                return reply

    async def _restart(self) -> stanzas.Features:
        await self._send_raw(stanzas.stream_open(self.domain))
        await self._read_until(stanzas.StreamOpen)
        return await self._read_until(stanzas.Features)

    async def _handshake_iq(self, child: Element) -> Iq:
        iq_id = self.next_id()
        await self._send_raw(stanzas.iq("set", iq_id, child=child))
        while True:
            reply = await self._read_until(Iq)
            if reply.iq_id == iq_id:
                if reply.kind != "result":
                    raise StanzaError(f"server refused {child.tag}: {reply.error}")
                return reply

    async def _read_until(self, kind: type[T]) -> T:
        ws = self._ws  # close() may clear self._ws while we wait
        if ws is None:
            raise ConnectionLost("closed during the handshake")
        while True:
            message = await ws.recv()
            if isinstance(message, bytes):
                continue
            parsed = stanzas.parse(message)
            if isinstance(parsed, stanzas.StreamClose):
                raise StanzaError("server closed the stream during the handshake")
            if isinstance(parsed, kind):
                return parsed

    async def serve(self) -> None:
        """Read stanzas until the connection ends; raises ConnectionLost when it does."""
        assert self._ws is not None
        pinger = asyncio.get_running_loop().create_task(self._ping_loop())
        try:
            async for message in self._ws:
                if not isinstance(message, str):
                    continue
                replies = self._dispatch(message)
                if replies is None:
                    break  # the server closed the XMPP stream
                for reply in replies:
                    await self.send(reply)
        except ConnectionClosed:
            pass
        finally:
            pinger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pinger
            self._fail_pending()
            await self.close()
        raise ConnectionLost("connection closed")

    def _dispatch(self, message: str) -> list[str] | None:
        """Handle one message and return the replies to send; None when the stream ended."""
        try:
            parsed = stanzas.parse(message)
        except StanzaError as exc:
            self.skipped += 1
            log.warning("skipped a stanza from %s: %s", self.domain, exc)
            return []
        except Exception:
            # A parser bug must cost one stanza, not the connection.
            self.skipped += 1
            log.exception("the stanza parser failed; skipped the stanza")
            return []
        if isinstance(parsed, stanzas.StreamClose):
            return None
        if isinstance(parsed, Iq) and parsed.kind in ("result", "error"):
            waiting = self._pending.get(parsed.iq_id)
            # Only the address we asked may answer (RFC 6120 8.1.2.1).
            if waiting is not None and str(parsed.sender or self.domain) == waiting[1]:
                del self._pending[parsed.iq_id]
                if not waiting[0].done():
                    waiting[0].set_result(parsed)
            return []
        try:
            return self.on_stanza(parsed)
        except Exception:
            # A bug in handling one stanza must not end the meeting for the bot.
            self.skipped += 1
            log.exception("handling a stanza failed; skipped it")
            return []

    def abort(self) -> None:
        """Drop the socket at once; serve() then ends with ConnectionLost."""
        if self._ws is not None:
            self._ws.transport.abort()

    async def _ping_loop(self) -> None:
        while True:
            await asyncio.sleep(self.ping_seconds)
            try:
                await self.request("get", self.domain, stanzas.ping_request(), self.ping_timeout)
            except IqFailed:
                pass  # any answer proves the server is there
            except (TimeoutError, ConnectionLost):
                # A silent server will not answer a polite close either: drop the socket.
                log.warning("no answer to ping from %s; reconnecting", self.domain)
                self.abort()
                return

    async def request(self, kind: str, to: str, child: Element, within: float = 20.0) -> Iq:
        """Send an iq and wait for its answer; IqFailed carries an error's condition."""
        iq_id = self.next_id()
        future: asyncio.Future[Iq] = asyncio.get_running_loop().create_future()
        self._pending[iq_id] = (future, to or self.domain)
        try:
            await self.send(stanzas.iq(kind, iq_id, to=to, child=child))
            reply = await asyncio.wait_for(future, within)
        finally:
            self._pending.pop(iq_id, None)
        if reply.kind == "error":
            raise IqFailed(reply.error or "error")
        return reply

    async def send(self, text: str) -> None:
        try:
            await asyncio.wait_for(self._send_raw(text), SEND_TIMEOUT)
        except ConnectionClosed as exc:
            raise ConnectionLost("connection closed while sending") from exc
        except TimeoutError as exc:
            self.abort()  # the server stopped reading: treat it as gone
            raise ConnectionLost("the server stopped reading") from exc

    async def _send_raw(self, text: str) -> None:
        if self._ws is None:
            raise ConnectionLost("not connected")
        await self._ws.send(text)

    def _fail_pending(self) -> None:
        for future, _ in self._pending.values():
            if not future.done():
                future.set_exception(ConnectionLost("connection closed"))
        self._pending.clear()

    async def close(self) -> None:
        ws, self._ws = self._ws, None
        if ws is None:
            return
        with contextlib.suppress(ConnectionClosed, OSError, TimeoutError):
            await asyncio.wait_for(ws.send(stanzas.stream_close()), CLOSE_TIMEOUT)
        await ws.close()  # gives up after CLOSE_TIMEOUT and drops the socket
