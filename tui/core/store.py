"""The SQLite cache: versioned schema, WAL, one connection per thread, paged reads.

A refresh writes one transaction per feed and never touches read/starred state, so
the app and a cron ``tvnews refresh`` can run at once and nothing committed is lost.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from tui.core.errors import StoreError
from tui.core.models import (
    Article,
    ArticleBody,
    ArticleRow,
    FeedState,
    ListQuery,
    ParsedEntry,
    ParsedFeed,
    RelatedLink,
    feed_display_name,
)
from tui.core.sanitize import short_url
from tui.core.search import fts_query, search_terms, spellable

#: A search with at most this many matches is put in list order at once (a few ms);
#: a bigger one is listed page by page, newest first, straight from the list index.
ORDER_AT_ONCE = 5000
#: A word typed is searched as the words of the index it starts when there are at most
#: this many of them ("season": one; FTS5's prefix search of it took 12 ms at 100k
#: articles, the word by name 2 ms), else as a prefix.
SPELL_OUT_AT_MOST = 8
#: A section of at most this many articles is listed by sorting them, read feed by feed
#: from their index; a bigger one walks the list index in date order.
SORT_SECTION_AT_MOST = 5000
#: Articles marked read or unread per transaction when many are (mark all read): SQLite
#: rewrites each whole row, ~30 µs an article here, so a batch holds the write lock ~60 ms.
MARK_BATCH = 2000

#: Marks the file as a tvnews cache ("tvnw").
APPLICATION_ID = 0x74766E77

#: Article columns the full-text index covers.
_FTS_COLUMNS = "title, summary, content, full_markdown"
#: What the list sorted by feed orders feeds by (the name on screen, without its case);
#: the ``feeds_by_name`` index (migration 6) is made of the same expression.
_FEED_NAME_KEY = "lower(coalesce(nullif(f.name, ''), f.title))"


def _fts_values(row: str) -> str:
    return ", ".join(f"{row}.{column}" for column in _FTS_COLUMNS.split(", "))


#: Each entry upgrades the schema by one version (statements run in one transaction);
#: never edit a released entry, add one.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: feeds and articles
    (
        """CREATE TABLE feeds (
        id INTEGER PRIMARY KEY,
        url TEXT NOT NULL UNIQUE,
        title TEXT NOT NULL DEFAULT '',
        name TEXT NOT NULL DEFAULT '',
        section TEXT NOT NULL DEFAULT '',
        link TEXT NOT NULL DEFAULT '',
        etag TEXT NOT NULL DEFAULT '',
        last_modified TEXT NOT NULL DEFAULT '',
        last_fetched REAL,
        last_error TEXT NOT NULL DEFAULT '',
        not_before REAL,
        active INTEGER NOT NULL DEFAULT 1
    )""",
        """CREATE TABLE articles (
        id INTEGER PRIMARY KEY,
        feed_id INTEGER REFERENCES feeds(id) ON DELETE CASCADE,
        guid TEXT NOT NULL,
        url TEXT NOT NULL DEFAULT '',
        title TEXT NOT NULL DEFAULT '',
        author TEXT NOT NULL DEFAULT '',
        published REAL,
        summary TEXT NOT NULL DEFAULT '',
        content TEXT NOT NULL DEFAULT '',
        full_markdown TEXT NOT NULL DEFAULT '',
        full_fetched REAL,
        related TEXT NOT NULL DEFAULT '',
        read INTEGER NOT NULL DEFAULT 0,
        starred INTEGER NOT NULL DEFAULT 0,
        first_seen REAL NOT NULL,
        sort_key REAL NOT NULL
    )""",
        "CREATE UNIQUE INDEX articles_identity ON articles(coalesce(feed_id, 0), guid)",
        "CREATE INDEX articles_by_date ON articles(sort_key DESC, id DESC)",
        "CREATE INDEX articles_by_feed ON articles(feed_id, sort_key DESC, id DESC)",
        "CREATE INDEX articles_by_url ON articles(url)",
    ),
    # 2: full-text search. FTS5 reads the articles table; triggers queue new and changed
    # rows in search_pending, and update_search_index() indexes the queue in one go (at the
    # end of a refresh, or before a search): indexing row by row in every feed's
    # transaction costs five times as much. A list index covers the list's filters so
    # deep pages and searches skip the wide rows. (No INSERT OR IGNORE in triggers: an
    # upsert's ON CONFLICT overrides it.)
    (
        f"""CREATE VIRTUAL TABLE articles_fts USING fts5({_FTS_COLUMNS},
        content='articles', content_rowid='id', tokenize='unicode61 remove_diacritics 2',
        detail=none, columnsize=0)""",
        "CREATE TABLE search_pending (id INTEGER PRIMARY KEY)",
        """CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
        INSERT INTO search_pending(id) SELECT new.id
            WHERE NOT EXISTS (SELECT 1 FROM search_pending WHERE id = new.id);
        END""",
        f"""CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, {_FTS_COLUMNS})
            SELECT 'delete', old.id, {_fts_values("old")}
            WHERE NOT EXISTS (SELECT 1 FROM search_pending WHERE id = old.id);
        DELETE FROM search_pending WHERE id = old.id;
        END""",
        f"""CREATE TRIGGER articles_fts_update AFTER UPDATE OF {_FTS_COLUMNS} ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, {_FTS_COLUMNS})
            SELECT 'delete', old.id, {_fts_values("old")}
            WHERE NOT EXISTS (SELECT 1 FROM search_pending WHERE id = old.id);
        INSERT INTO search_pending(id) SELECT new.id
            WHERE NOT EXISTS (SELECT 1 FROM search_pending WHERE id = new.id);
        END""",
        "INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')",
        "CREATE INDEX articles_list ON articles(sort_key DESC, id DESC, feed_id, read, starred)",
        "CREATE INDEX articles_search ON articles(id, sort_key, feed_id, read, starred)",
        "DROP INDEX articles_by_date",
    ),
    # 3: per-feed unread and total counts (the sidebar, feed health) and per-feed lists
    # read from the index alone: 100k articles are counted in a few ms, not ~90.
    (
        "DROP INDEX articles_by_feed",
        "CREATE INDEX articles_by_feed ON articles(feed_id, sort_key DESC, id DESC, read, starred)",
    ),
    # 4: new articles are queued for the search index by the statements that insert them,
    # in bulk (save_feed queues a whole feed in one statement); the trigger's per-row
    # program cost a refresh a third of its insert time.
    ("DROP TRIGGER articles_fts_insert",),
    # 5: the starred articles, newest first, in an index of their own: the starred view
    # and its count read the few starred rows, not the whole list index (a page of 3
    # starred articles among 100k took 15 ms, their count 10).
    (
        "CREATE INDEX articles_starred ON articles(sort_key DESC, id DESC, feed_id)"
        " WHERE starred = 1",
    ),
    # 6: the feeds in the order of their names, for the list sorted by feed: it walks them
    # and each one's articles in its own index, not sorting every article (a page of
    # 100k sorted by feed took 65 ms at the top and ~500 near the end).
    ("CREATE INDEX feeds_by_name ON feeds(lower(coalesce(nullif(name, ''), title)))",),
    # 7: how long a feed asks to be left alone: its document's RSS <ttl> and its server's
    # Cache-Control max-age (seconds, 0: not said), kept apart since a 304 updates only
    # the second.
    (
        "ALTER TABLE feeds ADD COLUMN ttl_seconds INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE feeds ADD COLUMN fresh_for INTEGER NOT NULL DEFAULT 0",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)

#: What a refresh reads of a feed before fetching it (see :meth:`Store.feed_fetch_state`).
FetchState = tuple[int, str, str, float | None, float | None, int]
_FETCH_STATE = "id, etag, last_modified, last_fetched, not_before, max(ttl_seconds, fresh_for)"

#: Dates more than this far ahead are treated as unknown (sorting by them would pin an item on top).
FUTURE_SLACK = 2 * 86400

_ROW_COLUMNS = (
    "a.id, a.title, coalesce(nullif(f.name, ''), nullif(f.title, ''), f.url, ''), "
    "a.published, a.read, a.starred"
)


def default_cache_path(data_dir: Path) -> Path:
    """The cache file inside a data directory."""
    return data_dir / "cache.sqlite3"


class Store:
    """One connection to the cache. Open one per thread (connections are not shared)."""

    def __init__(self, path: Path | str, *, readonly: bool = False) -> None:
        self.path = Path(path)
        self._hits_for: str | None = None
        """The search whose matches are in the temp table ``search_hits``."""
        self._hit_count = 0
        self._words_table = False
        """Whether this connection has made the temp table of the index's words."""
        self._small_sections: set[str] = set()
        """Sections listed by sorting their articles, as of their last count."""
        self._ordered: tuple[ListQuery, list[int]] | None = None
        """A small search's ids in list order, from the last :meth:`count`."""
        self._unread_counted: tuple[ListQuery, int] | None = None
        """The unread articles of the last :meth:`count` (not a search), and their query."""
        try:
            if not readonly:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(
                self.path, timeout=30, isolation_level=None, check_same_thread=False
            )
            self.db.execute("PRAGMA busy_timeout = 30000")
            self._migrate()
            self.db.execute("PRAGMA foreign_keys = ON")
            self.db.execute("PRAGMA synchronous = NORMAL")
            # A search's hits go to a temp table: in memory, "season" in 100k articles
            # (34k hits) fills it in 14 ms instead of 22.
            self.db.execute("PRAGMA temp_store = MEMORY")
        except sqlite3.DatabaseError as error:
            raise StoreError(f"{self.path}: cannot use the cache ({error})") from None

    # -- schema -------------------------------------------------------------------------

    def _migrate(self) -> None:
        db = self.db
        app_id = db.execute("PRAGMA application_id").fetchone()[0]
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if app_id not in (0, APPLICATION_ID):
            raise StoreError(f"{self.path} is not a tvnews cache (application_id {app_id:#x})")
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} was written by a newer tvnews (cache schema {version}; this "
                f"version knows up to {SCHEMA_VERSION}). Upgrade tvnews, or use --data-dir "
                "to keep a separate cache."
            )
        if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            _use_wal(db)
        if version == SCHEMA_VERSION:
            return
        db.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated while we waited for the lock.
            version = db.execute("PRAGMA user_version").fetchone()[0]
            for number in range(version, SCHEMA_VERSION):
                for statement in MIGRATIONS[number]:
                    db.execute(statement)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    def _write(self) -> _Transaction:
        return _Transaction(self.db)

    def _save(self) -> _Transaction:
        """A write of the user's own state (read, starred, a fetched page): a failure is a
        :class:`StoreError` saying why (locked, disk full, read-only), for the UI to show."""
        return _Transaction(self.db, readable=True)

    # -- feeds --------------------------------------------------------------------------

    def sync_feeds(self, feeds: Iterable[tuple[str, str, str]]) -> None:
        """Make the configured (url, name, section) feeds active and the others inactive."""
        configured = list(feeds)
        with self._write():
            self.db.execute("UPDATE feeds SET active = 0")
            self.db.executemany(
                "INSERT INTO feeds(url, name, section, active) VALUES(?, ?, ?, 1) "
                "ON CONFLICT(url) DO UPDATE SET name = excluded.name, "
                "section = excluded.section, active = 1",
                configured,
            )

    def feeds(self, *, active_only: bool = True) -> list[FeedState]:
        """Feeds with their unread and total counts, in name order."""
        rows = self.db.execute(
            f"""SELECT f.id, f.url, f.title, f.name, f.section, f.etag, f.last_modified,
                   f.last_fetched, f.last_error,
                   (SELECT count(*) FROM articles a WHERE a.feed_id = f.id AND a.read = 0),
                   (SELECT count(*) FROM articles a WHERE a.feed_id = f.id),
                   f.not_before, max(f.ttl_seconds, f.fresh_for)
            FROM feeds f {"WHERE f.active = 1" if active_only else ""}
            ORDER BY lower(coalesce(nullif(f.name, ''), nullif(f.title, ''), f.url))"""
        ).fetchall()
        return [FeedState(*row) for row in rows]

    def failing_feeds(self) -> list[tuple[str, str, str]]:
        """(url, display name, last error) of each active feed whose last fetch failed,
        in name order; without the article counts of :meth:`feeds` (~30 ms at 100k)."""
        rows = self.db.execute(
            """SELECT url, name, title, last_error FROM feeds
            WHERE active = 1 AND last_error != ''
            ORDER BY lower(coalesce(nullif(name, ''), nullif(title, ''), url))"""
        ).fetchall()
        return [(url, feed_display_name(name, title, url), err) for url, name, title, err in rows]

    def last_fetched(self) -> float | None:
        """When an active feed was last fetched successfully (None: never)."""
        row = self.db.execute("SELECT max(last_fetched) FROM feeds WHERE active = 1").fetchone()
        return row[0]

    def feed(self, url: str) -> FeedState | None:
        """One feed by URL."""
        return next((feed for feed in self.feeds(active_only=False) if feed.url == url), None)

    def feed_fetch_state(self, url: str) -> FetchState:
        """(id, etag, last_modified, last_fetched, not_before, asks_seconds) for conditional
        requests and the feed's schedule (``asks_seconds``: the longer of its ``<ttl>`` and
        its server's max-age, 0 if neither is said)."""
        row = self.db.execute(f"SELECT {_FETCH_STATE} FROM feeds WHERE url = ?", (url,)).fetchone()
        if row is None:
            with self._write():
                cursor = self.db.execute("INSERT INTO feeds(url) VALUES(?)", (url,))
            return (cursor.lastrowid or 0, "", "", None, None, 0)
        return row

    def feed_states(self, urls: Sequence[str]) -> dict[str, FetchState]:
        """:meth:`feed_fetch_state` of every known feed in ``urls``, in one query."""
        rows = self.db.execute(
            f"SELECT url, {_FETCH_STATE} FROM feeds WHERE url IN (SELECT value FROM json_each(?))",
            (json.dumps(list(urls)),),
        ).fetchall()
        return {row[0]: tuple(row[1:]) for row in rows}  # type: ignore[misc]

    def record_not_modified_many(self, fresh: Sequence[tuple[int, int]]) -> None:
        """Feeds answered 304 (id, the answer's max-age): fresh, nothing to parse; one
        transaction for all."""
        now = time.time()
        with self._write():
            self.db.executemany(
                "UPDATE feeds SET last_error = '', last_fetched = ?, not_before = NULL, "
                "fresh_for = ? WHERE id = ?",
                [(now, fresh_for, feed_id) for feed_id, fresh_for in fresh],
            )

    def record_failure(self, feed_id: int, error: str, not_before: float | None = None) -> None:
        """Remember why a feed failed (shown in the UI) and when to try again.

        ``last_fetched`` keeps the time of the last success, so a failed feed is due again.
        """
        with self._write():
            self.db.execute(
                "UPDATE feeds SET last_error = ?, not_before = ? WHERE id = ?",
                (error, not_before, feed_id),
            )

    def save_feed(
        self,
        feed_id: int,
        parsed: ParsedFeed,
        *,
        etag: str = "",
        last_modified: str = "",
        fresh_for: int = 0,
    ) -> int:
        """Store a parsed feed in one transaction; return how many articles are new.
        ``fresh_for``: the response's max-age (see :class:`~tui.core.fetch.Response`).

        Existing articles keep their read/starred state; articles the feed dropped stay.
        New and changed articles wait in ``search_pending`` for :meth:`update_search_index`.
        """
        now = time.time()
        rows = _article_rows(feed_id, parsed.entries, now)
        with self._write():
            before = self._highest_id()
            # executemany: no Python between the rows but binding them.
            self.db.executemany(
                """INSERT INTO articles(feed_id, guid, url, title, author, published, summary,
                       content, first_seen, sort_key)
                   VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, coalesce(?6, ?9))
                   ON CONFLICT(coalesce(feed_id, 0), guid) DO UPDATE SET
                       url = excluded.url, title = excluded.title, author = excluded.author,
                       summary = excluded.summary, content = excluded.content,
                       published = coalesce(excluded.published, published),
                       sort_key = coalesce(excluded.published, sort_key)
                   WHERE url IS NOT excluded.url OR title IS NOT excluded.title
                       OR author IS NOT excluded.author OR summary IS NOT excluded.summary
                       OR content IS NOT excluded.content""",
                rows,
            )
            # The new rows wait for the search index (changed ones: the update trigger).
            new = self._queue_new(before)
            self.db.execute(
                """UPDATE feeds SET title = ?, link = ?, etag = ?, last_modified = ?,
                       last_fetched = ?, last_error = ?, not_before = NULL, ttl_seconds = ?,
                       fresh_for = ? WHERE id = ?""",
                (
                    parsed.title,
                    parsed.link,
                    etag,
                    last_modified,
                    now,
                    parsed.warning,
                    parsed.ttl_seconds,
                    fresh_for,
                    feed_id,
                ),
            )
        return new

    # -- the article list ---------------------------------------------------------------

    def update_search_index(self) -> int:
        """Index the articles queued since the last call, in one transaction; return how many."""
        if self.db.execute("SELECT 1 FROM search_pending LIMIT 1").fetchone() is None:
            return 0
        with self._write():
            return self._index_pending()

    def _highest_id(self) -> int:
        """The largest article id now: rows inserted after this have larger ones."""
        return self.db.execute("SELECT coalesce(max(id), 0) FROM articles").fetchone()[0]

    def _queue_new(self, before: int) -> int:
        """Queue the articles inserted since ``before`` (:meth:`_highest_id`) for the search
        index, in one statement (inside their write transaction); return how many."""
        return self.db.execute(
            "INSERT INTO search_pending(id) SELECT id FROM articles WHERE id > ?", (before,)
        ).rowcount

    def _index_pending(self) -> int:
        """Index the queued articles (inside a write transaction); return how many."""
        self.db.execute(
            f"INSERT INTO articles_fts(rowid, {_FTS_COLUMNS}) "
            f"SELECT a.id, {_fts_values('a')} FROM search_pending p "
            "JOIN articles a ON a.id = p.id"
        )
        return self.db.execute("DELETE FROM search_pending").rowcount

    def _where(self, query: ListQuery, *, from_hits: bool = False) -> tuple[str, list[object]]:
        """WHERE of ``query``; ``from_hits``: the FROM is :func:`_source`, which starts from
        the matches the caller has just found (they need neither a search nor a test)."""
        clauses = ["f.active = 1"]
        params: list[object] = []
        if query.feed_id is not None:
            clauses.append("a.feed_id = ?")
            params.append(query.feed_id)
        if query.section is not None:
            clauses.append("f.section = ?")
            params.append(query.section)
        if query.unread_only:
            clauses.append("a.read = 0")
        if query.starred_only:
            clauses.append("a.starred = 1")
        if query.search and not from_hits:
            self.search_matches(query.search)
        if query.search and (not from_hits or _tests_matches(query)):
            clauses.append("a.id IN temp.search_hits")
        return " AND ".join(clauses), params

    def search_matches(self, text: str, *, fresh: bool = False) -> int:
        """Find the articles matching ``text`` (any view); how many there are.

        The matches go into this connection's temp table ``search_hits``, which every
        query of the same search then reads: the full-text index is searched once, not
        once per page. ``fresh`` searches again (articles may have come in since).
        """
        indexed = self.update_search_index()
        if fresh or indexed or text != self._hits_for:
            self._hits_for = None
            db = self.db
            db.execute("CREATE TEMP TABLE IF NOT EXISTS search_hits(id INTEGER PRIMARY KEY)")
            db.execute("DELETE FROM temp.search_hits")
            try:
                self._hit_count = db.execute(
                    "INSERT INTO temp.search_hits "
                    "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?",
                    (self._fts_match(text),),
                ).rowcount
            except sqlite3.OperationalError as error:
                raise StoreError(f"search: {error}") from None
            self._hits_for = text
        return self._hit_count

    def _fts_match(self, text: str) -> str:
        """The FTS5 query for ``text``, its words spelled out where the index has few
        words starting with them (FTS5's own prefix search is slower)."""
        spelled = {}
        for word in {word.lower() for word in search_terms(text) if spellable(word)}:
            words = self._index_words(word)
            if words:
                spelled[word] = words
        return fts_query(text, spelled)

    def _index_words(self, prefix: str) -> list[str] | None:
        """The words of the search index starting with ``prefix``; None when there are
        none or more than :data:`SPELL_OUT_AT_MOST` (then FTS5 looks them up itself)."""
        try:
            if not self._words_table:
                self.db.execute(
                    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_words "
                    "USING fts5vocab(main, articles_fts, row)"
                )
                self._words_table = True
            rows = self.db.execute(
                "SELECT term FROM temp.search_words WHERE term >= ? AND term <= ? LIMIT ?",
                (prefix, prefix + "\U0010ffff", SPELL_OUT_AT_MOST + 1),
            ).fetchall()
        except sqlite3.Error:
            return None
        if not rows or len(rows) > SPELL_OUT_AT_MOST:
            return None
        return [row[0] for row in rows]

    def count(self, query: ListQuery) -> int:
        """How many articles ``query`` selects (a search is run again: new articles count)."""
        if query.search:
            if query.section is not None:
                self._note_section_size(query.section)
            self._ordered = None
            matches = self.search_matches(query.search, fresh=True)
            if matches <= ORDER_AT_ONCE:
                ids = self._ids(query)
                self._ordered = (query, ids)
                return len(ids)
            if query == ListQuery(search=query.search, sort=query.sort):
                unlisted = self._unlisted_matches()
                if unlisted is not None:
                    return matches - unlisted
            where, params = self._where(query, from_hits=True)
            sql = f"SELECT count(*) FROM {_source(query)}"
            return self._read(f"{sql} WHERE {where}", params)[0][0]
        # The unread ones are counted in the same pass (the status line shows them): a
        # count of all and one of the unread took 9.5 + 22.6 ms at 100k, both at once 16.
        where, params = self._where(replace(query, unread_only=False))
        sql = (
            "SELECT count(*), count(*) FILTER (WHERE a.read = 0)"
            f" FROM articles a JOIN feeds f ON f.id = a.feed_id WHERE {where}"
        )
        total, unread = self._read(sql, params)[0]
        self._unread_counted = (replace(query, unread_only=True), unread)
        if query.section is not None:
            self._note_section_size(query.section, total)
        return unread if query.unread_only else total

    def _note_section_size(self, section: str, size: int | None = None) -> None:
        """Remember whether ``section`` is small enough to be listed by sorting its
        articles (see :meth:`_page_source`): ``size`` as the view's count found it, else
        counted here from the feeds' own index (a search counts only its matches)."""
        if size is None:
            size = self._read(
                f"SELECT count(*) FROM {_FEEDS_THEN_ARTICLES} WHERE f.section = ? AND f.active = 1",
                [section],
            )[0][0]
        if size <= SORT_SECTION_AT_MOST:
            self._small_sections.add(section)
        else:
            self._small_sections.discard(section)

    def unread_counted(self, query: ListQuery) -> int | None:
        """How many of ``query``'s articles are unread, as the last :meth:`count` found
        them, if it was a count of the same articles (None: count them)."""
        counted = self._unread_counted
        if counted is None or query.search or counted[0] != replace(query, unread_only=True):
            return None
        return counted[1]

    def _unlisted_matches(self) -> int | None:
        """Matches of the last search in no list: in removed feeds, or pages in no feed.

        Usually there are few such articles, and counting them is quicker than counting the
        listed ones; None when there are too many for that (the caller counts the listed).
        """
        unlisted = "a.feed_id IS NULL OR a.feed_id IN (SELECT id FROM feeds WHERE active = 0)"
        many = self.db.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM articles a WHERE {unlisted} LIMIT ?)",
            (ORDER_AT_ONCE + 1,),
        ).fetchone()[0]
        if many > ORDER_AT_ONCE:
            return None
        return self.db.execute(
            "SELECT count(*) FROM temp.search_hits "
            f"WHERE id IN (SELECT a.id FROM articles a WHERE {unlisted})"
        ).fetchone()[0]

    def rows(
        self, query: ListQuery, offset: int, limit: int, *, total: int | None = None
    ) -> list[ArticleRow]:
        """One page of the list, newest first (or by feed).

        A search reads the page of ids put in order by :meth:`count` when there were
        few matches; with many, it walks the list index from the newest article and
        stops after the page (the first pages of "season" in 100k articles take < 2 ms).
        Given the list's ``total``, a page in the older half is counted from the oldest
        article (SQLite steps over every row before an OFFSET).
        """
        if self._ordered is not None and self._ordered[0] == query:
            return self.rows_by_id(self._ordered[1][offset : offset + limit])
        where, params = self._where(query)
        order = _order(query)
        from_end = total is not None and offset > total // 2
        if from_end:
            assert total is not None
            limit = max(min(limit, total - offset), 0)
            offset = max(total - offset - limit, 0)
            order = _order(query, reverse=True)
        sql = (
            f"SELECT {_ROW_COLUMNS} FROM {self._page_source(query)} "
            f"WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?"
        )
        rows = self._article_rows(sql, [*params, limit, offset])
        return rows[::-1] if from_end else rows

    def rows_next_to(
        self, query: ListQuery, article_id: int, limit: int, *, before: bool = False
    ) -> list[ArticleRow] | None:
        """The ``limit`` rows just after ``article_id`` in the list (or just before it),
        found from its sort key rather than by counting rows from the top: a page deep in
        100k articles costs ~1 ms, not ~30. None when the list is not in date order or
        the article is gone (the caller counts from the top then)."""
        if query.sort != "date" or (self._ordered is not None and self._ordered[0] == query):
            return None
        key = self._read("SELECT sort_key FROM articles WHERE id = ?", [article_id])
        if not key:
            return None
        where, params = self._where(query)
        compare, direction = (">", "ASC") if before else ("<", "DESC")
        sql = (
            f"SELECT {_ROW_COLUMNS} FROM {self._page_source(query)} "
            f"WHERE {where} AND (a.sort_key, a.id) {compare} (?, ?) "
            f"ORDER BY a.sort_key {direction}, a.id {direction} LIMIT ?"
        )
        rows = self._article_rows(sql, [*params, key[0][0], article_id, limit])
        return rows[::-1] if before else rows

    def _article_rows(self, sql: str, params: Sequence[object]) -> list[ArticleRow]:
        """List rows from ``sql``, which selects :data:`_ROW_COLUMNS` (a feed known only
        by its URL is named as :attr:`FeedState.display_name` names it)."""
        return [
            ArticleRow(id, title, short_url(feed), published, bool(read), bool(starred))
            for id, title, feed, published, read, starred in self._read(sql, params)
        ]

    def ids(self, query: ListQuery, limit: int = -1) -> list[int]:
        """Ids of the articles ``query`` selects, in list order, in one query (a search is
        run again)."""
        if query.search:
            self.search_matches(query.search, fresh=True)
        return self._ids(query, limit)

    def _ids(self, query: ListQuery, limit: int = -1) -> list[int]:
        """:meth:`ids` of the search found last."""
        where, params = self._where(query, from_hits=True)
        sql = f"SELECT a.id FROM {_source(query)} WHERE {where} ORDER BY {_order(query)} LIMIT ?"
        return [row[0] for row in self._read(sql, [*params, limit])]

    def rows_by_id(self, ids: Sequence[int]) -> list[ArticleRow]:
        """List rows of ``ids`` (at most a page), in the order given."""
        found: dict[int, ArticleRow] = {}
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            sql = (
                f"SELECT {_ROW_COLUMNS} FROM articles a JOIN feeds f ON f.id = a.feed_id "
                f"WHERE a.id IN ({','.join('?' * len(chunk))})"
            )
            found.update((row.id, row) for row in self._article_rows(sql, chunk))
        return [found[id] for id in ids if id in found]

    def position(self, query: ListQuery, article_id: int) -> int | None:
        """Row index of an article in ``query``'s order, or None if it is not listed."""
        where, params = self._where(query)
        order = _order(query)
        sql = (
            f"SELECT n FROM (SELECT a.id AS id, row_number() OVER (ORDER BY {order}) - 1 AS n "
            f"FROM articles a JOIN feeds f ON f.id = a.feed_id WHERE {where}) WHERE id = ?"
        )
        found = self._read(sql, [*params, article_id])
        return found[0][0] if found else None

    def next_unread(
        self, query: ListQuery, index: int, step: int, *, at: int | None = None
    ) -> int | None:
        """Row index of the nearest unread article after (step 1) or before (step -1) ``index``;
        ``at``: the id of the article shown at ``index``, which spares finding that row
        (counting 50k rows to the middle of 100k took 20-30 ms)."""
        if query.sort == "date" and index >= 0:
            found = self._next_unread_by_date(query, index, step, at)
            if found != -1:
                return found
        return self._next_unread_in_pages(query, index, step)

    def _next_unread_in_pages(self, query: ListQuery, index: int, step: int) -> int | None:
        """:meth:`next_unread` where no key leads to the row at ``index`` (the list sorted
        by feed, or ``index`` outside the list): the read marks of the rows beyond it, a
        stretch at a time, each read as a page is (numbering the whole list took ~280 ms
        at 100k). Stretches grow, so a long run of read articles is crossed in a few reads.
        """
        where, params = self._where(query)
        sql = (
            f"SELECT a.read FROM {self._page_source(query)} WHERE {where} "
            f"ORDER BY {_order(query)} LIMIT ? OFFSET ?"
        )
        size, start, end = 256, max(index + 1, 0), max(index, 0)
        while step > 0:
            marks = self._read(sql, [*params, size, start])
            unread = next((n for n, (read,) in enumerate(marks) if not read), None)
            if unread is not None:
                return start + unread
            if len(marks) < size:
                return None
            start, size = start + size, min(size * 4, 16384)
        while end > 0:
            start = max(end - size, 0)
            marks = self._read(sql, [*params, end - start, start])
            unread = next((n for n in range(len(marks) - 1, -1, -1) if not marks[n][0]), None)
            if unread is not None:
                return start + unread
            end, size = start, min(size * 4, 16384)
        return None

    def _next_unread_by_date(
        self, query: ListQuery, index: int, step: int, at: int | None
    ) -> int | None:
        """:meth:`next_unread` by keys, not by numbering the whole list (~1 ms, not ~60 ms,
        at 100k): the row at ``index``, the nearest unread beyond it, the rows between.

        -1 when ``index`` is past the end (:meth:`_next_unread_in_pages` decides then).
        """
        where, params = self._where(query)
        base = f"FROM {self._page_source(query)} WHERE {where}"
        here = None
        if at is not None:
            here = self._read("SELECT sort_key, id FROM articles WHERE id = ?", [at])
        if not here:
            here = self._read(
                f"SELECT a.sort_key, a.id {base} ORDER BY a.sort_key DESC, a.id DESC "
                "LIMIT 1 OFFSET ?",
                [*params, index],
            )
        if not here:
            return -1
        beyond, direction = ("<", "DESC") if step > 0 else (">", "ASC")
        found = self._read(
            f"SELECT a.sort_key, a.id {base} AND a.read = 0 AND (a.sort_key, a.id) {beyond} (?, ?) "
            f"ORDER BY a.sort_key {direction}, a.id {direction} LIMIT 1",
            [*params, *here[0]],
        )
        if not found:
            return None
        low, high = (found[0], here[0]) if step > 0 else (here[0], found[0])
        between = self._read(
            f"SELECT count(*) {base} "
            "AND (a.sort_key, a.id) > (?, ?) AND (a.sort_key, a.id) < (?, ?)",
            [*params, *low, *high],
        )[0][0]
        return index + between + 1 if step > 0 else index - between - 1

    def _page_source(self, query: ListQuery) -> str:
        """FROM (articles ``a``, their feeds ``f``) for a page of the list, read in list
        order from an index and stopped after the page, not sorting a big view.

        A search in date order walks the list index from the newest article (its matches
        are tested on the way); in one feed or the starred articles it walks their own
        index. Sorted by feed, the feeds are walked in the order of their names and each
        one's articles in its own index (sorting 100k articles by feed took 65 ms for the
        first page, ~500 ms for the last). A small section is read feed by feed and
        sorted (walking the list index for a section of 200 among 100k articles took
        15-37 ms a page, 47-59 ms in a search).
        """
        if query.search and (narrow := _narrow_index(query)):
            return f"articles a INDEXED BY {narrow} JOIN feeds f ON f.id = a.feed_id"
        if query.sort == "feed" and not _narrow_index(query):
            return _BY_FEED_NAME
        if query.section is not None and query.section in self._small_sections:
            return _FEEDS_THEN_ARTICLES
        if query.search:
            return "articles a INDEXED BY articles_list JOIN feeds f ON f.id = a.feed_id"
        return "articles a JOIN feeds f ON f.id = a.feed_id"

    def _read(self, sql: str, params: Sequence[object]) -> list[tuple]:
        try:
            return self.db.execute(sql, params).fetchall()
        except sqlite3.OperationalError as error:
            if "fts5" in str(error) or "articles_fts" in str(error):
                raise StoreError(f"search: {error}") from None
            raise

    # -- one article --------------------------------------------------------------------

    def article(self, article_id: int) -> Article | None:
        """An article with everything the reading pane needs."""
        row = self.db.execute(
            """SELECT a.id, a.feed_id, a.guid, a.url, a.title, a.author, a.published, a.summary,
                   a.content, a.full_markdown, a.read, a.starred,
                   coalesce(nullif(f.name, ''), nullif(f.title, ''), f.url, ''), a.related,
                   a.full_fetched
            FROM articles a LEFT JOIN feeds f ON f.id = a.feed_id WHERE a.id = ?""",
            (article_id,),
        ).fetchone()
        if row is None:
            return None
        return Article(
            *row[:10],
            read=bool(row[10]),
            starred=bool(row[11]),
            feed_name=short_url(row[12]),
            related=_decode_related(row[13]),
            full_fetched=row[14],
        )

    def article_by_url(self, url: str) -> Article | None:
        """The cached article at ``url`` (a feed item or a followed page), preferring full text."""
        row = self.db.execute(
            "SELECT id FROM articles WHERE url = ? ORDER BY full_fetched IS NULL, id LIMIT 1",
            (url,),
        ).fetchone()
        return self.article(row[0]) if row else None

    def set_read(self, article_ids: Sequence[int], read: bool = True) -> None:
        """Mark articles read or unread."""
        with self._save():
            self.db.executemany(
                "UPDATE articles SET read = ? WHERE id = ?",
                [(int(read), article_id) for article_id in article_ids],
            )

    def set_read_in_batches(
        self, article_ids: Sequence[int], read: bool = True, batch: int = MARK_BATCH
    ) -> Iterator[int]:
        """:meth:`set_read` for many articles, one transaction per ``batch`` of them, so
        other writers (the app's own marks, a refresh) get their turn in between; yields
        how many are saved so far."""
        for start in range(0, len(article_ids), batch):
            self.set_read(article_ids[start : start + batch], read)
            yield min(start + batch, len(article_ids))

    def set_starred(self, article_id: int, starred: bool) -> None:
        """Star or unstar an article."""
        with self._save():
            self.db.execute(
                "UPDATE articles SET starred = ? WHERE id = ?", (int(starred), article_id)
            )

    def unread_ids(self, query: ListQuery, limit: int = -1) -> list[int]:
        """Ids of the unread articles ``query`` selects (for mark-all-read with undo), at
        most ``limit`` of them (-1: all)."""
        where, params = self._where(query)
        sql = (
            f"SELECT a.id FROM articles a JOIN feeds f ON f.id = a.feed_id "
            f"WHERE {where} AND a.read = 0 LIMIT ?"
        )
        return [row[0] for row in self._read(sql, [*params, limit])]

    def save_full_text(self, article_id: int, body: ArticleBody) -> None:
        """Cache the extracted page of a feed article so it reads offline."""
        with self._save():
            self.db.execute(
                "UPDATE articles SET full_markdown = ?, related = ?, full_fetched = ?, "
                "author = CASE WHEN author = '' THEN ? ELSE author END WHERE id = ?",
                (
                    body.markdown,
                    _encode_related(body.related),
                    time.time(),
                    body.author,
                    article_id,
                ),
            )

    def save_page(self, body: ArticleBody) -> Article:
        """Cache a followed page that is in no feed (a NEXT or related link) as an article."""
        existing = self.article_by_url(body.url)
        if existing is not None:
            self.save_full_text(existing.id, body)
            return self.article(existing.id)  # type: ignore[return-value]
        now = time.time()
        published = _iso_to_unix(body.published)
        with self._save():
            before = self._highest_id()
            cursor = self.db.execute(
                """INSERT INTO articles(feed_id, guid, url, title, author, published,
                       full_markdown, full_fetched, related, read, first_seen, sort_key)
                   VALUES(NULL, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)
                   ON CONFLICT(coalesce(feed_id, 0), guid) DO UPDATE SET
                       full_markdown = excluded.full_markdown, related = excluded.related,
                       full_fetched = excluded.full_fetched, title = excluded.title""",
                (
                    body.url,
                    body.url,
                    body.title,
                    body.author,
                    published,
                    body.markdown,
                    now,
                    _encode_related(body.related),
                    now,
                    published or now,
                ),
            )
            article_id = cursor.lastrowid
            self._queue_new(before)
        found = self.article_by_url(body.url)
        assert found is not None, article_id
        return found

    def articles_needing_full_text(self, limit: int) -> list[tuple[int, str]]:
        """(id, url) of recent feed articles whose page is not cached yet (for prefetching)."""
        return self.db.execute(
            "SELECT id, url FROM articles WHERE full_fetched IS NULL AND feed_id IS NOT NULL "
            "AND url LIKE 'http%' ORDER BY sort_key DESC LIMIT ?",
            (limit,),
        ).fetchall()

    def prune(self, keep_days: int = 0, keep_per_feed: int = 0) -> int:
        """Delete old unstarred articles; return how many went."""
        removed = 0
        with self._write():
            if keep_days:
                cursor = self.db.execute(
                    "DELETE FROM articles WHERE starred = 0 AND sort_key < ?",
                    (time.time() - keep_days * 86400,),
                )
                removed += cursor.rowcount
            if keep_per_feed:
                cursor = self.db.execute(
                    """DELETE FROM articles WHERE starred = 0 AND id IN (
                        SELECT id FROM (SELECT id, row_number() OVER (
                            PARTITION BY feed_id ORDER BY sort_key DESC, id DESC) AS n
                        FROM articles WHERE feed_id IS NOT NULL) WHERE n > ?)""",
                    (keep_per_feed,),
                )
                removed += cursor.rowcount
        return removed


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on error, so writers queue instead
    of failing. ``readable``: an operational failure (locked, disk full, read-only) is
    raised as a :class:`StoreError` with a reason a user can act on."""

    def __init__(self, db: sqlite3.Connection, *, readable: bool = False) -> None:
        self.db = db
        self.readable = readable

    def __enter__(self) -> None:
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            if self.readable:
                raise StoreError(cache_failure(error)) from None
            raise

    def __exit__(self, kind: object, error: BaseException | None, trace: object) -> None:
        failed = error
        if kind is None:
            try:
                self.db.execute("COMMIT")
                return
            except sqlite3.OperationalError as commit_error:  # disk full, locked
                failed = commit_error
        if self.db.in_transaction:  # SQLite may have rolled back already (disk full)
            self.db.execute("ROLLBACK")
        if self.readable and isinstance(failed, sqlite3.OperationalError):
            raise StoreError(cache_failure(failed)) from None
        if failed is not error:
            raise failed  # type: ignore[misc]


def cache_failure(error: sqlite3.Error) -> str:
    """Why a write to the cache failed, as a user is told it."""
    text = str(error)
    lowered = text.lower()
    if "locked" in lowered or "busy" in lowered:
        return f"another program is writing to the cache; try again ({text})"
    if "full" in lowered:
        return f"the disk is full ({text})"
    if "readonly" in lowered or "read-only" in lowered:
        return f"the cache cannot be written ({text})"
    return text


#: Articles read feed by feed: the feeds first (few), then each one's articles from its
#: index; ``_BY_FEED_NAME`` walks the feeds in the order of their names.
_EACH_FEEDS_ARTICLES = "CROSS JOIN articles a INDEXED BY articles_by_feed ON a.feed_id = f.id"
_FEEDS_THEN_ARTICLES = f"feeds f {_EACH_FEEDS_ARTICLES}"
_BY_FEED_NAME = f"feeds f INDEXED BY feeds_by_name {_EACH_FEEDS_ARTICLES}"


def _source(query: ListQuery) -> str:
    """FROM (articles ``a``, their feeds ``f``) for counting and listing ids: a search
    starts from its matches and reads their sort keys and flags from the narrow
    ``articles_search`` index, not the wide rows; in one feed, a section or the starred
    articles it starts from those and tests them against the matches (see
    :func:`_tests_matches`)."""
    if query.search:
        if narrow := _narrow_index(query):
            return f"articles a INDEXED BY {narrow} JOIN feeds f ON f.id = a.feed_id"
        if query.section is not None:
            return _FEEDS_THEN_ARTICLES
        return (
            "temp.search_hits h CROSS JOIN articles a INDEXED BY articles_search "
            "ON a.id = h.id JOIN feeds f ON f.id = a.feed_id"
        )
    return "articles a JOIN feeds f ON f.id = a.feed_id"


def _narrow_index(query: ListQuery) -> str | None:
    """The index of a search's view when the view is usually small (one feed, the starred
    articles): its articles are tested against the matches, not the other way round.
    "season" in one feed of 100k articles: counted in 20 ms from its 34k matches; its
    page 8.6 ms walking the list index for the feed's articles."""
    if query.feed_id is not None:
        return "articles_by_feed"
    if query.starred_only:
        return "articles_starred"
    return None


