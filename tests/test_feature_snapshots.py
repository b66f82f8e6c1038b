"""Snapshots of the daily-reader screens: sidebar and views, feed health, dialogs, palette.

Feeds are served without dates and on a fixed port, so what the screen shows is stable.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from textual.command import CommandList
from textual.widgets import Input

from tests.apphelpers import wait_for
from tests.conftest import FEEDS, SITE
from tests.server import Route, TestServer, ephemeral_ports, server_on_port
from tui.app import TvnewsApp
from tui.config import load_config
from tui.core.refresh import refresh
from tui.core.store import default_cache_path
from tui.widgets.reading_pane import ReadingPane
from tui.widgets.sidebar import Sidebar

SIZE = (160, 45)
#: Not the port of tests/test_snapshots.py, so both can run at once.
SNAPSHOT_PORT = 28766
_DATES = re.compile(rb"\s*<(pubDate|published|updated)>.*?</\1>")


def test_snapshot_port_is_never_handed_out_by_the_kernel() -> None:
    """A port the kernel can give to another socket would make these tests fail at random."""
    assert SNAPSHOT_PORT not in ephemeral_ports()


@pytest.fixture
def server() -> Iterator[TestServer]:
    """The site on the fixed port; parallel workers (pytest -n) take turns."""
    with server_on_port({"/feeds/": FEEDS, "/": SITE}, SNAPSHOT_PORT) as httpd:
        yield httpd


def undated(server: TestServer, path: str, source: Path) -> str:
    body = _DATES.sub(b"", source.read_bytes())
    server.routes[path] = Route(body=body, headers={"Content-Type": "application/rss+xml"})
    return server.url(path)


def app_for(server: TestServer, tmp_path: Path) -> TvnewsApp:
    feeds = [
        ("Screen Test", undated(server, "/snap/site.xml", SITE / "feed.xml"), "TV News"),
        (
            "TV News page",
            undated(server, "/snap/tv-news.xml", SITE / "tv-news" / "feed.xml"),
            "TV News",
        ),
        (
            "Cloudflare",
            undated(server, "/snap/cf.xml", FEEDS / "rss20-cloudflare-blog-content-encoded.xml"),
            "Tech",
        ),
        ("Gone", server.url("/snap/gone.xml"), ""),
    ]
    lines = ["[settings]", "refresh_on_start = false", "auto_refresh_minutes = 0", ""]
    for name, url, section in feeds:
        lines += ["[[feeds]]", f'name = "{name}"', f'url = "{url}"', f'section = "{section}"', ""]
    path = tmp_path / "feeds.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    config = load_config(path)
    cache = default_cache_path(tmp_path / "data")
    with ThreadPoolExecutor(1) as thread:
        for feed in config.feeds:  # one at a time: undated articles keep a stable order
            thread.submit(refresh, cache, [feed], config.settings).result()
    return TvnewsApp(config, cache)


async def sidebar_ready(pilot) -> None:
    sidebar = pilot.app.screen.query_one(Sidebar)
    pane = pilot.app.screen.query_one(ReadingPane)
    await wait_for(pilot, lambda: len(sidebar.views) == 9 and pane.markdown)  # + welcome
    await pilot.pause()


def test_sidebar_and_a_section_view(snap_compare, server: TestServer, tmp_path: Path) -> None:
    async def section(pilot) -> None:
        await sidebar_ready(pilot)
        sidebar = pilot.app.screen.query_one(Sidebar)
        sidebar.focus()
        sidebar.highlighted = [view.title for view in sidebar.views].index("TV News")
        await pilot.press("enter", "h")
        await pilot.pause()

    assert snap_compare(app_for(server, tmp_path), terminal_size=SIZE, run_before=section)


def test_feed_health(snap_compare, server: TestServer, tmp_path: Path) -> None:
    async def health(pilot) -> None:
        await sidebar_ready(pilot)
        await pilot.press("E")
        await pilot.pause()

    assert snap_compare(app_for(server, tmp_path), terminal_size=SIZE, run_before=health)


def test_add_feed_dialog(snap_compare, server: TestServer, tmp_path: Path) -> None:
    async def add(pilot) -> None:
        await sidebar_ready(pilot)
        await pilot.press("a")
        dialog = pilot.app.screen
        dialog.query_one("#add-url").value = server.url("/snap/missing/")
        dialog.query_one("#add-name").value = "My feed"
        await pilot.press("enter")
        status = dialog.query_one("#add-status")
        await wait_for(pilot, lambda: "No feed added" in str(status.render()))
        for field in dialog.query(Input):
            field.cursor_blink = False
        await pilot.pause()

    assert snap_compare(app_for(server, tmp_path), terminal_size=SIZE, run_before=add)


def test_remove_feed_confirmation(snap_compare, server: TestServer, tmp_path: Path) -> None:
    async def remove(pilot) -> None:
        await sidebar_ready(pilot)
        sidebar = pilot.app.screen.query_one(Sidebar)
        sidebar.focus()
        sidebar.highlighted = [view.title for view in sidebar.views].index("Cloudflare")
        await pilot.press("D")
        await pilot.pause()

    assert snap_compare(app_for(server, tmp_path), terminal_size=SIZE, run_before=remove)


def test_command_palette(snap_compare, server: TestServer, tmp_path: Path) -> None:
    async def palette(pilot) -> None:
        await sidebar_ready(pilot)
        await pilot.press("ctrl+p", *"view")
        commands = pilot.app.screen.query_one(CommandList)
        await wait_for(pilot, lambda: commands.option_count == 3 and not commands.loading)
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False  # a blinking cursor is there or not by chance
        await pilot.pause(0.3)

    assert snap_compare(app_for(server, tmp_path), terminal_size=SIZE, run_before=palette)
