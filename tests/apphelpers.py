"""Helpers for Pilot tests: build an isolated app on a loopback site, wait for conditions."""

from __future__ import annotations

import html
import re
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.conftest import DATA, write_config
from tests.server import Route, TestServer
from tui.app import TvnewsApp
from tui.config import load_config
from tui.core.models import ParsedEntry, ParsedFeed
from tui.core.refresh import refresh
from tui.core.store import Store, default_cache_path

SEED_FEED = DATA / "seed" / "feed.xml"
ROOT = Path(__file__).resolve().parents[1]
TUI_DRIVE = ROOT.parent / "shared" / "tools" / "tui_drive.py"


def serve_seed_feed(server: TestServer) -> str:
    """The seed-shaped feed item, with its links pointing at the loopback site."""
    body = SEED_FEED.read_bytes().replace(b"https://screenrant.example", server.base.encode())
    server.routes["/seed/feed.xml"] = Route(
        body=body, headers={"Content-Type": "application/rss+xml"}
    )
    return server.url("/seed/feed.xml")


def make_app(
    tmp_path: Path,
    feeds: list[tuple[str, str]],
    *,
    settings: str = "",
    prefill: bool = True,
) -> TvnewsApp:
    """An app on its own config and cache; ``prefill`` refreshes the cache first."""
    config = load_config(write_config(tmp_path / "feeds.toml", feeds, settings))
    cache = default_cache_path(tmp_path / "data")
    if prefill:
        # Tests run inside an event loop; refresh() blocks, so give it a thread.
        with ThreadPoolExecutor(1) as thread:
            thread.submit(refresh, cache, config.feeds, config.settings).result()
    return TvnewsApp(config, cache)


def long_list_app(
    tmp_path: Path, articles: int, titles: tuple[str, ...] = (), *, empty_feeds: int = 0
) -> TvnewsApp:
    """The app on a cache of ``articles`` articles of one feed (``titles`` first), and
    ``empty_feeds`` more feeds with none."""
    url = "http://127.0.0.1:9/long.xml"
    empty = [(f"Feed {n}", f"http://127.0.0.1:9/f{n}.xml") for n in range(empty_feeds)]
    config = write_config(tmp_path / "feeds.toml", [("Long", url), *empty])
    cache = default_cache_path(tmp_path / "data")
    store = Store(cache)
    store.sync_feeds([(url, "Long", "")])
    entries = tuple(
        ParsedEntry(f"g{n}", f"https://example.com/{n}", title, "", 1.7e9 + n, "", "")
        for n, title in enumerate(titles + tuple(f"Article {n}" for n in range(articles)))
    )
    store.save_feed(store.feed_fetch_state(url)[0], ParsedFeed("Long", "", entries))
    store.close()
    return TvnewsApp(load_config(config), cache)


async def wait_for(pilot, condition: Callable[[], object], timeout: float = 10.0) -> None:
    """Let the app run until ``condition()`` is true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {condition}")
        await pilot.pause(0.05)


_SVG_TEXT = re.compile(r'<text [^>]*clip-path="url\(#terminal-\d+-line-(\d+)\)"[^>]*>(.*?)</text>')


def screen_text(app) -> str:
    """The screen as plain text, line by line (from Textual's SVG screenshot)."""
    lines: dict[int, list[str]] = {}
    for match in _SVG_TEXT.finditer(app.export_screenshot()):
        lines.setdefault(int(match[1]), []).append(html.unescape(match[2]).replace("\xa0", " "))
    return "\n".join("".join(lines[number]) for number in sorted(lines))


def play_in_terminal(
    app: TvnewsApp, tmp_path: Path, steps: list[str], python: tuple[str, ...], **env: str
) -> None:
    """Run ``python`` (arguments after the interpreter) on ``app``'s config and cache in a
    real terminal (tmux, through ../shared/tools/tui_drive.py) and play ``steps``, with
    ``env`` set for the program.

    ``env`` goes on the command line: tmux starts a program with its server's environment,
    and the server may have been started by another test, without these variables."""
    scenario = tmp_path / "scenario.txt"
    scenario.write_text("\n".join(steps) + "\n", encoding="utf-8")
    command = [
        *("env", *(f"{name}={value}" for name, value in env.items())),
        *(sys.executable, *python),
        *("--config", str(app.config.path), "--data-dir", str(app.cache_path.parent)),
    ]
    result = subprocess.run(
        [sys.executable, str(TUI_DRIVE), "script", str(scenario), "--", *command],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-3000:]
