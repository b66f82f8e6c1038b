"""Broken networks and hostile servers: each case is a clear per-feed error, the refresh goes on.

Time-outs are short (Settings.timeout_seconds = 0.5: connect and read 0.5 s, a whole
request 1.5 s) so the slow cases finish in about a second each.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from tests.robust_support import RawServer, chunks, fast_settings, feed
from tests.server import Route, TestServer
from tui.config import FeedConfig, Settings
from tui.core.errors import FetchError
from tui.core.fetch import Address, Fetcher, Limits, alternate_families, connect_first
from tui.core.models import ListQuery
from tui.core.refresh import RefreshSummary, refresh
from tui.core.store import Store

SETTINGS = fast_settings(timeout_seconds=0.5)
GOOD_RSS = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Good</title>'
    b"<item><title>Still here</title><link>http://example.com/a</link><guid>good-1</guid></item>"
    b"</channel></rss>"
)


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """Set at the end of a test: handlers that hold a connection open let go."""
    event = threading.Event()
    yield event
    event.set()


def refresh_one(tmp_path: Path, url: str, settings: Settings = SETTINGS) -> tuple[str, float]:
    """Refresh one feed; return its error and how long the refresh took."""
    started = time.monotonic()
    summary = refresh(tmp_path / "cache.sqlite3", [feed(url, "feed")], settings, force=True)
    return summary.outcomes[0].error, time.monotonic() - started


def refresh_raw(
    tmp_path: Path, handler: Callable[[socket.socket], None], path: str = "/feed.xml"
) -> tuple[str, float, RawServer]:
    """Refresh one feed whose server is ``handler`` on a raw socket (stopped after)."""
    raw = RawServer(handler)
    try:
        error, seconds = refresh_one(tmp_path, raw.base + path)
    finally:
        raw.stop()
    return error, seconds, raw


def fetch(url: str, limits: Limits) -> bytes:
    """One GET through the real Fetcher; FetchError propagates."""

    async def get() -> bytes:
        async with Fetcher(limits) as fetcher:
            return (await fetcher.get(url)).body

    return asyncio.run(get())


# -- time-outs ----------------------------------------------------------------------------


@contextlib.contextmanager
def dropping_syns() -> Iterator[int]:
    """The port of a listener whose backlog is full: the kernel drops further SYNs (a
    black hole), until the block ends."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    fillers = []
    try:
        for _ in range(4):
            filler = socket.socket()
            fillers.append(filler)
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(listener.getsockname())
        time.sleep(0.1)
        yield listener.getsockname()[1]
    finally:
        for sock in [*fillers, listener]:
            sock.close()


def test_connect_time_out(tmp_path: Path) -> None:
    with dropping_syns() as port:
        error, seconds = refresh_one(tmp_path, f"http://127.0.0.1:{port}/feed.xml")
    assert error == "timed out connecting"
    assert seconds < 5


def _address(port: int) -> Address:
    return (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("127.0.0.1", port))


def test_an_address_that_does_not_answer_is_passed_over_in_a_quarter_second() -> None:
    """Happy Eyeballs: a host whose first address (often IPv6) drops everything."""
    good = socket.socket()
    good.bind(("127.0.0.1", 0))
    good.listen(4)
    with dropping_syns() as hole, good:
        addresses = [_address(hole), _address(good.getsockname()[1])]
        started = time.monotonic()
        sock = connect_first(addresses, 10.0)
        took = time.monotonic() - started
        assert sock.getpeername() == good.getsockname()
        assert sock.gettimeout() == 10.0
        sock.close()
        with pytest.raises(TimeoutError):
            connect_first(addresses[:1], 0.3)
    assert 0.2 < took < 2, took
    with pytest.raises(ConnectionRefusedError):  # every address refused: the last reason
        connect_first(addresses[1:], 10.0)


def test_an_address_family_the_machine_cannot_open_is_passed_over() -> None:
    """A host name with an IPv6 address on a machine without IPv6 sockets: IPv4 is used."""
    good = socket.socket()
    good.bind(("127.0.0.1", 0))
    good.listen(4)
    unusable = (9999, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("::1", 80, 0, 0))
    try:
        with pytest.raises(OSError):
            socket.socket(9999, socket.SOCK_STREAM)  # the premise: this family cannot be opened
        sock = connect_first([unusable, _address(good.getsockname()[1])], 5.0)  # type: ignore[list-item]
        assert sock.getpeername() == good.getsockname()
        sock.close()
    finally:
        good.close()


