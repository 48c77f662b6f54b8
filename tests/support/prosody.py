"""Debian's Prosody, started on free loopback ports with a generated Jitsi-like config.

Anonymous VirtualHost, a MUC component (plus one for a tenant), WebSocket on the HTTP
port, and external-component slots for the stand-ins of Jitsi's focus and polls components
(Jicofo and Jitsi's Prosody modules are not installable here). Breakout rooms are a real MUC
component, breakout.DOMAIN, as in a Jitsi deployment, with the breakout module's stand-in
(prosody_modules/mod_muc_breakout_rooms_standin.lua) on it; only Jicofo may create rooms
there (`restrict_room_creation`, Jicofo's account as the component's admin). The focus
stand-in's occupants use FOCUS_USER, whose JID node is "focus" as Jicofo's is
(focus@auth.DOMAIN): Jitsi's modules tell Jicofo apart by that node.

Polls come in the deployment's style (`polls_style`): "component" declares polls.DOMAIN and
advertises it in the domain's disco#info, as docker-jitsi-meet stable-10532 and later do;
"room" loads the in-room mod_polls stand-in on the MUC and has no polls component at all,
as earlier releases, so Prosody itself bounces anything sent to polls.DOMAIN.

Accounts (`login`): a second VirtualHost, MEMBERS, with Prosody's internal_hashed accounts,
plays docker-jitsi-meet's XMPP_DOMAIN under ENABLE_AUTH=1/AUTH_TYPE=internal, while the
anonymous DOMAIN plays the guest domain (XMPP_GUEST_DOMAIN). `register()` adds an account
with prosodyctl, as an admin would; it works whether or not the server is running.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

PROSODY = shutil.which("prosody") or "/usr/bin/prosody"
PROSODYCTL = shutil.which("prosodyctl") or "/usr/bin/prosodyctl"
MODULES = Path(__file__).resolve().parent / "prosody_modules"
DOMAIN = "localhost"
MUC = f"conference.{DOMAIN}"
TENANT = "acme"
TENANT_MUC = f"conference.{TENANT}.{DOMAIN}"
FOCUS = f"focus.{DOMAIN}"
FOCUS_USER = f"focus@{FOCUS}"  # what Jicofo joins rooms as
BREAKOUT = f"breakout.{DOMAIN}"
POLLS = f"polls.{DOMAIN}"
COMPONENT_SECRET = "stand-in-secret"
MEMBERS = f"members.{DOMAIN}"
# Prosody 0.12's internal_hashed offers SCRAM-SHA-1 and (on a secure stream) PLAIN;
# "plain" takes SCRAM away so that PLAIN is all there is.
LOGIN_HOST = """
VirtualHost "{members}"
    authentication = "internal_hashed"
{mechanisms}
"""
LOGIN_STYLES = {
    "scram": "",
    "plain": '    disable_sasl_mechanisms = { "SCRAM-SHA-1"; "DIGEST-MD5" }',
}

CONFIG = """
daemonize = false
plugin_paths = {{ "{modules}" }}
modules_disabled = {{ "posix" }}
modules_enabled = {{ "disco"; "ping"; "websocket"; "saslauth"; "roster" }}
data_path = "{data}"
certificates = "{data}"
storage = "internal"
log = {{ {{ levels = {{ min = "info" }}, to = "file", filename = "{data}/prosody.log" }} }}
interfaces = {{ "127.0.0.1" }}
c2s_ports = {{ {c2s} }}
s2s_ports = {{ }}
http_ports = {{ {http} }}
http_interfaces = {{ "127.0.0.1" }}
https_ports = {{ }}
component_ports = {{ {component} }}
component_interface = "127.0.0.1"
http_default_host = "{domain}"
consider_websocket_secure = true
c2s_require_encryption = false
c2s_stanza_size_limit = 262144

VirtualHost "{domain}"
    authentication = "{anonymous_login}"
{vhost_extra}

Component "{muc}" "muc"
{muc_extra}
    restrict_room_creation = false
{jitsi_muc}
Component "{tenant_muc}" "muc"
{tenant_muc_extra}
    restrict_room_creation = false
{jitsi_muc}
Component "{focus}"
    component_secret = "{secret}"

Component "{breakout}" "muc"
    modules_enabled = {{ "{breakout_module}"{breakout_extra_module} }}
{breakout_extra}
    main_muc = "{muc}"
    restrict_room_creation = true
    admins = {{ "{focus_user}" }}
{jitsi_muc}
{polls_component}
"""
# What docker-jitsi-meet sets on its MUC components: rooms in memory, and a room cache far
# above Prosody's default of 100 (past it, rooms are evicted to storage and loaded again on
# the next stanza, which costs Prosody dearly with hundreds of live meetings).
JITSI_MUC = """    storage = "memory"
    muc_room_cache_size = 10000
    muc_room_locking = false
    muc_room_default_public_jids = true
    muc_tombstones = false
    muc_room_allow_persistent = false
"""
POLLS_COMPONENT = """
Component "{polls}"
    component_secret = "{secret}"
