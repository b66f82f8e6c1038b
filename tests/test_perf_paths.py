"""Fast paths give the same results as the slow ones: ElementTree RSS reading vs feedparser."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import FEEDS
from tui.core import parse
from tui.core.fastrss import parse_rss
from tui.core.models import ParsedFeed

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from feeds import feed_xml

URL = "https://example.com/news/feed.xml"


def both_ways(
    body: bytes, content_type: str = "application/rss+xml"
) -> tuple[ParsedFeed, ParsedFeed]:
    """The document read by the default path, and by feedparser alone."""
    fast = parse.parse_feed(body, URL, content_type)
    original = parse.parse_rss
    parse.parse_rss = lambda *args: None  # type: ignore[assignment]
    try:
        slow = parse.parse_feed(body, URL, content_type)
    finally:
        parse.parse_rss = original
    return fast, slow


@pytest.mark.parametrize(
    "name",
    [
        "rss20-cloudflare-blog-content-encoded.xml",
        "rss20-guardian-us-news-media-content.xml",
        "rss20-scripting-news-no-xmldecl-no-titles.xml",
    ],
)
def test_real_rss_feeds_read_the_same_on_the_fast_path(name: str) -> None:
    body = (FEEDS / name).read_bytes()
    assert parse_rss(body, URL, "application/rss+xml") is not None
    fast, slow = both_ways(body)
    assert fast == slow
    assert fast.entries


@pytest.mark.parametrize("path", sorted(FEEDS.iterdir()), ids=lambda path: path.name)
def test_every_fixture_reads_the_same_either_way(path: Path) -> None:
    body = path.read_bytes()
    try:
        fast, slow = both_ways(body)
    except parse.ParseError:
        return
    assert fast == slow


def test_bench_feeds_take_the_fast_path() -> None:
    body = feed_xml("http://127.0.0.1:8000", 3, 50)
    assert parse_rss(body, URL, "application/rss+xml; charset=utf-8") is not None
    fast, slow = both_ways(body)
    assert fast == slow
    assert len(fast.entries) == 50


@pytest.mark.parametrize(
    "extra",
    [
        "<media:title>other</media:title>",
        "<itunes:summary>other</itunes:summary>",
        '<atom:link rel="alternate" href="https://x.example/"/>',
        "<title>second title</title>",
        "<pubDate>yesterday</pubDate>",
        "<dcterms:issued>2020-01-01</dcterms:issued>",
        "<description><p>unescaped</p></description>",
        '<description type="image/png">aGk=</description>',
    ],
)
def test_what_feedparser_reads_differently_is_left_to_feedparser(extra: str) -> None:
    body = _document([f"<title>t</title><link>https://example.com/a</link>{extra}"])
    assert parse_rss(body, URL, "application/rss+xml") is None
    fast, slow = both_ways(body)
    assert fast == slow


@pytest.mark.parametrize(
    ("extra", "fast"),
    [
        ('<x:rating score="5">good</x:rating>', True),  # a namespace feedparser ignores
        ('<y:rating xmlns:y="https://unknown.example/ns">good</y:rating>', False),  # 2 names
        ('<rss:rating xmlns:rss="https://other.example/ns">good</rss:rating>', False),
        ('<rating xmlns="https://other.example/ns">good</rating>', False),  # no prefix
    ],
)
def test_an_element_in_a_foreign_namespace_is_judged_by_its_prefix(extra: str, fast: bool) -> None:
    """feedparser dispatches on an element's prefix, which ElementTree does not keep: it
    is read from the document's declarations, and any doubt leaves it to feedparser."""
    body = _document([f"<title>t</title><link>https://example.com/a</link>{extra}"])
    assert (parse_rss(body, URL, "application/rss+xml") is not None) is fast
    fast_result, slow = both_ways(body)
    assert fast_result == slow


def test_non_utf8_doctype_and_atom_are_declined() -> None:
    latin = _document(["<title>caf\xe9</title>"]).replace(b"UTF-8", b"ISO-8859-1")
    latin = latin.replace("café".encode(), "café".encode("latin-1"))
    assert parse_rss(latin, URL) is None
    doctype = b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x "y">]>' + _document([])[38:]
    assert parse_rss(doctype, URL) is None
    atom = (FEEDS / "atom10-minimal-missing-fields.xml").read_bytes()
    assert parse_rss(atom, URL) is None
    assert parse_rss(_document([]), URL, "text/html") is None
    assert parse_rss(_document([]), URL, "application/xml; charset=windows-1252") is None


# -- generated documents -------------------------------------------------------------------