def test_address_families_take_turns() -> None:
    six = [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (f"::{n}", 80, 0, 0)) for n in (1, 2)]
    four = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (f"10.0.0.{n}", 80)) for n in (1, 2, 3)]
    assert alternate_families([*six, *four]) == [six[0], four[0], six[1], four[1], four[2]]
    assert alternate_families(four) == four


def test_read_time_out(server: TestServer, tmp_path: Path, release: threading.Event) -> None:
    server.routes["/silent.xml"] = Route(handler=lambda _handler: release.wait(10))
    error, seconds = refresh_one(tmp_path, server.url("/silent.xml"))
    assert error == "timed out waiting for data"
    assert seconds < 5


def _drip(release: threading.Event, headers_too: bool) -> Callable[[BaseHTTPRequestHandler], None]:
    def handler(request: BaseHTTPRequestHandler) -> None:
        head = (
            b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        try:
            if headers_too:
                for byte in head:
                    request.wfile.write(bytes([byte]))
                    request.wfile.flush()
                    if release.wait(0.1):
                        return
            else:
                request.wfile.write(head)
            for part in chunks(iter([b"<"] * 1000)):
                request.wfile.write(part)
                request.wfile.flush()
                if release.wait(0.1):
                    return
        except OSError:
            return

    return handler


@pytest.mark.parametrize("headers_too", [False, True], ids=["body", "headers"])
def test_a_server_that_drips_bytes_hits_the_total_time_out(
    server: TestServer, tmp_path: Path, release: threading.Event, headers_too: bool
) -> None:
    # One byte every 0.1 s never trips the 0.5 s read time-out; the whole request is cut at 1.5 s.
    server.routes["/drip.xml"] = Route(handler=_drip(release, headers_too))
    error, seconds = refresh_one(tmp_path, server.url("/drip.xml"))
    assert error == "timed out after 1.5 s"
    assert 1.4 < seconds < 6


# -- fetch threads ------------------------------------------------------------------------


def test_a_fetch_leaves_the_event_loop_free(server: TestServer) -> None:
    """Requests block a fetch thread, never the loop (the app's keys run on it)."""
    server.routes["/slow.xml"] = Route(body=GOOD_RSS, delay=0.6)

    async def fetch_and_tick() -> tuple[bytes, float]:
        ticks: list[float] = []

        async def tick() -> None:
            while True:
                ticks.append(time.monotonic())
                await asyncio.sleep(0.01)

        ticker = asyncio.create_task(tick())
        async with Fetcher(Limits(timeout=5)) as fetcher:
            body = (await fetcher.get(server.url("/slow.xml"))).body
        ticker.cancel()
        return body, max(b - a for a, b in itertools.pairwise(ticks))

    body, longest_gap = asyncio.run(fetch_and_tick())
    assert body == GOOD_RSS
    assert longest_gap < 0.2, f"the loop stood still for {longest_gap:.2f} s"


def test_a_cancelled_fetch_lets_go_of_its_connection(tmp_path: Path) -> None:
    """Leaving an article whose server never answers closes the request's connection
    at once, not after the read time-out."""
    closed_after: list[float] = []

    def silent(conn: socket.socket) -> None:
        conn.recv(65536)  # the request
        started = time.monotonic()
        with contextlib.suppress(OSError):
            conn.recv(1)  # b"" once the client shuts the connection
        closed_after.append(time.monotonic() - started)

    raw = RawServer(silent)

    async def give_up() -> None:
        async with Fetcher(Limits(timeout=30)) as fetcher:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(fetcher.get(raw.base + "/page"), 0.3)

    try:
        asyncio.run(give_up())
        deadline = time.monotonic() + 5
        while not closed_after and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        raw.stop()
    assert closed_after and closed_after[0] < 2, closed_after


def test_a_fetch_stuck_connecting_does_not_hold_up_the_exit() -> None:
    """A fetch thread that cannot be stopped (stuck in connect, up to 10 s) is a daemon:
    the process ends when tvnews is done, as on q in the app."""
    with dropping_syns() as port:
        script = (
            "import asyncio, contextlib\n"
            "from tui.core.fetch import Fetcher, Limits\n"
            "async def main():\n"
            "    async with Fetcher(Limits(timeout=30)) as fetcher:\n"
            "        with contextlib.suppress(TimeoutError):\n"
            f"            await asyncio.wait_for(fetcher.get('http://127.0.0.1:{port}/f'), 0.3)\n"
            "asyncio.run(main())\n"
        )
        started = time.monotonic()
        subprocess.run([sys.executable, "-c", script], check=True, timeout=30)
    assert time.monotonic() - started < 5


def test_a_forked_child_fetches_on_threads_of_its_own(server: TestServer) -> None:
    """A child forked after a fetch has none of its parent's idle fetch threads."""
    server.routes["/ok.xml"] = Route(body=GOOD_RSS)
    assert fetch(server.url("/ok.xml"), Limits(timeout=5)) == GOOD_RSS  # leaves a thread idle
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through its exit status
        try:
            body = fetch(server.url("/ok.xml"), Limits(timeout=1))
            os._exit(0 if body == GOOD_RSS else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0


# -- redirects ----------------------------------------------------------------------------


def _redirect(location: str) -> Route:
    return Route(status=302, headers={"Location": location})


def test_a_cookie_set_by_a_redirect_is_sent_on_the_next_hop(
    server: TestServer, tmp_path: Path
) -> None:
    """Sites that set a cookie and redirect to themselves (consent and bot checks)."""

    def gate(request: BaseHTTPRequestHandler) -> None:
        if "passed=yes" in request.headers.get("Cookie", ""):
            request.send_response(200)
            request.send_header("Content-Length", str(len(GOOD_RSS)))
            request.end_headers()
            request.wfile.write(GOOD_RSS)
            return
        request.send_response(302)
        request.send_header("Set-Cookie", "passed=yes; Path=/; HttpOnly")
        request.send_header("Set-Cookie", "session=abc; Path=/")
        request.send_header("Location", "/gate.xml")
        request.send_header("Content-Length", "0")
        request.end_headers()

    server.routes["/gate.xml"] = Route(handler=gate)
    error, _ = refresh_one(tmp_path, server.url("/gate.xml"))
    assert error == ""
    assert server.count("/gate.xml") == 2
    assert server.requests[-1].headers["Cookie"] == "passed=yes; session=abc"


def test_redirect_loop(server: TestServer, tmp_path: Path) -> None:
    server.routes["/loop-a"] = _redirect("/loop-b")
    server.routes["/loop-b"] = _redirect("/loop-a")
    error, _ = refresh_one(tmp_path, server.url("/loop-a"))
    assert error == "too many redirects (more than 5)"
    assert server.count("/loop-a") + server.count("/loop-b") == 6


def test_long_redirect_chain_is_cut_and_a_short_one_followed(
    server: TestServer, tmp_path: Path
) -> None:
    for hop in range(20):
        server.routes[f"/hop/{hop}"] = _redirect(f"/hop/{hop + 1}")
    server.routes["/hop/20"] = Route(body=GOOD_RSS, headers={"Content-Type": "application/rss+xml"})
    error, _ = refresh_one(tmp_path, server.url("/hop/0"))
    assert error == "too many redirects (more than 5)"
    assert server.count("/hop/6") == 0
    error, _ = refresh_one(tmp_path, server.url("/hop/16"))
    assert error == ""
    store = Store(tmp_path / "cache.sqlite3")
    assert [row.title for row in store.rows(ListQuery(), 0, 10)] == ["Still here"]
    store.close()


@pytest.mark.parametrize(
    "location",
    ["file:///etc/passwd", "javascript:alert(1)", "data:text/xml,<rss/>", "ftp://127.0.0.1/x"],
)
def test_redirect_to_a_non_http_url_is_blocked(
    server: TestServer, tmp_path: Path, location: str
) -> None:
    server.routes["/away"] = _redirect(location)
    error, _ = refresh_one(tmp_path, server.url("/away"))
    assert error.startswith("blocked"), error


def test_a_redirect_to_a_path_with_spaces_and_non_ascii_is_followed(tmp_path: Path) -> None:
    """Servers send such Locations raw (UTF-8); they are percent-encoded, as browsers do."""
    answered: list[socket.socket] = []

    def handler(conn: socket.socket) -> None:
        answered.append(conn)
        if len(answered) == 1:  # each answer closes its connection: one request each
            head = b"HTTP/1.1 301 Moved\r\nLocation: /caf\xc3\xa9 news.xml\r\n"
            conn.sendall(head + b"Content-Length: 0\r\nConnection: close\r\n\r\n")
        else:
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                + f"Content-Length: {len(GOOD_RSS)}\r\nConnection: close\r\n\r\n".encode()
                + GOOD_RSS
            )

    error, _, raw = refresh_raw(tmp_path, handler, "/old.xml")
    assert error == ""
    paths = [request.split(b" ")[1] for request in raw.requests]
    assert paths == [b"/old.xml", b"/caf%C3%A9%20news.xml"]


# -- statuses -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (400, "Bad Request"),
        (401, "Unauthorized"),
        (403, "Forbidden"),
        (404, "Not Found"),
        (410, "Gone"),
        (500, "Internal Server Error"),
        (502, "Bad Gateway"),
        (503, "Service Unavailable"),
        (504, "Gateway Timeout"),
    ],
)
def test_http_errors_are_named(
    server: TestServer, tmp_path: Path, status: int, reason: str
) -> None:
    server.routes["/status.xml"] = Route(status=status, body=b"<html>error page</html>")
    error, _ = refresh_one(tmp_path, server.url("/status.xml"))
    assert error == f"HTTP {status} {reason}"
    store = Store(tmp_path / "cache.sqlite3")
    assert store.feed(server.url("/status.xml")).last_error == error  # type: ignore[union-attr]
    store.close()


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize(
    ("retry_after", "seconds"),
    [("120", 120), ("DATE+600", 600), ("99999999", 86400), ("soon", 60), ("²", 60)],
    ids=["seconds", "http-date", "capped-at-a-day", "unreadable", "not-ascii-digits"],
)
def test_retry_after_is_respected(
    server: TestServer, tmp_path: Path, status: int, retry_after: str, seconds: float
) -> None:
    if retry_after == "DATE+600":
        retry_after = formatdate(time.time() + 600, usegmt=True)
    server.routes["/busy.xml"] = Route(status=status, headers={"Retry-After": retry_after})
    cache = tmp_path / "cache.sqlite3"
    before = time.time()
    first = refresh(cache, [feed(server.url("/busy.xml"))], SETTINGS, force=True)
    assert "server asks to retry in" in first.outcomes[0].error
    store = Store(cache)
    not_before = store.feed_fetch_state(server.url("/busy.xml"))[4]
    store.close()
    assert not_before is not None
    assert before + seconds - 5 <= not_before <= time.time() + seconds + 5
    # Even a forced refresh (r in the app, refresh --force) waits for the server.
    second = refresh(cache, [feed(server.url("/busy.xml"))], SETTINGS, force=True)
    assert second.outcomes[0].skipped
    assert server.count("/busy.xml") == 1


