"""The refresh parses in its own process: no worker processes, parsers loaded only when a
feed changed, plain RSS read without lxml, and the same articles as feedparser would give."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.conftest import FEEDS, write_config
from tests.server import Route, TestServer
from tui.config import FeedConfig, Settings
from tui.core import fastrss, parse
from tui.core.fetch import LazyTrustContext
from tui.core.refresh import refresh
from tui.core.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from feeds import feed_xml

SETTINGS = Settings(timeout_seconds=3.0, feed_interval_minutes=0)

#: Prints how many malloc heaps of threads (glibc's arenas) the process has: each is a
#: 64 MB reservation, its used part mapped first and the rest with no access.
COUNT_HEAPS = """
def thread_heaps():
    rows = [line.split() for line in open("/proc/self/maps")]
    spans = [int(row[0].split("-")[1], 16) - int(row[0].split("-")[0], 16) for row in rows]
    return sum(
        1
        for (size, row), (rest, after) in zip(zip(spans, rows), zip(spans[1:], rows[1:]))
        if len(row) == 5 and len(after) == 5 and after[1] == "---p" and size + rest == 1 << 26
    )
"""

#: Runs ``tvnews`` in a fresh interpreter, then reports what the run left behind.
PROBE = (
    COUNT_HEAPS
    + """
import os, sys
from tui.cli import main
code = main(sys.argv[1:])
def parent_of(pid):
    try:
        stat = open(f"/proc/{pid}/stat").read()
    except OSError:  # the process ended while we looked
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])
children = [p for p in os.listdir("/proc") if p.isdigit() and parent_of(p) == os.getpid()]
loaded = [name for name in ("multiprocessing", "lxml.etree", "tui.core.parse", "feedparser",
                            "asyncio") if name in sys.modules]
