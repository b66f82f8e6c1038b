"""Tests for tui.core.related: NEXT / More in / Source / Related links found on raw pages.

Real pages in tests/data/pages/<name>.html are copied byte-for-byte from
/work/shared/fixtures/pages/<name>/source.html (see SOURCES.md there): msn-postlight and
uproxx-postlight from postlight/parser (MIT OR Apache-2.0), msn-trafilatura from
adbar/trafilatura (Apache-2.0), heraldsun-readability from mozilla/readability (Apache-2.0),
synthetic-inline-related-stories-defuddle from kepano/defuddle (MIT).
"""

from __future__ import annotations

import time
import urllib.request
from pathlib import Path

import pytest

from tests.server import TestServer
from tui.core.models import RELATED_KINDS, RelatedLink
from tui.core.related import find_feed_links, find_related, find_section_links
from tui.core.sanitize import is_safe_text

TESTS = Path(__file__).parent
SITE = TESTS / "site"
PAGES = TESTS / "data" / "pages"
BASE = "http://127.0.0.1:8765"
SEED_URL = f"{BASE}/jessica-jones-season-2-filming/"
SEVENTIES = "That '70s Show Theory: Eric Was In A Coma (& Died In The Finale)"
FILLER = "<p>" + "Some long enough paragraph text for the article body to count. " * 3 + "</p>"


def site_page(slug: str) -> str:
    return (SITE / slug / "index.html").read_text(encoding="utf-8")


def real_page(name: str) -> str:
    return (PAGES / f"{name}.html").read_text(encoding="utf-8", errors="replace")


def marked(links: list[RelatedLink]) -> list[tuple[str, str, str]]:
    """(kind, label, url) of everything but inline links."""
    return [(link.kind, link.label, link.url) for link in links if link.kind != "inline"]


# ---------------------------------------------------------------------------- the seed site


def test_seed_page_yields_next_source_related_more_in_page_order() -> None:
    links = find_related(site_page("jessica-jones-season-2-filming"), SEED_URL)
    assert marked(links) == [
        ("next", "Things We Want In Jessica Jones Season 2",
         f"{BASE}/things-we-want-jessica-jones-season-2/"),
        ("source", "OLV", "https://olv.example/jj2"),
        ("source", "MCUexchange", "https://mcuexchange.example/jj2"),
        ("related", SEVENTIES, f"{BASE}/that-70s-show-theory-eric-coma/"),
        ("more", "More in TV News", f"{BASE}/tv-news/"),
    ]  # fmt: skip
    inline = [(link.label, link.url) for link in links if link.kind == "inline"]
    assert inline == [
        ("Iron Fist", f"{BASE}/iron-fist-season-1-review/"),
        ("Luke Cage", f"{BASE}/luke-cage-season-2-release-date/"),
        ("Defenders", f"{BASE}/defenders-netflix-release-date-trailer/"),
        ("Kilgrave", f"{BASE}/jessica-jones-kilgrave-david-tennant-return/"),
    ]
    # Inline links come from the paragraphs before the NEXT line: page order overall.
    assert [link.kind for link in links] == ["inline"] * 4 + [
        "next", "source", "source", "related", "more",
    ]  # fmt: skip


def test_seed_page_leaves_out_navigation_footer_share_sidebar_and_comments() -> None:
    links = find_related(site_page("jessica-jones-season-2-filming"), SEED_URL)
    urls = {link.url for link in links}
    for path in ("/", "/movies/", "/tv/", "/reviews/", "/lists/", "/about/", "/privacy/",
                 "/contact/", "/author/dana-whitfield/", "/tag/netflix/",
                 "/movies/best-marvel-movies-ranked/"):  # fmt: skip
        assert f"{BASE}{path}" not in urls
    assert not any("facebook.com" in url or "twitter.com" in url for url in urls)
    assert not any(url.startswith(SEED_URL) for url in urls)  # same page / #comments
    assert len(urls) == len(links)  # deduplicated by URL
    assert all(link.kind in RELATED_KINDS for link in links)


