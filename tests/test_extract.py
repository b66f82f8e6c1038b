"""Article extraction: feed-fragment Markdown and full-page extraction."""

from __future__ import annotations

import gzip
import subprocess
import sys
import time
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from tui.core.extract import (
    body_to_json,
    decode_html,
    extract_article,
    html_to_markdown,
    load_html_file,
)
from tui.core.models import ArticleBody, RelatedLink

PAGES = Path(__file__).parent / "data" / "pages"
SHARED_PAGES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "pages"
BASE = "https://example.com/news/story.html"


def tokens(markdown: str) -> list:
    """Block and inline tokens as the Textual Markdown widget's parser sees them."""
    found = []
    for token in MarkdownIt("gfm-like").parse(markdown):
        found.append(token)
        found.extend(token.children or ())
    return found


def link_targets(markdown: str) -> list[str]:
    return [t.attrGet("href") for t in tokens(markdown) if t.type == "link_open"]


def rendered_text(markdown: str) -> str:
    """The text the reader would see (inline text tokens joined)."""
    return "".join(t.content for t in tokens(markdown) if t.type in ("text", "code_inline"))


# ----- html_to_markdown -----------------------------------------------------------------------


def test_headings_kept_with_their_level() -> None:
    md, headings = html_to_markdown("<h2>Cast news</h2><p>Body.</p><h3>More <b>detail</b></h3>")
    assert md.splitlines()[0] == "## Cast news"
    assert "### More **detail**" in md
    assert headings == ("Cast news", "More detail")
    kinds = [t.tag for t in tokens(md) if t.type == "heading_open"]
    assert kinds == ["h2", "h3"]


def test_links_made_absolute() -> None:
    md, _ = html_to_markdown('<p>See <a href="/tv/next.html">the next story</a>.</p>', BASE)
    assert "[the next story](https://example.com/tv/next.html)" in md
    assert link_targets(md) == ["https://example.com/tv/next.html"]


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "file:///etc/passwd",
        "data:text/html,x",
        "JaVaScRiPt:x",
        "mailto:a@b.c",
    ],
)
def test_unsafe_links_become_plain_text(href: str) -> None:
    md, _ = html_to_markdown(f'<p>Click <a href="{href}">here now</a> please</p>', BASE)
    assert link_targets(md) == []
    assert "here now" in md
    assert href not in md


def test_parentheses_in_urls_do_not_break_the_link() -> None:
    md, _ = html_to_markdown('<a href="https://e.com/a_(b)">x</a>')
    assert link_targets(md) == ["https://e.com/a_%28b%29"]


def test_control_characters_stripped() -> None:
    html = "<p>red \x1b[31mALERT\x1b[0m bell\x07 \u202eevil\u202c nul\x00 \x9b</p>"
    md, _ = html_to_markdown(html)
    for bad in ("\x1b", "\x07", "\u202e", "\u202c", "\x00", "\x9b"):
        assert bad not in md
    assert "ALERT" in md


@pytest.mark.parametrize(
    "text",
    [
        "[link=file:///etc/passwd]x[/link]",
        "[click](javascript:alert(1))",
        "![img](http://tracker.example/p.png)",
        "*not emphasis* and _not either_ and `not code`",
        "<script>alert(1)</script>",
        "~~struck~~ a | b",
        "mail a@example.com or visit www.example.org, example.com and http://localhost:80/",
    ],
)
def test_feed_text_cannot_form_markdown(text: str) -> None:
    from html import escape

    md, headings = html_to_markdown(f"<p>{escape(text)}</p>")
    kinds = {t.type for t in tokens(md)}
    assert not kinds & {"link_open", "image", "em_open", "strong_open", "code_inline", "s_open"}
    assert not kinds & {"html_inline", "html_block"}
    assert rendered_text(md) == text
    assert headings == ()


@pytest.mark.parametrize(
    "line", ["# heading?", "> quote?", "- item?", "1. item?", "+ item", "===", "    indented"]
)
def test_line_start_markers_escaped(line: str) -> None:
    md, _ = html_to_markdown(f"<p>{line}</p><p>after<br>{line}</p>")
    kinds = {t.type for t in tokens(md)}
    assert kinds <= {"paragraph_open", "paragraph_close", "inline", "text", "hardbreak"}
    assert line.strip() in rendered_text(md)


