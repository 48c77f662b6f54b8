"""The Jitsi connector against a real Prosody and protocol stand-ins."""