def test_second_and_third_site_pages() -> None:
    url = f"{BASE}/things-we-want-jessica-jones-season-2/"
    assert marked(find_related(site_page("things-we-want-jessica-jones-season-2"), url)) == [
        ("next", SEVENTIES, f"{BASE}/that-70s-show-theory-eric-coma/"),
        ("related", "Jessica Jones Season 2 Begins Filming", SEED_URL),
        ("more", "More in TV News", f"{BASE}/tv-news/"),
    ]
    url = f"{BASE}/that-70s-show-theory-eric-coma/"
    assert marked(find_related(site_page("that-70s-show-theory-eric-coma"), url)) == [
        ("related", "Jessica Jones Season 2 Begins Filming", SEED_URL),
        ("more", "More in TV News", f"{BASE}/tv-news/"),
    ]


def test_section_page_lists_its_articles_once_in_page_order() -> None:
    links = find_section_links(site_page("tv-news"), f"{BASE}/tv-news/")
    assert [(link.kind, link.label, link.url) for link in links] == [
        ("related", "Things We Want In Jessica Jones Season 2",
         f"{BASE}/things-we-want-jessica-jones-season-2/"),
        ("related", "Jessica Jones Season 2 Begins Filming", SEED_URL),
        ("related", SEVENTIES, f"{BASE}/that-70s-show-theory-eric-coma/"),
    ]  # fmt: skip


def test_feed_links_of_site_pages() -> None:
    assert find_feed_links(site_page("jessica-jones-season-2-filming"), SEED_URL) == [
        f"{BASE}/feed/"
    ]
    assert find_feed_links(site_page("tv-news"), f"{BASE}/tv-news/") == [f"{BASE}/tv-news/feed.xml"]


def test_seed_site_served_over_http(server: TestServer) -> None:
    url = server.url("/jessica-jones-season-2-filming/")
    with urllib.request.urlopen(url, timeout=10) as response:
        html = response.read().decode("utf-8")
    links = find_related(html, url)
    more = [link.url for link in links if link.kind == "more"]
    assert more == [server.url("/tv-news/")]
    with urllib.request.urlopen(more[0], timeout=10) as response:
        section = response.read().decode("utf-8")
    listed = [link.url for link in find_section_links(section, more[0])]
    assert url in listed and len(listed) == 3
    feeds = find_feed_links(section, more[0])
    assert feeds == [server.url("/tv-news/feed.xml")]
    with urllib.request.urlopen(feeds[0], timeout=10) as response:
        assert b"<rss" in response.read()


# ---------------------------------------------------------------------------- markers


def test_feed_content_fragment() -> None:
    fragment = (
        "<p>Production has begun on the second season, and it will feature all female "
        "directors according to the report.</p>"
        '<p><strong>NEXT:</strong> <a href="/things-we-want/">Things We Want</a></p>'
        '<p>Source: <a href="https://olv.example/jj2">OLV</a> via '
        '<a href="https://mcuexchange.example/jj2">MCUexchange</a>.</p>'
    )
    assert marked(find_related(fragment, "https://screenrant.example/jj2/")) == [
        ("next", "Things We Want", "https://screenrant.example/things-we-want/"),
        ("source", "OLV", "https://olv.example/jj2"),
        ("source", "MCUexchange", "https://mcuexchange.example/jj2"),
    ]


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<p><a href="/n/">NEXT: Title Here</a></p>', ("next", "Title Here")),
        ('<p><strong>NEXT: <a href="/n/">Title Here</a></strong></p>', ("next", "Title Here")),
        ('<p>Read Next: <a href="/n/">Title Here</a></p>', ("next", "Title Here")),
        ('<div><span>Up Next</span><h3><a href="/n/">Title Here</a></h3></div>',
         ("next", "Title Here")),
        ('<div><a href="/n/">Title Here <span>Next Article</span></a></div>',
         ("next", "Title Here")),
        ('<div><a href="/tv-news/">More in <b>TV News</b></a></div>', ("more", "More in TV News")),
        ('<h3>More in <a href="/tv-news/">TV News</a></h3>', ("more", "More in TV News")),
        ('<div><a href="/tv-news/" aria-label="More in TV News"><img src="x.png"></a></div>',
         ("more", "More in TV News")),
        ('<p>Hello there (via <a href="/n/">CNN</a>)</p>', ("source", "CNN")),
        ('<p><b>Related:</b> <a href="/n/">Title Here</a></p>', ("related", "Title Here")),
        ('<p><a href="/n/">RELATED: Title Here</a></p>', ("related", "Title Here")),
    ],
)  # fmt: skip
def test_marker_shapes(html: str, expected: tuple[str, str]) -> None:
    links = marked(find_related(FILLER * 3 + html, "https://site.example/story/"))
    assert [(kind, label) for kind, label, _ in links] == [expected]


