"""The desks' part of the app's life: each desk made when the app starts, with what it
needs, and closed when it stops (the cleanup contexts `create_app` lists, in order)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

from facilitation.meeting_events import AlertsQueued, CheckoutFlagged
from plugin import keys, session_end
from plugin.desks.breakout_rooms import RoomRunner
from plugin.desks.breakouts import BreakoutDesk
from plugin.desks.phone import PhoneDesk
from plugin.desks.speaking import QueueDesk
from plugin.desks.warmup_meeting import WarmupVoice
from plugin.desks.warmups import WarmupDesk
from plugin.desks.wellbeing import CheckoutDesk
from plugin.notify.mail import Mailer
from plugin.notify.sender import Sender
from plugin.notify.webhook import AlertWebhook
from plugin.phoneline import PhoneLine, PhoneLineConfig
from plugin.security.standard_webhooks import decode_secret
from plugin.settings import Settings

PURGE_EVERY_SECONDS = 600
MISSING_EVERY_SECONDS = 60
Job = Callable[[], Awaitable[None]]


def once_for_all(app: web.Application, job: Job) -> Job:
    """A job run by one instance for all (the holder of the schedule lease; with one
    instance, that one). Who that is is asked at each run."""

    async def run() -> None:
        if app[keys.OWNERSHIP].runs_schedule():
            await job()

    return run


async def queue(app: web.Application) -> AsyncIterator[None]:
    desk = QueueDesk(
        app[keys.DATABASE],
        app[keys.CLOCK],
        app[keys.BUS],
        app[keys.CONNECTOR],
        app[keys.TRANSLATIONS].gettext,
        app[keys.PHONE_LINE],
        app[keys.CALLER_LANGUAGES],
    )
    app[keys.QUEUE] = desk
    desk.open()
    yield
    await desk.close()


def phone_line_config(settings: Settings) -> PhoneLineConfig:
    pbx_secret = settings.pbx_actions_secret
    token = settings.twiml_auth_token
    return PhoneLineConfig(
        pbx_actions_url=settings.pbx_actions_url,
        pbx_actions_secret=decode_secret(pbx_secret.get_secret_value()) if pbx_secret else b"",
        provider_api_base=settings.voice_api_base if settings.voice_account_sid else None,
        provider_account_sid=settings.voice_account_sid,
        provider_auth_token=token.get_secret_value() if token else None,
        public_url=settings.base_url,
        room_header=settings.jigasi_room_header,
        timeout_seconds=settings.phone_action_timeout_seconds,
    )


async def phone_line(app: web.Application) -> AsyncIterator[None]:
    """Actions pushed to live calls: moves for breakout groups, a word to one caller."""
    line = PhoneLine(phone_line_config(app[keys.SETTINGS]))
    await line.open()
    app[keys.PHONE_LINE] = line
    yield
    await line.close()


async def breakouts(app: web.Application) -> AsyncIterator[None]:
    """Breakout groups: planned here, carried out in Jitsi and on the phone line."""
    settings = app[keys.SETTINGS]
    line = app[keys.PHONE_LINE]
    translate = app[keys.TRANSLATIONS].gettext
    runner = RoomRunner(
        settings,
        app[keys.DATABASE],
        app[keys.CLOCK],
        app[keys.CONNECTOR],
        line,
        translate,
        app[keys.CALLER_LANGUAGES],
    )
    desk = BreakoutDesk(app[keys.DATABASE], app[keys.CLOCK], app[keys.BUS], runner, translate)
    desk.follower.owns = app[keys.OWNERSHIP].owns
    app[keys.BREAKOUTS] = desk
    desk.open()
    yield
    await desk.close()


async def warmups(app: web.Application) -> AsyncIterator[None]:
    translate = app[keys.TRANSLATIONS].gettext
    voice = WarmupVoice(
        app[keys.DATABASE],
        app[keys.CLOCK],
        app[keys.CONNECTOR],
        app[keys.PHONE_LINE],
        translate,
        app[keys.CALLER_LANGUAGES],
    )
    desk = WarmupDesk(
        app[keys.DATABASE], app[keys.CLOCK], app[keys.BUS], voice, app[keys.CATALOGUE], translate
    )
    app[keys.OWNERSHIP].on_lost(desk.forget)
    app[keys.WARMUPS] = desk
    desk.open()
    yield
    await desk.close()


async def phone(app: web.Application) -> AsyncIterator[None]:
    ownership = app[keys.OWNERSHIP]
    app[keys.PHONE] = PhoneDesk(
        app[keys.SETTINGS],
        app[keys.DATABASE],
        app[keys.CLOCK],
        app[keys.BUS],
        has_assistant=ownership.has_assistant,
        deliver=ownership.deliver,
    )
    yield


async def checkouts(app: web.Application) -> AsyncIterator[None]:
    desk = CheckoutDesk(
        app[keys.SETTINGS],
        app[keys.DATABASE],
        app[keys.CLOCK],
        app[keys.BUS],
        app[keys.CONNECTOR],
        app[keys.TRANSLATIONS],
    )
    app[keys.CHECKOUTS] = desk

    async def flag_missing() -> None:
        await desk.flag_missing()

    async def purge_old() -> None:
        await desk.purge_old()

    async def end_forgotten() -> None:
        await session_end.end_forgotten(app)  # each instance, for the meetings it runs

    tasks = app[keys.TASKS]
    tasks.every(MISSING_EVERY_SECONDS, once_for_all(app, flag_missing), "flag-missing-checkouts")
    tasks.every(PURGE_EVERY_SECONDS, once_for_all(app, purge_old), "delete-old-checkouts")
    tasks.every(PURGE_EVERY_SECONDS, end_forgotten, "end-forgotten-sessions")
    yield


async def alerts(app: web.Application) -> AsyncIterator[None]:
    """The outbox's sender: woken by flags raised here, polling for the rest."""
    settings = app[keys.SETTINGS]
    sender = Sender(app[keys.DATABASE], app[keys.CLOCK], Mailer(settings), AlertWebhook(settings))
    app[keys.SENDER] = sender
    app[keys.BUS].subscribe(CheckoutFlagged, sender.wake)
    app[keys.BUS].subscribe(AlertsQueued, sender.wake)
    task = app[keys.TASKS].spawn(sender.run(), "send-alerts")
    yield
    await sender.stop(task)
