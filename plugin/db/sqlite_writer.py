"""Webhook commits on SQLite, in a small helper process.

A thread in the service would share the interpreter lock with the event loop, which holds
it nearly all the time under load: each SQLite statement then waits its turn for the lock
and a 1 ms commit takes 5 to 10. A helper process has its own. The service sends batches of
rows that are ready to insert and gets back the keys that were new; a 2xx still waits for
the helper's COMMIT (WAL, `synchronous=FULL`).

The helper also applies stored events to attendance (`plugin.db.applying`), so the two
writers never wait for each other's locks and applying never competes with the event loop.

Frames on the helper's stdin and stdout: a 4-byte big-endian length, then JSON.
Requests: `{"insert": [rows]}` (COLUMNS, as text) or `{"apply": limit, "now": ISO time}`.
Replies: `{"new": [keys]}`, `{"applied": count}`, or `{"error": message, "outage": bool}`.
The helper exits when its stdin closes.

Run as `python -m plugin.db.sqlite_writer PATH`. Inserting needs only the standard library,
so the helper starts in a few tens of milliseconds; SQLAlchemy is loaded at the first apply.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
import sys
import threading
from typing import Any, BinaryIO

from plugin.db.sqlite_pragmas import BUSY_TIMEOUT_MS, PRAGMAS

log = logging.getLogger(__name__)

COLUMNS = (
    "source",
    "dedupe_key",
    "event_type",
    "room",
    "tenant",
    "occurred_at",
    "received_at",
    "payload",
    "sightings",
)
KEY = COLUMNS.index("dedupe_key")
INSERT = f"INSERT INTO webhook_event ({', '.join(COLUMNS)}) VALUES "  # noqa: S608
ROW = "(" + ",".join("?" * len(COLUMNS)) + ")"
CHUNK = 100  # rows per statement: 900 parameters, under every SQLite's limit
REPLY_TIMEOUT = 15.0
CHECKPOINT_SECONDS = 0.5


class WriterFailed(Exception):
    """The helper could not store the batch. `outage` is true for trouble worth a retry
    (database locked, disk full, helper gone); false when the rows themselves were refused."""

    def __init__(self, message: str, *, outage: bool) -> None:
        super().__init__(message)
        self.outage = outage


def connect(path: str) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    for pragma in PRAGMAS:
        connection.execute(f"PRAGMA {pragma}")
    return connection


def insert_new(connection: sqlite3.Connection, rows: list[list[str]]) -> list[str]:
    """Insert the rows whose key is new, in one transaction; the keys that were new.

    A fixed handful of statements whatever the batch size."""
    keys = [row[KEY] for row in rows]
    connection.execute("BEGIN IMMEDIATE")  # the write lock: no one adds a key in between
    try:
        known: set[str] = set()
        for start in range(0, len(keys), CHUNK):
            chunk = keys[start : start + CHUNK]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT dedupe_key FROM webhook_event WHERE dedupe_key IN ({marks})"  # noqa: S608
            known.update(key for (key,) in connection.execute(query, chunk))
        for start in range(0, len(rows), CHUNK):
            chunk_rows = rows[start : start + CHUNK]
            values = [value for row in chunk_rows for value in row]
            statement = INSERT + ",".join([ROW] * len(chunk_rows)) + " ON CONFLICT DO NOTHING"
            connection.execute(statement, values)
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    new = []
    for key in keys:
        if key not in known:
            new.append(key)
            known.add(key)  # the same key twice in one batch: only the first is new
    return new


def _read_frame(stream: BinaryIO) -> bytes | None:
    head = stream.read(4)
    if len(head) < 4:
        return None
    return stream.read(int.from_bytes(head, "big"))


def _write_frame(stream: BinaryIO, value: Any) -> None:
    data = json.dumps(value).encode()
    stream.write(len(data).to_bytes(4, "big") + data)
    stream.flush()


def _checkpoints(path: str, stop: threading.Event) -> None:
    """Copy the WAL into the database file beside the commits, not inside one: a
    checkpoint can take tens of milliseconds, which a webhook would otherwise wait for."""
    connection = connect(path)
    while not stop.wait(CHECKPOINT_SECONDS):
        with contextlib.suppress(sqlite3.Error):  # busy now: the next round will do it
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
    connection.close()


class _Applier:
    """Applying, on a SQLAlchemy engine made at first use."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.engine: Any = None
        # Load SQLAlchemy beside the first inserts: loading it at the first apply would
        # hold a batch of webhooks for most of a second.
        threading.Thread(target=self._load, daemon=True).start()

    @staticmethod
    def _load() -> None:
        import plugin.db.applying
        import plugin.db.engine  # noqa: F401

    def __call__(self, limit: int, now: str) -> int:
        from datetime import datetime

        from plugin.db import applying
        from plugin.db.engine import sync_sqlite_engine

        if self.engine is None:
            self.engine = sync_sqlite_engine(f"sqlite:///{self.path}")
        with self.engine.begin() as connection:
            return applying.apply_batch(connection, limit, datetime.fromisoformat(now))


