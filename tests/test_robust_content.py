"""Hostile content: encodings, huge and deeply nested fields, missing fields, odd dates, bad files.

Each feed goes the whole way: bytes -> parse_feed -> the cache -> render_article and the list.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.conftest import DATA
from tests.robust_support import forbidden_in, screen_text
from tui.core.errors import ParseError
from tui.core.models import ListQuery, ParsedFeed
from tui.core.parse import parse_feed
from tui.core.render import render_article
from tui.core.store import Store
from tui.core.timefmt import age, long_date, short_date

URL = "http://feeds.example/feed.xml"
TITLE = "Café “quoted” — 日本"
ENCODINGS = DATA / "hostile" / "encodings"


def rss(title: str = TITLE, items: str = "", decl: str = "", channel_title: str = "") -> str:
    head = f'<?xml version="1.0" encoding="{decl}"?>' if decl else '<?xml version="1.0"?>'
    item = (
        items
        or f"<item><title>{title}</title><link>http://feeds.example/1</link><guid>1</guid></item>"
    )
    return (
        f'{head}<rss version="2.0"><channel><title>{channel_title or title}</title>'
        f"<link>http://feeds.example/</link>{item}</channel></rss>"
    )


def store_parsed(tmp_path: Path, parsed: ParsedFeed, url: str = URL) -> Store:
    store = Store(tmp_path / "cache.sqlite3")
    store.sync_feeds([(url, "", "")])
    store.save_feed(store.feed_fetch_state(url)[0], parsed)
    return store


def shown(store: Store) -> list[str]:
    """Titles of the list and the rendered Markdown of each article."""
    texts = []
    for row in store.rows(ListQuery(), 0, 1000):
        article = store.article(row.id)
        assert article is not None
        texts += [row.title, render_article(article).markdown]
    return texts


# -- encodings ----------------------------------------------------------------------------

ASCII_TITLE = "Cafe quoted 日本"
ENCODED = {
    "utf-8 declared": (rss(decl="utf-8").encode(), "", TITLE),
    "utf-8 undeclared": (rss().encode(), "", TITLE),
    "utf-8 with BOM": (rss(decl="utf-8").encode("utf-8-sig"), "", TITLE),
    "utf-16 LE BOM": (rss(decl="utf-16").encode("utf-16-le").join([b"\xff\xfe", b""]), "", TITLE),
    "utf-16 BE BOM": (b"\xfe\xff" + rss(decl="utf-16").encode("utf-16-be"), "", TITLE),
    "latin-1 declared": (rss("Café", decl="iso-8859-1").encode("latin-1"), "", "Café"),
    "windows-1252 curly quotes declared latin-1": (
        rss("It’s “quoted”", decl="iso-8859-1").encode("cp1252"),
        "",
        "It’s “quoted”",
    ),
    "windows-1252 undeclared": (rss("Café “quoted”").encode("cp1252"), "", "Café “quoted”"),
    "windows-1252 declared utf-8 (wrong)": (
        rss("Café “quoted”", decl="utf-8").encode("cp1252"),
        "",
        "Café “quoted”",
    ),
    "utf-8 declared latin-1 by HTTP (wrong)": (
        rss(decl="utf-8").encode(),
        "application/rss+xml; charset=iso-8859-1",
        TITLE,
    ),
    "shift-jis declared": (rss(ASCII_TITLE, decl="shift_jis").encode("shift_jis"), "", ASCII_TITLE),
    "euc-kr declared": (rss("뉴스 제목", decl="euc-kr").encode("euc-kr"), "", "뉴스 제목"),
    "invalid bytes in utf-8": (
        rss(decl="utf-8").encode().replace("é".encode(), b"\xff\xc3"),
        "",
        "Caf�� “quoted” — 日本",
    ),
    "invalid bytes after a utf-8 BOM": (
        b"\xef\xbb\xbf" + rss("Ñ Espa\udcf1a").encode("utf-8", "surrogateescape"),
        "",
        "Ñ Espa�a",
    ),
}


@pytest.mark.parametrize("case", ENCODED, ids=list(ENCODED))
def test_encodings_are_read_right(case: str, tmp_path: Path) -> None:
    body, content_type, title = ENCODED[case]
    parsed = parse_feed(body, URL, content_type)
    assert [entry.title for entry in parsed.entries] == [title]
    store = store_parsed(tmp_path, parsed)
    assert store.rows(ListQuery(), 0, 1)[0].title == title


@pytest.mark.parametrize(
    ("name", "title"),
    [
        (
            "malformed-atom10-shift-jis-no-encoding-declared.xml",
            "DrecomRSSに記事投稿が反映されない",
        ),
        ("rss-uol-noticias-undeclared-cp1252.xml", "Ibope: Bolsonaro perde de Haddad"),
        ("rdf-rss10-golem-iso-8859-1-content-encoded.xml", "Glasfaserförderung"),
        ("rss20-donthitsave-utf8-bom.xml", "Skipping Around"),
    ],
)
def test_real_feeds_in_other_encodings(name: str, title: str, tmp_path: Path) -> None:
    parsed = parse_feed((ENCODINGS / name).read_bytes(), URL)
    assert any(title in entry.title for entry in parsed.entries), [e.title for e in parsed.entries]
    assert not any("\ufffd" in entry.title for entry in parsed.entries)
    for text in shown(store_parsed(tmp_path, parsed)):
        assert not forbidden_in(text)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-be"])
def test_json_feed_encodings(encoding: str) -> None:
    text = json.dumps(
        {"version": "https://jsonfeed.org/version/1.1", "title": TITLE,
         "items": [{"id": "1", "title": TITLE}]},
        ensure_ascii=False,
    )  # fmt: skip
    body = text.encode(encoding)
    if encoding == "utf-16-be":
        body = b"\xfe\xff" + body
    parsed = parse_feed(body, URL)
    assert parsed.title == TITLE and parsed.entries[0].title == TITLE


def test_nul_and_lone_surrogates_do_not_cut_or_break_the_cached_text(tmp_path: Path) -> None:
    body = json.dumps(
        {"version": "https://jsonfeed.org/version/1.1", "title": "Nul",
         "items": [{"id": "n\u0000\ud800", "title": "Nul item",
                    "content_html": "<p>before\u0000after \ud800 end</p>",
                    "summary": "sum\u0000mary"}]}
    ).encode()  # fmt: skip
    store = store_parsed(tmp_path, parse_feed(body, URL))
    article = store.article(store.rows(ListQuery(), 0, 1)[0].id)
    assert article is not None
    assert "after" in article.content and "end" in article.content
    assert "mary" in article.summary
    assert "beforeafter" in render_article(article).markdown


# -- size and depth -----------------------------------------------------------------------


def test_a_one_megabyte_title_author_guid_and_link(tmp_path: Path) -> None:
    big = "A" * 1_000_000
    item = (
        f"<item><title>{big}</title><author>{big}</author><guid>{big}</guid>"
        f"<link>http://feeds.example/{big}</link><description>{big}</description></item>"
    )
    parsed = parse_feed(rss(items=item, channel_title=big).encode(), URL)
    entry = parsed.entries[0]
    assert len(parsed.title) <= 300
    assert len(entry.title) <= 2000 and entry.title.endswith("…")
    assert len(entry.author) <= 200
    assert len(entry.guid) <= 2000
    assert entry.url == "", "a 1 MB URL is not a link anyone can open"
    store = store_parsed(tmp_path, parsed)
    started = time.perf_counter()
    markdown = shown(store)[1]
    assert time.perf_counter() - started < 5
    assert len(markdown.split("\n", 1)[0]) < 1000, "the heading is trimmed for display"


def _deep(tag: str, depth: int = 10_000) -> str:
    close = tag.split()[0]
    return f"<{tag}>" * depth + "deep text" + f"</{close}>" * depth


@pytest.mark.parametrize(
    "tag", ["div", "blockquote", "ul><li", "b", "a href='http://feeds.example/x'", "table><tr><td"]
)
def test_ten_thousand_deep_nested_html_renders(tag: str, tmp_path: Path) -> None:
    content = (
        _deep(tag)
        if "><" not in tag
        else ("".join(f"<{t}>" for t in tag.split("><")) * 10_000 + "deep text")
    )
    item = (
        "<item><title>Deep</title><guid>deep</guid>"
        f"<description><![CDATA[{content}]]></description></item>"
    )
    parsed = parse_feed(rss(items=item).encode(), URL)
    texts = shown(store_parsed(tmp_path, parsed))
    assert "deep text" in texts[1] or "Deep" in texts[1]
    assert len(texts[1]) < 200_000


def test_ten_thousand_deep_nested_xml_elements_and_json(tmp_path: Path) -> None:
    deep_xml = _deep("x")
    item = f"<item><title>Deep XML</title><guid>dx</guid>{deep_xml}</item>"
    parsed = parse_feed(rss(items=item).encode(), URL)
    assert [entry.title for entry in parsed.entries] == ["Deep XML"]
    deep_json = b'{"version": "https://jsonfeed.org/version/1.1", "items": ' + b"[" * 100_000
    with pytest.raises(ParseError, match="not a feed"):
        parse_feed(deep_json + b"]" * 100_000 + b"}", URL)


# -- missing fields and identity ----------------------------------------------------------


def test_missing_title_link_date_and_guid_get_fallbacks_and_a_stable_identity(
    tmp_path: Path,
) -> None:
    items = (
        "<item><description>Only a description, no title or anything else.</description></item>"
        "<item><title>Only a title</title></item>"
        "<item><link>http://feeds.example/only-link</link></item>"
        "<item></item>"
    )
    body = rss(items=items).encode()
    parsed = parse_feed(body, URL)
    titles = [entry.title for entry in parsed.entries]
    assert titles == [
        "Only a description, no title or anything else.",
        "Only a title",
        "(untitled)",
        "(untitled)",
    ]
    guids = [entry.guid for entry in parsed.entries]
    assert guids[2] == "http://feeds.example/only-link"
    assert len(set(guids)) == 4, "each item has its own identity"
    again = parse_feed(body, URL)
    assert [entry.guid for entry in again.entries] == guids, "identity does not change"
    store = store_parsed(tmp_path, parsed)
    rows = store.rows(ListQuery(), 0, 10)
    store.set_read([rows[0].id])
    store.set_starred(rows[1].id, True)
    assert store.save_feed(1, again) == 0, "a refetch adds nothing"
    after = {row.id: row for row in store.rows(ListQuery(), 0, 10)}
    assert len(after) == 4
    assert after[rows[0].id].read and after[rows[1].id].starred
    assert [row.title for row in store.rows(ListQuery(), 0, 10)] == [r.title for r in rows], (
        "undated items keep their place"
    )


def test_duplicate_guids_in_one_feed_and_across_feeds(tmp_path: Path) -> None:
    items = "".join(f"<item><title>Copy {n}</title><guid>same</guid></item>" for n in range(3))
    parsed = parse_feed(rss(items=items).encode(), URL)
    store = Store(tmp_path / "cache.sqlite3")
    other = "http://other.example/feed.xml"
    store.sync_feeds([(URL, "", ""), (other, "", "")])
    assert store.save_feed(store.feed_fetch_state(URL)[0], parsed) == 1
    assert store.save_feed(store.feed_fetch_state(other)[0], parsed) == 1
    assert store.count(ListQuery()) == 2, "one article per guid per feed"
    for text in shown(store):
        assert "Copy" in text or text


@pytest.mark.parametrize(
    ("date", "known"),
    [
        ("Fri, 31 Dec 9999 23:59:59 GMT", False),
        ("Mon, 01 Jan 2200 00:00:00 GMT", False),
        ("Thu, 01 Jan 1970 00:00:00 GMT", True),
        ("Mon, 01 Jan 1900 00:00:00 GMT", True),
        ("Mon, 01 Jan 0001 00:00:00 GMT", True),
        ("Sat, 01 Jan 99999 00:00:00 GMT", False),
        ("not a date at all", False),
        ("", False),
    ],
)
def test_dates_far_in_the_future_or_past(date: str, known: bool, tmp_path: Path) -> None:
    items = (
        f"<item><title>Odd date</title><guid>odd</guid><pubDate>{date}</pubDate></item>"
        "<item><title>Normal</title><guid>normal</guid>"
        f"<pubDate>{time.strftime('%a, %d %b %Y %H:%M:%S GMT', time.gmtime(time.time() - 3600))}"
        "</pubDate></item>"
    )
    parsed = parse_feed(rss(items=items).encode(), URL)
    store = store_parsed(tmp_path, parsed)
    rows = store.rows(ListQuery(), 0, 10)
    odd = next(row for row in rows if row.title == "Odd date")
    assert (odd.published is not None) == known, odd.published
    if date and not known:
        assert rows[0].title != "Odd date" or odd.published is None
    for row in rows:
        age(row.published), short_date(row.published), long_date(row.published)
    assert all(shown(store))


# -- empty, truncated, not a feed ---------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   \n\t ",
        b"\xef\xbb\xbf",
        b"\xff\xfe",
        b"\x00" * 100,
        b"<",
        b"<?xml",
        b"{",
        b"[]",
        b"null",
    ],
    ids=[
        "empty",
        "blank",
        "bom-only",
        "utf16-bom-only",
        "nuls",
        "lt",
        "xmldecl",
        "brace",
        "array",
        "null",
    ],
)
def test_empty_and_junk_files_are_a_clear_parse_error(body: bytes) -> None:
    with pytest.raises(ParseError) as caught:
        parse_feed(body, URL)
    assert str(caught.value).startswith(("empty document", "not a feed")), caught.value


@pytest.mark.parametrize(
    ("name", "items"),
    [
        ("malformed-rss20-invalid-dates-truncated.xml", 2),
        ("malformed-rss20-reuters-truncated.xml", 0),
        ("malformed-rss20-truncated-open-tag.xml", 0),
        ("malformed-jsonfeed-truncated.json", None),
    ],
)
def test_truncated_files_give_what_they_have_or_a_clear_error(name: str, items: int | None) -> None:
    body = (ENCODINGS / name).read_bytes()
    if items is None:
        with pytest.raises(ParseError, match="not a feed"):
            parse_feed(body, URL)
        return
    parsed = parse_feed(body, URL)
    assert len(parsed.entries) == items
    assert parsed.warning.startswith("feed is not well-formed")


def test_every_cut_of_a_feed_parses_or_fails_cleanly() -> None:
    body = rss(items="".join(
        f"<item><title>Item {n} é</title><guid>{n}</guid><description>&lt;p&gt;Text {n}"
        "&lt;/p&gt;</description></item>" for n in range(5)
    ), decl="utf-8").encode()  # fmt: skip
    for cut in range(0, len(body), 7):
        try:
            parsed = parse_feed(body[:cut], URL)
        except ParseError:
            continue
        for entry in parsed.entries:
            assert not forbidden_in(entry.title)


async def test_the_app_shows_huge_and_deep_items(tmp_path: Path) -> None:
    from tests.apphelpers import wait_for
    from tui.app import TvnewsApp
    from tui.config import load_config
    from tui.widgets.article_list import ArticleList
    from tui.widgets.reading_pane import ReadingPane

    big = "Huge " * 200_000
    items = (
        f"<item><title>{big}</title><guid>huge</guid><author>{big}</author>"
        f"<description>{big}</description></item>"
        f"<item><title>Deep</title><guid>deep</guid><description><![CDATA[{_deep('blockquote')}"
        "]]></description></item>"
    )
    parsed = parse_feed(rss(items=items, channel_title=big).encode(), URL)
    store_parsed(tmp_path, parsed).close()
    config_file = tmp_path / "feeds.toml"
    config_file.write_text(
        "[settings]\nrefresh_on_start = false\nauto_refresh_minutes = 0\n\n"
        f'[[feeds]]\nurl = "{URL}"\n'
    )
    app = TvnewsApp(load_config(config_file), tmp_path / "cache.sqlite3")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        article_list = app.screen.query_one(ArticleList)
        assert article_list.total == 2
        pane = app.screen.query_one(ReadingPane)
        for index, expected in enumerate(["Huge Huge", "deep text"]):
            article_list.move_to(index)
            await pilot.press("enter")
            await wait_for(pilot, lambda: pane.markdown.startswith("# "))
            await pilot.pause()
            assert app.is_running
            text = screen_text(app)
            assert expected in text, text
            await pilot.press("escape")
        await pilot.press("q")
