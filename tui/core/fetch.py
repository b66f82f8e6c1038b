"""HTTP for feeds and pages: bounded sizes, time-outs and redirects; conditional GET.

Returns bytes and headers; every failure is a :class:`FetchError` whose message a
user can read ("timed out", "HTTP 404 Not Found", "larger than 16 MB", …).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import email.utils
import errno
import heapq
import http.client
import itertools
import os
import queue
import select
import selectors
import socket
import ssl
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from selectors import EVENT_WRITE
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urljoin, urlsplit

from tui import __version__
from tui.core.errors import FetchError
from tui.core.sanitize import clean_line, safe_url, whole_number
from tui.core.timefmt import duration

if TYPE_CHECKING:
    import asyncio

USER_AGENT = f"tvnews/{__version__} (terminal news reader; +https://pypi.org/project/tvnews/)"

#: Longest back-off a server's Retry-After can ask for.
MAX_RETRY_AFTER = 24 * 3600
#: Back-off after a 429 (too many requests) that gives no Retry-After.
BACK_OFF_429 = 15 * 60
#: Statuses whose Location is followed.
REDIRECTS = frozenset({301, 302, 303, 307, 308})
#: How long a connection attempt runs alone before the next address is tried beside it.
NEXT_ADDRESS_AFTER = 0.25
#: Failures of a kept-alive connection its server closed as the request went out.
CLOSED_BEFORE_ANSWERING = (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)
#: Most kept-alive connections waiting for their next request, over all hosts.
MAX_IDLE = 64
#: Most cookies a redirect chain keeps per host.
MAX_COOKIES = 50
#: Most header lines a response may have. http.client allows 100, and some CDNs send more
#: (python/cpython#131724: every such response failed); each line stays under 64 kB.
MAX_HEADER_LINES = 1000
http.client._MAXHEADERS = max(http.client._MAXHEADERS, MAX_HEADER_LINES)  # type: ignore[attr-defined]
#: What a URL may hold unencoded (RFC 3986's reserved and unreserved characters, and %).
URL_CHARACTERS = "!#$%&'()*+,/:;=?@[]~"


#: One ``socket.getaddrinfo`` result: family, type, protocol, canonical name, address.
Address = tuple[Any, Any, int, str, Any]


@dataclass(frozen=True, slots=True)
class Response:
    """What a fetch returns."""

    url: str
    """The final URL, after redirects."""
    status: int
    body: bytes
    """Empty for a 304."""
    content_type: str = ""
    etag: str = ""
    last_modified: str = ""
    fresh_for: int = 0
    """Seconds the server says the response stays fresh (``Cache-Control: max-age`` less
    its ``Age``); 0 when it does not say, or says not to reuse it."""
    content_encoding: str = ""
    """The body's Content-Encoding when it was kept as it came (``decode=False``)."""

    @property
    def not_modified(self) -> bool:
        """True for a 304: nothing to parse."""
        return self.status == 304

    def decoded(self, limit: int) -> bytes:
        """The body with its Content-Encoding undone, no more than ``limit`` bytes of it;
        :class:`FetchError` for bad compressed data or past the limit."""
        if not self.content_encoding:
            return self.body
        decoder = _Decoder(self.content_encoding, limit)
        return decoder.feed(self.body) + decoder.finish()


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on every request."""

    timeout: float = 20.0
    max_bytes: int = 16_000_000
    max_redirects: int = 5
    max_connections: int = 16
    max_per_host: int = 4
    user_agent: str = ""


class RetryLater(FetchError):
    """The server asked us to back off (429/503 with Retry-After)."""

    def __init__(self, message: str, not_before: float) -> None:
        super().__init__(message)
        self.not_before = not_before


class LazyTrustContext(ssl.SSLContext):
    """A TLS context that checks host names against certifi's CA certificates and loads
    them (~40 ms) on its first TLS connection, not when it is made: a refresh of plain-http
    feeds never loads them. One is shared by all of a fetcher's connections."""

    _trusting = False
    _lock = threading.Lock()

    def _trust(self) -> None:
        with self._lock:
            if not self._trusting:
                import certifi

                self.load_verify_locations(certifi.where())
                self._trusting = True

    def wrap_bio(self, *args: Any, **kwargs: Any) -> ssl.SSLObject:
        """Load the CA certificates, then as :meth:`ssl.SSLContext.wrap_bio`."""
        self._trust()
        return super().wrap_bio(*args, **kwargs)

    def wrap_socket(self, *args: Any, **kwargs: Any) -> ssl.SSLSocket:
        """Load the CA certificates, then as :meth:`ssl.SSLContext.wrap_socket`."""
        self._trust()
        return super().wrap_socket(*args, **kwargs)