@pytest.mark.parametrize(
    "html",
    [
        '<div class="coming-up">UP NEXT</div><div class="vid-title"></div>',  # label, no link
        '<div><a class="nxslink"><span>Read next</span> &gt;</a></div>',  # button, no href
        "<p>Source: OLV via MCUexchange.</p>",  # plain-text citation
        '<p><a href="/page/2/">Next</a></p>',  # bare pager link
        '<p>Next, the team will travel to <a href="/paris-trip/">Paris</a> for the final.</p>',
        '<p>It was announced via <a href="https://social.example/x">a post</a> today.</p>',
    ],
)
def test_traps_are_not_markers(html: str) -> None:
    assert marked(find_related(FILLER * 3 + html, "https://site.example/story/")) == []


def test_unsafe_fragment_and_same_page_hrefs_are_dropped() -> None:
    html = FILLER + (
        '<p>NEXT: <a href="javascript:alert(1)">Evil</a></p>'
        '<p>Source: <a href="file:///etc/passwd">A</a> via <a href="data:text/html,x">B</a>'
        ' and <a href="vbscript:x">C</a></p>'
        '<p>Related: <a href="#section-2">Jump</a></p>'
        '<p><a href="/story/#comments">More in Comments</a></p>'
        '<p>Read this <a href="  https://ok.example/a  ">fine link</a> too.</p>'
    )
    links = find_related(html, "https://site.example/story/")
    assert [(link.kind, link.url) for link in links] == [("inline", "https://ok.example/a")]
    assert all(link.url.startswith(("http://", "https://")) for link in links)


def test_control_characters_are_stripped_from_labels() -> None:
    html = FILLER + (
        '<p>NEXT: <a href="/n/">\x1b[31mRed\x1b[0m \u202eTitle\x07 \x85Here</a></p>'
        '<p>Source: <a href="https://s.example/"><img alt="\x1b]0;pwned\x07Agency"></a></p>'
    )
    links = find_related(html, "https://site.example/story/")
    assert [(link.kind, link.label) for link in links] == [
        ("next", "[31mRed[0m Title Here"),
        ("source", "]0;pwnedAgency"),
    ]
    assert all(is_safe_text(link.label) and "\n" not in link.label for link in links)


def test_most_specific_kind_wins_for_a_repeated_url() -> None:
    html = (
        '<article><p>Read <a href="/things-we-want/">what we want</a> from the show in a long '
        "paragraph of text.</p>"
        '<p>NEXT: <a href="/things-we-want/">Things We Want</a></p></article>'
    )
    links = find_related(html, "https://site.example/story/")
    assert [(link.kind, link.label) for link in links] == [("next", "Things We Want")]


def test_base_href_is_honoured() -> None:
    html = (
        '<html><head><base href="https://cdn.example/news/"></head><body>'
        f'{FILLER}<p>NEXT: <a href="next-story/">Next Story</a></p></body></html>'
    )
    links = find_related(html, "https://site.example/story/")
    assert marked(links) == [("next", "Next Story", "https://cdn.example/news/next-story/")]


# ---------------------------------------------------------------------------- real pages


def test_msn_up_next_card_and_plain_source_line() -> None:
    base = "http://www.msn.com/en-us/health/wellness/this-is-your-brain-on-sad-movies/ar-BBwsPWG"
    links = find_related(real_page("msn-postlight"), base)
    nexts = [(link.label, link.url) for link in links if link.kind == "next"]
    assert nexts == [
        (
            "How Many Drinks a Week Makes Me an Alcoholic? U.S. News & World Report - Health",
            "http://www.msn.com/en-us/health/wellness/how-many-drinks-a-week-makes-me-an-alcoholic/ar-BBwQ40F",
        )
    ]
    assert not [link for link in links if link.kind in ("source", "more")]
    related = [link.url for link in links if link.kind == "related"]
    assert related[0].endswith("/silent-signs-your-body-might-be-in-big-trouble/ss-BBs2dk6")
    assert "http://www.msn.com/en-us" not in {link.url for link in links}  # "Go to MSN Home"


