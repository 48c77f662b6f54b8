"""Static files: versioned links kept for a year, unversioned ones checked again, text
gzipped for browsers that accept it, nothing else served from the folder."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

from tests.conftest import Client

STATIC = Path(__file__).resolve().parents[2] / "static"


async def _linked(client: Client, name: str) -> str:
    page = await (await client.get("/login")).text()
    found = re.search(rf"/static/{re.escape(name)}\?v=[A-Za-z0-9_=-]+", page)
    assert found, f"the page does not link {name} with a version"
    return found.group(0)


async def test_versioned_files_are_cached_for_a_year_and_gzipped(client: Client) -> None:
    url = await _linked(client, "style.css")
    response = await client.get(url, headers={"Accept-Encoding": "gzip"}, auto_decompress=False)
    assert response.status == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Vary"] == "Accept-Encoding"
    raw = await response.read()
    assert gzip.decompress(raw) == (STATIC / "style.css").read_bytes()
    assert len(raw) < len((STATIC / "style.css").read_bytes()) / 2
    assert response.headers["X-Content-Type-Options"] == "nosniff"

    plain = await client.get(url, headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    assert await plain.read() == (STATIC / "style.css").read_bytes()
    refused = await client.get(url, headers={"Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in refused.headers


async def test_unversioned_or_old_links_are_checked_again(client: Client) -> None:
    url = await _linked(client, "favicon.svg")
    old = await client.get("/static/favicon.svg?v=old")
    assert old.status == 200 and old.headers["Cache-Control"] == "no-cache"
    again = await client.get("/static/favicon.svg", headers={"If-None-Match": old.headers["ETag"]})
    assert again.status == 304
    assert (await client.get(url)).headers["ETag"] == old.headers["ETag"]


async def test_nothing_outside_the_known_files_is_served(client: Client) -> None:
    for path in ("/static/nope.css", "/static/..%2Fpyproject.toml", "/static/.hidden", "/static/"):
        assert (await client.get(path)).status == 404, path
