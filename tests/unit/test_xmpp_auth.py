"""How the assistant signs in: which SASL mechanism, the SCRAM exchange against scramp's own
server side (including a server that cannot prove it knows the password), and the account
settings (both or neither, the login domain, secrets kept out of reprs)."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from xml.etree.ElementTree import fromstring

import pytest
from scramp import ScramMechanism  # type: ignore[import-untyped]

from plugin.jitsi.connector import account_of
from plugin.jitsi.sasl import (
    ANONYMOUS,
    PLAIN,
    SCRAM,
    Credentials,
    LoginRefused,
    can_be_overheard,
    choose_mechanism,
)
from plugin.jitsi.stanzas import StanzaError
from plugin.jitsi.xmpp import XmppStream
from plugin.settings import SettingsError, load_settings
from plugin.settings_checks import warnings

SASL = "urn:ietf:params:xml:ns:xmpp-sasl"
ACCOUNT = Credentials("facilitation", "meet.jitsi", "s3cret words")
WSS = "wss://meet.example.org/xmpp-websocket?room=r"

# --- which mechanism ---------------------------------------------------------------------


def test_scram_is_preferred_to_plain() -> None:
    assert choose_mechanism(["PLAIN", "SCRAM-SHA-1", "ANONYMOUS"], ACCOUNT, WSS) == SCRAM


def test_plain_when_it_is_all_the_server_offers_over_an_encrypted_socket() -> None:
    assert choose_mechanism(["PLAIN"], ACCOUNT, WSS) == PLAIN


@pytest.mark.parametrize(
    "url", ["ws://127.0.0.1:5280/xmpp-websocket", "ws://localhost/x", "ws://[::1]:80/x"]
)
def test_plain_over_ws_to_this_machine_is_allowed(url: str) -> None:
    assert not can_be_overheard(url)
    assert choose_mechanism(["PLAIN"], ACCOUNT, url) == PLAIN


@pytest.mark.parametrize("url", ["ws://meet.example.org/xmpp-websocket", "ws://10.0.0.5/x"])
def test_plain_over_unencrypted_ws_to_another_host_is_refused(url: str) -> None:
    with pytest.raises(LoginRefused) as refused:
        choose_mechanism(["PLAIN"], ACCOUNT, url)
    assert refused.value.condition == "encryption-required"
    assert "wss://" in str(refused.value)
    # SCRAM sends no password, so it is fine even there.
    assert choose_mechanism(["PLAIN", SCRAM], ACCOUNT, url) == SCRAM


def test_anonymous_without_an_account() -> None:
    assert choose_mechanism(["SCRAM-SHA-1", "ANONYMOUS"], None, WSS) == ANONYMOUS
    with pytest.raises(StanzaError, match="FACILITATE_XMPP_USERNAME"):
        choose_mechanism(["SCRAM-SHA-1", "PLAIN"], None, WSS)


def test_an_account_on_a_domain_that_only_takes_guests_is_a_clear_refusal() -> None:
    with pytest.raises(LoginRefused) as refused:
        choose_mechanism(["ANONYMOUS"], ACCOUNT, WSS)
    assert refused.value.condition == "invalid-mechanism"
    assert "FACILITATE_XMPP_AUTH_DOMAIN" in str(refused.value)
    with pytest.raises(LoginRefused):
        choose_mechanism(["SCRAM-SHA-1-PLUS"], ACCOUNT, WSS)  # needs channel binding


def test_the_password_stays_out_of_reprs_and_messages() -> None:
    assert "s3cret" not in repr(ACCOUNT)
    assert str(LoginRefused("not-authorized")) == (
        "the assistant's XMPP login was refused: not-authorized"
    )


# --- the SCRAM exchange ------------------------------------------------------------------


def _payload(text: str) -> str:
    element = fromstring(text)
    raw = (element.text or "").strip()
    return base64.b64decode(raw if raw != "=" else "").decode()


def _sasl(tag: str, data: str | None = None, child: str = "") -> str:
    body = "" if data is None else base64.b64encode(data.encode()).decode()
    return f"<{tag} xmlns='{SASL}'>{body}{child}</{tag}>"


class FakeServer:
    """The server side of the WebSocket as far as SASL goes: scramp's ScramServer with
    the right password, unless a test tampers with what it says."""

    def __init__(
        self,
        password: str = "s3cret words",  # noqa: S107 - a test account
        tamper: Callable[[str, str], str] = lambda step, text: text,
    ) -> None:
        mechanism = ScramMechanism(SCRAM)
        info = mechanism.make_auth_info(password, iteration_count=4096)
        self.scram = mechanism.make_server(lambda username: info)
        self.tamper = tamper
        self.sent: list[str] = []
        self.replies: asyncio.Queue[str] = asyncio.Queue()

    async def send(self, text: str) -> None:
        self.sent.append(text)
        tag = fromstring(text).tag.rsplit("}", 1)[-1]
        if tag == "auth" and fromstring(text).get("mechanism") == PLAIN:
            reply = _sasl("success")
        elif tag == "auth":
            self.scram.set_client_first(_payload(text))
            reply = _sasl("challenge", self.scram.get_server_first())
        elif len(self.sent) == 2:
            try:
                self.scram.set_client_final(_payload(text))
            except Exception:
                reply = _sasl("failure", child="<not-authorized/>")
            else:
                reply = _sasl("success", self.scram.get_server_final())
        else:
            reply = _sasl("success")
        await self.replies.put(self.tamper(tag, reply))

    async def recv(self) -> str:
        return await self.replies.get()


async def login(server: FakeServer, account: Credentials = ACCOUNT, mechanism: str = SCRAM) -> None:
    stream = XmppStream(WSS, "guest.meet.jitsi", lambda parsed: [], credentials=account)
    assert stream.domain == "meet.jitsi", "the stream goes to the account's domain"
    stream._ws = server  # type: ignore[assignment]
    await stream._login(mechanism)


async def test_scram_logs_in_and_checks_the_servers_proof() -> None:
    server = FakeServer()
    await login(server)
    first = _payload(server.sent[0])
    assert first.startswith("n,,n=facilitation,r=")
    assert all("s3cret" not in text for text in server.sent), "SCRAM never sends the password"


async def test_a_wrong_password_is_refused_with_the_servers_condition() -> None:
    with pytest.raises(LoginRefused) as refused:
        await login(FakeServer(password="another password"))
    assert refused.value.condition == "not-authorized"
    assert str(refused.value) == "the assistant's XMPP login was refused: not-authorized"


async def test_a_server_that_cannot_prove_it_knows_the_password_is_refused() -> None:
    def forge(step: str, text: str) -> str:
        if step == "response":  # a success carrying someone else's signature
            return _sasl("success", "v=" + base64.b64encode(b"x" * 20).decode())
        return text

    with pytest.raises(LoginRefused) as refused:
        await login(FakeServer(tamper=forge))
    assert refused.value.condition == "bad-server-proof"


async def test_a_success_without_the_servers_proof_is_refused() -> None:
    def early(step: str, text: str) -> str:
        return _sasl("success") if step == "auth" else text

    with pytest.raises(LoginRefused) as refused:
        await login(FakeServer(tamper=early))
    assert refused.value.condition == "bad-server-proof"

    def bare(step: str, text: str) -> str:
        return _sasl("success") if step == "response" else text

    with pytest.raises(LoginRefused, match="no proof"):
        await login(FakeServer(tamper=bare))


async def test_the_proof_may_come_as_a_last_challenge() -> None:
    def as_challenge(step: str, text: str) -> str:
        if step == "response" and text != _sasl("success"):
            return text.replace("<success", "<challenge").replace("</success>", "</challenge>")
        return text

    server = FakeServer(tamper=as_challenge)
    await login(server)
    assert fromstring(server.sent[-1]).tag == f"{{{SASL}}}response"


@pytest.mark.parametrize("iterations", [1000, 100_000_000])
async def test_weak_or_crippling_scram_parameters_are_refused_before_any_proof(
    iterations: int,
) -> None:
    def weaken(step: str, text: str) -> str:
        if step != "auth":
            return text
        first = _payload(text).replace(",i=4096", f",i={iterations}")
        return _sasl("challenge", first)

    server = FakeServer(tamper=weaken)
    with pytest.raises(LoginRefused) as refused:
        await login(server)
    assert refused.value.condition == "bad-server-challenge"
    assert len(server.sent) == 1


async def test_a_passing_failure_is_an_ordinary_connection_problem() -> None:
    def busy(step: str, text: str) -> str:
        return _sasl("failure", child="<temporary-auth-failure/>")

    with pytest.raises(StanzaError, match="temporary-auth-failure"):
        await login(FakeServer(tamper=busy))


async def test_plain_sends_the_name_and_password_once() -> None:
    server = FakeServer()
    await login(server, mechanism=PLAIN)
    assert _payload(server.sent[0]) == "\0facilitation\0s3cret words"


# --- settings ----------------------------------------------------------------------------

ENV = {"FACILITATE_XMPP_USERNAME": "facilitation", "FACILITATE_XMPP_PASSWORD": "s3cret words"}


def test_an_account_logs_in_on_the_xmpp_domain_unless_told_otherwise() -> None:
    settings = load_settings(environ=ENV)
    assert account_of(settings) == Credentials("facilitation", "meet.jitsi", "s3cret words")
    settings = load_settings(
        environ={
            **ENV,
            "FACILITATE_XMPP_DOMAIN": "guest.meet.jitsi",
            "FACILITATE_XMPP_AUTH_DOMAIN": "Meet.Jitsi",
        }
    )
    assert settings.xmpp_login_domain == "meet.jitsi"
    assert "s3cret" not in repr(settings) and "s3cret" not in repr(account_of(settings))
    assert account_of(load_settings(environ={})) is None


@pytest.mark.parametrize(
    ("environ", "problem"),
    [
        ({"FACILITATE_XMPP_USERNAME": "facilitation"}, "set both or neither"),
        ({"FACILITATE_XMPP_PASSWORD": "s3cret words"}, "set both or neither"),
        ({"FACILITATE_XMPP_AUTH_DOMAIN": "meet.jitsi"}, "only used with"),
        ({**ENV, "FACILITATE_XMPP_USERNAME": "bot@meet.jitsi"}, "FACILITATE_XMPP_AUTH_DOMAIN"),
        ({**ENV, "FACILITATE_XMPP_USERNAME": "a bot"}, "without spaces"),
        ({**ENV, "FACILITATE_XMPP_AUTH_DOMAIN": "meet jitsi"}, "bare XMPP domain"),
        (
            {**ENV, "FACILITATE_JWT_APP_ID": "app", "FACILITATE_JWT_APP_SECRET": "x" * 32},
            "choose one way",
        ),
    ],
)
def test_account_settings_problems_are_named(environ: dict[str, str], problem: str) -> None:
    with pytest.raises(SettingsError) as error:
        load_settings(environ=environ)
    assert any(problem in p for p in error.value.problems), error.value.problems
    assert "s3cret" not in str(error.value)


def test_jitsis_internal_auth_domain_is_probably_a_mistake() -> None:
    settings = load_settings(environ={**ENV, "FACILITATE_XMPP_AUTH_DOMAIN": "auth.meet.jitsi"})
    assert any("XMPP_DOMAIN" in w for w in warnings(settings))
    assert not any("AUTH_DOMAIN" in w for w in warnings(load_settings(environ=ENV)))
