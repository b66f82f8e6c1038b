"""A bounded, deterministic fuzz run of feed -> cache -> screen over mutated fixture feeds.

Each case mutates a real feed (tests/data/hostile/fuzz, copied from ../shared/fixtures) a
few times with a fixed seed: flipped and replaced bytes, cuts, repeats, and hostile
snippets (control sequences, markup, entities, deep nesting, huge text). Every case must
parse or fail with :class:`ParseError`, store, and render with nothing unsafe left; then
the app opens a sample of the cached articles and the screen is checked.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.conftest import DATA
from tests.robust_support import INJECTION, MARKUP, forbidden_in, screen_text
from tui.core.errors import ParseError
from tui.core.models import ListQuery
from tui.core.parse import parse_feed
from tui.core.render import render_article
from tui.core.sanitize import clean_line
from tui.core.store import Store

SEED = 20240611
CASES = 400
CORPUS = sorted((DATA / "hostile" / "fuzz").iterdir())
SNIPPETS = [
    INJECTION.encode("utf-8", "surrogatepass"),
    *(markup.encode() for markup in MARKUP),
    b"&#x1b;]0;PWNED&#x7;",
    b"&#xD800;&#x110000;&#99999999999999999999;&#0;",
    b"<![CDATA[\x1b[2J\xc2\x9b2J]]>",
    b"<!DOCTYPE rss [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;'>]>",
    b"&a;&b;&lol;&nbsp;&amp;&#38;",
    b"<div>" * 300 + b"deep" + b"</div>" * 300,
    b"&lt;div&gt;" * 300,
    b"<a href='javascript:alert(1)'>x</a><a href='//evil.invalid/'>y</a>",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\x00\x00\x00",
    b"\xc3\x28\xa0\xa1\xe2\x28\xa1\xf0\x28\x8c\xbc",
    b"</item><item><title>",
    b"</entry><entry><title>",
    b'"},{"title":"\\u001b]0;x\\u0007","id":"',
    b"W" * 20000,
    b"\xe2\x80\xae\xe2\x81\xa6",
]


def mutate(data: bytes, rng: random.Random) -> bytes:
    """Apply one to three random mutations."""
    for _ in range(rng.randint(1, 3)):
        kind = rng.randrange(6)
        at = rng.randrange(len(data) + 1)
        if kind == 0 and data:  # flip bits in a few bytes
            buffer = bytearray(data)
            for _ in range(rng.randint(1, 8)):
                buffer[rng.randrange(len(buffer))] ^= 1 << rng.randrange(8)
            data = bytes(buffer)
        elif kind == 1:  # insert a hostile snippet
            data = data[:at] + rng.choice(SNIPPETS) + data[at:]
        elif kind == 2:  # cut the document
            data = data[:at]
        elif kind == 3 and data:  # repeat a slice
            end = min(len(data), at + rng.randint(1, 400))
            data = data[:end] + data[at:end] * rng.randint(1, 5) + data[end:]
        elif kind == 4:  # delete a slice
            data = data[:at] + data[at + rng.randint(1, 200) :]
        else:  # replace a byte with an interesting one
            if data:
                spot = rng.randrange(len(data))
                byte = rng.choice(b"\x00\x1b\x7f\x80\x9b\xc2\xe2\xef\xff<>&\"'")
                data = data[:spot] + bytes([byte]) + data[spot + 1 :]
    return data


def cases() -> list[tuple[str, bytes]]:
    rng = random.Random(SEED)
    originals = [(path.name, path.read_bytes()) for path in CORPUS]
    return [
        (name, mutate(body, rng)) for name, body in (rng.choice(originals) for _ in range(CASES))
    ]


def _showing(app) -> int | None:
    """The id of the article the reading pane shows."""
    current = app.screen.history.current
    return current.article_id if current else None


@pytest.fixture(scope="module")
def fuzzed_cache(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    """Every mutated case parsed, stored and rendered; the cache and what happened."""
    cache = tmp_path_factory.mktemp("fuzz") / "cache.sqlite3"
    store = Store(cache)
    outcome = {"parsed": 0, "refused": 0, "articles": 0}
    for number, (name, body) in enumerate(cases()):
        url = f"http://fuzz.example/{number}/{name}"
        try:
            parsed = parse_feed(body, url)
        except ParseError as error:
            assert str(error), name
            outcome["refused"] += 1
            continue
        outcome["parsed"] += 1
        assert not forbidden_in(parsed.title), (number, name)
        feed_id = store.feed_fetch_state(url)[0]
        store.save_feed(feed_id, parsed)
        for row in store.rows(ListQuery(feed_id=feed_id), 0, 50):
            article = store.article(row.id)
            assert article is not None
            rendered = render_article(article)
            for text in (rendered.markdown, clean_line(row.title), *rendered.headings):
                assert not forbidden_in(text), (number, name, forbidden_in(text))
            for link in rendered.related:
                assert link.url.startswith(("http://", "https://")), (number, link)
                assert not forbidden_in(link.label)
            outcome["articles"] += 1
    store.close()
    return cache, outcome


def test_fuzzed_feeds_parse_store_and_render_cleanly(
    fuzzed_cache: tuple[Path, dict[str, int]],
) -> None:
    _, outcome = fuzzed_cache
    assert outcome["parsed"] + outcome["refused"] == CASES
    # The run means something only if most mutants still reach the cache and the screen.
    assert outcome["parsed"] > CASES // 2, outcome
    assert outcome["articles"] > CASES // 2, outcome


async def test_the_app_shows_fuzzed_articles(
    fuzzed_cache: tuple[Path, dict[str, int]], tmp_path: Path
) -> None:
    from tests.apphelpers import wait_for
    from tui.app import TvnewsApp
    from tui.config import Config, FeedConfig, Settings
    from tui.widgets.article_list import ArticleList
    from tui.widgets.reading_pane import ReadingPane

    cache, _ = fuzzed_cache
    copy = tmp_path / "cache.sqlite3"
    copy.write_bytes(cache.read_bytes())
    store = Store(copy)
    urls = [feed.url for feed in store.feeds(active_only=False)]
    # As if every page were fetched already: opening an article makes no request.
    store.db.execute("UPDATE articles SET full_fetched = 1")
    store.close()
    config = Config(
        path=None,
        settings=Settings(refresh_on_start=False, auto_refresh_minutes=0, mark_read_on_open=False),
        feeds=tuple(FeedConfig(url=url) for url in urls),
    )
    app = TvnewsApp(config, copy)
    rng = random.Random(SEED)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        article_list = app.screen.query_one(ArticleList)
        pane = app.screen.query_one(ReadingPane)
        assert article_list.total > 100
        picks = sorted(rng.sample(range(article_list.total), 24))
        for step, index in enumerate(picks):
            await pilot.press("escape")  # back to the list
            article_list.move_to(index)
            await pilot.pause()
            row = article_list.row(index)
            assert row is not None
            await pilot.press("enter")
            await wait_for(pilot, lambda at=row.id: _showing(app) == at)
            assert pane.markdown.startswith("# ")
            if step % 6 == 0:
                await pilot.pause()
                screen_text(app)  # fails on any forbidden character on screen
        assert app.is_running
        await pilot.press("q")