def test_rich_markup_shown_literally_in_plain_text_input() -> None:
    md, _ = html_to_markdown("Hello [bold red]world[/] [link=file:///etc/passwd]x[/link]")
    assert link_targets(md) == []
    assert rendered_text(md) == "Hello [bold red]world[/] [link=file:///etc/passwd]x[/link]"


def test_plain_text_becomes_paragraphs() -> None:
    md, _ = html_to_markdown("First line\nwrapped.\n\nSecond paragraph &amp; more.")
    assert md == "First line wrapped.\n\nSecond paragraph \\& more."
    assert [t.type for t in tokens(md)].count("paragraph_open") == 2


def test_lists_nested_and_numbered() -> None:
    html = "<ul><li>one</li><li>two<ul><li>two-a</li></ul></li></ul><ol start='3'><li>c</li></ol>"
    md, _ = html_to_markdown(html)
    assert md == "- one\n- two\n  - two-a\n\n3. c"
    assert [t.type for t in tokens(md)].count("bullet_list_open") == 2
    assert "ordered_list_open" in {t.type for t in tokens(md)}


@pytest.mark.parametrize(("start", "first"), [("0", "0."), ("²", "1."), ("٣", "1."), ("x", "1.")])
def test_a_list_start_that_is_not_a_number_counts_from_one(start: str, first: str) -> None:
    """``str.isdigit`` takes "²", which ``int`` refuses: such a start raised."""
    md, _ = html_to_markdown(f"<ol start='{start}'><li>a</li><li>b</li></ol>")
    assert md.startswith(f"{first} a")


def test_blockquote_pre_and_code() -> None:
    html = (
        "<blockquote><p>q1</p><p>q2</p></blockquote><pre>a = `x`\n  b</pre>"
        "<pre>```\nfenced\n```</pre><p>use <code>x*y</code></p>"
    )
    md, _ = html_to_markdown(html)
    assert "> q1\n>\n> q2" in md
    assert "```\na = `x`\n  b\n```" in md
    assert "````\n```\nfenced\n```\n````" in md
    assert "`x*y`" in md
    kinds = [t.type for t in tokens(md)]
    assert "blockquote_open" in kinds and "fence" in kinds and "code_inline" in kinds


def test_images_become_their_alt_or_caption() -> None:
    md, _ = html_to_markdown(
        '<p>Look <img src="a.png" alt="A cat"> here</p>'
        '<figure><img src="b.png" alt="ignored"><figcaption>The dog</figcaption></figure>'
    )
    assert "*\\[Image: A cat\\]*" in md
    assert "*The dog*" in md
    assert "ignored" not in md
    assert not any(t.type == "image" for t in tokens(md))


def test_skipped_elements() -> None:
    html = (
        "<p>a<script>evil()</script>b<style>p{}</style>c</p><iframe src=x>frame</iframe>"
        "<form><p>form text</p></form><nav>menu</nav><p>end</p>"
    )
    md, _ = html_to_markdown(html)
    assert md == "abc\n\nend"


def test_tables_flattened() -> None:
    md, _ = html_to_markdown(
        "<table><tr><th>Show</th><th>Day</th></tr><tr><td>X</td><td>Mon</td></tr></table>"
    )
    assert rendered_text(md) == "Show | DayX | Mon"
    assert "table_open" not in {t.type for t in tokens(md)}


@pytest.mark.parametrize("html", ["", "   ", "<p></p>", "<div><span> </span></div>", "</p>", "<"])
def test_empty_input(html: str) -> None:
    md, headings = html_to_markdown(html)
    assert md.strip() in ("", "\\<")
    assert headings == ()


@pytest.mark.parametrize("tag", ["div", "blockquote", "b", "ul><li", "a href='/x'"])
def test_deep_nesting(tag: str) -> None:
    close = tag.split()[0].split(">")[0]
    html = f"<{tag}>" * 10_000 + "deep" + f"</{close}>" * 10_000 + "<p>after the nest</p>"
    md, _ = html_to_markdown(html, BASE)
    assert "after the nest" in md
    assert len(md) < 100_000


def test_large_input_is_fast() -> None:
    html = "<p>word <b>bold</b> <a href='/x'>link</a></p>" * 25_000  # ~1 MB
    start = time.perf_counter()
    md, _ = html_to_markdown(html, BASE)
    assert time.perf_counter() - start < 5
    assert md.count("**bold**") == 25_000
    single, _ = html_to_markdown("x" * 1_000_000)
    assert len(single) == 1_000_000
    for hostile in ("<" * 1_000_000, "<div>" * 300 + "<" * 500_000, "<td> </td>" * 100_000):
        start = time.perf_counter()
        html_to_markdown(hostile)
        assert time.perf_counter() - start < 5


