"""`FACILITATE_WORKERS` (several processes on one port, each an instance), refused on
SQLite; and `facilitate check` reporting the role, the instances and their leases."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from plugin.db.migrate import upgrade
from tests.cluster.conftest import LINK, scalar, signed_in
from tests.support.instances import FACILITATE, Browser, Instance


async def test_workers_share_one_port_each_an_instance_of_its_own(
    tmp_path: Path, pg_url: str
) -> None:
    """FACILITATE_WORKERS=2: two processes answer on one port; each is its own instance
    with a private address of its own; stopping them as systemd does hands over cleanly."""
    service = Instance(tmp_path / "workers", pg_url, {"FACILITATE_WORKERS": "2"})
    service.start()
    try:
        await service.ready()
        seen: dict[str, str] = {}
        deadline = time.monotonic() + 20  # the second may still be starting
        while len(seen) < 2 and time.monotonic() < deadline:
            instance = (await service.health())["instance"]
            seen[instance["id"]] = instance["role"]
            await asyncio.sleep(0.05)
        assert list(seen.values()) == ["cluster", "cluster"], seen
        urls = await scalar(pg_url, "SELECT array_agg(url) FROM cluster_instance")
        assert len(set(urls)) == 2 and service.url not in urls  # private addresses
        # As systemd stops a service: SIGTERM to every process of it at once, so each
        # worker gets one from systemd and one passed on by the supervisor. The hand-over
        # still finishes.
        assert service.process is not None
        pid = service.process.pid
        workers = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()  # noqa: ASYNC240 - /proc, instant
        assert len(workers) == 2
        for worker in workers:
            os.kill(int(worker), signal.SIGTERM)
        service.terminate()
        assert service.process.returncode == 0
        # Both retired themselves: a clean hand-over.
        assert await scalar(pg_url, "SELECT count(*) FROM cluster_instance") == 0
    finally:
        service.stop()


def test_workers_refuse_sqlite(tmp_path: Path) -> None:
    db = tmp_path / "one.db"
    upgrade(f"sqlite:///{db}")
    done = subprocess.run(
        [FACILITATE, "serve"],
        env={
            **os.environ,
            "FACILITATE_DATABASE_URL": f"sqlite:///{db}",
            "FACILITATE_DATA_DIR": str(tmp_path / "data"),
            "FACILITATE_WORKERS": "2",
        },
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert "several workers need PostgreSQL" in done.stderr


async def test_check_reports_the_role_the_instances_and_their_leases(
    tmp_path: Path, pg_url: str, browser: Browser
) -> None:
    one, two = (Instance(tmp_path / f"plain-{n}", pg_url) for n in range(2))
    try:
        for instance in (one, two):
            instance.start()
        await asyncio.gather(one.ready(), two.ready())
        await signed_in(browser, one.url)
        session_id = await browser.start_session(one.url, LINK)
        env = {
            **os.environ,
            "FACILITATE_DATABASE_URL": pg_url,
            "FACILITATE_DATA_DIR": str(tmp_path / "check"),
            "FACILITATE_PORT": str(one.port),
        }
        done: Any = await asyncio.to_thread(
            subprocess.run,
            [FACILITATE, "check"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        one.stop()
        two.stop()
    out = done.stdout
    assert done.returncode == 0, done.stderr
    assert (
        f"Role: one of several instances (PostgreSQL); the others reach this one at {one.url}."
        in out
    )
    assert f"at {one.url} (this instance's address): running." in out
    assert f"at {two.url}: running." in out
    assert f"holds 1 meeting lease(s): {session_id}" in out
    assert "runs the schedule" in out
    assert "FACILITATE_SECRET_KEY is not set" in out  # check ran without the shared key