TEXT = st.sampled_from(
    [
        "plain words",
        "  padded  ",
        "",
        "A &amp; B",
        "A &amp;amp; B",
        "&lt;b&gt;bold&lt;/b&gt; title",
        "<![CDATA[<p>cdata <b>html</b></p>]]>",
        "caf\u00e9",
        "\u00c3\u00a9t\u00c3\u00a9 mojibake",
        "smart \u0093quotes\u0094",
        "emoji \U0001f600",
        "&#233;t&#xE9;",
        "line\nbreak",
        "a<!-- comment -->b",
    ]
)
LINKS = st.sampled_from(
    [
        "https://example.com/a?x=1&amp;y=2",
        "/relative/path",
        "relative",
        "  https://example.com/spaced  ",
        "http:///triple.example/x",
        "",
        "https://example.com/a?q=&amp;amp;",
        "javascript:alert(1)",
    ]
)
DATES = st.sampled_from(
    [
        "Thu, 09 Oct 2025 08:53:13 GMT",
        "Thu, 9 Oct 2025 08:53:13 +0530",
        "09 oct 2025 08:53 EST",
        "Fri, 10 Oct 2025 23:59:59 -0000",
        "Thu, 09 Oct 2025 08:53:13 UTC",
        "Thu, 09 Oct 2025 08:53:13 PDT",
        "Thu, 31 Feb 2025 08:53:13 GMT",
        "Thu, 09 Oct 2025 08:53:13",
        "2025-10-09T08:53:13Z",
    ]
)
W3DATES = st.sampled_from(
    ["2025-10-09T08:53:13Z", "2025-10-09T08:53:13.25+02:00", "2025-10-09", "2025-10-09T08:53Z"]
)
GUIDS = st.sampled_from(
    [
        "<guid>https://example.com/g</guid>",
        '<guid isPermaLink="false">tag:1</guid>',
        '<guid isPermaLink="true">rel/guid</guid>',
        '<guid isPermaLink="True">12345</guid>',
        "<guid>12345</guid>",
        "<guid></guid>",
        "<guid />",
    ]
)


@st.composite
def items(draw: st.DrawFn) -> str:
    parts: list[str] = []
    if draw(st.booleans()):
        parts.append(f"<title>{draw(TEXT)}</title>")
    if draw(st.booleans()):
        parts.append(f"<link>{draw(LINKS)}</link>")
    if draw(st.booleans()):
        parts.append(draw(GUIDS))
    if draw(st.booleans()):
        parts.append(f"<description>{draw(TEXT)}</description>")
    if draw(st.booleans()):
        parts.append(f"<content:encoded>{draw(TEXT)}</content:encoded>")
    if draw(st.booleans()):
        parts.append(f"<pubDate>{draw(DATES)}</pubDate>")
    if draw(st.booleans()):
        parts.append(f"<dc:date>{draw(W3DATES)}</dc:date>")
    if draw(st.booleans()):
        parts.append(
            draw(
                st.sampled_from(
                    ["<author>a@b.example (A B)</author>", "<dc:creator>C</dc:creator>"]
                )
            )
        )
    extras = [
        '<category domain="x">cat</category>',
        '<media:content url="https://example.com/i.jpg"><media:credit>c</media:credit></media:content>',
        '<enclosure url="https://example.com/a.mp3" type="audio/mpeg" length="1"/>',
        "<wfw:commentRss>https://example.com/c</wfw:commentRss>",
        "<x:thing>unknown</x:thing>",
        "<media:title>media title</media:title>",
    ]
    parts.extend(draw(st.lists(st.sampled_from(extras), max_size=3)))
    return "".join(draw(st.permutations(parts)))


def _document(bodies: list[str], channel_title: str = "Chan &amp; nel") -> bytes:
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:media="http://search.yahoo.com/mrss/" '
        'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" '
        'xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:wfw="http://wellformedweb.org/CommentAPI/" '
        'xmlns:x="https://unknown.example/ns" '
        'xmlns:atom="http://www.w3.org/2005/Atom">'
        f"<channel><title>{channel_title}</title><link>/home</link>"
        '<atom:link rel="self" href="https://example.com/feed"/>'
    )
    items_xml = "".join(f"<item>{body}</item>" for body in bodies)
    return (head + items_xml + "</channel></rss>").encode()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(items(), min_size=1, max_size=4), TEXT)
def test_generated_rss_reads_the_same_either_way(bodies: list[str], title: str) -> None:
    body = _document(bodies, title)
    try:
        fast, slow = both_ways(body)
    except parse.ParseError as error:
        with pytest.raises(parse.ParseError, match=str(error)[:20]):
            both_ways(body)
        return
    assert fast == slow


URL_TEXT = st.text(alphabet="htps:/.ab1-_?=&#;%@[] \u00e9\t", max_size=30)


