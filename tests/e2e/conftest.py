"""End to end: the real Prosody and stand-ins of tests/jitsi with the real Chromium of
tests/browser."""

from __future__ import annotations

from tests.browser.conftest import browser  # noqa: F401
from tests.jitsi.conftest import jitsi_settings, make_client, server, standin  # noqa: F401
