"""The one app factory, used by the CLI and by every test."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from aiohttp import web

from facilitation.passwords import PasswordPolicy
from plugin import app_desks as desks
from plugin import keys, log_redaction
from plugin.bus import EventBus
from plugin.catalogue import load_catalogue
from plugin.clock import Clock
from plugin.cluster import Ownership
from plugin.cluster.coordinator import ClusterOwnership
from plugin.db import accounts
from plugin.db import phone as phone_db
from plugin.db.engine import Database, is_postgres, make_engine
from plugin.desks import console
from plugin.desks.caller_language import CallerLanguages
from plugin.desks.console import LiveHub
from plugin.desks.presence import PresenceDesk
from plugin.i18n import load_translations
from plugin.intake import Intake
from plugin.jitsi.connector import Connector
from plugin.metrics import Metrics
from plugin.security.passwords import Passwords, load_common_passwords
from plugin.settings import Settings
from plugin.tasks import BackgroundTasks
from plugin.templating import Templates
from plugin.web import (
    forwarding,
    routes_account,
    routes_accounts,
    routes_auth,
    routes_breakouts,
    routes_checkout,
    routes_checkout_console,
    routes_dialin,
    routes_live,
    routes_ops,
    routes_queue,
    routes_review,
    routes_rights,
    routes_sessions,
    routes_team,
    routes_warmups,
)
from plugin.web.auth import identity_middleware
from plugin.web.forwarding import forwarding_middleware
from plugin.web.middleware import (
    error_middleware,
    metrics_middleware,
    security_headers_middleware,
)
from plugin.web.static_files import StaticFiles
from webhooks import phone_routes
from webhooks import routes as webhook_routes

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


def create_app(
    settings: Settings, *, clock: Clock | None = None, passwords: Passwords | None = None
) -> web.Application:
    """The service. `passwords`: tests give a cheap hasher instead of production argon2."""
    settings = settings.with_secret_key()
    log_redaction.install()
    app = web.Application(
        client_max_size=settings.max_body_bytes,
        middlewares=[
            metrics_middleware,
            forwarding_middleware,
            security_headers_middleware,
            error_middleware,
            identity_middleware,
        ],
    )
    translations = load_translations(settings.language)
    app[keys.SETTINGS] = settings
    app[keys.CLOCK] = clock or Clock()
    app[keys.TRANSLATIONS] = translations
    app[keys.CALLER_LANGUAGES] = CallerLanguages(translations.gettext)
    app[keys.PASSWORDS] = passwords or Passwords(PasswordPolicy(load_common_passwords()))
    app[keys.METRICS] = Metrics()
    app[keys.HUB] = LiveHub()
    app[keys.BUS] = EventBus()
    # A mistake in the warm-up catalogue stops start-up here, naming file, line and field.
    app[keys.CATALOGUE] = load_catalogue(settings.warmups_dir)
    console.connect(app[keys.BUS], app[keys.HUB])

    app.cleanup_ctx.append(_database)
    app.cleanup_ctx.append(_intake)
    app.cleanup_ctx.append(_background)
    app.cleanup_ctx.append(_presence)
    app.cleanup_ctx.append(_connector)
    app.cleanup_ctx.append(_ownership)
    app.cleanup_ctx.append(forwarding.client)
    app.cleanup_ctx.append(desks.phone_line)
    app.cleanup_ctx.append(desks.queue)
    app.cleanup_ctx.append(desks.breakouts)
    app.cleanup_ctx.append(desks.warmups)
    app.cleanup_ctx.append(desks.phone)
    app.cleanup_ctx.append(desks.checkouts)
    app.cleanup_ctx.append(desks.alerts)
    app.on_startup.append(_desks_listening)  # after every cleanup_ctx has started
    app.on_shutdown.append(_close_consoles)

    for table in (
        routes_ops.routes,
        routes_auth.routes,
        routes_account.routes,
        routes_accounts.routes,
        routes_sessions.routes,
        routes_live.routes,
        routes_dialin.routes,
        routes_queue.routes,
        routes_breakouts.routes,
        routes_warmups.routes,
        routes_rights.routes,
        routes_checkout.routes,
        routes_checkout_console.routes,
        routes_team.routes,
        routes_review.routes,
        webhook_routes.routes,
        phone_routes.routes,
    ):
        app.router.add_routes(table)
    static = StaticFiles(STATIC_DIR)
    app.router.add_get(r"/static/{name:[A-Za-z0-9._-]{1,64}}", static.handle, name="static")
    app[keys.TEMPLATES] = Templates(
        translations, static.urls(), settings.language, settings.time_zone
    )
    return app


async def _database(app: web.Application) -> AsyncIterator[None]:
    database = Database(make_engine(app[keys.SETTINGS].database_url))
    app[keys.DATABASE] = database
    yield
    await database.close()


async def _background(app: web.Application) -> AsyncIterator[None]:
    tasks = BackgroundTasks()
    app[keys.TASKS] = tasks
    settings = app[keys.SETTINGS]

    def once(job: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
        return desks.once_for_all(app, job)

    async def purge() -> None:
        async with app[keys.DATABASE].session() as db:
            horizon = timedelta(minutes=settings.login_window_minutes) * 4
            await accounts.purge_expired(db, app[keys.CLOCK].now(), horizon)
            await db.commit()

    async def purge_webhooks() -> None:
        await app[keys.INTAKE].purge(
            timedelta(hours=settings.webhook_keep_hours), timedelta(days=settings.retention_days)
        )

    async def purge_phone() -> None:
        now = app[keys.CLOCK].now()
        async with app[keys.DATABASE].session() as db:
            await phone_db.purge_pins(db, now - timedelta(days=settings.pin_keep_days))
            await phone_db.purge_deliveries(db, now - timedelta(hours=settings.webhook_keep_hours))
            await phone_db.purge_calls(db, now, timedelta(days=settings.retention_days))
            await db.commit()

    tasks.every(desks.PURGE_EVERY_SECONDS, once(purge), "purge-expired-logins")
    tasks.every(desks.PURGE_EVERY_SECONDS, once(purge_webhooks), "purge-old-webhooks")
    tasks.every(desks.PURGE_EVERY_SECONDS, once(purge_phone), "purge-unused-pins")
    yield
    await tasks.close()


async def _intake(app: web.Application) -> AsyncIterator[None]:
    intake = Intake(app[keys.DATABASE], app[keys.CLOCK], app[keys.SETTINGS].database_url)
    app[keys.INTAKE] = intake
    intake.open()
    yield
    await intake.close()


async def _presence(app: web.Application) -> AsyncIterator[None]:
    desk = PresenceDesk(app[keys.BUS], app[keys.DATABASE], app[keys.CLOCK])
    app[keys.PRESENCE] = desk
    desk.open()
    yield
    await desk.close()


async def _connector(app: web.Application) -> AsyncIterator[None]:
    connector = Connector(
        app[keys.SETTINGS], app[keys.BUS], app[keys.DATABASE], app[keys.CLOCK], app[keys.METRICS]
    )
    app[keys.CONNECTOR] = connector
    yield
    await connector.close()


async def _ownership(app: web.Application) -> AsyncIterator[None]:
    """Who runs each meeting: this instance alone (SQLite), or by leases (PostgreSQL)."""
    settings = app[keys.SETTINGS]
    connector, bus = app[keys.CONNECTOR], app[keys.BUS]
    ownership: Ownership
    if is_postgres(settings.database_url):
        database = app[keys.DATABASE]
        ownership = ClusterOwnership(settings, database, connector, bus, app[keys.HUB])
    else:
        ownership = Ownership(connector, bus)
    app[keys.OWNERSHIP] = ownership
    await ownership.open()
    yield
    await ownership.close()


async def _desks_listening(app: web.Application) -> None:
    app[keys.OWNERSHIP].start_inputs()


async def _close_consoles(app: web.Application) -> None:
    # WebSocket handlers would otherwise hold graceful shutdown open until its timeout.
    app[keys.HUB].close()
