"""The feedparser adapter: typed entries, fallbacks, no entity expansion, JSON Feed."""

from __future__ import annotations

import pytest

from tests.conftest import FEEDS, one_item_rss
from tui.core.errors import ParseError
from tui.core.parse import parse_feed


def parse(name: str):
    return parse_feed((FEEDS / name).read_bytes(), "https://example.com/feed.xml")


def test_rss_with_media_and_authors() -> None:
    feed = parse("rss20-guardian-us-news-media-content.xml")
    assert feed.title == "The Guardian"
    assert len(feed.entries) == 55
    first = feed.entries[0]
    assert first.url.startswith("https://www.theguardian.com/")
    assert first.published and first.author and first.guid


def test_atom_with_xml_base_keeps_the_content_base() -> None:
    feed = parse("atom10-daringfireball-xmlbase-relative-urls.xml")
    assert len(feed.entries) == 48
    assert all(entry.url.startswith(("http://", "https://")) for entry in feed.entries)
    assert feed.link == "https://daringfireball.net/"


def test_json_feed() -> None:
    feed = parse("jsonfeed10-inessential.json")
    assert feed.title == "inessential.com"
    assert len(feed.entries) == 20
    assert feed.entries[0].published is not None


def test_items_without_titles_get_text_from_their_body_and_a_stable_guid() -> None:
    first = parse("rss20-scripting-news-no-xmldecl-no-titles.xml")
    again = parse("rss20-scripting-news-no-xmldecl-no-titles.xml")
    assert all(entry.title for entry in first.entries)
    assert [e.guid for e in first.entries] == [e.guid for e in again.entries]
    assert all(e.guid for e in first.entries)


def test_minimal_atom_entry_without_title_link_or_date() -> None:
    (entry,) = parse("atom10-minimal-missing-fields.xml").entries
    assert entry.title and entry.guid
    assert entry.published is None


def test_undeclared_koi8r_is_detected() -> None:
    (entry,) = parse("malformed-rss-koi8r-no-encoding-declared.xml").entries
    assert "Как" in entry.title


def test_not_a_feed_is_a_clear_error() -> None:
    with pytest.raises(ParseError, match="not a feed"):
        parse("malformed-not-a-feed.xml")
    with pytest.raises(ParseError, match="web page"):
        parse_feed(b"<!DOCTYPE html><html><body>hi</body></html>", "https://x/")
    with pytest.raises(ParseError, match="empty"):
        parse_feed(b"  \n", "https://x/")


def test_external_entities_are_not_expanded(tmp_path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    xml = f"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>
<rss version="2.0"><channel><title>t</title>
<item><title>x &xxe; y</title><link>https://example.com/a</link>
<description>&xxe;</description></item></channel></rss>""".encode()
    feed = parse_feed(xml, "https://example.com/feed")
    for entry in feed.entries:
        assert "TOP-SECRET" not in entry.title + entry.summary + entry.content


def test_a_string_body_is_never_read_as_a_path_or_url(tmp_path) -> None:
    secret = tmp_path / "secret.xml"
    secret.write_text("<rss version='2.0'><channel><title>LEAK</title></channel></rss>")
    with pytest.raises(ParseError):
        parse_feed(str(secret).encode(), "https://example.com/feed")


@pytest.mark.parametrize("encoding", ["utf-8", "iso-8859-1"], ids=["fast-path", "feedparser"])
@pytest.mark.parametrize(
    ("ttl", "seconds"),
    [("60", 3600), (" 5 ", 300), ("soon", 0), ("-5", 0), ("", 0), ("²", 0)],
)
def test_rss_ttl_is_read_in_seconds(encoding: str, ttl: str, seconds: int) -> None:
    assert parse_feed(one_item_rss(ttl, encoding), "https://example.com/feed").ttl_seconds == (
        seconds
    )


def test_a_real_feed_ttl_and_none_for_atom() -> None:
    blog = (FEEDS / "rss20-cloudflare-blog-content-encoded.xml").read_bytes()
    assert parse_feed(blog, "https://blog.cloudflare.com/rss/").ttl_seconds == 3600
    atom = (FEEDS / "atom10-daringfireball-xmlbase-relative-urls.xml").read_bytes()
    assert parse_feed(atom, "https://daringfireball.net/feeds/main").ttl_seconds == 0
