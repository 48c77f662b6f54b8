"""Real servers and protocol stand-ins the tests start."""