def _tests_matches(query: ListQuery) -> bool:
    """Whether :func:`_source` of a search starts from the view's articles (one feed, a
    section, the starred ones), which are then tested against the matches ("season" in
    a section of 200 articles among 100k: counted in 39 ms from its 34k matches)."""
    return bool(query.search) and (_narrow_index(query) is not None or query.section is not None)


def _order(query: ListQuery, *, reverse: bool = False) -> str:
    """ORDER BY terms of the list: newest first, or feed by feed in the order of their
    names (feeds of the same name one after the other), each one's newest first;
    ``reverse``: from the end of the list."""
    up, down = ("DESC", "ASC") if reverse else ("ASC", "DESC")
    order = f"a.sort_key {down}, a.id {down}"
    if query.sort == "feed":
        order = f"{_FEED_NAME_KEY} {up}, f.id {up}, {order}"
    return order


def _article_rows(feed_id: int, entries: Sequence[ParsedEntry], now: float) -> list[list]:
    """The rows :meth:`Store.save_feed` inserts: one per guid.

    A guid the document repeats is merged here as the upsert would merge it (a copy whose
    text differs replaces the text, and its date if it has one), so no row is inserted and
    updated in one statement: the update would take from the search index a row not in it.
    """
    latest = now + FUTURE_SLACK
    rows: dict[str, list] = {}
    for position, entry in enumerate(entries):
        published = entry.published
        if published is not None and published > latest:
            published = None
        row = rows.get(entry.guid)
        if row is None:
            # first_seen keeps the feed's order among undated items: 1 ms apart.
            rows[entry.guid] = [
                feed_id,
                entry.guid,
                entry.url,
                entry.title,
                entry.author,
                published,
                entry.summary,
                entry.content,
                now - position * 1e-3,
            ]
        elif row[2:5] + row[6:8] != [
            entry.url,
            entry.title,
            entry.author,
            entry.summary,
            entry.content,
        ]:
            row[2:5] = entry.url, entry.title, entry.author
            row[6:8] = entry.summary, entry.content
            if published is not None:
                row[5] = published
    return list(rows.values())


def _encode_related(links: Sequence[RelatedLink]) -> str:
    return json.dumps([[link.kind, link.label, link.url] for link in links])


def _decode_related(text: str) -> tuple[RelatedLink, ...]:
    if not text:
        return ()
    try:
        return tuple(RelatedLink(*item) for item in json.loads(text))
    except (ValueError, TypeError):
        return ()


def _iso_to_unix(value: str) -> float | None:
    from datetime import UTC, datetime

    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def _use_wal(db: sqlite3.Connection, wait: float = 10.0) -> None:
    """Switch a cache to WAL. While another connection is writing to the file (two first
    runs at once, or a cache being rebuilt), SQLite answers "database is locked" at once,
    without waiting its busy timeout (it would deadlock): wait and ask again."""
    deadline = time.monotonic() + wait
    while True:
        try:
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
