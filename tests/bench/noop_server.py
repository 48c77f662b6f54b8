"""The baseline for the webhook benchmark: an aiohttp app that reads the body and answers
200 without doing anything, run the same way as the service (one process, one port)."""

from __future__ import annotations

import sys

from aiohttp import web


async def noop(request: web.Request) -> web.Response:
    await request.read()
    return web.json_response({"stored": True})


def main() -> None:
    app = web.Application()
    app.router.add_post("/webhooks/prosody/events/occupant/joined", noop)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)


if __name__ == "__main__":
    main()
