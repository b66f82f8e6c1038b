"""Refresh over a real loopback server: conditional GET, errors per feed, no duplicates."""

from __future__ import annotations

import gzip
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import FEEDS, one_item_rss, write_config
from tests.server import Route, TestServer
from tui.config import FeedConfig, Settings
from tui.core.models import ListQuery
from tui.core.refresh import refresh
from tui.core.store import Store

SETTINGS = Settings(timeout_seconds=3.0, feed_interval_minutes=0)


def feeds(server: TestServer, *names: str) -> list[FeedConfig]:
    return [FeedConfig(url=server.url(f"/feeds/{name}"), name=name) for name in names]


def test_refresh_stores_articles_then_revalidates_with_304(
    server: TestServer, tmp_path: Path
) -> None:
    cache = tmp_path / "cache.sqlite3"
    configured = feeds(
        server,
        "rss20-guardian-us-news-media-content.xml",
        "atom10-daringfireball-xmlbase-relative-urls.xml",
        "jsonfeed10-inessential.json",
    )
    first = refresh(cache, configured, SETTINGS)
    assert first.new == 55 + 48 + 20
    assert not first.failures
    second = refresh(cache, configured, SETTINGS)
    assert second.new == 0
    assert all(outcome.not_modified for outcome in second.outcomes)
    conditional = [seen for seen in server.requests if "If-None-Match" in seen.headers]
    assert len(conditional) == 3
    assert all("tvnews/" in seen.headers["User-Agent"] for seen in server.requests)
    store = Store(cache)
    assert store.count(ListQuery()) == 123
    store.sync_feeds([(configured[0].url, "Guardian", "")])
    assert store.count(ListQuery()) == 55, "feeds dropped from the config are not listed"


def test_one_bad_feed_never_stops_the_others(server: TestServer, tmp_path: Path) -> None:
    server.routes["/broken.xml"] = Route(status=500, body=b"oops")
    server.routes["/gone.xml"] = Route(status=404)
    configured = [
        *feeds(server, "rss20-cloudflare-blog-content-encoded.xml", "malformed-not-a-feed.xml"),
        FeedConfig(url=server.url("/broken.xml"), name="broken"),
        FeedConfig(url=server.url("/gone.xml"), name="gone"),
        FeedConfig(url="http://127.0.0.1:9/closed.xml", name="closed"),
    ]
    summary = refresh(tmp_path / "cache.sqlite3", configured, SETTINGS)
    reasons = {outcome.name: outcome.error for outcome in summary.failures}
    assert summary.new == 1
    assert reasons["broken"] == "HTTP 500 Internal Server Error"
    assert reasons["gone"] == "HTTP 404 Not Found"
    assert reasons["closed"] == "connection refused"
    assert reasons["malformed-not-a-feed.xml"].startswith("not a feed")
    store = Store(tmp_path / "cache.sqlite3")
    store.sync_feeds([(feed.url, feed.name, "") for feed in configured])
    recorded = {feed.name: feed.last_error for feed in store.feeds()}
    assert recorded["broken"] == "HTTP 500 Internal Server Error"
    assert recorded["rss20-cloudflare-blog-content-encoded.xml"] == ""


def test_gzip_bodies_and_size_cap(server: TestServer, tmp_path: Path) -> None:
    body = (FEEDS / "rss20-cloudflare-blog-content-encoded.xml").read_bytes()
    server.routes["/gz.xml"] = Route(body=gzip.compress(body), headers={"Content-Encoding": "gzip"})
    server.routes["/huge.xml"] = Route(body=b"<rss>" + b" " * 200_000)
    small = Settings(timeout_seconds=3.0, max_feed_bytes=100_000, feed_interval_minutes=0)
    configured = [
        FeedConfig(url=server.url("/gz.xml"), name="gz"),
        FeedConfig(url=server.url("/huge.xml"), name="huge"),
    ]
    summary = refresh(tmp_path / "cache.sqlite3", configured, small)
    reasons = {outcome.name: outcome.error for outcome in summary.outcomes}
    assert reasons["gz"] == ""
    assert reasons["huge"].startswith("too large")