def test_msn_video_up_next_label_is_not_a_link() -> None:
    base = "https://www.msn.com/en-gb/news/uknews/uk-university-student-halls/ar-BB19DUqK"
    links = find_related(real_page("msn-trafilatura"), base)
    assert not [link for link in links if link.kind in ("next", "more", "source")]
    related = {link.url for link in links if link.kind == "related"}
    assert (
        "https://www.theguardian.com/film/2020/nov/05/the-cycling-schmuck-who-cut-up-sean-connery"
        in related
    )


def test_uproxx_via_cnn() -> None:
    links = find_related(real_page("uproxx-postlight"), "http://uproxx.com/news/giuliani/")
    assert [(link.kind, link.label, link.url) for link in links if link.kind == "source"] == [
        (
            "source",
            "CNN",
            "http://www.cnn.com/2016/12/09/politics/rudy-giuliani-removes-himself-from-"
            "consideration-for-trump-cabinet-post/index.html",
        )
    ]


def test_heraldsun_image_source_without_link() -> None:
    base = "http://www.heraldsun.com.au/news/opinion/angry-media/story-fni0fha6-1227261886014"
    links = find_related(real_page("heraldsun-readability"), base)
    assert not [link for link in links if link.kind in ("next", "more", "source")]


def test_injected_related_stories_block() -> None:
    base = "https://trade.example/2026/film/news/translator-dispute/"
    links = find_related(real_page("synthetic-inline-related-stories-defuddle"), base)
    assert marked(links) == [
        (
            "related",
            "Toy Brick Company Unveils 1,478-Piece Detective Set",
            "https://trade.example/2026/tv/news/toy-brick-detective-set/",
        ),
        (
            "related",
            "Toy Brick Company Releases Five New Monster Sets",
            "https://trade.example/2026/shopping/news/monster-brick-sets/",
        ),
    ]


# ---------------------------------------------------------------------------- feeds, robustness


def test_feed_links_types_and_safety() -> None:
    html = (
        "<html><head>"
        '<link rel="alternate" type="application/rss+xml" href="/rss.xml">'
        '<link rel="alternate" type="application/atom+xml" href="https://f.example/atom">'
        '<link rel="alternate" type="application/feed+json" href="feed.json">'
        '<link rel="alternate" type="application/rss+xml" href="/rss.xml">'
        '<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">'
        '<link rel="alternate" hreflang="de" href="/de/">'
        '<link rel="stylesheet" type="text/css" href="/s.css">'
        "</head><body></body></html>"
    )
    assert find_feed_links(html, "https://site.example/news/") == [
        "https://site.example/rss.xml",
        "https://f.example/atom",
        "https://site.example/news/feed.json",
    ]


@pytest.mark.parametrize("html", ["", "   ", "plain text", "<<<>>>", "\x00\x1b[2J", "<p></p>"])
def test_empty_and_garbage_input(html: str) -> None:
    assert find_related(html, "https://site.example/") == []
    assert find_section_links(html, "https://site.example/") == []
    assert find_feed_links(html, "https://site.example/") == []


def test_xml_declaration_and_bom() -> None:
    html = (
        '\ufeff<?xml version="1.0" encoding="utf-8"?><html><body>'
        f'{FILLER}<p>NEXT: <a href="/n/">N</a></p></body></html>'
    )
    assert marked(find_related(html, "https://site.example/a/")) == [
        ("next", "N", "https://site.example/n/")
    ]


def test_hostile_pages_are_bounded() -> None:
    pages = [
        "<div>" * 100_000 + "<p>NEXT: <a href='/x/'>x</a></p>" + "</div>" * 100_000,
        "<html><body>" + "<p>NEXT: <a href='/n/'>n</a> Source: <a href='/s/'>s</a></p>" * 5000,
        "<html><body><article>" + FILLER + "<h2>Related Stories</h2>"
        + "<div><a href='/story-a-b-c-%d/'>a b c d</a></div>" * 20_000,
        "<a href='/a/'>" * 5000 + "NEXT: x" + "</a>" * 5000,
        "<p>" + "word " * 1_000_000 + "</p>",
    ]  # fmt: skip
    for html in pages:
        start = time.perf_counter()
        links = find_related(html, "https://site.example/story/")
        find_section_links(html, "https://site.example/story/")
        assert time.perf_counter() - start < 5
        assert len(links) <= 200
