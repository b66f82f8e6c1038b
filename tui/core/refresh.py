"""Refresh: due feeds -> fetch -> parse -> store, one transaction per feed.

The CLI (``tvnews refresh``) and the app share this; progress arrives through a callback.

Everything runs in this process, on threads: each feed on one of a pool of feed threads
(as many as connections, and a few more) that fetches it, one thread parses and one
writes (SQLite releases the GIL), so the three overlap without the memory and start-up
cost of worker processes or an event loop. A fetched body waits for the parser as it came
(compressed, most often). Only a big refresh whose threads fall behind starts one helper
process (see :data:`HELPER_AFTER_BYTES`); a run of 304s starts nothing and loads no
parser. A caller may still pass a process pool (``parse_pool``) to parse and save every
feed in.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.config import FeedConfig, Settings
from tui.core.errors import FetchError, ParseError, TvnewsError
from tui.core.fetch import Fetcher, Limits, Response, RetryLater
from tui.core.models import FeedOutcome, RefreshSummary
from tui.core.schedule import due_at
from tui.core.store import Store

if TYPE_CHECKING:
    from tui.core.models import ParsedFeed

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)


ProgressCallback = Callable[[int, int, FeedOutcome], None]

#: New articles indexed for search at once while the writer has nothing else to do: one
#: large batch costs less than many small ones (each one merges into the index).
INDEX_BATCH = 2000
#: A big refresh gets one helper process, on the other core, that parses and saves the
#: feeds the threads cannot keep up with: once this many bytes of feeds have arrived and
#: this many feeds wait to be parsed or saved. A smaller refresh stays in one lean process.
HELPER_AFTER_BYTES = 32_000_000
HELPER_BACKLOG = 4
#: Feeds parsed (or being parsed) that wait for the writer, at most: a parsed feed holds
#: several times the memory of its body, and the writer is the slower of the two.
PARSED_AHEAD = 4
#: WAL pages written between checkpoints on the refresh's connection (SQLite's default is
#: 1000): fewer, larger checkpoints, each one a sync.
WAL_PAGES = 4000
#: The refresh's page cache, in KiB (SQLite's default is 2000): its writes go to the end
#: of the tables and the search index, so a smaller cache costs little time (500 x 200:
#: 5.7 s against 5.3) and saves a megabyte and more at the peak of any refresh.
WRITER_CACHE_KIB = 1000


def make_parse_pool(workers: int | None = None) -> Executor:
    """A process pool (page extraction, or a caller's parse pool); forkserver is safe beside
    threads. Its workers start on the first task, not here."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from tui.core.workers import preload_workers

    context = multiprocessing.get_context("forkserver")
    preload_workers()
    return ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 2, mp_context=context)