def test_typical_fragment_is_fast() -> None:
    html = (PAGES / "bbc" / "source.html").read_text(encoding="utf-8")
    fragment = html[html.index('<p class="story-body__introduction">') :][:20_000]
    html_to_markdown(fragment, BASE)
    start = time.perf_counter()
    for _ in range(20):
        html_to_markdown(fragment, BASE)
    assert (time.perf_counter() - start) / 20 < 0.05


# ----- extract_article ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bbc() -> ArticleBody:
    url = "http://www.bbc.com/news/world-us-canada-33646312"
    return extract_article(load_html_file(PAGES / "bbc" / "source.html"), url)


@pytest.fixture(scope="module")
def verge() -> ArticleBody:
    raw = (PAGES / "theverge" / "source.html").read_bytes()
    return extract_article(raw, "https://www.theverge.com/23750479/apple-vision-pro-hands-on")


def test_bbc_article(bbc: ArticleBody) -> None:
    assert bbc.title == "Obama admits US gun laws are his 'biggest frustration'"
    assert bbc.headings == ("Analysis: Jon Sopel, BBC News, Washington", "Kenya trip")
    assert bbc.published.startswith("2015-07-24")
    assert bbc.text.startswith("President Barack Obama has admitted that his failure to pass")
    assert "Mr Obama has pushed for stricter gun control throughout his presidency" in bbc.text
    assert "## Analysis: Jon Sopel, BBC News, Washington" in bbc.markdown
    # the title is not repeated as the body's first line
    assert not bbc.text.startswith(bbc.title)
    # a link trafilatura's text mode drops comes back in the Markdown
    assert "[The UK must stay in the EU](http://www.bbc.co.uk/news/uk-politics-33647154)" in (
        bbc.markdown
    )
    assert "- He is confident the Iran nuclear deal will be passed by Congress" in bbc.markdown
    assert "\n\n" in bbc.text and "](" not in bbc.text


def test_verge_article_from_bytes(verge: ArticleBody) -> None:
    assert verge.title == "Apple’s Vision Pro is the Retina display moment for headsets"
    assert verge.author == "Alex Heath"
    assert verge.published.startswith("2023-06-07")
    assert verge.feed_url == "https://www.theverge.com/rss/index.xml"
    assert "I still remember using the iPhone 4 for the first time in 2010." in verge.text
    assert "Meta Quest Pro" in verge.text
    assert "Share this story" not in verge.text
    assert all(t.startswith(("http://", "https://")) for t in link_targets(verge.markdown))


def test_related_links_are_typed(bbc: ArticleBody) -> None:
    assert isinstance(bbc.related, tuple)
    assert all(isinstance(link, RelatedLink) for link in bbc.related)


def test_body_to_json(bbc: ArticleBody) -> None:
    data = body_to_json(bbc)
    assert list(data) == [
        "url", "title", "author", "published", "markdown", "text", "headings", "related",
    ]  # fmt: skip
    assert data["headings"] == list(bbc.headings)
    assert all(set(r) == {"kind", "label", "url"} for r in data["related"])


def test_extracted_text_is_sanitized() -> None:
    page = (
        "<html><head><title>Bad \x1b]8;;file:///x\x1b\\title</title></head><body><article>"
        "<h1>Bad \x1b]8;;file:///x\x1b\\title</h1>"
        + "<p>Paragraph \x1b[2J with escapes \u202e and [link=file:///etc/passwd]x[/link] "
        "and enough words to count as an article body for the extractor to keep.</p>"
        * 6
        + "</article></body></html>"
    )
    body = extract_article(page, "https://example.com/a")
    for field in (body.title, body.text, body.markdown):
        assert "\x1b" not in field and "\u202e" not in field
    assert "[link=file:///etc/passwd]x[/link]" in body.text
    assert link_targets(body.markdown) == []


PARAGRAPH = (
    "<p>Paragraph {n} of the story tells the reader about the new drama series and the people "
    "who made it, with enough words in it to look like real article prose to any extractor.</p>"
)


