"""Prosody, the Jitsi stand-ins and the app wired to them, for the benches that run the
service in this process (tests.jitsi.conftest's fixtures)."""

from tests.cluster.conftest import pg_url  # noqa: F401  (a fresh PostgreSQL database)
from tests.jitsi.conftest import (  # noqa: F401  (fixtures)
    jitsi_settings,
    make_client,
    server,
    standin,
)
