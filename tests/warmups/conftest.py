"""The Jitsi fixtures (Prosody, the stand-ins, the app wired to them) for the warm-up tests
that need a meeting; the test module chooses the deployment's polls style."""

from tests.jitsi.conftest import (  # noqa: F401  (fixtures)
    jitsi_settings,
    make_client,
    standin,
)
