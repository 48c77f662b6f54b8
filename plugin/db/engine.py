"""The async engine: URL translation, SQLite durability pragmas, a session factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool
from sqlmodel.ext.asyncio.session import AsyncSession

from plugin.db.sqlite_pragmas import BUSY_TIMEOUT_MS, PRAGMAS

SQLITE_BUSY_TIMEOUT_MS = BUSY_TIMEOUT_MS
# hide_parameters on every engine: bound values are PINs, join codes, names and password
# hashes, never to be in a log line or an exception message whatever the log level
# (plugin/log_redaction.py also quiets the engine's loggers: at DEBUG they print result rows).


def async_url(url: str) -> str:
    """Accept the plain URLs admins write and pick the async driver."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    if parsed.drivername == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in PRAGMAS:
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _connect_errors_as_dbapi(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
    # asyncpg raises bare OSError when the server is unreachable; make it a DBAPI error
    # so callers see one exception family (SQLAlchemyError) for every database outage.
    try:
        return dialect.connect(*cargs, **cparams)
    except (OSError, TimeoutError) as exc:
        raise dialect.loaded_dbapi.OperationalError(f"cannot connect: {exc}") from exc


def sync_sqlite_engine(url: str) -> Engine | None:
    """A plain (synchronous) SQLite engine with the same pragmas, or None for other
    databases: the webhook writer process applies events through it."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite"):
        return None
    engine = create_engine(
        parsed.set(drivername="sqlite"),
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        hide_parameters=True,
    )
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def is_postgres(url: str) -> bool:
    return make_url(url.replace("postgres://", "postgresql://", 1)).drivername.startswith(
        "postgresql"
    )


def sqlite_path(url: str) -> str | None:
    parsed = make_url(url)
    return parsed.database if parsed.drivername.startswith("sqlite") and parsed.database else None


def make_engine(url: str, *, one_shot: bool = False) -> AsyncEngine:
    """`one_shot` engines keep no pool: for migrations and CLI commands."""
    full = async_url(url)
    pool: dict[str, Any] = {"poolclass": NullPool} if one_shot else {}
    if full.startswith("sqlite"):
        engine = create_async_engine(
            full,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            hide_parameters=True,
            **pool,
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    if not one_shot:
        pool = {"pool_pre_ping": True, "pool_size": 5, "max_overflow": 10}
    # command_timeout: a server that accepts but never answers must not hang a request.
    engine = create_async_engine(
        full, connect_args={"timeout": 5, "command_timeout": 15}, hide_parameters=True, **pool
    )
    event.listen(engine.sync_engine, "do_connect", _connect_errors_as_dbapi)
    return engine


class Database:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._factory = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self._factory() as session:
            yield session

    async def close(self) -> None:
        await self.engine.dispose()
