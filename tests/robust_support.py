"""Shared pieces of the robustness tests: hostile payloads, an independent oracle, helpers."""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.conftest import DATA
from tests.server import Route, TestServer
from tui.config import Config, FeedConfig, Settings, load_config
from tui.core.refresh import RefreshSummary, refresh
from tui.core.store import default_cache_path

HOSTILE = DATA / "hostile"

#: What must never reach a terminal: C0 but tab/newline, DEL, C1, bidi and direction marks.
#: Written out independently of tui.core.sanitize so the tests are a second opinion.
FORBIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f\x80-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)

#: A string that tries everything: window title (OSC 0/2, 7-bit and C1), clear screen (CSI
#: 7-bit and C1), cursor home, DCS, bell, backspace, carriage return, bidi override, NUL.
INJECTION = (
    "\x1b]0;PWNED\x07"
    "\x1b]2;PWNED\x1b\\"
    "\x9d0;PWNED\x9c"
    "\x1b[2J\x1b[H"
    "\x9b2J"
    "\x1bP+q\x1b\\"
    "\x07\x08\r\x00"
    "\u202eevil\u202c\u2066iso\u2069\u200f"
)

#: Rich / Textual markup that must be shown as the literal text.
MARKUP = (
    "[link=file:///etc/passwd]x[/link]",
    "[/]",
    "[@click=app.quit]q[/]",
    "[bold red]",
)


def forbidden_in(text: str) -> list[str]:
    """The forbidden characters in ``text`` (empty when it is safe for a terminal)."""
    return sorted({f"U+{ord(ch):04X}" for ch in FORBIDDEN.findall(text)})


def screen_text(app) -> str:
    """The text on the app's screen now (pieces of lines, one a line), from the SVG export.

    Fails when any forbidden character is in the export.
    """
    import html

    shot = app.export_screenshot()
    assert not forbidden_in(shot), forbidden_in(shot)
    pieces = re.findall(r">([^<]*)</text>", shot)
    return "\n".join(html.unescape(piece).replace("\xa0", " ") for piece in pieces)


def hostile_file(name: str, server: TestServer) -> bytes:
    """A fixture from tests/data/hostile with ``http://HOST`` pointed at the loopback server."""
    return (HOSTILE / name).read_bytes().replace(b"http://HOST", server.base.encode())


def serve(server: TestServer, path: str, body: bytes, content_type: str) -> str:
    """Serve ``body`` at ``path``; return its URL."""
    server.routes[path] = Route(body=body, headers={"Content-Type": content_type})
    return server.url(path)


def write_feeds_toml(
    path: Path, urls: list[str], settings: str = "", *, named: bool = False
) -> Path:
    """A feeds.toml with no refresh on start; feeds keep their own titles unless ``named``."""
    lines = ["[settings]", "refresh_on_start = false", "auto_refresh_minutes = 0", settings, ""]
    for number, url in enumerate(urls):
        lines += ["[[feeds]]", f'url = "{url}"']
        if named:
            lines.append(f'name = "feed {number}"')
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def refresh_in_thread(cache: Path, config: Config, *, force: bool = True) -> RefreshSummary:
    """Run a refresh off the current event loop (tests may run inside one)."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(refresh, cache, config.feeds, config.settings, force=force).result()


def prepared(tmp_path: Path, urls: list[str], settings: str = "") -> tuple[Config, Path]:
    """Config and a cache already refreshed from ``urls``."""
    config = load_config(write_feeds_toml(tmp_path / "feeds.toml", urls, settings))
    cache = default_cache_path(tmp_path / "data")
    refresh_in_thread(cache, config)
    return config, cache


def fast_settings(**overrides: object) -> Settings:
    """Settings with short time-outs so failing-network tests finish in about a second."""
    values: dict[str, object] = {"timeout_seconds": 1.0, "feed_interval_minutes": 0}
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def feed(url: str, name: str = "") -> FeedConfig:
    """One configured feed."""
    return FeedConfig(url=url, name=name or url.rsplit("/", 1)[-1])


class RawServer:
    """A TCP server on loopback whose handler gets the raw socket (for misbehaving peers)."""

    def __init__(self, handler) -> None:
        import socket

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.handler = handler
        self.requests: list[bytes] = []
        """What each connection sent first (its request), in order."""
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        """``http://127.0.0.1:PORT``"""
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn) -> None:
        try:
            conn.settimeout(10)
            self.requests.append(conn.recv(65536))
            self.handler(conn)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                conn.close()

    def stop(self) -> None:
        """Stop accepting."""
        self.stopped.set()
        self.sock.close()


def chunks(parts: Iterator[bytes]) -> Iterator[bytes]:
    """HTTP/1.1 chunked encoding of ``parts``."""
    for part in parts:
        if part:
            yield b"%x\r\n%s\r\n" % (len(part), part)
    yield b"0\r\n\r\n"
