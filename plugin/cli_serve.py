"""`facilitate serve` with FACILITATE_WORKERS above 1 (PostgreSQL only): several processes
answer on one port, the kernel sharing the connections out (SO_REUSEPORT).

Each worker is an instance like any other (its own meetings, its own leases) with a private
address of its own, where the others pass on console requests for the meetings it runs:
the same host, a port the system picks. The supervisor starts the workers, passes SIGTERM
and SIGINT on to them (each hands its meetings over), and if one dies, stops the rest and
exits with an error so the service manager restarts the whole set.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from urllib.parse import urlsplit

from aiohttp.web_runner import GracefulExit

from plugin.db.engine import is_postgres
from plugin.settings import Settings

POLL_SECONDS = 0.5
STOP_SECONDS = 30


def worker_sockets(settings: Settings) -> tuple[Settings, list[socket.socket]]:
    """The shared port (SO_REUSEPORT) and this worker's private one; the settings with
    this worker's own address as its instance URL."""
    public = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    public.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    public.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    public.bind((settings.host, settings.port))
    own = urlsplit(settings.instance_url or "http://127.0.0.1")
    private_host = own.hostname or "127.0.0.1"
    private = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    private.bind((private_host, 0))
    url = f"{own.scheme or 'http'}://{private_host}:{private.getsockname()[1]}"
    return settings.model_copy(update={"instance_url": url}), [public, private]


def stop_once_loop() -> asyncio.AbstractEventLoop:
    """A worker's loop: the first SIGTERM or SIGINT starts a clean stop, and later ones
    (systemd signals the whole group, the supervisor passes its own on) do not cut the
    hand-over short."""
    loop = asyncio.new_event_loop()
    stopping = False

    def stop() -> None:
        # Two signals arriving together are both queued before the first runs: only the
        # first may raise, or the second would cut the clean-up short.
        nonlocal stopping
        if stopping:
            return
        stopping = True
        raise GracefulExit()

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop)
    return loop


def supervise(settings: Settings, argv: list[str]) -> int:
    if not is_postgres(settings.database_url):
        print(
            "FACILITATE_WORKERS: several workers need PostgreSQL (FACILITATE_DATABASE_URL); "
            "with SQLite, run one.",
            file=sys.stderr,
        )
        return 2
    settings.with_secret_key()  # made once here, not raced by the workers
    command = [sys.executable, "-m", "plugin", *argv, "--worker"]
    env = {**os.environ, "FACILITATE_WORKERS": "1"}
    # Their own session: a Ctrl-C reaches the supervisor, which passes it on once.
    children = [
        subprocess.Popen(command, env=env, start_new_session=True)  # noqa: S603 - our own command
        for _ in range(settings.workers)
    ]
    print(
        f"======== {settings.workers} workers on http://{settings.host}:{settings.port} ========",
        flush=True,
    )
    stopping = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while not stopping and all(child.poll() is None for child in children):
        time.sleep(POLL_SECONDS)
    failed = [child.returncode for child in children if child.returncode not in (None, 0)]
    if not stopping:
        # A worker that stopped cleanly was told to (systemd signals every process of the
        # service); one that failed takes the others down, for the service manager.
        if failed:
            print("facilitate serve: a worker failed; stopping the others", file=sys.stderr)
        stopping = not failed
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            child.kill()
    return 0 if stopping and all(child.returncode == 0 for child in children) else 1
