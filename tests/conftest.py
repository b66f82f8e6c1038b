"""Shared fixtures: a real loopback HTTP server, isolated config and data directories."""

from __future__ import annotations

import os
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
    """Serves tests/data (feeds under /feeds/) and the seed-shaped site under /."""
    root = DATA.parent / "webroot"
    httpd = TestServer(_webroot(root))
    yield httpd
    httpd.stop()


def _webroot(root: Path) -> Path:
    """tests/webroot: links to tests/site/* and tests/data/feeds (made once)."""
    root.mkdir(exist_ok=True)
    links = {"feeds": FEEDS}
    if SITE.is_dir():
        links.update({child.name: child for child in SITE.iterdir()})
    for name, target in links.items():
        link = root / name
        if not link.exists():
            try:
                link.symlink_to(target.resolve(), target_is_directory=target.is_dir())
            except FileExistsError:
                pass
    return root


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated user: XDG config and data dirs inside tmp_path."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("BROWSER", "true")
    monkeypatch.delenv("NO_COLOR", raising=False)
    return tmp_path


def write_config(path: Path, feeds: list[tuple[str, str]], settings: str = "") -> Path:
    """Write a feeds.toml with (name, url) feeds; refresh on start off unless ``settings`` says."""
    lines = ["[settings]", "refresh_on_start = false", "auto_refresh_minutes = 0", settings, ""]
    for name, url in feeds:
        lines += ["[[feeds]]", f'name = "{name}"', f'url = "{url}"', 'section = "TV News"', ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def _no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    os.environ.setdefault("TERM", "xterm-256color")
