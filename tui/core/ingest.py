"""Parse a fetched feed and store it in a worker process: one transaction per feed.

Used when a refresh is given a process pool (``Refresher(parse_pool=...)``); by default
a refresh parses and writes on threads of its own process (:mod:`tui.core.refresh`).
Each worker keeps one cache connection.
"""

from __future__ import annotations

import threading
from pathlib import Path

from tui.core.parse import parse_feed
from tui.core.store import Store

_local = threading.local()


def _store(cache_path: str) -> Store:
    """This worker's connection to the cache (opened on first use)."""
    stores: dict[str, Store] = getattr(_local, "stores", None) or {}
    _local.stores = stores
    if cache_path not in stores:
        stores[cache_path] = Store(Path(cache_path))
    return stores[cache_path]


def ingest(
    cache_path: str,
    feed_id: int,
    body: bytes,
    url: str,
    content_type: str = "",
    etag: str = "",
    last_modified: str = "",
    fresh_for: int = 0,
) -> int:
    """Parse ``body`` and save it as feed ``feed_id``; return how many articles are new.

    Raises :class:`~tui.core.errors.ParseError` when the document is not a feed.
    """
    parsed = parse_feed(body, url, content_type)
    store = _store(cache_path)
    return store.save_feed(
        feed_id, parsed, etag=etag, last_modified=last_modified, fresh_for=fresh_for
    )


def ready() -> bool:
    """Nothing: submitted once per worker so the pool starts them early."""
    return True