def test_feeds_not_due_are_skipped_unless_forced(server: TestServer, tmp_path: Path) -> None:
    cache = tmp_path / "cache.sqlite3"
    configured = feeds(server, "rss20-cloudflare-blog-content-encoded.xml")
    hourly = Settings(timeout_seconds=3.0, feed_interval_minutes=60)
    refresh(cache, configured, hourly)
    assert refresh(cache, configured, hourly).outcomes[0].skipped
    assert not refresh(cache, configured, hourly, force=True).outcomes[0].skipped
    assert server.count("/feeds/rss20-cloudflare-blog-content-encoded.xml") == 2


def test_a_web_page_leads_to_its_feed_by_autodiscovery(server: TestServer, tmp_path: Path) -> None:
    page = (
        b'<html><head><link rel="alternate" type="application/rss+xml" '
        b'href="/feeds/rss20-cloudflare-blog-content-encoded.xml"></head><body>Blog</body></html>'
    )
    server.routes["/blog/"] = Route(body=page, headers={"Content-Type": "text/html"})
    summary = refresh(tmp_path / "c.sqlite3", [FeedConfig(url=server.url("/blog/"))], SETTINGS)
    assert summary.new == 1 and not summary.failures


def _fetched_ago(cache: Path, seconds: float) -> None:
    """Move every feed's last fetch ``seconds`` into the past, as time passing would."""
    db = sqlite3.connect(cache)
    with db:
        db.execute("UPDATE feeds SET last_fetched = ?", (time.time() - seconds,))
    db.close()


def test_a_feed_is_left_alone_as_long_as_it_asks(server: TestServer, tmp_path: Path) -> None:
    """Its RSS <ttl> (minutes) or its server's Cache-Control max-age (less Age) stretch the
    configured interval, up to a day; no-cache / no-store ask for nothing."""
    server.routes["/ttl.xml"] = Route(body=one_item_rss("60"))
    server.routes["/max-age.xml"] = Route(
        body=one_item_rss(), headers={"Cache-Control": "public, Max-Age=7200", "Age": "600"}
    )
    server.routes["/no-cache.xml"] = Route(
        body=one_item_rss(), headers={"Cache-Control": "max-age=7200, no-cache"}
    )
    server.routes["/month.xml"] = Route(
        body=one_item_rss(), headers={"Cache-Control": "max-age=2592000"}
    )
    server.routes["/plain.xml"] = Route(body=one_item_rss())
    paths = ["/ttl.xml", "/max-age.xml", "/no-cache.xml", "/month.xml", "/plain.xml"]
    configured = [FeedConfig(url=server.url(path), name=path) for path in paths]
    cache = tmp_path / "cache.sqlite3"
    quarter = Settings(timeout_seconds=3.0, feed_interval_minutes=15)

    def fetched_now() -> list[str]:
        before = {path: server.count(path) for path in paths}
        refresh(cache, configured, quarter)
        return [path for path in paths if server.count(path) > before[path]]

    assert fetched_now() == paths
    _fetched_ago(cache, 20 * 60)  # past the 15 minutes configured
    assert fetched_now() == ["/no-cache.xml", "/plain.xml"]
    _fetched_ago(cache, 65 * 60)  # past the hour of <ttl>, not the 110 min of max-age
    assert fetched_now() == ["/ttl.xml", "/no-cache.xml", "/plain.xml"]
    _fetched_ago(cache, 111 * 60)
    assert fetched_now() == ["/ttl.xml", "/max-age.xml", "/no-cache.xml", "/plain.xml"]
    _fetched_ago(cache, 86400 + 60)  # a month of max-age waits a day at most
    assert fetched_now() == paths
    # r in the app and refresh --force fetch them all; so does an interval of 0.
    forced = refresh(cache, configured, quarter, force=True)
    assert not any(outcome.skipped for outcome in forced.outcomes)
    assert not any(outcome.skipped for outcome in refresh(cache, configured, SETTINGS).outcomes)