print(code, len(children), ",".join(loaded) or "-", thread_heaps())
"""
)


def probe(config: Path, data: Path) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, "--config", str(config), "--data-dir", str(data), "refresh"],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ.copy(),
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1].split()


def test_cold_and_warm_runs_start_no_process_and_a_warm_run_loads_no_parser(
    server: TestServer, tmp_path: Path
) -> None:
    names = [
        "rss20-cloudflare-blog-content-encoded.xml",
        "atom10-daringfireball-xmlbase-relative-urls.xml",
    ]
    feeds = [(name, server.url(f"/feeds/{name}")) for name in names]
    config = write_config(tmp_path / "feeds.toml", feeds, "feed_interval_minutes = 0")
    code, children, loaded, heaps = probe(config, tmp_path / "d")
    assert (code, children) == ("0", "0")
    assert heaps == "0", "the fetch, parse and writer threads share one malloc heap"
    assert "multiprocessing" not in loaded
    assert "tui.core.parse" in loaded.split(","), "the first run parsed"
    assert "lxml.etree" not in loaded.split(","), "plain RSS is read without lxml"
    assert "asyncio" not in loaded.split(","), "threads, no event loop"
    code, children, loaded, _ = probe(config, tmp_path / "d")
    assert (code, children, loaded) == ("0", "0", "-"), "304s only: nothing parsed"
    conditional = {"If-None-Match", "If-Modified-Since"}
    assert sum(1 for seen in server.requests if conditional & set(seen.headers)) == 2


def test_refresh_stores_what_feedparser_reads(server: TestServer, tmp_path: Path) -> None:
    body = feed_xml("http://127.0.0.1", 3, 40)
    server.routes["/bench.xml"] = Route(
        body=body, headers={"Content-Type": "application/rss+xml; charset=utf-8"}
    )
    url = server.url("/bench.xml")
    summary = refresh(tmp_path / "cache.sqlite3", [FeedConfig(url=url, name="b")], SETTINGS)
    assert (summary.new, summary.failures) == (40, [])
    assert fastrss.parse_rss(body, url, "application/rss+xml") is not None, "the fast path"
    original = parse.parse_rss
    parse.parse_rss = lambda *args: None  # type: ignore[assignment]
    try:
        expected = parse.parse_feed(body, url, "application/rss+xml")
    finally:
        parse.parse_rss = original
    store = Store(tmp_path / "cache.sqlite3")
    try:
        stored = store.db.execute(
            "SELECT guid, url, title, author, published, summary, content FROM articles "
            "ORDER BY first_seen DESC"
        ).fetchall()
        pending = store.db.execute("SELECT count(*) FROM search_pending").fetchone()[0]
    finally:
        store.close()
    assert stored == [
        (e.guid, e.url, e.title, e.author, e.published, e.summary, e.content)
        for e in expected.entries
    ]
    assert pending == 0, "everything new is indexed for search by the end of the run"


def test_fast_path_parses_alike_in_many_threads_at_once() -> None:
    bodies = [
        (FEEDS / "rss20-cloudflare-blog-content-encoded.xml").read_bytes(),
        (FEEDS / "rss20-guardian-us-news-media-content.xml").read_bytes(),
        feed_xml("http://127.0.0.1", 7, 60, generation=2),
    ]
    url = "https://example.com/feed.xml"
    expected = [parse.parse_feed(body, url, "application/rss+xml") for body in bodies]
    results: list[bool] = []
    start = threading.Barrier(6)

    def work() -> None:
        start.wait()
        for _ in range(15):
            for body, want in zip(bodies, expected, strict=True):
                results.append(parse.parse_feed(body, url, "application/rss+xml") == want)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 6 * 15 * 3 and all(results)


def test_guid_repeated_in_a_feed_keeps_the_search_index_whole(
    server: TestServer, tmp_path: Path
) -> None:
    def items(word: str) -> bytes:
        copies = "".join(
            f"<item><title>{word} copy {n}</title><guid>same</guid></item>" for n in range(3)
        )
        other = f"<item><title>{word} other</title><guid>other</guid></item>"
        return (
            f'<rss version="2.0"><channel><title>t</title>{copies}{other}</channel></rss>'.encode()
        )

    server.routes["/dup.xml"] = Route(body=items("alpha"))
    feeds = [FeedConfig(url=server.url("/dup.xml"), name="dup")]
    cache = tmp_path / "cache.sqlite3"
    assert refresh(cache, feeds, SETTINGS).new == 2
    server.routes["/dup.xml"] = Route(body=items("omega"))
    assert refresh(cache, feeds, SETTINGS).new == 0
    store = Store(cache)
    try:
        store.db.execute(
            "INSERT INTO articles_fts(articles_fts, rank) VALUES ('integrity-check', 1)"
        )
        titles = sorted(row[0] for row in store.db.execute("SELECT title FROM articles"))
        matched = store.db.execute(
            "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'omega'"
        ).fetchone()[0]
    finally:
        store.close()
    assert titles == ["omega copy 2", "omega other"]
    assert matched == 2


@pytest.mark.parametrize("method", ["wrap_bio", "wrap_socket"])
def test_tls_context_loads_the_ca_certificates_before_its_first_connection(method: str) -> None:
    context = LazyTrustContext(ssl.PROTOCOL_TLS_CLIENT)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.cert_store_stats()["x509_ca"] == 0, "nothing loaded yet"
    if method == "wrap_bio":
        context.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), server_hostname="example.com")
    else:
        import socket

        with (
            socket.socket() as raw,
            context.wrap_socket(raw, server_hostname="example.com", do_handshake_on_connect=False),
        ):
            pass
    assert context.cert_store_stats()["x509_ca"] > 50


def test_a_big_refresh_shares_the_work_with_one_helper_process(
    server: TestServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import multiprocessing

    from tui.core import refresh as refresh_module

    monkeypatch.setattr(refresh_module, "HELPER_AFTER_BYTES", 0)
    monkeypatch.setattr(refresh_module, "HELPER_BACKLOG", 0)
    for n in range(12):
        server.routes[f"/big-{n}.xml"] = Route(
            body=feed_xml("http://127.0.0.1", n, 30),
            headers={"Content-Type": "application/rss+xml; charset=utf-8"},
            delay=1.5 if n >= 6 else 0.0,  # by then the helper has started
        )
    feeds = [FeedConfig(url=server.url(f"/big-{n}.xml"), name=f"big {n}") for n in range(12)]
    cache = tmp_path / "cache.sqlite3"
    refresher = refresh_module.Refresher(cache, SETTINGS)
    first = refresher.run(feeds)
    assert (first.new, first.failures) == (12 * 30, [])
    assert refresher.helped > 0
    assert multiprocessing.active_children() == [], "the helper is gone at the end"
    assert refresh(cache, feeds, SETTINGS).new == 0
    store = Store(cache)
    try:
        total, distinct = store.db.execute(
            "SELECT count(*), count(DISTINCT feed_id || ' ' || guid) FROM articles"
        ).fetchone()
        pending = store.db.execute("SELECT count(*) FROM search_pending").fetchone()[0]
        store.db.execute(
            "INSERT INTO articles_fts(articles_fts, rank) VALUES ('integrity-check', 1)"
        )
    finally:
        store.close()
    assert (total, distinct, pending) == (360, 360, 0)


HEAPS_PROBE = (
    COUNT_HEAPS
    + """
import sys, threading
from tui.core.workers import one_malloc_heap
if sys.argv[1] == "one":
    one_malloc_heap()
def work():
    kept = [bytes(100_000) for _ in range(5)]  # malloc, not Python's small-object arenas
    start.wait()
start = threading.Barrier(9)
threads = [threading.Thread(target=work) for _ in range(8)]
for thread in threads:
    thread.start()
heaps = thread_heaps()
start.wait()
print(heaps)
"""
)


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads Linux's /proc")
def test_a_refresh_process_gives_its_threads_one_malloc_heap() -> None:
    """glibc would give each fetch thread a heap of its own, each keeping what its
    responses passed through (2 MB of a 200-feed refresh's peak)."""
    try:
        glibc = os.confstr("CS_GNU_LIBC_VERSION")
    except (ValueError, OSError):
        glibc = None
    if not glibc:
        pytest.skip("glibc's malloc only")

    def heaps(mode: str) -> int:
        result = subprocess.run(
            [sys.executable, "-c", HEAPS_PROBE, mode], capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stderr
        return int(result.stdout)

    assert heaps("default") >= 4, "the probe sees glibc's per-thread heaps"
    assert heaps("one") == 0