def test_too_many_requests_without_retry_after_still_backs_off(
    server: TestServer, tmp_path: Path
) -> None:
    """A 429 that names no time: tvnews waits BACK_OFF_429 (15 min) all the same, even on
    a forced refresh; a 503 without Retry-After is an outage, tried again next time."""
    server.routes["/busy.xml"] = Route(status=429)
    server.routes["/down.xml"] = Route(status=503)
    cache = tmp_path / "cache.sqlite3"
    feeds = [feed(server.url("/busy.xml")), feed(server.url("/down.xml"))]
    before = time.time()
    first = refresh(cache, feeds, SETTINGS, force=True)
    errors = [outcome.error for outcome in first.outcomes]
    assert errors == [
        "HTTP 429 Too Many Requests; trying again in 15 min",
        "HTTP 503 Service Unavailable",
    ]
    store = Store(cache)
    not_before = store.feed_fetch_state(server.url("/busy.xml"))[4]
    assert not store.feed_fetch_state(server.url("/down.xml"))[4]
    store.close()
    assert not_before is not None and before + 900 - 5 <= not_before <= time.time() + 905
    second = refresh(cache, feeds, SETTINGS, force=True)
    assert [outcome.skipped for outcome in second.outcomes] == [True, False]
    assert (server.count("/busy.xml"), server.count("/down.xml")) == (1, 2)


