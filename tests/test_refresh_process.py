"""The app's refresh: a child process that reports progress and a summary as JSON lines."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import refuse_page_saves, write_config
from tests.server import Route, TestServer
from tui.core import refresh_process
from tui.core.errors import TvnewsError
from tui.core.models import ListQuery
from tui.core.refresh_process import refresh_in_child
from tui.core.store import Store


def test_a_child_refresh_reports_each_feed_and_fills_the_cache(
    server: TestServer, tmp_path: Path
) -> None:
    config = write_config(
        tmp_path / "feeds.toml",
        [
            ("Cloudflare", server.url("/feeds/rss20-cloudflare-blog-content-encoded.xml")),
            ("Gone", server.url("/feeds/no-such-feed.xml")),
        ],
    )
    cache = tmp_path / "cache.sqlite3"
    seen = []
    summary = refresh_in_child(
        config, cache, on_progress=lambda done, total, outcome: seen.append((done, total, outcome))
    )
    assert sorted(done for done, _, _ in seen) == [1, 2] and {t for _, t, _ in seen} == {2}
    assert summary.new > 0
    assert [o.name for o in summary.failures] == ["Gone"]
    assert "404" in summary.failures[0].error
    store = Store(cache)
    assert store.count(ListQuery()) == summary.new
    store.close()


def test_a_child_refresh_whose_prefetch_is_refused_still_reports_its_feeds(
    server: TestServer, tmp_path: Path
) -> None:
    feeds = [("Site", server.url("/feed.xml"))]
    config = write_config(tmp_path / "feeds.toml", feeds, "prefetch_full_articles = true")
    cache = tmp_path / "cache.sqlite3"
    refuse_page_saves(cache)
    summary = refresh_in_child(config, cache)  # raised "the refresh stopped" before
    assert summary.new == 3 and not summary.failures
    assert server.count("/that-70s-show-theory-eric-coma/") == 1, "the prefetch ran"
    store = Store(cache)
    assert store.count(ListQuery()) == 3
    assert not any(store.article(row.id).full_fetched for row in store.rows(ListQuery(), 0, 9))
    store.close()


def test_the_child_runs_below_the_interface(server: TestServer, tmp_path: Path) -> None:
    """Keys come first: the child (and the parsers it starts) run at a lower priority."""
    config = write_config(tmp_path / "feeds.toml", [("Site", server.url("/feed.xml"))])
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    seen: list[int] = []

    def progress(*_: object) -> None:
        seen.extend(os.getpriority(os.PRIO_PROCESS, c.pid) for c in refresh_process._children)

    refresh_in_child(config, tmp_path / "cache.sqlite3", on_progress=progress)
    assert seen and set(seen) == {min(ours + refresh_process.NICENESS, 19)}
    assert refresh_process.NICENESS >= 10


def test_a_child_refresh_that_cannot_start_says_why(tmp_path: Path) -> None:
    bad = tmp_path / "feeds.toml"
    bad.write_text("[[feeds]]\nurl = 'ftp://example.com/feed'\n")
    with pytest.raises(TvnewsError, match=r"feeds\.toml"):
        refresh_in_child(bad, tmp_path / "cache.sqlite3")


PARENT = """
import sys, threading, time
from pathlib import Path
from tui.core import refresh_process

threading.Thread(
    target=refresh_process.refresh_in_child, args=(Path(sys.argv[1]), Path(sys.argv[2])),
    daemon=True,
).start()
while not refresh_process._children:
    time.sleep(0.05)
print(next(iter(refresh_process._children)).pid, flush=True)
time.sleep(60)
"""


def test_a_child_refresh_ends_when_the_app_is_killed(server: TestServer, tmp_path: Path) -> None:
    server.routes["/slow.xml"] = Route(status=404, delay=30)
    config = write_config(tmp_path / "feeds.toml", [("Slow", server.url("/slow.xml"))])
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(config), str(tmp_path / "cache.sqlite3")],
        stdout=subprocess.PIPE,
        text=True,
    )
    child = int(parent.stdout.readline())  # type: ignore[union-attr]
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _alive(child):
        time.sleep(0.1)
    assert not _alive(child), "the refresh went on without the app"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie waiting for init counts as gone
        return stat.read().split(") ", 1)[1][0] != "Z"
