"""From what the user typed to a feed: a feed URL works as is, a site URL by autodiscovery.

Blocking; call it from a worker thread or the CLI. The feed is fetched and parsed once,
so only URLs that really serve a feed are added.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import urljoin

from tui.config import Settings
from tui.core.errors import FetchError, ParseError
from tui.core.fetch import Fetcher, Response
from tui.core.sanitize import clean_line, safe_url

#: Where sites without a ``<link rel="alternate">`` usually keep their feed.
COMMON_PATHS = ("/feed", "/rss", "/feed.xml", "/rss.xml", "/atom.xml", "/index.xml")


@dataclass(frozen=True, slots=True)
class FoundFeed:
    """A feed that was fetched and parsed."""

    url: str
    title: str
    """The feed's own title, sanitized (may be empty)."""
    site_url: str = ""
    entries: int = 0


def normalize_url(text: str) -> str:
    """``example.com`` -> ``https://example.com``; raise FetchError for other schemes."""
    text = text.strip()
    if "://" not in text and not text.startswith(("mailto:", "javascript:", "file:", "data:")):
        text = "https://" + text
    url = safe_url(text)
    if url is None:
        raise FetchError(f"not an http(s) URL: {clean_line(text, 100)!r}")
    return url


def discover_feed(text: str, settings: Settings | None = None) -> FoundFeed:
    """Fetch ``text`` (a feed or a web page) and return the feed it is or declares."""
    return asyncio.run(_discover(normalize_url(text), settings or Settings()))


async def _discover(url: str, settings: Settings) -> FoundFeed:
    from tui.core.pages import decode_html
    from tui.core.parse import looks_like_html
    from tui.core.refresh import FEED_ACCEPT, fetch_limits
    from tui.core.related import find_feed_links

    async with Fetcher(fetch_limits(settings)) as fetcher:
        response = await fetcher.get(url, accept=FEED_ACCEPT)
        if not looks_like_html(response.body, response.content_type):
            return _parsed(url, response)
        page = decode_html(response.body, response.content_type)
        candidates = find_feed_links(page, response.url)
        guessed = [urljoin(response.url, path) for path in COMMON_PATHS]
        declared_error: FetchError | ParseError | None = None
        for candidate in [*candidates, *(g for g in guessed if g not in candidates)]:
            try:
                feed_response = await fetcher.get(candidate, accept=FEED_ACCEPT)
                if looks_like_html(feed_response.body, feed_response.content_type):
                    continue
                return _parsed(candidate, feed_response)
            except (FetchError, ParseError) as error:
                if candidate in candidates and declared_error is None:
                    declared_error = error
    if declared_error is not None:
        kind = FetchError if isinstance(declared_error, FetchError) else ParseError
        raise kind(f"the page's feed failed: {declared_error}")
    raise ParseError("no feed found: the page declares none and the usual places have none")


def _parsed(url: str, response: Response) -> FoundFeed:
    from tui.core.parse import parse_feed

    parsed = parse_feed(response.body, response.url, response.content_type)
    return FoundFeed(url, clean_line(parsed.title, 200), parsed.link, len(parsed.entries))