# -- kept-alive connections ----------------------------------------------------------------

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(GOOD_RSS), GOOD_RSS)


def fetch_all(urls: list[str], pause: float = 0.0) -> list[bytes]:
    """GET each of ``urls`` in turn through one Fetcher (its connections kept alive)."""

    async def get() -> list[bytes]:
        bodies = []
        async with Fetcher(Limits(timeout=5)) as fetcher:
            for url in urls:
                bodies.append((await fetcher.get(url)).body)
                await asyncio.sleep(pause)
        return bodies

    return asyncio.run(get())


def test_requests_to_one_server_share_a_kept_alive_connection() -> None:
    def keep_answering(conn: socket.socket) -> None:
        while True:
            conn.sendall(ANSWER)
            if not conn.recv(65536):
                return

    raw = RawServer(keep_answering)
    try:
        bodies = fetch_all([raw.base + f"/{n}.xml" for n in range(3)])
    finally:
        raw.stop()
    assert bodies == [GOOD_RSS] * 3
    assert len(raw.requests) == 1, "one connection"


@pytest.mark.parametrize("when", ["while-idle", "as-the-request-goes-out"])
def test_a_kept_connection_its_server_closed_is_replaced(when: str) -> None:
    """Servers close idle connections after a few seconds, sometimes just as the next
    request goes out on one: the request goes again, on a new connection."""

    def answer_once(conn: socket.socket) -> None:
        conn.sendall(ANSWER)
        if when == "as-the-request-goes-out":
            conn.recv(65536)  # the next request: the connection closes unanswered

    raw = RawServer(answer_once)
    try:
        bodies = fetch_all([raw.base + "/a.xml", raw.base + "/b.xml"], pause=0.1)
    finally:
        raw.stop()
    assert bodies == [GOOD_RSS] * 2
    assert [request.split(b" ")[1] for request in raw.requests] == [b"/a.xml", b"/b.xml"]


