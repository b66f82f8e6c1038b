"""Snapshots of the main screens at a fixed size (feeds without dates, so ages are stable)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.apphelpers import SEED_FEED, make_app, wait_for
from tests.conftest import FEEDS, SITE
from tests.server import Route, TestServer, ephemeral_ports, server_on_port
from tui.widgets.quiet import TextLine
from tui.widgets.reading_pane import ReadingPane

SIZE = (120, 40)
#: Links appear on screen, so the snapshot server always uses this port.
SNAPSHOT_PORT = 28765
_DATES = re.compile(rb"\s*<pubDate>.*?</pubDate>")


def test_snapshot_port_is_never_handed_out_by_the_kernel() -> None:
    """A port the kernel can give to another socket would make these tests fail at random."""
    assert SNAPSHOT_PORT not in ephemeral_ports()


@pytest.fixture
def server() -> Iterator[TestServer]:
    """The loopback site on a fixed port, so URLs shown on screen do not change."""
    with server_on_port({"/feeds/": FEEDS, "/": SITE}, SNAPSHOT_PORT) as httpd:
        yield httpd


def undated(server: TestServer, path: str, body: bytes) -> str:
    """Serve ``body`` without its pubDates at ``path`` (ages and dates stay the same over time)."""
    body = _DATES.sub(b"", body).replace(b"https://screenrant.example", server.base.encode())
    server.routes[path] = Route(body=body, headers={"Content-Type": "application/rss+xml"})
    return server.url(path)


async def settled(pilot) -> None:
    """Wait for what comes just after the first frame (welcome text, status line)."""
    status = pilot.app.screen.query_one("#status-line", TextLine)
    pane = pilot.app.screen.query_one(ReadingPane)
    await wait_for(pilot, lambda: status.text and pane.markdown)
    await pilot.pause()


def test_main_screen(snap_compare, server: TestServer, tmp_path: Path) -> None:
    url = undated(server, "/snap/site.xml", (SITE / "feed.xml").read_bytes())
    app = make_app(tmp_path, [("Screen Test", url)])
    assert snap_compare(app, terminal_size=SIZE, run_before=settled)


def test_article_with_headings_and_related_panel(
    snap_compare, server: TestServer, tmp_path: Path
) -> None:
    url = undated(server, "/snap/seed.xml", SEED_FEED.read_bytes())
    app = make_app(tmp_path, [("Screen Rant TV News", url)])

    async def open_seed(pilot) -> None:
        await pilot.press("enter")
        pane = app.screen.query_one(ReadingPane)
        await wait_for(pilot, lambda: "Directors" in pane.markdown and not app.screen.pending)
        await settled(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=open_seed)


def test_help_screen(snap_compare, server: TestServer, tmp_path: Path) -> None:
    url = undated(server, "/snap/site.xml", (SITE / "feed.xml").read_bytes())
    app = make_app(tmp_path, [("Screen Test", url)])
    assert snap_compare(app, terminal_size=SIZE, press=["question_mark"], run_before=settled)
