"""Jinja2 pages: autoescape on, gettext installed, one render helper for every page."""

from __future__ import annotations

from typing import Any

import jinja2
from aiohttp import web
from babel.support import NullTranslations


class Templates:
    def __init__(
        self, translations: NullTranslations, static_urls: dict[str, str], language: str = "en"
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

    def render(self, name: str, context: dict[str, Any]) -> str:
        return self.env.get_template(name).render(context)


def html(body: str, *, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        text=body, status=status, content_type="text/html", charset="utf-8", headers=headers
    )