def test_kept_connections_are_bounded_over_all_hosts() -> None:
    """A refresh of many hosts keeps at most MAX_IDLE connections open, the longest
    unused closed first, not one per host it ever saw."""
    from tui.core.fetch import MAX_IDLE

    closed: dict[int, threading.Event] = {}

    def server(number: int) -> RawServer:
        closed[number] = threading.Event()

        def answer_and_wait(conn: socket.socket) -> None:
            conn.sendall(ANSWER)
            with contextlib.suppress(OSError):
                conn.recv(65536)  # b"" once the client closes it
            closed[number].set()

        return RawServer(answer_and_wait)

    servers = [server(number) for number in range(MAX_IDLE + 3)]

    async def get_all() -> list[bool]:
        async with Fetcher(Limits(timeout=5)) as fetcher:
            for raw in servers:
                await fetcher.get(raw.base + "/feed.xml")
            await asyncio.sleep(0.3)
            return [closed[number].is_set() for number in range(len(servers))]

    try:
        open_or_closed = asyncio.run(get_all())
    finally:
        for raw in servers:
            raw.stop()
    assert open_or_closed == [True] * 3 + [False] * MAX_IDLE


# -- broken connections -------------------------------------------------------------------


def _reset(conn: socket.socket) -> None:
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


@pytest.mark.parametrize("when", ["before-response", "mid-body"])
def test_connection_reset(tmp_path: Path, when: str) -> None:
    def handler(conn: socket.socket) -> None:
        if when == "mid-body":
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                b"Content-Length: 100000\r\n\r\n" + GOOD_RSS[:50]
            )
            time.sleep(0.1)
        _reset(conn)

    error, _, _ = refresh_raw(tmp_path, handler, "/reset.xml")
    assert error.startswith(("connection broken", "network error")), error


def test_body_shorter_than_declared(tmp_path: Path) -> None:
    def handler(conn: socket.socket) -> None:
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
            b"Content-Length: 5000\r\n\r\n" + GOOD_RSS[:80]
        )

    error, _, _ = refresh_raw(tmp_path, handler, "/short.xml")
    assert error.startswith("connection broken"), error


@pytest.mark.parametrize(("lines", "error"), [(150, ""), (1500, "got more than 1000 headers")])
def test_many_header_lines(tmp_path: Path, lines: int, error: str) -> None:
    """Some CDNs send more than the 100 header lines Python's http.client allows."""
    head = b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-Edge-%d: 1\r\n" % n for n in range(lines))
    length = f"Content-Length: {len(GOOD_RSS)}\r\n\r\n".encode()
    reason, _, _ = refresh_raw(tmp_path, lambda conn: conn.sendall(head + length + GOOD_RSS))
    assert reason == (f"connection broken ({error})" if error else "")


