"""HTTP for feeds and pages: bounded sizes, time-outs and redirects; conditional GET.

Returns bytes and headers; every failure is a :class:`FetchError` whose message a
user can read ("timed out", "HTTP 404 Not Found", "larger than 16 MB", …).
"""

from __future__ import annotations

import asyncio
import email.utils
import ssl
import time
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from tui import __version__
from tui.core.errors import FetchError
from tui.core.sanitize import safe_url

USER_AGENT = f"tvnews/{__version__} (terminal news reader; +https://pypi.org/project/tvnews/)"

#: Longest back-off a server's Retry-After can ask for.
MAX_RETRY_AFTER = 24 * 3600
#: Back-off after a 429 (too many requests) that gives no Retry-After.
BACK_OFF_429 = 15 * 60


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

    @property
    def not_modified(self) -> bool:
        """True for a 304: nothing to parse."""
        return self.status == 304


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
    """httpx's default TLS context (certifi's CA certificates, host names checked) that
    loads the certificates (~40 ms) on its first TLS connection, not when it is made: a
    refresh of plain-http feeds never loads them. One is shared by all of a fetcher's
    clients, on the event loop's thread."""

    _trusting = False

    def _trust(self) -> None:
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


class Fetcher:
    """An HTTP client with global and per-host concurrency limits. Use as an async context."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self._timeout = httpx.Timeout(self.limits.timeout, connect=min(self.limits.timeout, 10.0))
        self._headers = {
            "User-Agent": self.limits.user_agent or USER_AGENT,
            "Accept-Encoding": "gzip, deflate",
        }
        self._ssl: LazyTrustContext | None = None
        # One connection pool per host: httpcore scans every connection of a pool on each
        # request, so one big pool costs more than the requests themselves at 200 feeds.
        self._clients: dict[tuple[str, str], httpx.AsyncClient] = {}
        self._global = asyncio.Semaphore(self.limits.max_connections)
        self._hosts: dict[str, asyncio.Semaphore] = {}

    def _client(self, url: str) -> httpx.AsyncClient:
        """The client (keep-alive pool) for ``url``'s scheme and host."""
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc)
        client = self._clients.get(key)
        if client is None:
            if self._ssl is None:
                self._ssl = LazyTrustContext(ssl.PROTOCOL_TLS_CLIENT)
            client = httpx.AsyncClient(
                follow_redirects=True,
                max_redirects=self.limits.max_redirects,
                timeout=self._timeout,
                verify=self._ssl,
                limits=httpx.Limits(
                    max_connections=None,  # the semaphores bound concurrency
                    max_keepalive_connections=self.limits.max_per_host,
                ),
                headers=self._headers,
                trust_env=False,
            )
            self._clients[key] = client
        return client

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()

    @asynccontextmanager
    async def _slot(self, url: str) -> AsyncIterator[None]:
        host = urlsplit(url).hostname or ""
        per_host = self._hosts.setdefault(host, asyncio.Semaphore(self.limits.max_per_host))
        async with per_host, self._global:
            yield

    async def get(
        self,
        url: str,
        *,
        etag: str = "",
        last_modified: str = "",
        accept: str = "*/*",
        max_bytes: int | None = None,
    ) -> Response:
        """GET ``url``; raise :class:`FetchError` with a readable reason on any failure."""
        if safe_url(url) != url:
            raise FetchError(f"blocked: only http(s) URLs are fetched ({url[:80]!r})")
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        limit = max_bytes or self.limits.max_bytes
        async with self._slot(url):
            try:
                async with asyncio.timeout(self.limits.timeout * 3):
                    return await self._get(url, headers, limit)
            except TimeoutError:
                raise FetchError(f"timed out after {self.limits.timeout * 3:g} s") from None
            except httpx.TooManyRedirects:
                raise FetchError(
                    f"too many redirects (more than {self.limits.max_redirects})"
                ) from None
            except httpx.UnsupportedProtocol as error:
                raise FetchError(f"blocked: redirect to a non-http(s) URL ({error})") from None
            except httpx.InvalidURL as error:
                # A redirect to javascript:, data: or a malformed URL (not an httpx.HTTPError).
                raise FetchError(f"blocked: redirect to an unusable URL ({error})") from None
            except httpx.ConnectTimeout:
                raise FetchError("timed out connecting") from None
            except httpx.ReadTimeout:
                raise FetchError("timed out waiting for data") from None
            except httpx.TimeoutException:
                raise FetchError("timed out") from None
            except httpx.ConnectError as error:
                raise FetchError(_connect_reason(error)) from None
            except httpx.RemoteProtocolError as error:
                raise FetchError(f"connection broken ({_first_line(error)})") from None
            except httpx.DecodingError as error:
                raise FetchError(f"bad compressed data ({_first_line(error)})") from None
            except httpx.HTTPError as error:
                reason = _first_line(error) or type(error).__name__
                raise FetchError(f"network error ({reason})") from None

    async def _get(self, url: str, headers: dict[str, str], limit: int) -> Response:
        async with self._client(url).stream("GET", url, headers=headers) as response:
            final = str(response.url)
            if response.status_code == 304:
                await response.aread()  # no body (HTTP says so); marks the connection reusable
                return Response(final, 304, b"", etag=headers.get("If-None-Match", ""))
            if response.status_code in (429, 503) and "retry-after" in response.headers:
                wait = _retry_after(response.headers["retry-after"])
                raise RetryLater(
                    f"HTTP {response.status_code} {response.reason_phrase}; "
                    f"server asks to retry in {_duration(wait)}",
                    time.time() + wait,
                )
            if response.status_code == 429:  # "too many requests", with no time given
                raise RetryLater(
                    f"HTTP 429 {response.reason_phrase}; trying again in {_duration(BACK_OFF_429)}",
                    time.time() + BACK_OFF_429,
                )
            if response.status_code >= 400:
                raise FetchError(f"HTTP {response.status_code} {response.reason_phrase}".strip())
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise FetchError(f"too large: {_size(int(declared))} (limit {_size(limit)})")
            # Raw bytes, inflated here with a cap: httpx would inflate a whole network chunk
            # at once (64 kB of a gzip bomb is 64 MB).
            decoder = _Decoder(response.headers.get("content-encoding", ""), limit)
            chunks: list[bytes] = []
            received = 0
            async for raw in response.aiter_raw():
                received += len(raw)
                if received > limit:
                    raise FetchError(f"too large: more than {_size(limit)}")
                chunks.append(decoder.feed(raw))
            chunks.append(decoder.finish())
            return Response(
                final,
                response.status_code,
                b"".join(chunks),
                content_type=response.headers.get("content-type", ""),
                etag=response.headers.get("etag", ""),
                last_modified=response.headers.get("last-modified", ""),
            )


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
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            seconds = email.utils.parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            seconds = 60.0
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _connect_reason(error: httpx.ConnectError) -> str:
    causes: list[BaseException] = []
    cause: BaseException | None = error
    while cause is not None and len(causes) < 10:
        causes.append(cause)
        cause = cause.__cause__ or cause.__context__
    text = _first_line(error)
    if any(isinstance(c, ConnectionRefusedError) for c in causes):
        return "connection refused"
    if any(isinstance(c, ssl.SSLError) for c in causes) or "SSL" in text or "certificate" in text:
        return f"TLS error ({text})"
    if "Name or service not known" in text or "getaddrinfo" in text or "nodename" in text:
        return "cannot resolve host name (offline?)"
    if "refused" in text.lower():
        return "connection refused"
    if "unreachable" in text.lower():
        return "network unreachable (offline?)"
    return f"cannot connect ({text or type(error).__name__})"


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0][:200] if str(error).strip() else ""


def _size(count: int) -> str:
    return f"{count / 1_000_000:.0f} MB" if count >= 1_000_000 else f"{count // 1000} kB"


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
