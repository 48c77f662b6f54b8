"""The running service: app factory, storage, web pages, live push, CLI."""
