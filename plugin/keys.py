"""Typed keys for everything the app and a request carry. Declared here and nowhere else."""

from __future__ import annotations

import aiohttp
from aiohttp import web
from babel.support import NullTranslations

from facilitation.warmups import WarmUp
from plugin.bus import EventBus
from plugin.clock import Clock
from plugin.cluster import Ownership
from plugin.db.engine import Database
from plugin.db.models import Account
from plugin.desks.breakouts import BreakoutDesk
from plugin.desks.caller_language import CallerLanguages
from plugin.desks.console import LiveHub
from plugin.desks.phone import PhoneDesk
from plugin.desks.presence import PresenceDesk
from plugin.desks.speaking import QueueDesk
from plugin.desks.warmups import WarmupDesk
from plugin.desks.wellbeing import CheckoutDesk
from plugin.intake import Intake
from plugin.jitsi.connector import Connector
from plugin.metrics import Metrics
from plugin.notify.sender import Sender
from plugin.phoneline import PhoneLine
from plugin.security.passwords import Passwords
from plugin.settings import Settings
from plugin.tasks import BackgroundTasks
from plugin.templating import Templates

SETTINGS = web.AppKey("settings", Settings)
CLOCK = web.AppKey("clock", Clock)
DATABASE = web.AppKey("database", Database)
TEMPLATES = web.AppKey("templates", Templates)
TRANSLATIONS = web.AppKey("translations", NullTranslations)
# What phone callers hear in the meeting: each call's own language (a catalogue each).
CALLER_LANGUAGES = web.AppKey("caller_languages", CallerLanguages)
PASSWORDS = web.AppKey("passwords", Passwords)
METRICS = web.AppKey("metrics", Metrics)
HUB = web.AppKey("hub", LiveHub)
BUS = web.AppKey("bus", EventBus)
PRESENCE = web.AppKey("presence", PresenceDesk)
TASKS = web.AppKey("tasks", BackgroundTasks)
CONNECTOR = web.AppKey("connector", Connector)
OWNERSHIP = web.AppKey("ownership", Ownership)
# One HTTP client for the console requests passed on to another instance (web.forwarding).
PASS_ON = web.AppKey("pass_on", aiohttp.ClientSession)
INTAKE = web.AppKey("intake", Intake)
PHONE = web.AppKey("phone", PhoneDesk)
QUEUE = web.AppKey("queue", QueueDesk)
BREAKOUTS = web.AppKey("breakouts", BreakoutDesk)
WARMUPS = web.AppKey("warmups", WarmupDesk)
CATALOGUE = web.AppKey("catalogue", tuple[WarmUp, ...])
PHONE_LINE = web.AppKey("phone_line", PhoneLine)
CHECKOUTS = web.AppKey("checkouts", CheckoutDesk)

# Per request, set by the identity middleware.
SID = web.RequestKey("sid", str)
# The client's address as the instance it first reached saw it (a request passed on).
PASSED_ON_CLIENT = web.RequestKey("passed_on_client", str)
ACCOUNT = web.RequestKey("account", Account)
SENDER = web.AppKey("sender", Sender)
