"""Refresh: due feeds -> fetch -> parse (worker processes) -> store, one transaction per feed.

The CLI (``tvnews refresh``) and the app share this; progress arrives through a callback.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import sqlite3
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tui.config import FeedConfig, Settings
from tui.core.errors import FetchError, ParseError, TvnewsError
from tui.core.fetch import Fetcher, Limits, RetryLater
from tui.core.ingest import ingest, ready
from tui.core.parse import looks_like_html
from tui.core.store import Store
from tui.core.workers import preload_workers
from tui.core.workers import start_helpers as start_helpers  # for older callers

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)


@dataclass(frozen=True, slots=True)
class FeedOutcome:
    """What happened to one feed in a refresh."""

    url: str
    name: str
    new: int = 0
    not_modified: bool = False
    skipped: bool = False
    error: str = ""


@dataclass(slots=True)
class RefreshSummary:
    """The whole run: shown by the CLI and the app's status line."""

    outcomes: list[FeedOutcome] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def new(self) -> int:
        """New articles, all feeds."""
        return sum(outcome.new for outcome in self.outcomes)

    @property
    def failures(self) -> list[FeedOutcome]:
        """Feeds that failed, with their reasons."""
        return [outcome for outcome in self.outcomes if outcome.error]

    @property
    def fetched(self) -> int:
        """Feeds asked for (not skipped)."""
        return sum(not outcome.skipped for outcome in self.outcomes)

    def describe(self) -> str:
        """One line: ``12 new articles from 9 feeds, 1 failed, 3 unchanged (0.8 s)``."""
        unchanged = sum(outcome.not_modified for outcome in self.outcomes)
        parts = [f"{self.new} new article{'s' * (self.new != 1)} from {self.fetched} feeds"]
        if self.failures:
            parts.append(f"{len(self.failures)} failed")
        if unchanged:
            parts.append(f"{unchanged} unchanged")
        skipped = len(self.outcomes) - self.fetched
        if skipped:
            parts.append(f"{skipped} not due")
        return ", ".join(parts) + f" ({self.seconds:.1f} s)"


ProgressCallback = Callable[[int, int, FeedOutcome], None]


def make_parse_pool(workers: int | None = None) -> Executor:
    """A process pool for feedparser (CPU-bound); forkserver is safe beside threads."""
    context = multiprocessing.get_context("forkserver")
    preload_workers()
    return ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 2, mp_context=context)


def _warm_up(pool: Executor) -> None:
    """Have the pool start its workers (they import their code while feeds download)."""
    try:
        for _ in range(os.cpu_count() or 2):
            pool.submit(ready)
    except RuntimeError:  # the pool was shut down already (a very short refresh)
        pass


def fetch_limits(settings: Settings, max_bytes: int | None = None) -> Limits:
    """The fetch bounds the settings ask for."""
    return Limits(
        timeout=settings.timeout_seconds,
        max_bytes=max_bytes or settings.max_feed_bytes,
        max_redirects=settings.max_redirects,
        max_connections=settings.max_connections,
        max_per_host=settings.max_per_host,
        user_agent=settings.user_agent,
    )


