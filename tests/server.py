"""A real HTTP server on loopback for tests: static files with ETag/Last-Modified, plus routes.

Static files are served from a directory (``/path/`` serves ``path/index.html``, ``.xml``
as RSS). Routes override paths with a status, headers, a body, a delay, or a function.
Every request is recorded so tests can count fetches and check conditional headers.
"""

from __future__ import annotations

import errno
import fcntl
import gzip
import hashlib
import mimetypes
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class Route:
    """A canned response."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    handler: Callable[[BaseHTTPRequestHandler], None] | None = None


@dataclass
class Seen:
    """One request the server received."""

    path: str
    headers: dict[str, str]


class TestServer:
    """Serve directories on 127.0.0.1 at a free port until :meth:`stop`.

    ``mounts`` maps a URL prefix ("/feeds/") to a directory; "/" is the fallback.
    """

    __test__ = False

    def __init__(self, mounts: dict[str, Path] | None = None, port: int = 0) -> None:
        self.mounts = dict(sorted((mounts or {}).items(), key=lambda item: -len(item[0])))
        self.routes: dict[str, Route] = {}
        self.requests: list[Seen] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                return

            def do_GET(self) -> None:
                server.requests.append(Seen(self.path, dict(self.headers)))
                path = self.path.split("?", 1)[0]
                route = server.routes.get(path)
                if route is not None:
                    server._send_route(self, route)
                else:
                    server._send_file(self, path)

        ThreadingHTTPServer.allow_reuse_address = True
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        # A short poll interval: stop() (shutdown) waits up to one interval.
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def base(self) -> str:
        """``http://127.0.0.1:PORT``"""
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, path: str) -> str:
        """Absolute URL of ``path``."""
        return self.base + path

    def count(self, path: str) -> int:
        """How many times ``path`` was requested."""
        return sum(1 for seen in self.requests if seen.path.split("?", 1)[0] == path)

    def stop(self) -> None:
        """Shut the server down."""
        self.httpd.shutdown()
        self.httpd.server_close()

    def _send_route(self, handler: BaseHTTPRequestHandler, route: Route) -> None:
        if route.delay:
            time.sleep(route.delay)
        if route.handler is not None:
            route.handler(handler)
            return
        handler.send_response(route.status)
        headers = {"Content-Length": str(len(route.body)), **route.headers}
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(route.body)

    def _send_file(self, handler: BaseHTTPRequestHandler, path: str) -> None:
        file = self._resolve(path)
        if file is None:
            body = b"<h1>404 Not Found</h1>"
            handler.send_response(404)
            handler.send_header("Content-Type", "text/html")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
            return
        body = file.read_bytes()
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        modified = formatdate(file.stat().st_mtime, usegmt=True)
        if handler.headers.get("If-None-Match") == etag:
            handler.send_response(304)
            handler.send_header("ETag", etag)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        kind = _content_type(file)
        encoding = ""
        if "gzip" in handler.headers.get("Accept-Encoding", "") and len(body) > 512:
            body, encoding = gzip.compress(body), "gzip"
        handler.send_response(200)
        handler.send_header("Content-Type", kind)
        handler.send_header("ETag", etag)
        handler.send_header("Last-Modified", modified)
        if encoding:
            handler.send_header("Content-Encoding", encoding)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def _resolve(self, path: str) -> Path | None:
        for prefix, root in self.mounts.items():
            if not path.startswith(prefix):
                continue
            root = root.resolve()
            target = (root / path[len(prefix) :]).resolve()
            if target != root and root not in target.parents:
                return None
            if target.is_dir():
                target = target / "index.html"
            return target if target.is_file() else None
        return None


@contextmanager
def server_on_port(mounts: dict[str, Path], port: int) -> Iterator[TestServer]:
    """A :class:`TestServer` on a fixed ``port`` (for snapshots, whose URLs are on screen).

    Pick ``port`` outside :func:`ephemeral_ports`: a port in that range can be taken at
    any moment by another test's server on port 0 or by an outgoing connection.

    Test processes that want the same port (``pytest -n``, two runs at once) take turns:
    an exclusive lock on a file named after the port is held while the server runs.
    """
    lock_path = Path(tempfile.gettempdir()) / f"tvnews-test-port-{port}.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        httpd = _bind_with_retries(mounts, port)
        try:
            yield httpd
        finally:
            httpd.stop()


def _bind_with_retries(mounts: dict[str, Path], port: int, seconds: float = 10.0) -> TestServer:
    """Bind ``port``, waiting while another socket still holds it (say, a closing one)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return TestServer(mounts, port=port)
        except OSError as error:
            if error.errno != errno.EADDRINUSE or time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def ephemeral_ports() -> range:
    """The ports the kernel hands out to ``bind(0)`` and outgoing connections."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
    except (OSError, ValueError):
        return range(32768, 61000)
    return range(int(low), int(high) + 1)


def _content_type(file: Path) -> str:
    if file.suffix == ".xml":
        return "application/rss+xml" if b"<rss" in file.read_bytes()[:2000] else "application/xml"
    if file.suffix == ".json":
        return "application/feed+json"
    if file.suffix in (".html", ".htm"):
        return "text/html; charset=utf-8"
    return mimetypes.guess_type(file.name)[0] or "application/octet-stream"
