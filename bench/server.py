"""The benchmark's feed server: generated feeds from memory, on several loopback hosts.

Feeds are spread over ``127.0.0.1`` … ``127.0.0.N`` (one listening socket each, same
port), as a real feed list spans many hosts. Responses carry an ETag and Last-Modified
and answer a matching conditional GET with 304; bodies are gzipped when asked (both
readers ask). ``GET /_generation/G`` switches every feed to generation ``G`` (new items).

Run as a process by ``bench/run.py``; it prints ``ready PORT`` when listening.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import sys
import threading
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from feeds import EPOCH, feed_xml

HOSTS = 8


def host_of(feed: int) -> str:
    """The loopback address serving feed number ``feed``."""
    return f"127.0.0.{1 + feed % HOSTS}"


def feed_path(items: int, feed: int) -> str:
    """URL path of a feed (the same in every generation)."""
    return f"/feeds/{items}/feed-{feed}.xml"


def feed_url(port: int, items: int, feed: int) -> str:
    """Absolute URL of a feed."""
    return f"http://{host_of(feed)}:{port}{feed_path(items, feed)}"


@dataclass(frozen=True, slots=True)
class Document:
    """One feed generation, ready to send."""

    raw: bytes
    gz: bytes
    etag: str
    modified: str


def build(cache: Path, items: int, feed: int, generation: int) -> Document:
    """Generate (or read from the disk cache) one feed document."""
    path = cache / f"{items}" / f"feed-{feed}-g{generation}.xml.gz"
    if path.exists():
        gz = path.read_bytes()
        raw = gzip.decompress(gz)
    else:
        raw = feed_xml(f"http://{host_of(feed)}", feed, items, generation)
        gz = gzip.compress(raw, 6, mtime=0)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(gz)
        tmp.replace(path)
    etag = '"' + hashlib.sha1(raw).hexdigest()[:20] + '"'
    modified = formatdate(EPOCH + (generation - 1) * 86400, usegmt=True)
    return Document(raw, gz, etag, modified)


def _build_one(job: tuple[Path, int, int, int]) -> None:
    build(*job)


def prepare(cache: Path, shapes: list[tuple[int, int]], generations: int) -> None:
    """Generate every feed document into the disk cache, on all cores (done once)."""
    from concurrent.futures import ProcessPoolExecutor

    jobs = [
        (cache, items, feed, generation)
        for feeds, items in shapes
        for feed in range(feeds)
        for generation in range(1, generations + 1)
        if not (cache / f"{items}" / f"feed-{feed}-g{generation}.xml.gz").exists()
    ]
    if jobs:
        with ProcessPoolExecutor() as pool:
            list(pool.map(_build_one, jobs, chunksize=8))


class FeedServer:
    """Serves every (items, feed) of the given shapes, in the current generation."""

    def __init__(self, shapes: list[tuple[int, int]], generations: int, cache: Path) -> None:
        self.generation = 1
        self.documents: dict[tuple[str, int], Document] = {}
        for feeds, items in shapes:
            for feed in range(feeds):
                for generation in range(1, generations + 1):
                    document = build(cache, items, feed, generation)
                    self.documents[(feed_path(items, feed), generation)] = document
        self.requests = 0
        self.not_modified = 0

    def serve(self, port: int = 0) -> int:
        """Listen on every host; return the port."""
        handler = self._handler()
        servers = [ThreadingHTTPServer(("127.0.0.1", port), handler)]
        port = servers[0].server_address[1]
        for number in range(2, HOSTS + 1):
            servers.append(ThreadingHTTPServer((f"127.0.0.{number}", port), handler))
        for server in servers:
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, daemon=True).start()
        return port

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        feeds = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args: object) -> None:
                return

            def do_GET(self) -> None:
                feeds.requests += 1
                if self.path.startswith("/_generation/"):
                    feeds.generation = int(self.path.rsplit("/", 1)[1])
                    self._send(200, b"ok\n", {"Content-Type": "text/plain"})
                    return
                if self.path == "/_stats":
                    text = f"{feeds.requests} {feeds.not_modified}\n".encode()
                    self._send(200, text, {"Content-Type": "text/plain"})
                    return
                document = feeds.documents.get((self.path, feeds.generation))
                if document is None:
                    self._send(404, b"not found\n", {"Content-Type": "text/plain"})
                    return
                headers = {"ETag": document.etag, "Last-Modified": document.modified}
                if self.headers.get("If-None-Match") == document.etag or (
                    not self.headers.get("If-None-Match")
                    and self.headers.get("If-Modified-Since") == document.modified
                ):
                    feeds.not_modified += 1
                    self._send(304, b"", headers)
                    return
                headers["Content-Type"] = "application/rss+xml; charset=utf-8"
                body = document.raw
                if "gzip" in self.headers.get("Accept-Encoding", ""):
                    body = document.gz
                    headers["Content-Encoding"] = "gzip"
                self._send(200, body, headers)

            def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if body:
                    self.wfile.write(body)

        return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shape", action="append", required=True, help="FEEDSxITEMS")
    parser.add_argument("--generations", type=int, default=1)
    parser.add_argument("--cache", type=Path, required=True, help="generated-feed cache dir")
    parser.add_argument("--port", type=int, default=0, help="listen here (default: any free)")
    args = parser.parse_args()
    shapes = [tuple(int(n) for n in shape.split("x")) for shape in args.shape]
    server = FeedServer(shapes, args.generations, args.cache)  # type: ignore[arg-type]
    port = server.serve(args.port)
    print(f"ready {port}", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