class Refresher:
    """Runs one refresh over a set of feeds. Blocking calls go to executors, never the loop."""

    def __init__(
        self,
        cache_path: Path,
        settings: Settings,
        *,
        parse_pool: Executor | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> None:
        self.cache_path = cache_path
        self.settings = settings
        self.parse_pool = parse_pool
        self.on_progress = on_progress
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tvnews-store")
        self._store: Store | None = None
        self._done = 0
        self._total = 0
        self._in_flight = asyncio.Semaphore(1)
        self._states: dict[str, tuple] = {}
        self._warm: asyncio.Future[None] | None = None
        self._fresh: list[int] = []

    async def _db(self, method: str, *args: object, **kwargs: object) -> object:
        """Call a Store method on the single writer thread."""

        def call() -> object:
            if self._store is None:
                self._store = Store(self.cache_path)
            return getattr(self._store, method)(*args, **kwargs)

        return await asyncio.get_running_loop().run_in_executor(self._writer, call)

    async def run(self, feeds: Sequence[FeedConfig], *, force: bool = False) -> RefreshSummary:
        """Refresh ``feeds`` (those due, or all with ``force``) and return the summary."""
        started = time.perf_counter()
        summary = RefreshSummary()
        own_pool = self.parse_pool is None
        pool = self.parse_pool or make_parse_pool()
        try:
            self._total = len(feeds)
            self._done = 0
            self._in_flight = asyncio.Semaphore(self.settings.max_connections + 4)
            self._warm = None
            self._states = await self._db("feed_states", [feed.url for feed in feeds])  # type: ignore[assignment]
            async with Fetcher(fetch_limits(self.settings)) as fetcher:
                tasks = [self._one(fetcher, pool, feed, force) for feed in feeds]
                summary.outcomes = list(await asyncio.gather(*tasks))
            if self._fresh:  # 304s: one transaction for all (losing them costs a 304 again)
                await self._db("record_not_modified_many", self._fresh)
            if self.settings.keep_days or self.settings.keep_per_feed:
                await self._db("prune", self.settings.keep_days, self.settings.keep_per_feed)
            if self._store is not None:  # index the new articles for search, in one go
                await self._db("update_search_index")
        finally:
            if own_pool:
                pool.shutdown(wait=False, cancel_futures=True)
            if self._store is not None:
                await self._db("close")
            self._writer.shutdown(wait=True)
        summary.seconds = time.perf_counter() - started
        return summary

    async def _one(
        self, fetcher: Fetcher, pool: Executor, feed: FeedConfig, force: bool
    ) -> FeedOutcome:
        name = feed.name or feed.url
        try:
            # A bounded number of feeds between fetch and stored, so bodies do not pile up
            # in memory while the workers catch up.
            async with self._in_flight:
                outcome = await self._refresh_feed(fetcher, pool, feed, force)
        except TvnewsError as error:
            outcome = FeedOutcome(feed.url, name, error=str(error) or type(error).__name__)
        except sqlite3.DatabaseError:
            raise  # the cache itself failed: the whole run stops and says so
        except Exception as error:  # one feed must never stop the others
            reason = f"internal error ({type(error).__name__}: {str(error)[:200]})"
            outcome = FeedOutcome(feed.url, name, error=reason)
        self._done += 1
        if self.on_progress is not None:
            self.on_progress(self._done, self._total, outcome)
        return outcome

    async def _refresh_feed(
        self, fetcher: Fetcher, pool: Executor, feed: FeedConfig, force: bool
    ) -> FeedOutcome:
        name = feed.name or feed.url
        state = self._states.get(feed.url) or await self._db("feed_fetch_state", feed.url)
        feed_id, etag, last_modified, last_fetched, not_before = state  # type: ignore[misc]
        now = time.time()
        interval = feed.interval_minutes
        if interval is None:
            interval = self.settings.feed_interval_minutes
        if not_before and now < not_before:
            return FeedOutcome(feed.url, name, skipped=True)
        if not force and last_fetched and now - last_fetched < interval * 60:
            return FeedOutcome(feed.url, name, skipped=True)
        try:
            response = await fetcher.get(
                feed.url, etag=etag, last_modified=last_modified, accept=FEED_ACCEPT
            )
            if response.not_modified:
                self._fresh.append(feed_id)
                return FeedOutcome(feed.url, name, not_modified=True)
            body, url, content_type = response.body, response.url, response.content_type
            if looks_like_html(body, content_type):
                body, url, content_type = await self._discover(fetcher, body, url)
            # The worker parses and stores the feed (one transaction) and says what was new.
            await self._start_workers(pool)
            loop = asyncio.get_running_loop()
            new = await loop.run_in_executor(
                pool,
                ingest,
                str(self.cache_path),
                feed_id,
                body,
                url,
                content_type,
                response.etag,
                response.last_modified,
            )
        except RetryLater as error:
            await self._db("record_failure", feed_id, str(error), error.not_before)
            raise
        except (FetchError, ParseError) as error:
            await self._db("record_failure", feed_id, str(error))
            raise
        return FeedOutcome(feed.url, name, new=int(new))

    async def _start_workers(self, pool: Executor) -> None:
        """Start the pool's workers once, on the first feed to parse (none for a run of 304s).

        From a thread: starting the fork server blocks until it is up, and the other
        feeds keep downloading meanwhile.
        """
        if self._warm is None:
            self._warm = asyncio.ensure_future(asyncio.to_thread(_warm_up, pool))
        await self._warm

    async def _discover(self, fetcher: Fetcher, page: bytes, url: str) -> tuple[bytes, str, str]:
        """The URL served a web page: follow its ``<link rel="alternate">`` feed, once."""
        from tui.core.related import find_feed_links

        links = find_feed_links(page.decode("utf-8", errors="replace"), url)
        if not links:
            raise ParseError("not a feed: the URL serves a web page with no feed link")
        response = await fetcher.get(links[0], accept=FEED_ACCEPT)
        return response.body, response.url, response.content_type


def refresh(
    cache_path: Path,
    feeds: Sequence[FeedConfig],
    settings: Settings,
    *,
    force: bool = False,
    on_progress: ProgressCallback | None = None,
    parse_pool: Executor | None = None,
) -> RefreshSummary:
    """Blocking entry point: run a refresh on a fresh event loop (CLI, app worker thread)."""
    refresher = Refresher(cache_path, settings, parse_pool=parse_pool, on_progress=on_progress)
    return asyncio.run(refresher.run(feeds, force=force))