def test_a_reason_phrase_with_escape_sequences_is_shown_clean(tmp_path: Path) -> None:
    """Python's http.client passes any reason phrase; tvnews prints errors on the CLI."""
    error, _, _ = refresh_raw(
        tmp_path,
        lambda conn: conn.sendall(
            b"HTTP/1.1 404 \x1b]2;owned\x07Gone\r\nContent-Length: 0\r\n\r\n"
        ),
    )
    assert error == "HTTP 404 ]2;ownedGone"


def test_garbage_instead_of_http(tmp_path: Path) -> None:
    error, _, _ = refresh_raw(
        tmp_path,
        lambda conn: conn.sendall(b"\x16\x03\x01 this is not HTTP\r\n\r\n"),
        "/garbage.xml",
    )
    assert error == "connection broken (not an HTTP response)"


# -- size caps ----------------------------------------------------------------------------


def _bomb(coding: str, inflated: int) -> bytes:
    wbits = {"gzip": 31, "deflate": 15, "raw-deflate": -15}[coding]
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = b"\0" * 1_000_000
    return b"".join(compressor.compress(block) for _ in range(inflated // len(block))) + (
        compressor.flush()
    )


@pytest.mark.parametrize("coding", ["gzip", "deflate", "raw-deflate"])
def test_compression_bomb_is_cut_while_inflating(server: TestServer, coding: str) -> None:
    body = _bomb(coding, 300_000_000)  # 300 MB of zeros in about 300 kB
    header = "deflate" if coding == "raw-deflate" else coding
    server.routes["/bomb.xml"] = Route(
        body=body, headers={"Content-Type": "application/rss+xml", "Content-Encoding": header}
    )
    limit = 1_000_000
    tracemalloc.start()
    try:
        with pytest.raises(FetchError, match="too large: more than 1 MB when decompressed"):
            fetch(server.url("/bomb.xml"), Limits(timeout=5, max_bytes=limit))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # Without inflating under a cap, one 64 kB network read alone becomes 64 MB.
    assert peak < 16 * limit, f"peak {peak / 1e6:.0f} MB while fetching"


def test_compressed_feed_within_the_cap_is_read(server: TestServer, tmp_path: Path) -> None:
    for coding, wbits in (("gzip", 31), ("deflate", 15), ("raw-deflate", -15)):
        compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
        body = compressor.compress(GOOD_RSS) + compressor.flush()
        server.routes[f"/{coding}.xml"] = Route(
            body=body,
            headers={
                "Content-Type": "application/rss+xml",
                "Content-Encoding": coding.replace("raw-", ""),
            },
        )
        assert fetch(server.url(f"/{coding}.xml"), Limits(timeout=5)) == GOOD_RSS, coding


def test_bad_and_unknown_content_encodings_are_clear_errors(server: TestServer) -> None:
    server.routes["/bad.xml"] = Route(body=b"not gzip at all", headers={"Content-Encoding": "gzip"})
    server.routes["/br.xml"] = Route(body=b"\x0b\x02\x80", headers={"Content-Encoding": "br"})
    with pytest.raises(FetchError, match="bad compressed data"):
        fetch(server.url("/bad.xml"), Limits(timeout=5))
    with pytest.raises(FetchError, match="unsupported content encoding 'br'"):
        fetch(server.url("/br.xml"), Limits(timeout=5))


def test_endless_body_is_cut_at_the_size_cap(
    server: TestServer, tmp_path: Path, release: threading.Event
) -> None:
    def endless(request: BaseHTTPRequestHandler) -> None:
        request.wfile.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        try:
            while not release.is_set():
                request.wfile.write(b"10000\r\n" + b"<item>" * 10922 + b"<ite\r\n")
        except OSError:
            return

    server.routes["/endless.xml"] = Route(handler=endless)
    settings = fast_settings(timeout_seconds=5.0, max_feed_bytes=2_000_000)
    error, seconds = refresh_one(tmp_path, server.url("/endless.xml"), settings)
    assert error == "too large: more than 2 MB"
    assert seconds < 10


def test_declared_size_over_the_cap_is_refused_before_reading(
    tmp_path: Path, release: threading.Event
) -> None:
    def handler(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000000\r\n\r\n<rss>")
        release.wait(10)

    error, seconds, _ = refresh_raw(tmp_path, handler, "/huge.xml")
    assert error == "too large: 1000000 MB (limit 16 MB)"
    assert seconds < 1.4, "refused without waiting for the body"


# -- a web page instead of a feed ---------------------------------------------------------


def _page(link: str = "") -> Route:
    body = (
        "<!DOCTYPE html><html><head><title>A site</title>"
        f"{link}</head><body><p>Hello</p></body></html>"
    ).encode()
    return Route(body=body, headers={"Content-Type": "text/html; charset=utf-8"})


def test_html_page_leads_to_its_feed(server: TestServer, tmp_path: Path) -> None:
    server.routes["/site/"] = _page(
        '<link rel="alternate" type="application/rss+xml" href="feed/rss.xml">'
    )
    server.routes["/site/feed/rss.xml"] = Route(
        body=GOOD_RSS, headers={"Content-Type": "application/rss+xml"}
    )
    error, _ = refresh_one(tmp_path, server.url("/site/"))
    assert error == ""
    store = Store(tmp_path / "cache.sqlite3")
    assert store.count(ListQuery()) == 1
    store.close()


@pytest.mark.parametrize(
    "link",
    [
        "",
        '<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">',
        '<link rel="alternate" type="application/rss+xml" href="file:///etc/passwd">',
    ],
    ids=["no-link", "javascript", "file"],
)
def test_html_page_without_a_usable_feed_link_is_a_clear_error(
    server: TestServer, tmp_path: Path, link: str
) -> None:
    server.routes["/page/"] = _page(link)
    error, _ = refresh_one(tmp_path, server.url("/page/"))
    assert error == "not a feed: the URL serves a web page with no feed link"


def test_feed_link_to_another_page_does_not_loop(server: TestServer, tmp_path: Path) -> None:
    link = '<link rel="alternate" type="application/rss+xml" href="/page-b/">'
    server.routes["/page-a/"] = _page(link)
    server.routes["/page-b/"] = _page(link.replace("page-b", "page-a"))
    error, _ = refresh_one(tmp_path, server.url("/page-a/"))
    assert error == "not a feed: the URL serves a web page (HTML)"
    assert server.count("/page-a/") == 1 and server.count("/page-b/") == 1


# -- TLS and names ------------------------------------------------------------------------


def test_tls_to_a_plain_http_server(server: TestServer, tmp_path: Path) -> None:
    error, _ = refresh_one(tmp_path, server.url("/feeds/x.xml").replace("http:", "https:"))
    assert error.startswith("TLS error"), error


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (made with openssl)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    try:
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError) as error:
        pytest.skip(f"openssl cannot make a test certificate: {error}")
    return cert, key


def test_tls_certificate_that_does_not_verify(
    tmp_path: Path, self_signed: tuple[Path, Path]
) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*self_signed)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    port = listener.getsockname()[1]

    def serve_once() -> None:
        try:
            conn, _ = listener.accept()
            with context.wrap_socket(conn, server_side=True) as tls:
                tls.recv(1024)
        except (OSError, ssl.SSLError):
            return

    thread = threading.Thread(target=serve_once, daemon=True)
    thread.start()
    try:
        error, _ = refresh_one(tmp_path, f"https://127.0.0.1:{port}/feed.xml")
    finally:
        listener.close()
    assert error.startswith("TLS error") and "CERTIFICATE_VERIFY_FAILED" in error, error