class _Call:
    """One request running on its own thread, and the way to stop it from another: the
    socket it uses is shut down, so a read it is blocked in returns at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None
        self.stopped = False
        self.expired = False
        """Stopped by :class:`_Deadlines`: it ran out of time."""
        self.finished = False

    def attach(self, sock: socket.socket | None) -> None:
        """The request now uses ``sock``; refused if it was stopped already."""
        with self._lock:
            if self.stopped:
                raise FetchError("stopped")
            self._socket = sock

    def detach(self) -> None:
        """The request is done with its socket (about to go back to the pool): a late
        :meth:`stop` must not shut it under the next request."""
        with self._lock:
            self._socket = None

    def stop(self) -> None:
        """End the request: its blocked read or write fails with an OSError."""
        with self._lock:
            self.stopped = True
            sock = self._socket
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def expire(self) -> None:
        """The request ran out of time: stop it, unless it has finished."""
        with self._lock:
            if self.finished:
                return
            self.expired = True
        self.stop()

    def finish(self) -> None:
        """The request is over; a late :meth:`expire` does nothing."""
        with self._lock:
            self.finished = True
            self._socket = None


class _Deadlines:
    """One thread that stops each blocking request still running at its deadline (the
    socket's own time-outs bound each read, not a server that drips bytes)."""

    def __init__(self) -> None:
        self._due: list[tuple[float, int, _Call]] = []
        self._changed = threading.Condition()
        self._watching = False
        self._count = itertools.count()

    def watch(self, call: _Call, seconds: float) -> None:
        """Expire ``call`` in ``seconds`` unless it finishes first."""
        with self._changed:
            heapq.heappush(self._due, (time.monotonic() + seconds, next(self._count), call))
            if not self._watching:
                self._watching = True
                threading.Thread(target=self._run, name="tvnews-deadlines", daemon=True).start()
            self._changed.notify()

    def _run(self) -> None:
        while True:
            with self._changed:
                while self._due and (
                    self._due[0][2].finished or self._due[0][0] <= time.monotonic()
                ):
                    heapq.heappop(self._due)[2].expire()
                wait = self._due[0][0] - time.monotonic() if self._due else None
                self._changed.wait(wait)


_running = threading.local()


def _attach(sock: socket.socket | None) -> None:
    call: _Call | None = getattr(_running, "call", None)
    if call is not None:
        call.attach(sock)


def connect_first(
    addresses: list[Address], timeout: float | None, options: Any = ()
) -> socket.socket:
    """A socket connected to the first of ``addresses`` (``getaddrinfo`` results) that
    answers. The next address is tried beside the last every :data:`NEXT_ADDRESS_AFTER`
    seconds, families alternating (Happy Eyeballs, RFC 8305): a host whose IPv6 route
    drops everything costs a quarter of a second, not the connect time-out.
    """
    deadline = time.monotonic() + (timeout if timeout is not None else 3600.0)
    waiting = alternate_families(addresses)
    error: OSError = OSError("no address to connect to")
    with selectors.DefaultSelector() as trying:
        try:
            while waiting or trying.get_map():
                if waiting:
                    try:
                        trying.register(_start_connecting(waiting.pop(0), options), EVENT_WRITE)
                    except OSError as failed:  # refused at once, or no IPv6 on this machine
                        error = failed
                        continue
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("timed out")
                for key, _ in trying.select(min(left, NEXT_ADDRESS_AFTER) if waiting else left):
                    sock = key.fileobj  # type: ignore[assignment]
                    trying.unregister(sock)
                    code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if code == 0:
                        sock.settimeout(timeout)
                        return sock
                    error = OSError(code, os.strerror(code))
                    sock.close()
            raise error
        finally:
            for key in list(trying.get_map().values()):
                key.fileobj.close()  # type: ignore[union-attr]


def _start_connecting(address: Address, options: Any) -> socket.socket:
    """A non-blocking socket connecting to ``address``; OSError if that failed at once."""
    family, kind, proto, _, where = address
    sock = socket.socket(family, kind, proto)
    try:
        for level, name, value in options or ():
            sock.setsockopt(level, name, value)
        sock.setblocking(False)
        code = sock.connect_ex(where)
        if code not in (0, errno.EINPROGRESS):
            raise OSError(code, os.strerror(code))
    except OSError:
        sock.close()
        raise
    return sock


def alternate_families(addresses: list[Address]) -> list[Address]:
    """The addresses in ``getaddrinfo``'s order, but families taking turns."""
    first = [a for a in addresses if a[0] == addresses[0][0]] if addresses else []
    other = [a for a in addresses if a not in first]
    return [a for pair in itertools.zip_longest(first, other) for a in pair if a is not None]


class _Opening:
    """Connects with :func:`connect_first` within the connect time-out, then reads with the
    read time-out, and tells the running :class:`_Call` which socket a request uses."""

    host: str
    port: int
    sock: socket.socket | None

    def __init__(self, origin: Origin, connect_timeout: float, **kwargs: Any) -> None:
        super().__init__(origin[1], origin[2], **kwargs)  # type: ignore[call-arg]
        self.origin = origin
        self.connect_timeout = connect_timeout
        self._create_connection = self._open_socket

    def _open_socket(
        self, address: tuple[str, int], timeout: float | None, source: object = None
    ) -> socket.socket:
        try:
            addresses = socket.getaddrinfo(address[0], address[1], 0, socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError):
            raise FetchError("cannot resolve host name (offline?)") from None
        try:
            sock = connect_first(addresses, self.connect_timeout)
        except TimeoutError:
            raise FetchError("timed out connecting") from None
        except OSError as error:
            raise FetchError(_connect_reason(error)) from None
        sock.settimeout(timeout)
        _attach(sock)
        return sock


class _Plain(_Opening, http.client.HTTPConnection):
    pass


class _Secure(_Opening, http.client.HTTPSConnection):
    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        _attach(self.sock)  # the TLS socket now stands for the plain one


#: Where a connection goes: scheme, host and port.
Origin = tuple[str, str, int]


class _Idle:
    """Kept-alive connections waiting for the next request to their origin: at most
    ``per_origin`` each and :data:`MAX_IDLE` in all (the longest unused are closed)."""

    def __init__(self, per_origin: int) -> None:
        self.per_origin = per_origin
        self._waiting: OrderedDict[Origin, list[http.client.HTTPConnection]] = OrderedDict()
        self._count = 0
        self._lock = threading.Lock()

    def take(self, origin: Origin) -> http.client.HTTPConnection | None:
        """A kept-alive connection to ``origin`` its server has not closed, if there is one."""
        while True:
            with self._lock:
                waiting = self._waiting.get(origin)
                if not waiting:
                    return None
                conn = waiting.pop()
                self._count -= 1
                if not waiting:
                    del self._waiting[origin]
            if not _dropped(conn):
                return conn
            conn.close()

    def put(self, conn: http.client.HTTPConnection) -> None:
        """Keep ``conn`` (its last response read to the end) for the next request."""
        origin: Origin = conn.origin  # type: ignore[attr-defined]
        closing = []
        with self._lock:
            waiting = self._waiting.setdefault(origin, [])
            self._waiting.move_to_end(origin)
            if len(waiting) < self.per_origin:
                waiting.append(conn)
                self._count += 1
            else:
                closing.append(conn)
            while self._count > MAX_IDLE:
                oldest, connections = next(iter(self._waiting.items()))
                closing.append(connections.pop(0))
                self._count -= 1
                if not connections:
                    del self._waiting[oldest]
        for each in closing:
            each.close()

    def clear(self) -> None:
        """Close every kept connection."""
        with self._lock:
            connections = [conn for waiting in self._waiting.values() for conn in waiting]
            self._waiting.clear()
            self._count = 0
        for conn in connections:
            conn.close()


def _dropped(conn: http.client.HTTPConnection) -> bool:
    """True if a kept-alive connection is closed (or its server sent something unasked)."""
    sock = conn.sock
    if sock is None:
        return True
    try:
        if hasattr(select, "poll"):
            poller = select.poll()
            poller.register(sock, select.POLLIN)
            return bool(poller.poll(0))
        return bool(select.select([sock], [], [], 0)[0])
    except (OSError, ValueError):
        return True


def _origin_and_target(url: str) -> tuple[Origin, str]:
    """Where ``url`` connects and what it asks there (path and query, percent-encoded);
    :class:`FetchError` if it names no usable host or port."""
    try:
        parts = urlsplit(url)
        scheme, host = parts.scheme.lower(), parts.hostname or ""
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as error:
        raise FetchError(f"blocked: an unusable URL ({_first_line(error)})") from None
    if scheme not in ("http", "https") or not host:
        raise FetchError(f"blocked: an unusable URL ({url[:80]!r})")
    target = quote(parts.path or "/", safe=URL_CHARACTERS)
    if parts.query:
        target += "?" + quote(parts.query, safe=URL_CHARACTERS)
    return (scheme, host, port), target


_jobs: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
_idle = threading.Semaphore(0)
_deadlines = _Deadlines()


def _no_threads_yet() -> None:
    """In a forked child: its parent's fetch and deadline threads are not there."""
    global _jobs, _idle, _deadlines
    _jobs, _idle, _deadlines = queue.SimpleQueue(), threading.Semaphore(0), _Deadlines()


os.register_at_fork(after_in_child=_no_threads_yet)


def _serve_jobs() -> None:
    while True:
        _jobs.get()()
        _idle.release()


def _submit(job: Callable[[], None]) -> None:
    """Run ``job`` on an idle fetch thread, or on a new one. They are daemon threads, so a
    stuck server never holds up the exit; and they are kept, as starting a thread for
    each request cost more than the request."""
    _jobs.put(job)
    if not _idle.acquire(blocking=False):
        threading.Thread(target=_serve_jobs, name="tvnews-fetch", daemon=True).start()


async def _on_a_thread(work: Callable[[], Response], call: _Call) -> Response:
    """Run blocking ``work`` on a fetch thread; stop it if the caller is cancelled or
    times out (cancelled before a thread took it, it does not run at all)."""
    import asyncio

    job: concurrent.futures.Future[Response] = concurrent.futures.Future()

    def run() -> None:
        if not job.set_running_or_notify_cancel():
            return
        _running.call = call
        try:
            job.set_result(work())
        except BaseException as error:  # handed to the waiting task
            job.set_exception(error)
        finally:
            _running.call = None

    _submit(run)
    try:
        return await asyncio.wrap_future(job)
    except BaseException:
        call.stop()
        raise


class Fetcher:
    """An HTTP client with global and per-host concurrency limits.

    :meth:`fetch` blocks the calling thread (a refresh's feed threads; use as a context
    manager); :meth:`get` is its asyncio form (use as an async context), run on fetch
    threads. Either way requests go through the standard library's ``http.client``,
    connections kept alive per host (:class:`_Idle`): for a refresh of unchanged feeds
    that is a third of the CPU time an asyncio client takes per request, and two thirds
    of urllib3's.
    """

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self._headers = {
            "User-Agent": self.limits.user_agent or USER_AGENT,
            "Accept-Encoding": "gzip, deflate",
        }
        self._idle = _Idle(self.limits.max_per_host)
        self._tls: LazyTrustContext | None = None
        self._lock = threading.Lock()
        self._slots: dict[str, threading.Semaphore] = {}
        self._global = threading.Semaphore(self.limits.max_connections)
        self._running: set[_Call] = set()
        self._stopped = False
        self._async_global: asyncio.Semaphore | None = None
        self._async_hosts: dict[str, asyncio.Semaphore] = {}

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the kept-alive connections."""
        self._idle.clear()

    @property
    def stopped(self) -> bool:
        """True once :meth:`stop` was called."""
        return self._stopped

    def stop(self) -> None:
        """Stop every blocking :meth:`fetch` running now or later (they fail with
        "stopped")."""
        with self._lock:
            self._stopped = True
            running = list(self._running)
        for call in running:
            call.stop()

    def fetch(
        self,
        url: str,
        *,
        etag: str = "",
        last_modified: str = "",
        accept: str = "*/*",
        max_bytes: int | None = None,
        decode: bool = True,
    ) -> Response:
        """GET ``url`` on this thread; raise :class:`FetchError` with a readable reason on
        any failure. With ``decode=False`` a compressed body stays as it came (see
        :meth:`Response.decoded`): smaller while it waits to be parsed."""
        headers, limit = self._request(url, etag, last_modified, accept, max_bytes)
        host = urlsplit(url).hostname or ""
        with self._lock:
            per_host = self._slots.setdefault(host, threading.Semaphore(self.limits.max_per_host))
        call = _Call()
        with per_host, self._global:
            with self._lock:
                if self._stopped:
                    raise FetchError("stopped")
                self._running.add(call)
            _running.call = call
            _deadlines.watch(call, self.limits.timeout * 3)
            try:
                response = self._get(url, headers, limit, decode)
            except FetchError:
                if not call.stopped:
                    raise
            finally:
                call.finish()
                _running.call = None
                with self._lock:
                    self._running.discard(call)
        # Stopped by stop() or the deadline, the request failed or read its socket's
        # shutdown as the end of the body: either way, say why it stopped.
        if call.expired:
            raise FetchError(f"timed out after {self.limits.timeout * 3:g} s")
        if call.stopped:
            raise FetchError("stopped")
        return response

    async def get(
        self,
        url: str,
        *,
        etag: str = "",
        last_modified: str = "",
        accept: str = "*/*",
        max_bytes: int | None = None,
    ) -> Response:
        """GET ``url`` on a fetch thread; raise :class:`FetchError` with a readable reason
        on any failure. The waiting task can be cancelled: the request stops at once."""
        import asyncio

        headers, limit = self._request(url, etag, last_modified, accept, max_bytes)
        call = _Call()
        async with self._async_slot(url):
            try:
                async with asyncio.timeout(self.limits.timeout * 3):
                    return await _on_a_thread(lambda: self._get(url, headers, limit), call)
            except TimeoutError:
                raise FetchError(f"timed out after {self.limits.timeout * 3:g} s") from None

    @asynccontextmanager
    async def _async_slot(self, url: str) -> AsyncIterator[None]:
        import asyncio

        host = urlsplit(url).hostname or ""
        if self._async_global is None:  # made here: the refresh never imports asyncio
            self._async_global = asyncio.Semaphore(self.limits.max_connections)
        per_host = self._async_hosts.setdefault(host, asyncio.Semaphore(self.limits.max_per_host))
        async with per_host, self._async_global:
            yield

    def _request(
        self, url: str, etag: str, last_modified: str, accept: str, max_bytes: int | None
    ) -> tuple[dict[str, str], int]:
        """The headers of a GET of ``url`` and its size limit; refused unless http(s)."""
        if safe_url(url) != url:
            raise FetchError(f"blocked: only http(s) URLs are fetched ({url[:80]!r})")
        headers = {**self._headers, "Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return headers, max_bytes or self.limits.max_bytes

    def _get(self, url: str, headers: dict[str, str], limit: int, decode: bool = True) -> Response:
        """The request and its redirects, on the calling thread."""
        cookies: dict[str, dict[str, str]] = {}
        for _hop in range(self.limits.max_redirects + 1):
            host = urlsplit(url).hostname or ""
            conn, response = self._open(url, _with_cookies(headers, cookies.get(host)))
            location = (response.getheader("location") or "").strip()
            if response.status not in REDIRECTS or not location:
                return self._read(url, conn, response, headers, limit, decode)
            _keep_cookies(cookies.setdefault(host, {}), response.headers.get_all("set-cookie", []))
            conn.close()  # the redirect's own body is not wanted
            url = _redirect_target(url, location)
        raise FetchError(f"too many redirects (more than {self.limits.max_redirects})")

    def _open(
        self, url: str, headers: dict[str, str]
    ) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        """Send the request on a kept-alive connection or a new one; the response's head.

        A kept-alive connection its server closed just as the request went out (servers
        close idle ones after a few seconds) is not an error: the request goes again on a
        new connection, as browsers do for a GET."""
        origin, target = _origin_and_target(url)
        kept = self._idle.take(origin)
        while True:
            conn = kept or self._connection(origin)
            try:
                if kept is not None:
                    _attach(conn.sock)
                conn.request("GET", target, headers=headers)
                return conn, conn.getresponse()
            except Exception as error:
                conn.close()
                if kept is not None and isinstance(error, CLOSED_BEFORE_ANSWERING):
                    kept = None
                    continue
                if isinstance(error, FetchError):
                    raise
                raise _reason(error) from None

    def _connection(self, origin: Origin) -> http.client.HTTPConnection:
        connect = min(self.limits.timeout, 10.0)
        if origin[0] == "http":
            return _Plain(origin, connect, timeout=self.limits.timeout)
        return _Secure(origin, connect, timeout=self.limits.timeout, context=self._trust())

    def _trust(self) -> LazyTrustContext:
        """The TLS context all of this fetcher's connections share, made on the first."""
        with self._lock:
            if self._tls is None:
                self._tls = LazyTrustContext(ssl.PROTOCOL_TLS_CLIENT)
                self._tls.set_alpn_protocols(["http/1.1"])  # as http.client's own context
            return self._tls

    def _read(
        self,
        url: str,
        conn: http.client.HTTPConnection,
        response: http.client.HTTPResponse,
        headers: dict[str, str],
        limit: int,
        decode: bool = True,
    ) -> Response:
        """The body of a final (non-redirect) response, inflated under ``limit`` (or as it
        came, with ``decode=False``)."""
        try:
            if response.status == 304:
                response.read()  # no body (HTTP says so); frees the connection for reuse
                self._keep(conn, response)
                etag = headers.get("If-None-Match", "")
                return Response(url, 304, b"", etag=etag, fresh_for=_fresh_for(response))
            _refuse(response, limit)
            # Raw bytes, inflated here with a cap: inflating a whole network read at once
            # would turn 64 kB of a gzip bomb into 64 MB.
            coding = response.getheader("content-encoding") or ""
            decoder = _Decoder(coding, limit)
            kept = coding if decoder.codings and not decode else ""
            chunks: list[bytes] = []
            received = 0
            while raw := response.read(65536):
                received += len(raw)
                if received > limit:
                    raise FetchError(f"too large: more than {_size(limit)}")
                chunks.append(decoder.feed(raw) if decode else raw)
            if response.length:  # http.client returns what came before the end
                raise FetchError(
                    f"connection broken (the body ended {response.length} bytes short)"
                )
            if decode:
                chunks.append(decoder.finish())
            self._keep(conn, response)
        except Exception as error:
            conn.close()  # the rest of the body is not read
            if isinstance(error, FetchError):
                raise
            raise _reason(error) from None
        return Response(
            url,
            response.status,
            b"".join(chunks),
            content_type=response.getheader("content-type") or "",
            etag=response.getheader("etag") or "",
            last_modified=response.getheader("last-modified") or "",
            fresh_for=_fresh_for(response),
            content_encoding=kept,
        )

    def _keep(self, conn: http.client.HTTPConnection, response: http.client.HTTPResponse) -> None:
        """Done with ``conn`` (its response read to the end): keep it for the next request
        to its origin, unless its server closes it."""
        call: _Call | None = getattr(_running, "call", None)
        if call is not None:
            call.detach()
        if response.will_close or conn.sock is None:
            conn.close()
        else:
            self._idle.put(conn)


def _fresh_for(response: http.client.HTTPResponse) -> int:
    """How long ``response`` stays fresh by its ``Cache-Control: max-age`` (RFC 9111),
    less the ``Age`` a cache on the way added; 0 for none, ``no-cache`` or ``no-store``."""
    control = ", ".join(response.headers.get_all("cache-control", [])).lower()
    if "max-age" not in control:
        return 0
    max_age = 0
    for directive in control.split(","):
        name, _, value = directive.strip().partition("=")
        if name in ("no-cache", "no-store"):
            return 0
        if name == "max-age":
            max_age = whole_number(value.strip().strip('"'), 11) or 0
    return max(max_age - (whole_number(response.getheader("age"), 11) or 0), 0)


def _keep_cookies(jar: dict[str, str], set_cookies: list[str]) -> None:
    """Remember what a redirect's Set-Cookie headers ask for, name and value only: sites
    that set a cookie and redirect to themselves expect it back on the next hop."""
    for header in set_cookies[:MAX_COOKIES]:
        name, _, value = header.split(";", 1)[0].partition("=")
        name, value = name.strip(), value.strip()
        if not name or len(name) + len(value) > 4096:
            continue
        if value:
            jar[name] = value
        else:
            jar.pop(name, None)
    while len(jar) > MAX_COOKIES:
        jar.pop(next(iter(jar)))


def _with_cookies(headers: dict[str, str], jar: dict[str, str] | None) -> dict[str, str]:
    """``headers`` and a Cookie header for ``jar``, if it holds any."""
    if not jar:
        return headers
    return {**headers, "Cookie": "; ".join(f"{name}={value}" for name, value in jar.items())}


def _redirect_target(url: str, location: str) -> str:
    """Where a redirect from ``url`` leads: absolute, spaces and non-ASCII characters
    percent-encoded (as browsers send them); :class:`FetchError` unless http(s)."""
    with contextlib.suppress(UnicodeError):  # sent as UTF-8, read as Latin-1 by http.client
        location = location.encode("latin-1").decode("utf-8")
    try:
        target = urljoin(url, quote(location, safe=URL_CHARACTERS))
        scheme = urlsplit(target).scheme.lower()
    except ValueError:
        target, scheme = "", "http"
    if scheme not in ("http", "https"):
        raise FetchError(f"blocked: redirect to a non-http(s) URL ({location[:80]!r})")
    if safe_url(target) != target:
        raise FetchError(f"blocked: redirect to an unusable URL ({location[:80]!r})")
    return target


def _refuse(response: http.client.HTTPResponse, limit: int) -> None:
    """Raise for an error status, a back-off or a declared size over ``limit``."""
    status, reason = response.status, clean_line(response.reason or "", 80)
    retry_after = response.getheader("retry-after")
    if status in (429, 503) and retry_after is not None:
        wait = _retry_after(retry_after)
        raise RetryLater(
            f"HTTP {status} {reason}; server asks to retry in {duration(wait)}",
            time.time() + wait,
        )
    if status == 429:  # "too many requests", with no time given
        raise RetryLater(
            f"HTTP 429 {reason}; trying again in {duration(BACK_OFF_429)}",
            time.time() + BACK_OFF_429,
        )
    if status >= 400:
        raise FetchError(f"HTTP {status} {reason}".strip())
    declared = whole_number(response.getheader("content-length"), 30)
    if declared is not None and declared > limit:
        raise FetchError(f"too large: {_size(declared)} (limit {_size(limit)})")


class _Decoder:
    """Undo Content-Encoding (gzip, deflate, identity) without ever holding more than ``limit``."""

    def __init__(self, header: str, limit: int) -> None:
        self.limit = limit
        self.produced = 0
        self.stages: list[zlib._Decompress] = []
        self.codings: list[str] = []
        for coding in reversed([c.strip().lower() for c in header.split(",") if c.strip()]):
            if coding in ("gzip", "x-gzip"):
                self.stages.append(zlib.decompressobj(zlib.MAX_WBITS | 16))
            elif coding == "deflate":
                self.stages.append(zlib.decompressobj())
            elif coding != "identity":
                raise FetchError(f"unsupported content encoding {coding[:40]!r}")
            if coding != "identity":
                self.codings.append(coding)
        self.started = [False] * len(self.stages)

    def feed(self, data: bytes) -> bytes:
        """Decode one chunk; raise :class:`FetchError` past the limit or on bad data."""
        for index, stage in enumerate(self.stages):
            data = self._inflate(index, stage, data)
        return self._count(data)

    def finish(self) -> bytes:
        """What the decompressors still hold at the end of the body."""
        data = b""
        for index, stage in enumerate(self.stages):
            out = self._inflate(index, stage, data) if data else b""
            try:
                data = out + stage.flush()
            except zlib.error as error:
                raise FetchError(f"bad compressed data ({error})") from None
        return self._count(data)

    def _inflate(self, index: int, stage: zlib._Decompress, data: bytes) -> bytes:
        try:
            out = stage.decompress(data, self.limit - self.produced + 1)
        except zlib.error as error:
            if self.started[index] or self.codings[index] != "deflate":
                raise FetchError(f"bad compressed data ({error})") from None
            # Some servers send raw deflate (no zlib header) as "deflate".
            self.codings[index] = "raw deflate"
            self.stages[index] = zlib.decompressobj(-zlib.MAX_WBITS)
            return self._inflate(index, self.stages[index], data)
        self.started[index] = True
        if stage.unconsumed_tail:
            raise FetchError(f"too large: more than {_size(self.limit)} when decompressed")
        return out

    def _count(self, data: bytes) -> bytes:
        self.produced += len(data)
        if self.produced > self.limit:
            raise FetchError(f"too large: more than {_size(self.limit)} when decompressed")
        return data


def _retry_after(value: str) -> float:
    value = value.strip()
    if (number := whole_number(value, 30)) is not None:
        seconds = float(number)
    else:
        try:
            seconds = email.utils.parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            seconds = 60.0
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _reason(error: BaseException) -> FetchError:
    """A failure of ``http.client``, ``ssl`` or a socket as a reason a user can read."""
    text = _first_line(error)
    if isinstance(error, http.client.BadStatusLine) and not isinstance(
        error, http.client.RemoteDisconnected
    ):
        return FetchError("connection broken (not an HTTP response)")
    if isinstance(error, http.client.InvalidURL):
        return FetchError(f"blocked: an unusable URL ({text})")
    if isinstance(error, TimeoutError):
        return FetchError("timed out waiting for data")
    if isinstance(error, ssl.SSLError | ssl.CertificateError):
        return FetchError(f"TLS error ({text or type(error).__name__})")
    if isinstance(error, http.client.HTTPException | OSError):
        return FetchError(f"connection broken ({text or type(error).__name__})")
    return FetchError(f"network error ({text or type(error).__name__})")


def _connect_reason(error: OSError) -> str:
    """Why a connection could not be made, in a user's words."""
    text = _first_line(error)
    if isinstance(error, ConnectionRefusedError) or "refused" in text.lower():
        return "connection refused"
    if error.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH) or "unreachable" in text.lower():
        return "network unreachable (offline?)"
    return f"cannot connect ({text or type(error).__name__})"


def _first_line(error: BaseException) -> str:
    """The start of an error's message, safe to show (it may quote the server)."""
    return clean_line(str(error).strip().splitlines()[0], 200) if str(error).strip() else ""


def _size(count: int) -> str:
    return f"{count / 1_000_000:.0f} MB" if count >= 1_000_000 else f"{count // 1000} kB"
