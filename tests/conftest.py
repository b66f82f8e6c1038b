"""Shared fixtures: a real loopback HTTP server, isolated config and data directories."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server import TestServer

DATA = Path(__file__).parent / "data"
FEEDS = DATA / "feeds"
SITE = Path(__file__).parent / "site"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture
def server() -> Iterator[TestServer]:
    """Serves tests/data/feeds under /feeds/, tests/data under /data/, the seed site under /."""
    httpd = TestServer({"/feeds/": FEEDS, "/data/": DATA, "/": SITE})
    yield httpd
    httpd.stop()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated user: XDG config and data dirs inside tmp_path."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("BROWSER", "true")
    monkeypatch.delenv("NO_COLOR", raising=False)
    return tmp_path


def one_item_rss(ttl: str | None = None, encoding: str = "utf-8") -> bytes:
    """An RSS 2.0 document of one item, with a ``<ttl>`` of ``ttl`` unless None."""
    return (
        f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel>'
        "<title>T</title><link>https://example.com/</link>"
        f"{'' if ttl is None else f'<ttl>{ttl}</ttl>'}"
        "<item><title>A</title><link>https://example.com/a</link></item></channel></rss>"
    ).encode(encoding)


def write_config(path: Path, feeds: list[tuple[str, str]], settings: str = "") -> Path:
    """Write a feeds.toml with (name, url) feeds; refresh on start off unless ``settings`` says."""
    lines = ["[settings]", "refresh_on_start = false", "auto_refresh_minutes = 0", settings, ""]
    for name, url in feeds:
        lines += ["[[feeds]]", f'name = "{name}"', f'url = "{url}"', 'section = "TV News"', ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def refuse_page_saves(cache: Path) -> None:
    """Make the cache at ``cache`` refuse every fetched page it is asked to keep (a trigger
    whose write fails), while feeds and marks are saved as usual."""
    from tui.core.store import Store

    Store(cache).close()
    db = sqlite3.connect(cache)
    db.execute(
        "CREATE TRIGGER refuse_pages BEFORE UPDATE OF full_markdown ON articles "
        "BEGIN INSERT INTO no_such_table VALUES (1); END"
    )
    db.commit()
    db.close()


@pytest.fixture(autouse=True)
def _no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    os.environ.setdefault("TERM", "xterm-256color")
