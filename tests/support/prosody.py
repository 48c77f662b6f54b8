"""Debian's Prosody, started on free loopback ports with a generated Jitsi-like config.

Anonymous VirtualHost, a MUC component (plus one for a tenant), WebSocket on the HTTP
port, and external-component slots for the stand-ins of Jitsi's focus, breakout and polls
components (Jicofo and Jitsi's Prosody modules are not installable here).
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
MODULES = Path(__file__).resolve().parent / "prosody_modules"
DOMAIN = "localhost"
MUC = f"conference.{DOMAIN}"
TENANT = "acme"
TENANT_MUC = f"conference.{TENANT}.{DOMAIN}"
FOCUS = f"focus.{DOMAIN}"
BREAKOUT = f"breakout.{DOMAIN}"
POLLS = f"polls.{DOMAIN}"
COMPONENT_SECRET = "stand-in-secret"

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
    authentication = "anonymous"

Component "{muc}" "muc"
{muc_extra}
    restrict_room_creation = false
    muc_room_locking = false
    muc_room_default_public_jids = true

Component "{tenant_muc}" "muc"
    restrict_room_creation = false
    muc_room_locking = false
    muc_room_default_public_jids = true

Component "{focus}"
    component_secret = "{secret}"

Component "{breakout}"
    component_secret = "{secret}"

Component "{polls}"
    component_secret = "{secret}"
"""


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
    process: subprocess.Popen[bytes] | None = None
    _stderr: IO[bytes] | None = None

    @property
    def websocket_url(self) -> str:
        return f"ws://127.0.0.1:{self.http}/xmpp-websocket"

    @property
    def log_text(self) -> str:
        path = self.directory / "prosody.log"
        return path.read_text() if path.exists() else ""

    def write_config(self) -> Path:
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
                polls=POLLS,
                secret=COMPONENT_SECRET,
                muc_extra=self.muc_extra,
                modules=MODULES,
            )
        )
        return path

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