def synthetic_page(article: str) -> str:
    return (
        "<html><head><title>Big Show Renewed - Example TV</title>"
        '<meta property="og:title" content="Big Show Renewed">'
        '<link rel="alternate" type="application/atom+xml" href="/feed.xml">'
        "</head><body><nav><a href='/'>Home</a> <a href='/tv'>TV</a></nav>"
        f"<main><article><h1>Big Show Renewed</h1>{article}</article></main>"
        "<footer><p>Copyright Example TV</p></footer></body></html>"
    )


def paragraphs(*numbers: int) -> str:
    return "".join(PARAGRAPH.format(n=n) for n in numbers)


def test_links_resolve_against_the_base_href() -> None:
    page = synthetic_page(
        paragraphs(1, 2) + "<p>See <a href='story.html'>the renewal story</a> for more.</p>"
    ).replace("<head>", "<head><base href='https://cdn.example/news/'>")
    body = extract_article(page, "https://example.com/tv/big-show.html")
    assert "(https://cdn.example/news/story.html)" in body.markdown
    assert body.feed_url == "https://cdn.example/feed.xml"


def test_synthetic_article_repairs() -> None:
    article = (
        paragraphs(1, 2, 3)
        + "<p>Related: <a href='/other'>Another show was cancelled</a></p>"
        + "<h2>What comes next</h2>"
        + paragraphs(4, 5, 6)
        + '<div class="social-media-embed"><blockquote class="twitter-tweet">'
        "<p>We are back for season two!</p>&mdash; Big Show (@bigshow) "
        '<a href="https://twitter.com/bigshow/status/1">May 1, 2024</a></blockquote></div>'
        + paragraphs(7, 8)
        + "<p>3 Comments</p>"
    )
    body = extract_article(synthetic_page(article), "https://example.com/tv/big-show.html")
    assert body.title == "Big Show Renewed"
    assert body.feed_url == "https://example.com/feed.xml"
    assert body.headings == ("What comes next",)
    blocks = body.text.split("\n\n")
    assert blocks[0].startswith("Paragraph 1 ")  # the title is not repeated
    assert "Another show was cancelled" not in body.text and "Comments" not in body.text
    assert "Home" not in body.text and "Copyright" not in body.text
    tweet = blocks.index("We are back for season two!")
    assert blocks[tweet - 1].startswith("Paragraph 6 ") and blocks[tweet + 2].startswith(
        "Paragraph 7"
    )
    assert "> — Big Show (@bigshow) [May 1, 2024](https://twitter.com/bigshow/status/1)" in (
        body.markdown
    )
    assert body.markdown.index("## What comes next") < body.markdown.index("Paragraph 4 ")


def test_headings_trafilatura_drops_are_recovered() -> None:
    body = extract_article(load_html_file(PAGES / "kotaku-excerpt" / "source.html"), "")
    assert body.headings == (
        "Notes on Speculation and Lore",
        "Referencing",
        "Part One: The Wars in Heaven",
        "The Living Planet",
    )
    assert "\n## Part One: The Wars in Heaven\n" in body.markdown
    assert "\n### The Living Planet\n" in body.markdown
    assert body.text.index("The Living Planet") < body.text.index("On an unknown planet")


DEV_PAGES = SHARED_PAGES.parent / "extraction-dev" / "html"
WIRED = DEV_PAGES / "2f42ef1d3ea0c96e56355d3db93d0e06b47e760b74f6f4261278b8cd1c246dd6.html.gz"


@pytest.mark.skipif(not WIRED.is_file(), reason="shared/fixtures/extraction-dev is not available")
def test_article_chunks_in_sibling_containers_are_joined() -> None:
    body = extract_article(load_html_file(WIRED), "https://www.wired.com/story/x/")
    assert "So-called neo-banks, or challenger banks, have been all the rage" in body.text
    # the second half of the story sits in a sibling container, after an ad
    assert "But there are two problems with this potential disruption." in body.text
    assert body.text.index("So-called neo-banks") < body.text.index("two problems")


def test_article_split_into_sibling_containers() -> None:
    chunk = '<div class="grid narrow"><div class="body__container">{}</div><div></div></div>'
    article = (
        '<div class="chunks">'
        + chunk.format(paragraphs(1, 2, 3, 4, 5))
        + '<div class="ad"><p>Advertisement</p></div>'
        + chunk.format("<h2>Part two</h2>" + paragraphs(6, 7))
        + "</div>"
    )
    body = extract_article(synthetic_page(article), "https://example.com/tv/big-show.html")
    for n in range(1, 8):
        assert f"Paragraph {n} of the story" in body.text
    assert "Advertisement" not in body.text
    assert body.text.index("Paragraph 5 ") < body.text.index("Paragraph 6 ")


