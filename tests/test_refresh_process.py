"""The app's refresh: a child process that reports progress and a summary as JSON lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import write_config
from tests.server import TestServer
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


def test_a_child_refresh_that_cannot_start_says_why(tmp_path: Path) -> None:
    bad = tmp_path / "feeds.toml"
    bad.write_text("[[feeds]]\nurl = 'ftp://example.com/feed'\n")
    with pytest.raises(TvnewsError, match=r"feeds\.toml"):
        refresh_in_child(bad, tmp_path / "cache.sqlite3")
