"""Pages behind links: fetch an article page and extract it; open a section ("More in …").

Blocking functions for worker threads and the CLI; each request is bounded by the settings.
"""

from __future__ import annotations

import asyncio
import html
import re
from dataclasses import dataclass
from pathlib import Path

from tui.config import Settings
from tui.core.errors import FetchError, ParseError
from tui.core.fetch import Fetcher, Response
from tui.core.models import ArticleBody, RelatedLink
from tui.core.sanitize import clean_line, safe_url

PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
_HTML_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "")


@dataclass(frozen=True, slots=True)
class Section:
    """A section page ("More in TV News"): its feed if it has one, and the articles it lists."""

    url: str
    title: str
    feed_url: str
    """The section's own feed, found by ``<link rel="alternate">``; empty when it has none."""
    items: tuple[RelatedLink, ...]


_META_CHARSET = re.compile(
    rb"""<meta[^>]{0,200}charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.I
)
_TITLE = re.compile(r"<title[^>]*>(.{0,2000}?)</title>", re.I | re.S)
_OG_TITLE = re.compile(
    r"""<meta[^>]{0,200}property\s*=\s*["']og:title["'][^>]{0,200}content\s*=\s*["']([^"']{1,1000})""",
    re.I,
)


def decode_html(body: bytes, content_type: str = "") -> str:
    """Decode a page using the charset from the header, a BOM, or ``<meta charset>``."""
    for bom, encoding in (
        (b"\xef\xbb\xbf", "utf-8"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
    ):
        if body.startswith(bom):
            return body[len(bom) :].decode(encoding, errors="replace")
    candidates = []
    if m := re.search(r"charset=([\w.:-]+)", content_type, re.I):
        candidates.append(m.group(1))
    if m := _META_CHARSET.search(body[:8192]):
        candidates.append(m.group(1).decode("ascii"))
    for encoding in candidates:
        try:
            return body.decode(encoding, errors="replace")
        except LookupError:
            continue
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace")


def page_title(page: str) -> str:
    """The page's og:title or <title>, sanitized."""
    m = _OG_TITLE.search(page[:200_000]) or _TITLE.search(page[:200_000])
    return clean_line(html.unescape(m.group(1)), 200) if m else ""


async def _get(url: str, settings: Settings, accept: str, max_bytes: int) -> Response:
    from tui.core.refresh import fetch_limits

    async with Fetcher(fetch_limits(settings, max_bytes)) as fetcher:
        return await fetcher.get(url, accept=accept)


def fetch(url: str, settings: Settings | None = None, *, accept: str = PAGE_ACCEPT) -> Response:
    """Blocking GET of one page, bounded by ``settings`` (max_page_bytes, time-outs)."""
    settings = settings or Settings()
    return asyncio.run(_get(url, settings, accept, settings.max_page_bytes))


def fetch_html(url: str, settings: Settings | None = None) -> tuple[str, str]:
    """Fetch a web page; return (final URL, HTML). Refuses what is not HTML."""
    response = fetch(url, settings)
    kind = response.content_type.split(";")[0].strip().lower()
    if kind not in _HTML_TYPES:
        raise FetchError(f"not a web page (the server sent {clean_line(kind, 60)})")
    return response.url, decode_html(response.body, response.content_type)


def fetch_article_body(
    source: str, *, base_url: str | None = None, settings: Settings | None = None
) -> ArticleBody:
    """Extract an article from an http(s) URL or a local .html / .html.gz file."""
    from tui.core.extract import extract_article, load_html_file

    if source.startswith(("http://", "https://")):
        url, page = fetch_html(source, settings)
        return extract_article(page, url)
    path = Path(source)
    if not path.is_file():
        scheme = source.split(":", 1)[0] if ":" in source else ""
        if scheme and len(scheme) > 1:
            raise FetchError(f"blocked: only http(s) URLs are fetched ({scheme}:)")
        raise FetchError(f"{source}: no such file")
    try:
        page = load_html_file(path)
    except OSError as error:
        raise FetchError(f"{source}: {error.strerror or error}") from None
    base = safe_url(base_url) if base_url else None
    if base_url and not base:
        raise ParseError(f"--base-url must be an http(s) URL, got {base_url!r}")
    return extract_article(page, base or "")


def open_section(url: str, settings: Settings | None = None) -> Section:
    """Read a section page: list its feed's articles, or else the article links on the page."""
    from tui.core.parse import parse_feed
    from tui.core.refresh import FEED_ACCEPT
    from tui.core.related import find_feed_links, find_section_links

    final_url, page = fetch_html(url, settings)
    title = page_title(page) or final_url
    for feed_url in find_feed_links(page, final_url)[:1]:
        try:
            response = fetch(feed_url, settings, accept=FEED_ACCEPT)
            parsed = parse_feed(response.body, response.url, response.content_type)
        except (FetchError, ParseError):
            break
        items = tuple(
            RelatedLink("related", entry.title, entry.url) for entry in parsed.entries if entry.url
        )
        return Section(final_url, parsed.title or title, response.url, items)
    return Section(final_url, title, "", tuple(find_section_links(page, final_url)))