def test_page_in_a_legacy_charset() -> None:
    page = (
        '<html><head><meta charset="iso-8859-1"><title>Café story</title></head><body>'
        "<article><h1>Café story</h1>"
        + "<p>The café on the corner serves crème brûlée to every customer who walks in.</p>" * 3
        + "</article></body></html>"
    )
    body = extract_article(page.encode("latin-1"), "https://example.com/cafe")
    assert body.title == "Café story"
    assert "crème brûlée" in body.text


@pytest.mark.parametrize("page", ["", "   ", b"", b"\x00\xff\xfe garbage \x00", "<html></html>"])
def test_extract_survives_empty_and_garbage(page: str | bytes) -> None:
    body = extract_article(page, "https://example.com/")
    assert body.url == "https://example.com/"
    assert isinstance(body.text, str)


def test_extract_survives_deep_nesting() -> None:
    page = "<html><body>" + "<div>" * 10_000 + "<p>deep text</p>" + "</div>" * 10_000
    body = extract_article(page + "</body></html>")
    assert isinstance(body.markdown, str)


@pytest.mark.parametrize(
    "body",
    [
        "<article><p>" + "<a href='/x'>link</a> " * 20_000 + "</p></article>",
        "<article>" + "<p>paragraph <a href='/x'>link</a> text</p>" * 20_000 + "</article>",
    ],
    ids=["link-farm", "many-paragraphs"],
)
def test_extract_stays_fast_on_huge_trees(body: str) -> None:
    start = time.perf_counter()
    article = extract_article(f"<html><body>{body}</body></html>", "https://example.com/")
    assert time.perf_counter() - start < 10
    assert "link" in article.text


def test_decode_uses_declared_charset() -> None:
    page = '<html><head><meta charset="iso-8859-1"></head><body><p>café €5</p></body></html>'
    assert "café €5" in decode_html(page.encode("cp1252"))  # Latin-1 label, read as cp1252
    assert "café €5" in decode_html(page.encode("utf-8"))  # mislabelled UTF-8
    koi8 = '<meta http-equiv="Content-Type" content="text/html; charset=koi8-r"><p>привет</p>'
    assert "привет" in decode_html(koi8.encode("koi8-r"))
    assert "café" in decode_html(b"\xef\xbb\xbf<p>caf\xc3\xa9</p>")
    assert decode_html("<p>plain ünïcode</p>".encode()) == "<p>plain ünïcode</p>"
    assert "<p>bad " in decode_html(b"<p>bad \xff\xfe utf-8 \xc3</p>" * 3)  # guessed


def test_load_html_file_reads_gzip(tmp_path: Path) -> None:
    page = "<html><body><p>gzipped café</p></body></html>"
    (tmp_path / "page.html.gz").write_bytes(gzip.compress(page.encode("utf-8")))
    (tmp_path / "page.html").write_text(page, encoding="utf-8")
    assert load_html_file(tmp_path / "page.html.gz") == page
    assert load_html_file(str(tmp_path / "page.html")) == page


def test_core_does_not_import_textual_or_rich() -> None:
    code = (
        "import sys, tui.core.extract, tui.core.markdown;"
        "tui.core.extract.html_to_markdown('<p>x</p>');"
        "tui.core.extract.extract_article('<html><body><p>x</p></body></html>');"
        "print(sorted(m for m in ('textual', 'rich') if m in sys.modules))"
    )
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


SHARED_SOURCES = sorted(SHARED_PAGES.glob("*/source.html")) if SHARED_PAGES.is_dir() else []


@pytest.mark.skipif(not SHARED_SOURCES, reason="shared/fixtures/pages is not available")
@pytest.mark.parametrize("path", SHARED_SOURCES, ids=lambda p: p.parent.name)
def test_every_fixture_page_extracts(path: Path) -> None:
    body = extract_article(path.read_bytes(), "https://example.com/article")
    assert body.text.strip()
    assert body.title
    assert "\x1b" not in body.markdown
    assert all(t.startswith(("http://", "https://")) for t in link_targets(body.markdown))
