"""OPML and newsboat urls files: real exports in, OPML 2.0 out, and back again."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import etree

from tui.core.errors import ParseError
from tui.core.opml import (
    ListedFeed,
    export_opml,
    looks_like_opml,
    newsboat_urls,
    parse_newsboat_urls,
    parse_opml,
    read_feed_list,
)

OPML = Path(__file__).parent / "data" / "opml"
EXPORTS = sorted(OPML.iterdir())


def test_newsboat_export_is_read_with_titles() -> None:
    """newsboat 2.21 ``-e`` output: flat outlines, empty htmlUrl, empty titles."""
    listed = read_feed_list(OPML / "newsboat-2.21-export.opml")
    assert [feed.url for feed in listed.feeds] == [
        "https://deadline.com/category/tv/feed/",
        "https://tvline.com/feed/",
        "https://www.vulture.com/rss/index.xml",
        "https://example.org/hidden.xml",
        "https://xkcd.com/atom.xml",
        "http://feeds.bbci.co.uk/news/rss.xml",
    ]
    assert listed.feeds[0].name == "Deadline TV"
    assert listed.feeds[2].name == "Vulture: TV & Culture"
    assert listed.feeds[1].name == "" and listed.feeds[1].html_url == ""
    assert listed.skipped == []


def test_feedly_folders_become_sections_and_duplicates_go() -> None:
    listed = read_feed_list(OPML / "feedly-export.opml")
    sections = {feed.name: feed.section for feed in listed.feeds}
    assert sections == {
        "Deadline": "TV",
        "TVLine": "TV",
        "Vulture": "TV",
        "The Cloudflare Blog": "Tech",
        "Ars Technica - All content": "Tech",
        "xkcd.com": "Comics & Fun",
    }
    assert listed.feeds[0].html_url == "https://deadline.com"


def test_inoreader_export_skips_what_is_not_http() -> None:
    listed = read_feed_list(OPML / "inoreader-export.xml")
    assert [feed.name for feed in listed.feeds] == [
        "Screen Rant - TV News",
        "TV Insider",
        "IndieWire » TV",
        "BBC News - Home",
    ]
    assert listed.feeds[3].section == ""
    assert len(listed.skipped) == 1 and listed.skipped[0].startswith("file:///home/jane")


def test_opml2_nested_folders_categories_latin1_and_mixed_case() -> None:
    listed = read_feed_list(OPML / "opml2-nested-categories.opml")
    by_url = {feed.url: feed for feed in listed.feeds}
    monde = by_url["https://www.lemonde.fr/rss/une.xml"]
    assert monde.name == "Le Monde à la une"
    assert monde.section == "Europe", "the innermost folder is the section"
    assert monde.tags == ("europe", "france")
    guardian = by_url["https://www.theguardian.com/us-news/rss"]
    assert guardian.section == "News" and guardian.html_url.endswith("/us-news")
    assert by_url["http://scripting.com/rss.xml"].section == ""
    assert len(listed.feeds) == 3, "an outline of type link without xmlUrl is not a feed"


def test_newsboat_urls_file_tags_titles_and_queries() -> None:
    listed = read_feed_list(OPML / "newsboat-urls")
    deadline = listed.feeds[0]
    assert deadline == ListedFeed(
        "https://deadline.com/category/tv/feed/", "Deadline TV", "tv", ("tv", "industry")
    )
    assert listed.feeds[2].name == "Vulture: TV & Culture"
    hidden = next(feed for feed in listed.feeds if feed.url == "https://example.org/hidden.xml")
    assert hidden.tags == ("tech",), "the ! (hidden) marker is not a tag"
    assert [line.split(":")[0] for line in listed.skipped] == ["line 6", "line 7"]
    assert "query" in listed.skipped[0] and "exec" in listed.skipped[1]


def test_newsboat_urls_comments_and_a_bad_quote() -> None:
    text = '# comment\n\nhttps://a.example/feed # trailing comment\nhttps://b.example/f "unclosed\n'
    with pytest.raises(ParseError, match=r"<urls>:4"):
        parse_newsboat_urls(text)
    listed = parse_newsboat_urls(text.rsplit("\n", 2)[0])
    assert [feed.url for feed in listed.feeds] == ["https://a.example/feed"]


@pytest.mark.parametrize("path", EXPORTS, ids=[path.name for path in EXPORTS])
def test_every_real_export_round_trips_through_our_opml(path: Path) -> None:
    listed = read_feed_list(path)
    exported = export_opml(listed.feeds)
    again = parse_opml(exported.encode())
    assert again.feeds == listed.feeds
    root = etree.fromstring(exported.encode())
    assert root.get("version") == "2.0"
    assert root.find("head/title").text == "tvnews feeds"
    assert root.find("head/dateCreated") is not None


@pytest.mark.parametrize("path", EXPORTS, ids=[path.name for path in EXPORTS])
def test_every_real_export_round_trips_through_a_newsboat_urls_file(path: Path) -> None:
    listed = read_feed_list(path)
    again = parse_newsboat_urls(newsboat_urls(listed.feeds))
    assert [feed.url for feed in again.feeds] == [feed.url for feed in listed.feeds]
    assert [feed.name for feed in again.feeds] == [feed.name for feed in listed.feeds]
    assert [feed.section for feed in again.feeds] == [feed.section for feed in listed.feeds]


@pytest.mark.skipif(shutil.which("newsboat") is None, reason="newsboat is not installed")
def test_newsboat_itself_imports_our_export_and_we_import_its(tmp_path: Path) -> None:
    feeds = [
        ListedFeed("https://deadline.com/category/tv/feed/", "Deadline & Co", "TV News", ("tv",)),
        ListedFeed("https://xkcd.com/atom.xml", "xkcd"),
    ]
    ours = tmp_path / "ours.opml"
    ours.write_text(export_opml(feeds), encoding="utf-8")
    urls = tmp_path / "urls"
    urls.touch()
    run = ["newsboat", "-u", str(urls), "-c", str(tmp_path / "cache.db"), "-C", "/dev/null"]
    subprocess.run([*run, "-i", str(ours)], check=True, capture_output=True, timeout=60)
    imported = read_feed_list(urls)
    assert [(feed.url, feed.section) for feed in imported.feeds] == [
        ("https://deadline.com/category/tv/feed/", "TV News"),
        ("https://xkcd.com/atom.xml", ""),
    ]
    exported = subprocess.run([*run, "-e"], check=True, capture_output=True, timeout=60).stdout
    assert [feed.url for feed in parse_opml(exported).feeds] == [feed.url for feed in feeds]


def test_export_groups_sections_and_escapes_names() -> None:
    feeds = [
        ListedFeed("https://a.example/rss", 'A <b>&"quotes"', "TV News", ("tv", "a,b")),
        ListedFeed("https://b.example/rss", "", ""),
        ListedFeed("https://c.example/rss", "C\x1b[31m", "TV News"),
    ]
    root = etree.fromstring(export_opml(feeds).encode())
    body = root.find("body")
    folder, loose = list(body)
    assert folder.get("text") == "TV News" and folder.get("xmlUrl") is None
    assert [child.get("xmlUrl") for child in folder] == [
        "https://a.example/rss",
        "https://c.example/rss",
    ]
    assert folder[0].get("title") == 'A <b>&"quotes"'
    assert folder[0].get("category") == "tv,a b"
    assert folder[1].get("text") == "C[31m", "escape characters never reach the file"
    assert loose.get("text") == "https://b.example/rss", "a feed without a name shows its URL"


def test_entity_declarations_are_refused_and_no_file_is_read(tmp_path: Path) -> None:
    """Billion laughs and XXE: refused before parsing, like defusedxml does."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET", encoding="utf-8")
    laughs = '<!ENTITY l0 "lol">' + "".join(
        f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10)
    )
    for subset in (laughs, f'<!ENTITY xxe SYSTEM "file://{secret}">'):
        document = f"""<?xml version="1.0"?>
<!DOCTYPE opml [ {subset} ]>
<opml version="2.0"><head><title>&l9;</title></head><body>
<outline text="&xxe;" title="&l9;" type="rss" xmlUrl="https://ok.example/feed"/>
</body></opml>"""
        with pytest.raises(ParseError, match="declares XML entities") as caught:
            parse_opml(document.encode(), "evil.opml")
        assert "TOP-SECRET" not in str(caught.value)
    listed = parse_opml(
        b'<!DOCTYPE opml SYSTEM "http://127.0.0.1:9/remote.dtd"><opml><body>'
        b'<outline text="x" xmlUrl="https://ok.example/feed"/></body></opml>'
    )
    assert [feed.url for feed in listed.feeds] == ["https://ok.example/feed"], "no DTD fetched"


