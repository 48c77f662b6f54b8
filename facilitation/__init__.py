"""The facilitation domain: pure Python, no I/O, no clock reads (time is passed in)."""
