"""``tvnews feeds add|list|remove``, ``tvnews import FILE`` and ``tvnews export``.

Each edits or reads feeds.toml (keeping the user's comments) and, for ``list``, the cache.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from tui.core.errors import TvnewsError
from tui.core.sanitize import clean_line

if TYPE_CHECKING:
    from tui.cli import Context


def add_parsers(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``feeds``, ``import`` and ``export`` on the main parser."""
    feeds = commands.add_parser("feeds", help="add, list or remove feeds")
    actions = feeds.add_subparsers(dest="feeds_command", metavar="ACTION")
    actions.required = True
    add = actions.add_parser("add", help="add a feed (a site URL works: its feed is found)")
    add.add_argument("url", metavar="URL", help="feed or web site URL")
    add.add_argument("--name", metavar="N", help="name shown in the app (default: feed title)")
    add.add_argument("--section", metavar="S", default="", help="section to file it under")
    add.add_argument(
        "--no-check", action="store_true", help="add the URL as given, without fetching it"
    )
    actions.add_parser("list", help="feeds with unread counts, last and next refresh, last error")
    remove = actions.add_parser("remove", help="remove a feed (by URL or exact name)")
    remove.add_argument("url", metavar="URL", help="feed URL or name")

    importer = commands.add_parser("import", help="add the feeds of an OPML or newsboat urls file")
    importer.add_argument("file", type=Path, metavar="FILE", help="OPML file or newsboat urls file")
    exporter = commands.add_parser("export", help="print the feed list as OPML 2.0")
    exporter.add_argument("-o", "--output", type=Path, metavar="FILE", help="write to FILE")
    exporter.add_argument(
        "--format", choices=("opml", "newsboat"), default="opml", help="%(choices)s"
    )


def run(context: Context, args: argparse.Namespace) -> int | None:
    """Run a command of this module; None when ``args.command`` is not one."""
    if args.command == "feeds":
        handler = {"add": cmd_add, "list": cmd_list, "remove": cmd_remove}[args.feeds_command]
        return handler(context, args)
    if args.command == "import":
        return cmd_import(context, args)
    if args.command == "export":
        return cmd_export(context, args)
    return None


def cmd_add(context: Context, args: argparse.Namespace) -> int:
    """Find the feed behind the URL and append it to feeds.toml."""
    from tui.core.discover import discover_feed, normalize_url
    from tui.core.feedlist import NewFeed, add_feed

    if args.no_check:
        url, title = normalize_url(args.url), ""
    else:
        found = discover_feed(args.url, context.config.settings)
        url, title = found.url, found.title
    if any(feed.url == url for feed in context.config.feeds):
        raise TvnewsError(f"already in {context.config_path}: {url}")
    name = clean_line(args.name or title, 200)
    add_feed(context.config_path, NewFeed(url, name, clean_line(args.section, 100)))
    print(f"Added {name or url} ({url}) to {context.config_path}")
    return 0


def cmd_remove(context: Context, args: argparse.Namespace) -> int:
    """Delete a feed from feeds.toml (its cached articles are hidden, starred ones kept)."""
    from tui.core.feedlist import find_feed, remove_feed

    feed = find_feed(context.config, args.url)
    if feed is None:
        raise TvnewsError(f"no feed with URL or name {args.url!r} in {context.config_path}")
    remove_feed(context.config_path, feed.url)
    print(f"Removed {clean_line(feed.name) or feed.url} ({feed.url}) from {context.config_path}")
    return 0


def cmd_list(context: Context, args: argparse.Namespace) -> int:
    """One line per configured feed: name, section, unread/total, last refresh, when the
    next refresh fetches it, status, URL."""
    from tui.core.schedule import next_fetch
    from tui.core.timefmt import long_date

    store = context.open_store()
    try:
        known = {feed.url: feed for feed in store.feeds()}
    finally:
        store.close()
    rows = [("NAME", "SECTION", "UNREAD", "TOTAL", "LAST REFRESH", "NEXT", "STATUS", "URL")]
    now = time.time()
    for feed in context.config.feeds:
        state = known.get(feed.url)
        name = clean_line(feed.name or (state.title if state else "") or feed.url, 40)
        refreshed = long_date(state.last_fetched) if state and state.last_fetched else "never"
        error = clean_line(state.last_error, 80) if state else ""
        status = f"error: {error}" if error else ("ok" if state and state.last_fetched else "-")
        unread, total = (state.unread, state.total) if state else (0, 0)
        section = clean_line(feed.section, 20) or "-"
        upcoming = next_fetch(feed, context.config.settings, state, now)
        rows.append((name, section, str(unread), str(total), refreshed, upcoming, status, feed.url))
    widths = [max(len(row[n]) for row in rows) for n in range(7)]
    for row in rows:
        cells = [
            cell.rjust(w) if n in (2, 3) else cell.ljust(w)
            for n, (cell, w) in enumerate(zip(row[:7], widths, strict=True))
        ]
        print("  ".join([*cells, row[7]]).rstrip())
    failing = sum(
        1 for feed in context.config.feeds if known.get(feed.url) and known[feed.url].last_error
    )
    print(f"{len(context.config.feeds)} feeds, {failing} failing")
    return 0


def cmd_import(context: Context, args: argparse.Namespace) -> int:
    """Add every feed of an OPML or newsboat urls file that is not in feeds.toml yet."""
    from tui.core.feedlist import NewFeed, add_feeds
    from tui.core.opml import read_feed_list

    listed = read_feed_list(args.file)
    new = [NewFeed(feed.url, feed.name, feed.section, feed.tags) for feed in listed.feeds]
    _, added = add_feeds(context.config_path, new)
    for line in listed.skipped:
        print(f"  skipped {line}", file=sys.stderr)
    present = len(new) - len(added)
    print(
        f"Imported {len(added)} feed{'s' * (len(added) != 1)} from {args.file} into "
        f"{context.config_path}" + (f" ({present} already there)" if present else "")
    )
    return 0 if listed.feeds else 1


def cmd_export(context: Context, args: argparse.Namespace) -> int:
    """Print (or write with ``-o``) the feed list as OPML 2.0 or a newsboat urls file."""
    from tui.core.opml import ListedFeed, export_opml, newsboat_urls

    links = _site_links(context)
    feeds = [
        ListedFeed(feed.url, feed.name, feed.section, feed.tags, links.get(feed.url, ""))
        for feed in context.config.feeds
    ]
    text = export_opml(feeds) if args.format == "opml" else newsboat_urls(feeds)
    if args.output is None:
        sys.stdout.write(text)
        return 0
    _write_atomic(args.output, text)
    print(f"Wrote {len(feeds)} feeds to {args.output}", file=sys.stderr)
    return 0


def _site_links(context: Context) -> dict[str, str]:
    """Feed URL -> web site URL, from the cache when it exists (for OPML ``htmlUrl``)."""
    from tui.core.sanitize import safe_url
    from tui.core.store import Store

    if not context.cache_path.exists():
        return {}
    store = Store(context.cache_path)
    try:
        rows = store.db.execute("SELECT url, link FROM feeds WHERE link != ''").fetchall()
    finally:
        store.close()
    return {url: safe_url(link) or "" for url, link in rows}


def _write_atomic(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".export-", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except OSError as error:
        raise TvnewsError(f"{path}: {error.strerror or error}") from None
