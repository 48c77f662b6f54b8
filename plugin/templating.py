"""Jinja2 pages: autoescape on, gettext installed, one render helper for every page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from aiohttp import web
from babel.support import NullTranslations


class Templates:
    def __init__(
        self,
        translations: NullTranslations,
        static_urls: dict[str, str],
        language: str = "en",
        time_zone: str = "UTC",
    ) -> None:
        self.env = jinja2.Environment(
            loader=jinja2.PackageLoader("plugin", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            extensions=["jinja2.ext.i18n"],
        )
        self.env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
        # Versioned URLs are worked out once at start-up: aiohttp would otherwise read and
        # hash the file on every render.
        self.env.globals["static"] = static_urls.__getitem__
        self.env.globals["lang"] = language
        zone = ZoneInfo(time_zone)
        self.env.filters["clock"] = lambda when: clock_time(when, zone)

    def render(self, name: str, context: dict[str, Any]) -> str:
        return self.env.get_template(name).render(context)


def clock_time(when: str | datetime | None, zone: ZoneInfo) -> str:
    """A moment as the people in the meeting read it: the time in the service's time zone
    (FACILITATE_TIME_ZONE) with the zone's short name, e.g. "14:03 GMT"."""
    if not when:
        return ""
    moment = datetime.fromisoformat(when) if isinstance(when, str) else when
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(zone)
    return f"{local:%H:%M} {local.tzname()}"


def html(body: str, *, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        text=body, status=status, content_type="text/html", charset="utf-8", headers=headers
    )