@pytest.fixture(scope="module")
def trusted_server_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A test CA, and a server certificate it signed for localhost and 127.0.0.1."""
    folder = tmp_path_factory.mktemp("ca")
    ca, ca_key = folder / "ca.pem", folder / "ca.key"
    cert, key, csr, ext = (folder / name for name in ("srv.pem", "srv.key", "srv.csr", "ext"))
    ext.write_text(
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
        "extendedKeyUsage=serverAuth\n"
    )
    commands = [
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=tvnews test CA", "-keyout", str(ca_key), "-out", str(ca),
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
        ["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
         "-keyout", str(key), "-out", str(csr)],
        ["openssl", "x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key),
         "-CAcreateserial", "-days", "2", "-out", str(cert), "-extfile", str(ext)],
    ]  # fmt: skip
    try:
        for command in commands:
            subprocess.run(command, check=True, capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as error:
        pytest.skip(f"openssl cannot make test certificates: {error}")
    return ca, cert, key


def test_tls_with_a_trusted_certificate_is_read_and_a_wrong_name_refused(
    trusted_server_cert: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The everyday case, end to end: certificates from the CA bundle, host names checked."""
    import certifi

    ca, cert, key = trusted_server_cert
    monkeypatch.setattr(certifi, "where", lambda: str(ca))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)

    def serve(conn: socket.socket) -> None:
        with contextlib.suppress(OSError), context.wrap_socket(conn, server_side=True) as tls:
            tls.recv(65536)
            head = b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
            tls.sendall(head + f"Content-Length: {len(GOOD_RSS)}\r\n\r\n".encode() + GOOD_RSS)

    listener = socket.socket()
    listener.bind(("0.0.0.0", 0))  # also 127.0.0.2, a name the certificate does not hold
    listener.listen(8)
    port = listener.getsockname()[1]

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        assert fetch(f"https://localhost:{port}/feed.xml", Limits(timeout=5)) == GOOD_RSS
        assert fetch(f"https://127.0.0.1:{port}/feed.xml", Limits(timeout=5)) == GOOD_RSS
        with pytest.raises(FetchError, match=r"TLS error .*not valid for '127\.0\.0\.2'"):
            fetch(f"https://127.0.0.2:{port}/feed.xml", Limits(timeout=5))
    finally:
        listener.close()