def _started(pool: Executor) -> bool:
    """Start ``pool``'s worker and wait until it has loaded its code; False if it cannot
    start (then the refresh does without it)."""
    from tui.core.ingest import ready

    try:
        return bool(pool.submit(ready).result(timeout=60))
    except Exception:
        return False


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
    """Runs one refresh over a set of feeds, on threads (see the module's docstring)."""

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
        self._parser: ThreadPoolExecutor | None = None
        self._store: Store | None = None
        self._lock = threading.Lock()
        """Guards the counts below, the progress callback and the helper's start."""
        self._parse_slots = threading.Semaphore(PARSED_AHEAD)
        self._done = 0
        self._total = 0
        self._states: dict[str, tuple] = {}
        self._fresh: list[tuple[int, int]] = []
        """Feeds answered 304: (id, max-age of the answer)."""
        self._saving = 0
        self._unindexed = 0
        self._received = 0
        self._parsing = 0
        self._helper: Executor | None = None
        #: Feeds the helper process parsed and saved (for the curious and the tests).
        self.helped = 0
        self._helper_ready: Future[bool] | None = None
        self._indexing: Future[object] | None = None

    def _db(self, method: str, *args: object, **kwargs: object) -> Any:
        """Call a Store method on the single writer thread and wait for its result."""
        return self._db_later(method, *args, **kwargs).result()

    def _db_later(self, method: str, *args: object, **kwargs: object) -> Future[Any]:
        """Queue a Store method for the writer thread."""

        def call() -> object:
            if self._store is None:
                self._store = Store(self.cache_path)
                self._store.db.execute(f"PRAGMA wal_autocheckpoint = {WAL_PAGES}")
                self._store.db.execute(f"PRAGMA cache_size = -{WRITER_CACHE_KIB}")
            return getattr(self._store, method)(*args, **kwargs)

        return self._writer.submit(call)

    def run(self, feeds: Sequence[FeedConfig], *, force: bool = False) -> RefreshSummary:
        """Refresh ``feeds`` (those due, or all with ``force``) and return the summary."""
        started = time.perf_counter()
        summary = RefreshSummary()
        self._total = len(feeds)
        # The pool bounds the feeds between fetch and stored, so bodies do not pile up in
        # memory while parsing and saving catch up.
        workers = ThreadPoolExecutor(self.settings.max_connections + 4, "tvnews-feed")
        fetcher = Fetcher(fetch_limits(self.settings))
        try:
            self._states = self._db("feed_states", [feed.url for feed in feeds])
            jobs = [workers.submit(self._one, fetcher, feed, force) for feed in feeds]
            summary.outcomes = [job.result() for job in jobs]
            if self._fresh:  # 304s: one transaction for all (losing them costs a 304 again)
                self._db("record_not_modified_many", self._fresh)
            if self.settings.keep_days or self.settings.keep_per_feed:
                self._db("prune", self.settings.keep_days, self.settings.keep_per_feed)
            if self._indexing is not None:
                self._indexing.result()
            if self._store is not None:  # index the rest of the new articles for search
                self._db("update_search_index")
        except BaseException:
            fetcher.stop()  # interrupted, or the cache failed: requests in flight end now
            raise
        finally:
            workers.shutdown(wait=True, cancel_futures=True)
            fetcher.close()
            if self._parser is not None:
                self._parser.shutdown(wait=True, cancel_futures=True)
            if self._helper is not None:
                self._helper.shutdown(wait=True, cancel_futures=True)
            if self._store is not None:
                self._db("close")
            self._writer.shutdown(wait=True)
        summary.seconds = time.perf_counter() - started
        return summary

    def _one(self, fetcher: Fetcher, feed: FeedConfig, force: bool) -> FeedOutcome:
        name = feed.name or feed.url
        try:
            outcome = self._refresh_feed(fetcher, feed, force)
        except TvnewsError as error:
            outcome = FeedOutcome(feed.url, name, error=str(error) or type(error).__name__)
        except sqlite3.DatabaseError:
            raise  # the cache itself failed: the whole run stops and says so
        except Exception as error:  # one feed must never stop the others
            reason = f"internal error ({type(error).__name__}: {str(error)[:200]})"
            outcome = FeedOutcome(feed.url, name, error=reason)
        with self._lock:
            self._done += 1
            if self.on_progress is not None:
                self.on_progress(self._done, self._total, outcome)
        return outcome

    def _refresh_feed(self, fetcher: Fetcher, feed: FeedConfig, force: bool) -> FeedOutcome:
        name = feed.name or feed.url
        state = self._states.get(feed.url) or self._db("feed_fetch_state", feed.url)
        feed_id, etag, last_modified, last_fetched, not_before, asks = state
        due = due_at(feed, self.settings, last_fetched, not_before, asks, force=force)
        if time.time() < due:
            return FeedOutcome(feed.url, name, skipped=True)
        try:
            response = fetcher.fetch(
                feed.url, etag=etag, last_modified=last_modified, accept=FEED_ACCEPT, decode=False
            )
            if response.not_modified:
                self._fresh.append((feed_id, response.fresh_for))
                return FeedOutcome(feed.url, name, not_modified=True)
            new = self._ingest(fetcher, feed_id, response)
        except RetryLater as error:
            self._db("record_failure", feed_id, str(error), error.not_before)
            raise
        except (FetchError, ParseError) as error:
            if not fetcher.stopped:  # an interrupted run is not the feed's failure
                self._db("record_failure", feed_id, str(error))
            raise
        return FeedOutcome(feed.url, name, new=new)

    def _ingest(self, fetcher: Fetcher, feed_id: int, response: Response) -> int:
        """Parse a fetched feed and store it (one transaction); return how many articles
        are new. The validators saved are the configured URL's, even when its page led
        to the feed.

        Parsing runs on its own thread, saving on the writer's; the helper process of a big
        refresh (or the caller's pool) does both for the feeds given to it.
        """
        etag, modified, fresh_for = response.etag, response.last_modified, response.fresh_for
        pool = self.parse_pool or self._helper_for_backlog()
        if pool is not None:
            from concurrent.futures.process import BrokenProcessPool

            from tui.core.ingest import ingest

            body, url, content_type = self._feed_of(fetcher, response)
            args = (str(self.cache_path), feed_id, body, url, content_type)
            try:
                new = pool.submit(ingest, *args, etag, modified, fresh_for).result()
                with self._lock:
                    self.helped += pool is self._helper
                return new
            except BrokenProcessPool:
                if pool is self.parse_pool:
                    raise
                with self._lock:
                    self._helper_ready = None  # it died: the rest is parsed here
        with self._lock:
            self._parsing += 1
        parsing = True
        try:
            with self._parse_slots:  # parsed feeds wait for the writer a few at a time
                parsed = self._parse(*self._feed_of(fetcher, response))
                with self._lock:
                    self._parsing -= 1
                    self._saving += 1
                parsing = False
                saved = self._db(
                    "save_feed", feed_id, parsed, etag=etag, last_modified=modified,
                    fresh_for=fresh_for,
                )  # fmt: skip
        finally:
            with self._lock:
                if parsing:
                    self._parsing -= 1
                else:
                    self._saving -= 1
        new = int(saved)
        with self._lock:
            self._unindexed += new
            self._index_when_idle()
        return new

    def _parse(self, body: bytes, url: str, content_type: str) -> ParsedFeed:
        """Parse a feed on the parse thread."""
        from tui.core.parse import parse_feed

        with self._lock:
            if self._parser is None:
                self._parser = ThreadPoolExecutor(1, thread_name_prefix="tvnews-parse")
        return self._parser.submit(parse_feed, body, url, content_type).result()

    def _feed_of(self, fetcher: Fetcher, response: Response) -> tuple[bytes, str, str]:
        """The decoded feed ``response`` is, or its page links to: body, URL and type.
        (Decoded only now: a body waits for its turn as it came, compressed most often.)"""
        # Imported on the first feed that changed: a run of 304s never loads the parsers.
        from tui.core.parse import looks_like_html

        body = self._decoded(response)
        if looks_like_html(body, response.content_type):
            response = self._discover(fetcher, body, response.url)
            body = self._decoded(response)
        return body, response.url, response.content_type

    def _decoded(self, response: Response) -> bytes:
        """``response``'s body, decoded, and counted among the bytes of feeds received."""
        body = response.decoded(self.settings.max_feed_bytes)
        with self._lock:
            self._received += len(body)
        return body

    def _helper_for_backlog(self) -> Executor | None:
        """The helper process, when this refresh is big and feeds wait for the parsing and
        writing threads; started (from a thread: it takes a moment) when first wanted."""
        with self._lock:
            backlog = self._parsing + self._saving
            if backlog < HELPER_BACKLOG or self._received < HELPER_AFTER_BYTES:
                return None
            if self._helper is None:
                self._helper = make_parse_pool(1)
                self._helper_ready = _in_background(_started, self._helper)
            ready = self._helper_ready
        if ready is None or not ready.done() or ready.exception():
            return None
        return self._helper if ready.result() else None

    def _index_when_idle(self) -> None:
        """Index a batch of new articles for search while the writer has no feed to save
        (whatever is left is indexed at the end, in one go). Called holding the lock."""
        busy = self._indexing is not None and not self._indexing.done()
        if self._saving or busy or self._unindexed < INDEX_BATCH:
            return
        self._unindexed = 0
        self._indexing = self._db_later("update_search_index")

    def _discover(self, fetcher: Fetcher, page: bytes, url: str) -> Response:
        """The URL served a web page: follow its ``<link rel="alternate">`` feed, once."""
        from tui.core.related import find_feed_links

        links = find_feed_links(page.decode("utf-8", errors="replace"), url)
        if not links:
            raise ParseError("not a feed: the URL serves a web page with no feed link")
        return fetcher.fetch(links[0], accept=FEED_ACCEPT, decode=False)


def _in_background(function: Callable[..., Any], *args: object) -> Future[Any]:
    """Run ``function`` on a thread of its own; its future result."""
    future: Future[Any] = Future()

    def run() -> None:
        try:
            future.set_result(function(*args))
        except BaseException as error:  # handed to whoever looks at the future
            future.set_exception(error)

    threading.Thread(target=run, name="tvnews-helper-start", daemon=True).start()
    return future


def refresh(
    cache_path: Path,
    feeds: Sequence[FeedConfig],
    settings: Settings,
    *,
    force: bool = False,
    on_progress: ProgressCallback | None = None,
    parse_pool: Executor | None = None,
) -> RefreshSummary:
    """Blocking entry point: run a refresh on threads of this process (CLI, the app's
    refresh process, an app worker thread)."""
    refresher = Refresher(cache_path, settings, parse_pool=parse_pool, on_progress=on_progress)
    return refresher.run(feeds, force=force)