def _answer(connection: sqlite3.Connection, apply: _Applier, request: dict[str, Any]) -> Any:
    if "insert" in request:
        return {"new": insert_new(connection, request["insert"])}
    return {"applied": apply(int(request["apply"]), request["now"])}


def main(path: str) -> None:
    """The helper: one connection, one request at a time, until stdin closes."""
    connection = connect(path)
    apply = _Applier(path)
    connection.execute("PRAGMA wal_autocheckpoint=0")  # see _checkpoints
    stop = threading.Event()
    checkpointer = threading.Thread(target=_checkpoints, args=(path, stop), daemon=True)
    checkpointer.start()
    source, sink = sys.stdin.buffer, sys.stdout.buffer
    while (frame := _read_frame(source)) is not None:
        try:
            reply = _answer(connection, apply, json.loads(frame))
        except (sqlite3.OperationalError, sqlite3.InterfaceError) as exc:
            reply = {"error": str(exc), "outage": True}  # locked, disk full, I/O
        except Exception as exc:
            # SQLAlchemy wraps the same outages (imported here only if applying loaded it).
            outage = type(exc).__name__ in ("OperationalError", "InterfaceError")
            reply = {"error": f"{type(exc).__name__}: {exc}", "outage": outage}
        _write_frame(sink, reply)
    stop.set()
    checkpointer.join()
    connection.close()
    if apply.engine is not None:
        apply.engine.dispose()


class SqliteWriter:
    """The service's handle on the helper: started on first use, restarted if it dies."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._process: asyncio.subprocess.Process | None = None
        self._lock = asyncio.Lock()

    @property
    def pid(self) -> int | None:
        """The helper's process id while it runs."""
        running = self._process is not None and self._process.returncode is None
        return self._process.pid if running and self._process else None

    async def insert_new(self, rows: list[list[str]]) -> set[str]:
        """Store the rows whose key is new (one commit); the keys that were new."""
        return set((await self._ask({"insert": rows}))["new"])

    async def apply(self, limit: int, now: str) -> int:
        """Apply up to `limit` stored events to attendance; how many it applied."""
        return int((await self._ask({"apply": limit, "now": now}))["applied"])

    async def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        async with self._lock:
            process = await self._running()
            assert process.stdin is not None
            assert process.stdout is not None
            frame = json.dumps(request).encode()
            try:
                process.stdin.write(len(frame).to_bytes(4, "big") + frame)
                await process.stdin.drain()
                async with asyncio.timeout(REPLY_TIMEOUT):
                    head = await process.stdout.readexactly(4)
                    reply = json.loads(await process.stdout.readexactly(int.from_bytes(head)))
            except (OSError, asyncio.IncompleteReadError, TimeoutError) as exc:
                # Whether that batch committed is unknown: the senders get a 503 and retry,
                # and the keys make any retry of a committed event a duplicate.
                await self._stop()
                raise WriterFailed(f"the webhook writer stopped: {exc!r}", outage=True) from exc
        if "error" in reply:
            raise WriterFailed(reply["error"], outage=bool(reply["outage"]))
        return dict(reply)

    async def _running(self) -> asyncio.subprocess.Process:
        if self._process is not None and self._process.returncode is None:
            return self._process
        try:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                __name__,
                self.path,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )
        except OSError as exc:
            raise WriterFailed(f"cannot start the webhook writer: {exc}", outage=True) from exc
        return self._process

    async def _stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()

    async def close(self) -> None:
        async with self._lock:
            process = self._process
            if process is None or process.returncode is not None:
                return
            assert process.stdin is not None
            process.stdin.close()  # the helper finishes its batch and exits
            try:
                async with asyncio.timeout(10):
                    await process.wait()
            except TimeoutError:
                await self._stop()
            self._process = None


if __name__ == "__main__":
    main(sys.argv[1])
