"""Typed values passed between the layers. Nothing above ``parse.py`` sees a feedparser dict."""

from __future__ import annotations

from dataclasses import dataclass, field

from tui.core.sanitize import short_url

#: Kinds of related link, in the order the related panel groups them.
RELATED_KINDS = ("next", "more", "source", "related", "inline")


def feed_display_name(name: str, title: str, url: str) -> str:
    """How a feed is named on screen: its configured name, else its own title, else its
    URL (without the scheme)."""
    return name or title or short_url(url)


@dataclass(frozen=True, slots=True)
class RelatedLink:
    """A link an article offers its reader: ``NEXT: …``, ``More in TV News``,
    ``Source: A via B``…"""

    kind: str
    """One of :data:`RELATED_KINDS`."""
    label: str
    """Sanitized, single-line text shown to the reader."""
    url: str
    """Absolute http(s) URL."""


@dataclass(frozen=True, slots=True)
class ArticleBody:
    """An article page turned into Markdown, plus what was found around it."""

    url: str
    title: str = ""
    author: str = ""
    published: str = ""
    """ISO 8601 date or date-time, or empty when unknown."""
    markdown: str = ""
    text: str = ""
    """Plain text, paragraphs separated by blank lines."""
    headings: tuple[str, ...] = ()
    related: tuple[RelatedLink, ...] = ()
    feed_url: str = ""
    """The page's ``<link rel="alternate">`` feed, if it declares one."""


@dataclass(frozen=True, slots=True)
class ParsedEntry:
    """One item of a feed, with the stable identity the store keys on."""

    guid: str
    url: str
    title: str
    author: str
    published: float | None
    """Unix time, or None when the feed gives no usable date."""
    summary: str
    """HTML or text, untrusted."""
    content: str
    """HTML or text, untrusted; empty when the feed has only a summary."""


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A parsed feed document."""

    title: str
    link: str
    entries: tuple[ParsedEntry, ...] = ()
    warning: str = ""
    """Set when the document was not well-formed but items could still be read."""
    ttl_seconds: int = 0
    """How long the document says it may be cached (RSS ``<ttl>``, given in minutes);
    0 when it does not say."""


@dataclass(frozen=True, slots=True)
class FeedState:
    """A feed as the cache knows it."""

    id: int
    url: str
    title: str
    name: str = ""
    section: str = ""
    etag: str = ""
    last_modified: str = ""
    last_fetched: float | None = None
    last_error: str = ""
    unread: int = 0
    total: int = 0
    not_before: float | None = None
    """Not fetched before this time: the server asked to back off (Retry-After, 429)."""
    asks_seconds: int = 0
    """How long the feed asks to be left alone: its ``<ttl>`` or its server's max-age."""

    @property
    def display_name(self) -> str:
        """The configured name, else the feed's own title, else its URL (without the
        scheme)."""
        return feed_display_name(self.name, self.title, self.url)


@dataclass(frozen=True, slots=True)
class ArticleRow:
    """What the article list needs for one row."""

    id: int
    title: str
    feed_name: str
    published: float | None
    read: bool
    starred: bool


@dataclass(frozen=True, slots=True)
class Article:
    """A cached article with everything the reading pane shows."""

    id: int
    feed_id: int | None
    guid: str
    url: str
    title: str
    author: str
    published: float | None
    summary: str
    content: str
    full_markdown: str
    """Markdown of the extracted page, empty until fetched."""
    read: bool
    starred: bool
    feed_name: str = ""
    related: tuple[RelatedLink, ...] = field(default=())
    """Related links found on the fetched page (empty until fetched)."""
    full_fetched: float | None = None
    """When the page was fetched and extracted (None: not yet)."""


@dataclass(frozen=True, slots=True)
class ListQuery:
    """Which articles the list shows, and in what order."""

    feed_id: int | None = None
    section: str | None = None
    unread_only: bool = False
    starred_only: bool = False
    search: str = ""
    """Full-text query (FTS5), empty for none."""
    sort: str = "date"
    """``date`` (newest first) or ``feed`` (by feed name, then newest first)."""


@dataclass(frozen=True, slots=True)
class FeedOutcome:
    """What happened to one feed in a refresh."""

    url: str
    name: str
    new: int = 0
    not_modified: bool = False
    skipped: bool = False
    error: str = ""


@dataclass(slots=True)
class RefreshSummary:
    """The whole run: shown by the CLI and the app's status line."""

    outcomes: list[FeedOutcome] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def new(self) -> int:
        """New articles, all feeds."""
        return sum(outcome.new for outcome in self.outcomes)

    @property
    def failures(self) -> list[FeedOutcome]:
        """Feeds that failed, with their reasons."""
        return [outcome for outcome in self.outcomes if outcome.error]

    @property
    def fetched(self) -> int:
        """Feeds asked for (not skipped)."""
        return sum(not outcome.skipped for outcome in self.outcomes)

    def describe(self) -> str:
        """One line: ``12 new articles from 9 feeds, 1 failed, 3 unchanged (0.8 s)``."""
        unchanged = sum(outcome.not_modified for outcome in self.outcomes)
        parts = [f"{self.new} new article{'s' * (self.new != 1)} from {self.fetched} feeds"]
        if self.failures:
            parts.append(f"{len(self.failures)} failed")
        if unchanged:
            parts.append(f"{unchanged} unchanged")
        skipped = len(self.outcomes) - self.fetched
        if skipped:
            parts.append(f"{skipped} not due")
        return ", ".join(parts) + f" ({self.seconds:.1f} s)"