def test_not_opml_and_broken_files_give_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="not OPML"):
        parse_opml(b"<rss><channel/></rss>", "feeds.xml")
    with pytest.raises(ParseError, match=r"without a <body>"):
        parse_opml(b"<opml><head/></opml>", "x.opml")
    with pytest.raises(ParseError, match=r"x\.opml: not valid OPML"):
        parse_opml(b"<opml", "x.opml")
    # An unescaped & (common in hand-edited files) is recovered from.
    listed = parse_opml(
        b'<opml><body><outline text="A & B" xmlUrl="https://ab.example/rss"/></body></opml>'
    )
    assert [feed.url for feed in listed.feeds] == ["https://ab.example/rss"]
    missing = tmp_path / "missing.opml"
    with pytest.raises(ParseError, match=r"missing\.opml"):
        read_feed_list(missing)
    binary = tmp_path / "binary"
    binary.write_bytes(b"\xff\xfe\x00garbage\x80")
    with pytest.raises(ParseError, match="neither OPML nor"):
        read_feed_list(binary)


def test_opml_is_told_from_a_urls_file() -> None:
    assert looks_like_opml(b'\xef\xbb\xbf<?xml version="1.0"?>\n<opml version="2.0">')
    assert looks_like_opml(b"<OPML>")
    assert not looks_like_opml(b"https://a.example/feed tag\n")
