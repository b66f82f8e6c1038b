"""When a feed is due: the configured interval, what the feed asks, and server back-offs.

Shared by the refresh (which skips feeds not due), ``tvnews feeds list`` and feed health
(which say when each one is due next), so all read the same rule.
"""

from __future__ import annotations

from tui.config import FeedConfig, Settings
from tui.core.models import FeedState
from tui.core.timefmt import duration

#: Longest a feed's own ``<ttl>`` or its server's max-age keeps it from being fetched
#: (some servers give a month): a day, like Retry-After (and Miniflux's default).
ASKS_AT_MOST = 86400


def fetch_interval(feed: FeedConfig, settings: Settings, asks: int) -> float:
    """Seconds between fetches of ``feed``: as configured, and no less than the feed asks
    (``asks``: its ``<ttl>`` or its server's max-age, up to :data:`ASKS_AT_MOST`) unless
    the interval configured is 0, which fetches it every time."""
    minutes = feed.interval_minutes
    if minutes is None:
        minutes = settings.feed_interval_minutes
    return max(minutes * 60, min(asks, ASKS_AT_MOST)) if minutes > 0 else 0


def due_at(
    feed: FeedConfig,
    settings: Settings,
    last_fetched: float | None,
    not_before: float | None,
    asks: int,
    *,
    force: bool = False,
) -> float:
    """When ``feed`` may be fetched next (0: any time). ``force`` (``r`` in the app,
    ``refresh --force``) skips the interval, never a server's Retry-After."""
    due = not_before or 0.0
    if not force and last_fetched:
        due = max(due, last_fetched + fetch_interval(feed, settings, asks))
    return due


def next_fetch(feed: FeedConfig, settings: Settings, state: FeedState | None, now: float) -> str:
    """When a refresh fetches ``feed`` next, for people: ``due``, or ``in 40 min`` and why
    when later than configured: ``(server asks)`` for a back-off, ``(feed asks)`` for its
    ``<ttl>`` / max-age."""
    if state is None:
        return "due"
    due = due_at(feed, settings, state.last_fetched, state.not_before, state.asks_seconds)
    if due <= now:
        return "due"
    text = f"in {duration(due - now)}"
    if state.not_before and due == state.not_before:
        return f"{text} (server asks)"
    if fetch_interval(feed, settings, state.asks_seconds) > fetch_interval(feed, settings, 0):
        return f"{text} (feed asks)"
    return text
