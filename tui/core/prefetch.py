"""Prefetching: fetch and extract the pages of recent articles so they read offline.

Pages are fetched concurrently (bounded like a refresh), extracted in worker processes,
and cached one article at a time; a page that fails is simply left for later.
"""

from __future__ import annotations

from concurrent.futures import Executor
from pathlib import Path

from tui.config import Settings
from tui.core.errors import TvnewsError
from tui.core.fetch import Fetcher
from tui.core.store import Store

#: Pages fetched per prefetch run at most.
PREFETCH_LIMIT = 40


def prefetch_full_articles(
    cache_path: Path,
    settings: Settings,
    *,
    limit: int = PREFETCH_LIMIT,
    pool: Executor | None = None,
) -> int:
    """Blocking: cache the full text of up to ``limit`` recent articles; return how many."""
    store = Store(cache_path)
    try:
        wanted = store.articles_needing_full_text(limit)
    finally:
        store.close()
    if not wanted:
        return 0
    import asyncio  # only now: a refresh that prefetches nothing runs without an event loop

    return asyncio.run(_prefetch(cache_path, settings, wanted, pool))


def prefetch_after_refresh(cache_path: Path, settings: Settings) -> tuple[int, str]:
    """The prefetch a refresh ends with, when the settings ask for it: how many pages it
    cached, and why it stopped ("" if it did not). Its failure is its own: the refresh
    before it saved its feeds and is not reported as failed."""
    if not settings.prefetch_full_articles:
        return 0, ""
    try:
        return prefetch_full_articles(cache_path, settings), ""
    except TvnewsError as error:
        return 0, str(error)


async def _prefetch(
    cache_path: Path, settings: Settings, wanted: list[tuple[int, str]], pool: Executor | None
) -> int:
    import asyncio

    from tui.core.extract import extract_article
    from tui.core.pages import PAGE_ACCEPT, decode_html
    from tui.core.refresh import fetch_limits, make_parse_pool

    own_pool = pool is None
    pool = pool or make_parse_pool(2)
    loop = asyncio.get_running_loop()
    store = Store(cache_path)
    saved = 0
    try:
        async with Fetcher(fetch_limits(settings, settings.max_page_bytes)) as fetcher:

            async def one(article_id: int, url: str) -> None:
                nonlocal saved
                try:
                    response = await fetcher.get(url, accept=PAGE_ACCEPT)
                    kind = response.content_type.split(";")[0].strip().lower()
                    if kind and "html" not in kind:
                        return
                    page = decode_html(response.body, response.content_type)
                    body = await loop.run_in_executor(pool, extract_article, page, response.url)
                except TvnewsError:
                    return
                except Exception:  # a page that breaks the extractor is skipped
                    return
                store.save_full_text(article_id, body)
                saved += 1

            await asyncio.gather(*(one(article_id, url) for article_id, url in wanted))
    finally:
        store.close()
        if own_pool:
            pool.shutdown(wait=False, cancel_futures=True)
    return saved