def test_unresolvable_host(tmp_path: Path) -> None:
    error, _ = refresh_one(tmp_path, "http://no-such-host.invalid/feed.xml")
    # Offline machines fail at once; a resolver that does not answer runs into the time-out.
    assert error.startswith(
        ("cannot resolve host name", "network unreachable", "timed out connecting")
    ), error


# -- all at once --------------------------------------------------------------------------


def test_every_failure_in_one_refresh_and_the_good_feed_still_arrives(
    server: TestServer, tmp_path: Path, release: threading.Event
) -> None:
    server.routes["/good.xml"] = Route(
        body=GOOD_RSS, headers={"Content-Type": "application/rss+xml"}
    )
    server.routes["/silent.xml"] = Route(handler=lambda _handler: release.wait(10))
    server.routes["/drip.xml"] = Route(handler=_drip(release, headers_too=False))
    server.routes["/loop"] = _redirect("/loop")
    server.routes["/gone.xml"] = Route(status=410)
    server.routes["/busy.xml"] = Route(status=429, headers={"Retry-After": "60"})
    server.routes["/bomb.xml"] = Route(
        body=_bomb("gzip", 100_000_000), headers={"Content-Encoding": "gzip"}
    )
    server.routes["/page/"] = _page()
    paths = ["/good.xml", "/silent.xml", "/drip.xml", "/loop", "/gone.xml", "/busy.xml",
             "/bomb.xml", "/page/"]  # fmt: skip
    configured: list[FeedConfig] = [feed(server.url(path), path) for path in paths]
    configured.append(feed("http://127.0.0.1:9/closed.xml", "closed"))
    started = time.monotonic()
    summary: RefreshSummary = refresh(
        tmp_path / "cache.sqlite3",
        configured,
        # A second per read: the drip's 0.1 s steps stay far inside it when the machine is
        # busy (the server threads share this process with the refresh).
        fast_settings(timeout_seconds=1.0, max_feed_bytes=1_000_000),
    )
    seconds = time.monotonic() - started
    errors = {outcome.name: outcome.error for outcome in summary.outcomes}
    assert errors == {
        "/good.xml": "",
        "/silent.xml": "timed out waiting for data",
        "/drip.xml": "timed out after 3 s",
        "/loop": "too many redirects (more than 5)",
        "/gone.xml": "HTTP 410 Gone",
        "/busy.xml": "HTTP 429 Too Many Requests; server asks to retry in 60 s",
        "/bomb.xml": "too large: more than 1 MB when decompressed",
        "/page/": "not a feed: the URL serves a web page with no feed link",
        "closed": "connection refused",
    }
    assert summary.new == 1
    assert seconds < 10, "time-outs run in parallel, bounded by the total time-out"
    store = Store(tmp_path / "cache.sqlite3")
    assert [row.title for row in store.rows(ListQuery(), 0, 10)] == ["Still here"]
    store.close()
