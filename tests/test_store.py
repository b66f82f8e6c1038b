"""The SQLite cache: migrations, WAL, no duplicates, read/starred state kept."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from tui.core.errors import StoreError
from tui.core.models import ListQuery, ParsedEntry, ParsedFeed
from tui.core.store import SCHEMA_VERSION, Store


def entry(guid: str, title: str = "", published: float | None = 1_700_000_000.0) -> ParsedEntry:
    return ParsedEntry(guid, f"https://example.com/{guid}", title or guid, "", published, "s", "")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "cache.sqlite3")
    store.sync_feeds([("https://example.com/feed", "Example", "TV News")])
    return store


def feed_id(store: Store) -> int:
    return store.feed_fetch_state("https://example.com/feed")[0]


def test_new_cache_is_versioned_and_in_wal_mode(tmp_path: Path) -> None:
    Store(tmp_path / "c.sqlite3").close()
    db = sqlite3.connect(tmp_path / "c.sqlite3")
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA application_id").fetchone()[0] == 0x74766E77


def test_refresh_never_duplicates_and_keeps_read_and_starred(store: Store) -> None:
    fid = feed_id(store)
    first = ParsedFeed("Example", "", (entry("a"), entry("b", published=1_700_000_100.0)))
    assert store.save_feed(fid, first) == 2
    rows = store.rows(ListQuery(), 0, 10)
    assert [row.title for row in rows] == ["b", "a"]
    store.set_read([rows[0].id], True)
    store.set_starred(rows[1].id, True)
    changed = ParsedFeed("Example", "", (entry("a", "a, updated"), entry("c")))
    assert store.save_feed(fid, changed) == 1
    rows = {row.title: row for row in store.rows(ListQuery(), 0, 10)}
    assert set(rows) == {"a, updated", "b", "c"}, "dropped articles stay cached"
    assert rows["b"].read and not rows["b"].starred
    assert rows["a, updated"].starred and not rows["a, updated"].read
    assert store.count(ListQuery()) == 3
    assert store.count(ListQuery(unread_only=True)) == 2
    assert store.count(ListQuery(starred_only=True)) == 1


def test_a_count_also_finds_how_many_of_its_articles_are_unread(tmp_path: Path) -> None:
    """One pass counts a view's articles and its unread ones; the unread count is given
    for the same view (read ones shown or not, any sort) and for no other."""
    store = Store(tmp_path / "cache.sqlite3")
    store.sync_feeds([("https://a.example/feed", "A", "News"), ("https://b.example/feed", "B", "")])
    a, b = (store.feed_fetch_state(f"https://{n}.example/feed")[0] for n in "ab")
    store.save_feed(a, ParsedFeed("A", "", tuple(entry(f"a{n}") for n in range(5))))
    store.save_feed(b, ParsedFeed("B", "", tuple(entry(f"b{n}") for n in range(3))))
    rows = store.rows(ListQuery(feed_id=a), 0, 10)
    store.set_read([rows[0].id, rows[1].id], True)
    store.set_starred(rows[2].id, True)
    views = [
        ListQuery(),
        ListQuery(feed_id=a),
        ListQuery(feed_id=b),
        ListQuery(section="News"),
        ListQuery(starred_only=True),
        ListQuery(sort="feed"),
    ]
    for view in views:
        unread = replace(view, unread_only=True)
        for query in (view, unread):
            assert store.count(query) == len(store.ids(query))
            assert store.unread_counted(unread) == len(store.ids(unread)), query
        assert store.unread_counted(replace(unread, feed_id=-1)) is None
    assert store.unread_counted(ListQuery(unread_only=True, search="a0")) is None
    store.close()


def test_the_starred_view_reads_the_starred_articles_alone(store: Store) -> None:
    """The starred view's page and count read an index of the starred articles, not the
    list index of all of them (3 starred among 100k: a page took 15 ms, the count 10)."""
    entries = tuple(entry(f"g{n}", published=1_700_000_000.0 + n) for n in range(50))
    store.save_feed(feed_id(store), ParsedFeed("Example", "", entries))
    rows = store.rows(ListQuery(), 0, 50)
    for row in rows[10:13]:
        store.set_starred(row.id, True)
    query = ListQuery(starred_only=True)
    assert [row.title for row in store.rows(query, 0, 10)] == ["g39", "g38", "g37"]
    assert store.count(query) == 3
    where, params = store._where(query)
    for sql in (
        f"SELECT a.id FROM articles a JOIN feeds f ON f.id = a.feed_id WHERE {where} "
        "ORDER BY a.sort_key DESC, a.id DESC LIMIT 10",
        f"SELECT count(*) FROM articles a JOIN feeds f ON f.id = a.feed_id WHERE {where}",
    ):
        plan = " ".join(row[3] for row in store.db.execute(f"EXPLAIN QUERY PLAN {sql}", params))
        assert "articles_starred" in plan, plan


def test_the_list_sorted_by_feed_is_read_feed_by_feed_from_the_indexes(tmp_path: Path) -> None:
    """Sorted by feed, the list is each feed's articles, newest first, the feeds in the
    order of their names (case aside; feeds of the same name one after the other). A page
    walks the feeds by name and each one's articles in its index, from either end: sorting
    100k articles for every page took 65 ms at the top and ~500 near the end."""
    from tui.core.store import _order

    store = Store(tmp_path / "cache.sqlite3")
    feeds = [("bravo", "Bravo", "News"), ("alpha", "alpha", ""), ("notitle", "", "News")]
    feeds += [("same1", "Same", "News"), ("same2", "Same", "")]
    store.sync_feeds((f"https://{key}.example/feed", name, section) for key, name, section in feeds)
    for n, (key, _name, _section) in enumerate(feeds):
        entries = tuple(entry(f"{key}{i}", published=1_700_000_000.0 + 7 * i - n) for i in range(3))
        feed = store.feed_fetch_state(f"https://{key}.example/feed")[0]
        store.save_feed(feed, ParsedFeed("Charlie", "", entries))
    query = ListQuery(sort="feed")
    titles = [row.title for row in store.rows(query, 0, 20)]
    order = ["alpha", "bravo", "notitle", "same1", "same2"]  # "notitle" is named Charlie
    assert titles == [f"{key}{i}" for key in order for i in (2, 1, 0)]
    assert [row.title for row in store.rows(query, 9, 6, total=15)] == titles[9:]
    views = [query, ListQuery(sort="feed", unread_only=True)]
    views += [ListQuery(sort="feed", section="News"), ListQuery(sort="feed", search="same1")]
    for view in views:
        where, params = store._where(view)
        for reverse in (False, True):
            sql = (
                f"SELECT a.id FROM {store._page_source(view)} WHERE {where} "
                f"ORDER BY {_order(view, reverse=reverse)} LIMIT 5"
            )
            steps = store.db.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
            plan = " / ".join(row[3] for row in steps)
            assert "feeds_by_name" in plan and "TEMP B-TREE" not in plan, plan
    store.close()


def test_a_small_section_is_listed_by_sorting_its_articles(tmp_path: Path) -> None:
    """A section's page walked the list index newest first until it had the section's
    rows: for 200 articles among 100k, 15-37 ms a page. A section of at most
    SORT_SECTION_AT_MOST articles is now read feed by feed from their index and sorted;
    a bigger one still walks the list index (sorting it would cost more)."""
    from tui.core.store import SORT_SECTION_AT_MOST

    store = Store(tmp_path / "cache.sqlite3")
    urls = [f"https://{n}.example/feed" for n in ("big", "small1", "small2", "other")]
    store.sync_feeds(zip(urls, ("", "", "", ""), ("Big", "Small", "Small", ""), strict=True))
    sizes = (SORT_SECTION_AT_MOST + 1, 40, 30, 50)
    for number, (url, size) in enumerate(zip(urls, sizes, strict=True)):
        entries = tuple(entry(f"{number}-{n}", None, 1.7e9 + 3 * n + number) for n in range(size))
        store.save_feed(store.feed_fetch_state(url)[0], ParsedFeed("F", "", entries))
    for section, total in (("Small", 70), ("Big", SORT_SECTION_AT_MOST + 1)):
        for view in (ListQuery(section=section), ListQuery(section=section, unread_only=True)):
            expected = store.ids(view)
            assert store.count(view) == len(expected) == total
            pages = [store.rows(view, offset, 16, total=total) for offset in range(0, 96, 16)]
            assert [row.id for page in pages for row in page] == expected[:96]
            plan = " / ".join(
                row[3]
                for row in store.db.execute(
                    f"EXPLAIN QUERY PLAN SELECT a.id FROM {store._page_source(view)} "
                    "WHERE f.section = ? ORDER BY a.sort_key DESC, a.id DESC LIMIT 16",
                    [section],
                )
            )
            sorted_here = plan.startswith("SCAN f") and "TEMP B-TREE" in plan
            assert sorted_here == (section == "Small"), plan
    store.close()


def test_a_feed_known_only_by_its_url_is_named_alike_everywhere(tmp_path: Path) -> None:
    """No name in feeds.toml, no title in the feed: the list, the article and the
    sidebar (FeedState) all name it by its URL without the scheme."""
    store = Store(tmp_path / "cache.sqlite3")
    url = "https://www.example.com/feed.xml"
    store.sync_feeds([(url, "", "")])
    store.save_feed(store.feed_fetch_state(url)[0], ParsedFeed("", "", (entry("a"),)))
    row = store.rows(ListQuery(), 0, 10)[0]
    article = store.article(row.id)
    assert article is not None
    assert row.feed_name == article.feed_name == store.feeds()[0].display_name
    assert row.feed_name == "example.com/feed.xml"
    store.close()


def test_paging_and_positions(store: Store) -> None:
    entries = tuple(entry(f"g{n:03}", published=1_600_000_000.0 + n) for n in range(300))
    store.save_feed(feed_id(store), ParsedFeed("Example", "", entries))
    page = store.rows(ListQuery(), 256, 256)
    assert len(page) == 44
    assert page[0].title == "g043"
    assert store.position(ListQuery(), page[0].id) == 256
    store.set_read([row.id for row in store.rows(ListQuery(), 0, 10)], True)
    assert store.next_unread(ListQuery(), 0, 1) == 10
    assert store.next_unread(ListQuery(), 12, -1) == 11


def test_many_marks_are_saved_in_batches_each_committed(store: Store) -> None:
    entries = tuple(entry(f"g{n}") for n in range(5))
    store.save_feed(feed_id(store), ParsedFeed("Example", "", entries))
    ids = store.unread_ids(ListQuery())
    assert store.unread_ids(ListQuery(), 2) == ids[:2], "a limit reads no more than asked"
    marking = store.set_read_in_batches(ids, True, batch=2)
    assert next(marking) == 2
    other = Store(store.path)  # what another connection sees: the first batch, committed
    assert other.count(ListQuery(unread_only=True)) == 3
    assert list(marking) == [4, 5]
    assert other.count(ListQuery(unread_only=True)) == 0
    other.close()


def test_future_dates_do_not_pin_articles_on_top(store: Store) -> None:
    entries = (entry("future", published=4_000_000_000.0), entry("now", published=1_700_000_000.0))
    store.save_feed(feed_id(store), ParsedFeed("Example", "", entries))
    article = store.article(store.rows(ListQuery(), 0, 1)[0].id)
    assert article is not None and article.published != 4_000_000_000.0


def test_cache_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    Store(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="newer tvnews"):
        Store(path)


def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError):
        Store(path)


def deep_store(tmp_path: Path) -> tuple[Store, int]:
    """6,500 articles in three feeds (one no longer configured), many on the same date."""
    import random

    store = Store(tmp_path / "deep.sqlite3")
    urls = [f"https://example.com/{name}" for name in ("one", "two", "gone")]
    store.sync_feeds([(url, url[-3:], "") for url in urls])
    rng = random.Random(7)
    for number, url in enumerate(urls):
        entries = tuple(
            entry(
                f"{number}-{n}",
                f"{'common ' if n % 13 else ''}story {n}",
                rng.choice([1.7e9, 1.7e9 + 60, 1.7e9 + n, None]),
            )
            for n in range(2_500 if number < 2 else 1_500)
        )
        store.save_feed(store.feed_fetch_state(url)[0], ParsedFeed(url, "", entries))
    store.sync_feeds([(url, url[-3:], "") for url in urls[:2]])
    ids = store.ids(ListQuery())
    store.set_read([i for i in ids if rng.random() < 0.4], True)
    return store, store.feed_fetch_state(urls[0])[0]


def test_pages_found_from_their_neighbours_or_the_end_match_pages_counted_from_the_top(
    tmp_path: Path,
) -> None:
    from tui.screens.main import StoreRows

    store, first_feed = deep_store(tmp_path)
    queries = [
        ListQuery(),
        ListQuery(unread_only=True),
        ListQuery(feed_id=first_feed),
        ListQuery(search="common"),  # more matches than are put in order at once
        ListQuery(search="common", unread_only=True),
        ListQuery(sort="feed"),
    ]
    limit = 256
    for query in queries:
        source = StoreRows(store, query)
        total = source.count()
        expected = store.ids(query)
        assert total == len(expected) > 2 * limit, query
        offsets = list(range(0, total, limit))
        walks = [offsets, offsets[::-1], [offsets[-1], offsets[len(offsets) // 2], 0]]
        for walk in walks:
            source.count()  # forget the pages read so far
            for offset in walk:
                got = [row.id for row in source.rows(offset, limit)]
                assert got == expected[offset : offset + limit], (query, offset)
    assert store.rows_next_to(ListQuery(), 10**9, limit) is None, "a deleted article"


def test_failing_feeds_name_each_active_feed_whose_last_fetch_failed(store: Store) -> None:
    store.sync_feeds(
        [
            ("https://b.example/feed.xml", "Bravo", ""),
            ("https://a.example/feed.xml", "", ""),
            ("https://c.example/rss", "", ""),
            ("https://ok.example/feed.xml", "Fine", ""),
            ("https://gone.example/feed.xml", "Gone", ""),
        ]
    )
    ids = {url: store.feed_fetch_state(url)[0] for url in (
        "https://b.example/feed.xml", "https://a.example/feed.xml", "https://c.example/rss",
        "https://gone.example/feed.xml",
    )}  # fmt: skip
    for url, feed in ids.items():
        store.record_failure(feed, f"HTTP 404 Not Found ({url[8:9]})")
    store.save_feed(ids["https://a.example/feed.xml"], ParsedFeed("Alpha's own title", "", ()))
    store.record_failure(ids["https://a.example/feed.xml"], "timed out")
    store.sync_feeds(
        [(url, name, "") for url, name in (
            ("https://b.example/feed.xml", "Bravo"), ("https://a.example/feed.xml", ""),
            ("https://c.example/rss", ""), ("https://ok.example/feed.xml", "Fine"),
        )]
    )  # fmt: skip
    assert store.failing_feeds() == [
        ("https://a.example/feed.xml", "Alpha's own title", "timed out"),
        ("https://b.example/feed.xml", "Bravo", "HTTP 404 Not Found (b)"),
        ("https://c.example/rss", "c.example/rss", "HTTP 404 Not Found (c)"),
    ]
    failing = [(f.url, f.display_name, f.last_error) for f in store.feeds() if f.last_error]
    assert failing == store.failing_feeds(), "the same as from feeds(), without the counts"
