"""An XEP-0114 external-component connection to Prosody, for the Jitsi stand-ins."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from typing import Any
from xml.etree.ElementTree import Element, XMLPullParser

from tests.support import prosody

STREAM_NS = "http://etherx.jabber.org/streams"
COMPONENT_NS = "jabber:component:accept"


def q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def _events(parser: XMLPullParser[Element]) -> list[tuple[str, Element]]:
    return [(str(event), element) for event, element in parser.read_events()]  # type: ignore[misc]


class Component:
    """One XEP-0114 connection; `on_stanza` gets each top-level element."""

    def __init__(self, port: int, domain: str, on_stanza: Any) -> None:
        self.port = port
        self.domain = domain
        self.on_stanza = on_stanza
        self.writer: asyncio.StreamWriter | None = None
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.writer = writer
        writer.write(
            (
                f"<stream:stream xmlns='{COMPONENT_NS}' xmlns:stream='{STREAM_NS}' "
                f"to='{self.domain}'>"
            ).encode()
        )
        parser: XMLPullParser[Element] = XMLPullParser(events=("start", "end"))
        depth = 0
        stream_id: str | None = None
        while stream_id is None:
            parser.feed(await reader.read(4096))
            for event, element in _events(parser):
                if event == "start" and element.tag == q(STREAM_NS, "stream"):
                    stream_id = element.get("id", "")
                    depth = 1
        secret = hashlib.sha1((stream_id + prosody.COMPONENT_SECRET).encode()).hexdigest()
        writer.write(f"<handshake>{secret}</handshake>".encode())
        await writer.drain()
        shaken = asyncio.get_running_loop().create_future()
        self.task = asyncio.get_running_loop().create_task(
            self._read(reader, parser, depth, shaken)
        )
        await asyncio.wait_for(shaken, 10)

    async def _read(
        self,
        reader: asyncio.StreamReader,
        parser: XMLPullParser[Element],
        depth: int,
        shaken: asyncio.Future[None],
    ) -> None:
        while True:
            for event, element in _events(parser):
                if event == "start":
                    depth += 1
                    continue
                depth -= 1
                if depth != 1:
                    continue
                if element.tag.endswith("handshake"):
                    shaken.set_result(None)
                else:
                    self.on_stanza(element)
            data = await reader.read(65536)
            if not data:
                return
            parser.feed(data)

    def send(self, xml: str) -> None:
        assert self.writer is not None
        self.writer.write(xml.encode())

    async def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                await self.task
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(ConnectionError):
                await self.writer.wait_closed()