def test_a_304_says_how_long_it_stays_fresh(server: TestServer, tmp_path: Path) -> None:
    """A 304 carries the server's max-age of now; the document's <ttl> stays as parsed."""
    server.routes["/feed.xml"] = Route(body=one_item_rss(), headers={"Cache-Control": "max-age=60"})
    configured = [FeedConfig(url=server.url("/feed.xml"), name="feed")]
    cache = tmp_path / "cache.sqlite3"
    refresh(cache, configured, SETTINGS)
    server.routes["/feed.xml"] = Route(status=304, headers={"Cache-Control": "max-age=3000"})
    assert refresh(cache, configured, SETTINGS).outcomes[0].not_modified
    store = Store(cache)
    assert store.feed_fetch_state(server.url("/feed.xml"))[5] == 3000
    store.close()
    server.routes["/feed.xml"] = Route(status=304)
    refresh(cache, configured, SETTINGS)
    store = Store(cache)
    assert store.feed_fetch_state(server.url("/feed.xml"))[5] == 0
    store.close()


def test_cache_headers_in_digits_int_refuses_ask_for_nothing(
    server: TestServer, tmp_path: Path
) -> None:
    """``str.isdigit`` takes "²", which ``int`` refuses: the fetch failed on such a header."""
    server.routes["/odd.xml"] = Route(body=one_item_rss(), headers={"Cache-Control": "max-age=²"})
    server.routes["/age.xml"] = Route(
        body=one_item_rss(), headers={"Cache-Control": "max-age=600", "Age": "²"}
    )
    configured = [FeedConfig(url=server.url(p), name=p) for p in ("/odd.xml", "/age.xml")]
    cache = tmp_path / "cache.sqlite3"
    summary = refresh(cache, configured, SETTINGS)
    assert [outcome.error for outcome in summary.outcomes] == ["", ""]
    store = Store(cache)
    asks = [store.feed_fetch_state(server.url(p))[5] for p in ("/odd.xml", "/age.xml")]
    store.close()
    assert asks == [0, 600]


def test_an_interrupted_refresh_ends_at_once_and_blames_no_feed(
    server: TestServer, tmp_path: Path
) -> None:
    """Ctrl+C while a feed is still being fetched: its request stops, the command exits
    at once (130), the feed already saved stays, and no feed is marked as failed."""
    server.routes["/slow.xml"] = Route(body=one_item_rss(), delay=30)
    fast = "rss20-cloudflare-blog-content-encoded.xml"
    config = write_config(
        tmp_path / "feeds.toml",
        [("fast", server.url(f"/feeds/{fast}")), ("slow", server.url("/slow.xml"))],
        "feed_interval_minutes = 0",
    )
    data = tmp_path / "data"
    command = [sys.executable, "-m", "tui.cli", "--config", str(config), "--data-dir", str(data)]
    process = subprocess.Popen([*command, "refresh"], stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not (server.count("/slow.xml") and _saved(data)):
            time.sleep(0.05)
        assert server.count("/slow.xml") and _saved(data), "the slow feed is being fetched"
        process.send_signal(signal.SIGINT)
        interrupted = time.monotonic()
        code = process.wait(timeout=20)
    finally:
        process.kill()
    assert (code, time.monotonic() - interrupted < 3) == (130, True)
    assert "Traceback" not in (process.stderr.read() if process.stderr else "")
    store = Store(data / "cache.sqlite3")
    try:
        errors = store.db.execute("SELECT url, last_error FROM feeds ORDER BY url").fetchall()
    finally:
        store.close()
    assert errors == [(server.url(f"/feeds/{fast}"), ""), (server.url("/slow.xml"), "")]
    assert _saved(data) == 1, "the fast feed's one article"


def _saved(data: Path) -> int:
    """Articles in the cache under ``data`` (0 while there is none)."""
    try:
        db = sqlite3.connect(f"file:{data / 'cache.sqlite3'}?mode=ro", uri=True)
    except sqlite3.Error:
        return 0
    try:
        return db.execute("SELECT count(*) FROM articles").fetchone()[0]
    except sqlite3.Error:
        return 0
    finally:
        db.close()
