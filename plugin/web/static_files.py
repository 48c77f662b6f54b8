"""The stylesheet, scripts and icon: read once at start-up, each with a version from its
content. Asked for with that version (`?v=...`, as every page links them) they may be kept
for a year; asked for without it they must be checked again (ETag). Text files go gzipped
to browsers that accept it: most people we serve pay for their data.

Pages are not compressed: they carry a form token and echo what people typed, and
compressing both in one response over TLS is what the BREACH attack reads.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

YEAR = "public, max-age=31536000, immutable"
CHECK = "no-cache"
COMPRESSIBLE = ("text/", "application/javascript", "image/svg+xml")


@dataclass(frozen=True)
class StaticFile:
    body: bytes
    gzipped: bytes | None
    content_type: str
    version: str

    @property
    def etag(self) -> str:
        return f'"{self.version}"'


def _load(path: Path) -> StaticFile:
    body = path.read_bytes()
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    version = base64.urlsafe_b64encode(hashlib.sha256(body).digest()[:12]).decode()
    packed = gzip.compress(body, compresslevel=9, mtime=0)
    worth = content_type.startswith(COMPRESSIBLE) and len(packed) < len(body)
    return StaticFile(body, packed if worth else None, content_type, version)


class StaticFiles:
    def __init__(self, folder: Path) -> None:
        self.files = {
            path.name: _load(path)
            for path in sorted(folder.iterdir())
            if path.is_file() and not path.name.startswith(".")
        }

    def urls(self) -> dict[str, str]:
        """What templates link: the name with its version."""
        return {name: f"/static/{name}?v={file.version}" for name, file in self.files.items()}

    async def handle(self, request: web.Request) -> web.StreamResponse:
        found = self.files.get(request.match_info["name"])
        if found is None:
            raise web.HTTPNotFound()
        versioned = request.query.get("v") == found.version
        headers = {
            "Cache-Control": YEAR if versioned else CHECK,
            "ETag": found.etag,
            "Vary": "Accept-Encoding",
        }
        if found.etag in request.headers.get("If-None-Match", ""):
            return web.Response(status=304, headers=headers)
        body = found.body
        if found.gzipped is not None and _accepts_gzip(request.headers.get("Accept-Encoding", "")):
            body = found.gzipped
            headers["Content-Encoding"] = "gzip"
        charset = "utf-8" if found.content_type.startswith(COMPRESSIBLE) else None
        return web.Response(
            body=body, content_type=found.content_type, charset=charset, headers=headers
        )


def _accepts_gzip(header: str) -> bool:
    """Whether Accept-Encoding allows gzip (`gzip`, `gzip;q=0.5`, `*`; not `gzip;q=0`)."""
    for part in header.lower().split(","):
        name, _, params = part.strip().partition(";")
        if name.strip() not in ("gzip", "*"):
            continue
        quality = params.replace(" ", "").removeprefix("q=") or "1"
        try:
            return float(quality) > 0
        except ValueError:
            return False
    return False
