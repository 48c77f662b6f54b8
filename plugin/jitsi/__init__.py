"""The Jitsi connector: a bot per live session, speaking XMPP over WebSocket."""