"""
# Jitsi's mod_features_identity publishes the component in the domain's disco#info.
POLLS_IDENTITY = """    modules_enabled = {{ "features_identity_standin" }}
    polls_component = "{polls}"
"""
POLLS_IN_ROOM = "polls_inroom_standin"
NICKNAME_CHECK = "muc_resource_validate_standin"
STRICT_NICKNAMES = """
    anonymous_strict = true
    anonymous_auth_methods = { "anonymous"; "jitsi-anonymous"; "token"; "jitsi_anonymous_standin" }
"""
BREAKOUT_MODULE = "muc_breakout_rooms_standin"


def _with_module(lines: str, module: str) -> str:
    """A section's extra lines with `module` enabled: one modules_enabled per section, so
    it joins a list already there."""
    if "modules_enabled = {" in lines:
        return lines.replace("modules_enabled = {", f'modules_enabled = {{ "{module}";', 1)
    return f'    modules_enabled = {{ "{module}" }}\n' + lines


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int) -> bool:
    with contextlib.closing(socket.socket()) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Prosody:
    directory: Path
    http: int = field(default_factory=free_port)
    c2s: int = field(default_factory=free_port)
    component: int = field(default_factory=free_port)
    # Extra lines for the main MUC component (e.g. the event_sync stand-in and its options).
    muc_extra: str = ""
    polls_style: str = "component"  # or "room": see the module docstring
    login: str | None = None  # "scram" or "plain": the MEMBERS host with accounts
    # Jitsi's nickname check on every MUC, in its strict mode (see the stand-in module).
    strict_nicknames: bool = False
    process: subprocess.Popen[bytes] | None = None
    _stderr: IO[bytes] | None = None

    @property
    def websocket_url(self) -> str:
        return f"ws://127.0.0.1:{self.http}/xmpp-websocket"

    @property
    def log_text(self) -> str:
        path = self.directory / "prosody.log"
        return path.read_text() if path.exists() else ""

    def _muc_lines(self) -> str:
        lines = self.muc_extra
        if self.polls_style == "room":
            lines = _with_module(lines, POLLS_IN_ROOM)
        if self.strict_nicknames:
            lines = _with_module(lines, NICKNAME_CHECK) + STRICT_NICKNAMES
        return lines

    def write_config(self) -> Path:
        if self.polls_style not in ("component", "room"):
            raise ValueError(f"polls_style is component or room, not {self.polls_style!r}")
        in_component = self.polls_style == "component"
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / "prosody.cfg.lua"
        path.write_text(
            CONFIG.format(
                data=self.directory,
                c2s=self.c2s,
                http=self.http,
                component=self.component,
                domain=DOMAIN,
                muc=MUC,
                tenant_muc=TENANT_MUC,
                focus=FOCUS,
                breakout=BREAKOUT,
                breakout_module=BREAKOUT_MODULE,
                focus_user=FOCUS_USER,
                polls=POLLS,
                secret=COMPONENT_SECRET,
                muc_extra=self._muc_lines(),
                jitsi_muc=JITSI_MUC,
                # Jitsi's anonymous login (UUIDs) where nicknames are checked strictly.
                anonymous_login="jitsi_anonymous_standin" if self.strict_nicknames else "anonymous",
                tenant_muc_extra=_with_module("", NICKNAME_CHECK) + STRICT_NICKNAMES
                if self.strict_nicknames
                else "",
                breakout_extra_module=f'; "{NICKNAME_CHECK}"' if self.strict_nicknames else "",
                breakout_extra=STRICT_NICKNAMES if self.strict_nicknames else "",
                vhost_extra=POLLS_IDENTITY.format(polls=POLLS) if in_component else "",
                polls_component=POLLS_COMPONENT.format(polls=POLLS, secret=COMPONENT_SECRET)
                if in_component
                else "",
                modules=MODULES,
            )
        )
        if self.login is not None:
            with path.open("a") as config:
                config.write(
                    LOGIN_HOST.format(members=MEMBERS, mechanisms=LOGIN_STYLES[self.login])
                )
        return path

    def register(self, user: str, password: str, host: str = MEMBERS) -> None:
        """`prosodyctl --config FILE register USER HOST PASSWORD`, as an admin would."""
        config = self.directory / "prosody.cfg.lua"
        if not config.exists():
            self.write_config()
        # --root: as root, prosodyctl would switch to the prosody user, who cannot write here.
        subprocess.run(
            [PROSODYCTL, "--root", "--config", str(config), "register", user, host, password],
            check=True,
            capture_output=True,
            timeout=30,
        )

    def start(self, timeout: float = 20.0) -> None:
        config = self.write_config()
        self._stderr = (self.directory / "stderr.log").open("ab")
        self.process = subprocess.Popen(
            [PROSODY, "--config", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"prosody exited: {self.log_text[-2000:]}")
            if port_open(self.http) and port_open(self.component):
                return
            time.sleep(0.05)
        raise RuntimeError("prosody did not open its ports in time")

    def kill(self) -> None:
        """Stop it hard, the way a crash or an OOM kill would."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        self._forget()

    def _forget(self) -> None:
        self.process = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self._forget()