@settings(max_examples=2000, deadline=None)
@given(st.sampled_from(["http://", "https://", "HTTP://", ""]), URL_TEXT, URL_TEXT)
def test_url_shortcut_matches_urljoin(scheme: str, host: str, rest: str) -> None:
    from urllib.parse import urljoin

    from tui.core import fastrss

    uri = scheme + host + rest
    fixed = fastrss._URI_FIXER.sub(r"\1\3", uri)
    try:
        expected = urljoin(URL, fixed)
    except ValueError:
        expected = ""
    assert fastrss._resolve(URL, uri) == expected


BASES = st.sampled_from(["", "https://example.com/a/b", "http://x.example/", "ftp://f/", "//n/"])


def slow_safe_url(url: str, base: str | None) -> str | None:
    """safe_url without its shortcut (the long way every URL used to take)."""
    import re
    from urllib.parse import urljoin, urlsplit

    from tui.core import sanitize

    if not url or len(url) > sanitize.MAX_URL:
        return None
    url = sanitize._UNSAFE.sub("", url).strip()
    url = re.sub(r"\s", "", url) if "\n" in url or "\t" in url else url
    if not url:
        return None
    try:
        url = urljoin(base, url) if base else url
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in sanitize.SAFE_SCHEMES or not parts.hostname:
        return None
    if len(url) > sanitize.MAX_URL or sanitize._SPACE_OR_CONTROL.search(url):
        return None
    return url


@settings(max_examples=3000, deadline=None)
@given(
    st.sampled_from(["http://", "https://", "HTTP://", "http:///", "https://[", ""]),
    st.text(alphabet="ab1.-:9@_", min_size=0, max_size=12),
    st.text(alphabet="/ab?#;=&%.\t é\x00\x85", max_size=20),
    BASES,
)
def test_safe_url_shortcut_gives_what_the_long_way_gives(
    scheme: str, host: str, rest: str, base: str
) -> None:
    from tui.core.sanitize import safe_url

    url = scheme + host + rest
    assert safe_url(url, base or None) == slow_safe_url(url, base or None)


@pytest.mark.parametrize(
    "view",
    [
        {},
        {"unread_only": False, "sort": "feed"},
        {"search": "story"},
        {"search": "story", "sort": "feed"},
    ],
    ids=["date", "feed", "search", "search by feed"],
)
def test_next_unread_finds_the_nearest_unread_row(tmp_path: Path, view: dict) -> None:
    """``n``/``p`` find the next unread row without numbering the whole list: by keys in
    date order, a stretch of rows at a time (growing) when sorted by feed. A long run of
    read rows is crossed, and the answer is what numbering the list gives."""
    import random

    from tui.core.models import ListQuery, ParsedEntry
    from tui.core.store import Store

    store = Store(tmp_path / "cache.sqlite3")
    rng = random.Random(5)
    urls = [f"https://example.com/{n}" for n in range(3)]
    store.sync_feeds([(url, "Same" if n else "Other", "") for n, url in enumerate(urls)])
    for url in urls:
        entries = tuple(
            ParsedEntry(f"g{n}", "", f"story {n}", "", rng.choice([1.7e9, 1.7e9 + n, None]), "", "")
            for n in range(700)
        )
        store.save_feed(store.feed_fetch_state(url)[0], ParsedFeed("f", "", entries))
    query = ListQuery(**view)
    ids = store.ids(query)
    store.set_read([i for i in ids if rng.random() < 0.7], True)
    store.set_read(ids[300:1900], True)  # crossed in growing stretches (256, 1024, ...)
    unread = {row.id for row in store.rows_by_id(ids) if not row.read}
    positions = [n for n, i in enumerate(ids) if i in unread]
    assert store.count(query) == len(ids) == 2100
    statements: list[str] = []
    store.db.set_trace_callback(statements.append)
    for index in [-1, *range(0, len(ids), 37), 299, 300, 1899, 1900, len(ids) - 1, len(ids)]:
        after = [n for n in positions if n > index]
        before = [n for n in positions if n < index]
        assert store.next_unread(query, index, 1) == (after[0] if after else None), index
        assert store.next_unread(query, index, -1) == (before[-1] if before else None), index
        if 0 <= index < len(ids):  # given the article shown there, as the app does
            found = store.next_unread(query, index, 1, at=ids[index])
            assert found == (after[0] if after else None), index
    store.db.set_trace_callback(None)
    for sql in set(statements):  # read in list order from an index: nothing sorts the list
        plan = " / ".join(row[3] for row in store.db.execute(f"EXPLAIN QUERY PLAN {sql}"))
        assert "TEMP B-TREE" not in plan, (sql, plan)
    if query.sort == "date":  # the row shown is found by its id, not by counting rows to it
        statements.clear()
        store.db.set_trace_callback(statements.append)
        store.next_unread(query, 1500, 1, at=ids[1500])
        store.db.set_trace_callback(None)
        assert statements and not any("OFFSET" in sql for sql in statements), statements
    store.close()
