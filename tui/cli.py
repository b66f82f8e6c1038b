"""The ``tvnews`` command: starts the app, or runs a headless subcommand over the core.

Textual is imported only when the app starts, so subcommands stay quick.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tui import __version__
from tui.config import (
    Config,
    default_config_path,
    default_data_dir,
    ensure_user_config,
    load_config,
)
from tui.core.errors import ConfigError, StoreError, TvnewsError

if TYPE_CHECKING:
    from tui.core.store import Store

EXIT_CONFIG = 2


@dataclass(frozen=True, slots=True)
class Context:
    """What every subcommand needs: the config and where the cache is."""

    config: Config
    config_path: Path
    data_dir: Path

    @property
    def cache_path(self) -> Path:
        """The SQLite cache file."""
        from tui.core.store import default_cache_path

        return default_cache_path(self.data_dir)

    def open_store(self, notices: list[str] | None = None) -> Store:
        """Open the cache (rebuilt if damaged) and make the configured feeds active.

        What the user must know (the cache was damaged and rebuilt) is printed and added
        to ``notices``.
        """
        from tui.core.recovery import open_store_or_recover

        store, message = open_store_or_recover(self.cache_path)
        if message:
            print(f"tvnews: {message}", file=sys.stderr)
            if notices is not None:
                notices.append(message)
        store.sync_feeds((f.url, f.name, f.section) for f in self.config.feeds)
        return store


def build_parser() -> argparse.ArgumentParser:
    """Global options come before the subcommand: ``tvnews --config F --data-dir D refresh``."""
    parser = argparse.ArgumentParser(
        prog="tvnews",
        description="A terminal news reader. With no command, starts the reader.",
    )
    parser.add_argument("--version", action="version", version=f"tvnews {__version__}")
    parser.add_argument(
        "--config", type=Path, metavar="FILE", help="feeds.toml to use (default: %(default)s)"
    )
    parser.add_argument(
        "--data-dir", type=Path, metavar="DIR", help="where the cache lives (default: %(default)s)"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    refresh = commands.add_parser("refresh", help="fetch all feeds into the cache (for cron)")
    refresh.add_argument("--force", action="store_true", help="fetch feeds that are not due too")
    refresh.add_argument("-q", "--quiet", action="store_true", help="print only failures")

    extract = commands.add_parser("extract", help="print an article page as Markdown")
    extract.add_argument("source", metavar="URL_OR_FILE", help="http(s) URL, .html or .html.gz")
    extract.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    extract.add_argument("--base-url", metavar="URL", help="resolve a file's relative links")

    search = commands.add_parser("search", help="full-text search of the cache")
    search.add_argument("query", nargs="+", help="words to find (all must match)")
    search.add_argument("-n", "--limit", type=int, default=50, help="most results shown")

    from tui.feeds_cli import add_parsers

    add_parsers(commands)
    return parser


def _context(args: argparse.Namespace) -> Context:
    config_path = args.config or default_config_path()
    if args.config is None:
        ensure_user_config(config_path)
    config = load_config(config_path)
    return Context(config, config_path, args.data_dir or default_data_dir())


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``tvnews`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "extract":
            return cmd_extract(args)
        context = _context(args)
        if args.command is None:
            return run_app(context)
        if args.command == "refresh":
            return cmd_refresh(context, args)
        if args.command == "search":
            return cmd_search(context, args)
        from tui.feeds_cli import run as run_feeds_command

        if (code := run_feeds_command(context, args)) is not None:
            return code
    except ConfigError as error:
        print(f"tvnews: config error: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except StoreError as error:
        print(f"tvnews: cache error: {error}", file=sys.stderr)
        return 1
    except sqlite3.DatabaseError as error:
        return _cache_failed(args, error)
    except TvnewsError as error:
        print(f"tvnews: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    parser.error(f"unknown command {args.command!r}")
    return EXIT_CONFIG


def _cache_failed(args: argparse.Namespace, error: sqlite3.DatabaseError) -> int:
    """The cache failed in use: say so; a damaged one is checked and rebuilt next time."""
    from tui.core.recovery import failed_in_use
    from tui.core.store import default_cache_path

    path = default_cache_path(args.data_dir or default_data_dir())
    print(failed_in_use(path, error), file=sys.stderr)
    return 1


def run_app(context: Context) -> int:
    """Start the Textual app (imported only now)."""
    import gc

    gc.disable()  # start-up makes many long-lived objects; the main screen enables it again
    notices: list[str] = []
    # Checked (and repaired) now, then kept for the app: closing the last connection
    # would checkpoint a WAL left by a crash before the first frame (~0.4 s at 100k).
    store = context.open_store(notices)
    try:
        from tui.widgets.lead_image import enable_pictures

        enable_pictures()  # asks the terminal now, before the app takes it over
        from tui.app import TvnewsApp

        app = TvnewsApp(context.config, context.cache_path, notice="\n".join(notices), store=store)
        app.run()
    finally:
        store.close()  # the main screen closes it too when it unmounts; twice is harmless
    return app.return_code or 0


def cmd_refresh(context: Context, args: argparse.Namespace) -> int:
    """Refresh every configured feed; print progress (on a TTY) and a summary."""
    from tui.core.refresh import FeedOutcome, refresh
    from tui.core.workers import settle_refresh_process

    settle_refresh_process()

    context.open_store().close()
    tty = sys.stderr.isatty() and not args.quiet

    def progress(done: int, total: int, outcome: FeedOutcome) -> None:
        if tty:
            line = f"[{done}/{total}] {outcome.name[:60]}"
            print(f"\r\x1b[2K{line}", end="", file=sys.stderr, flush=True)

    summary = refresh(
        context.cache_path,
        context.config.feeds,
        context.config.settings,
        force=args.force,
        on_progress=progress,
    )
    if tty:
        print("\r\x1b[2K", end="", file=sys.stderr)
    if not args.quiet:
        print(summary.describe())
    from tui.core.prefetch import prefetch_after_refresh
    from tui.core.sanitize import clean_line

    saved, stopped = prefetch_after_refresh(context.cache_path, context.config.settings)
    if saved and not args.quiet:
        print(f"{saved} full article{'s' * (saved != 1)} cached for offline reading")
    if stopped:
        print(f"  full articles not cached: {clean_line(stopped)}", file=sys.stderr)
    for failure in summary.failures:
        print(f"  failed: {clean_line(failure.name)}: {clean_line(failure.error)}", file=sys.stderr)
    return 1 if summary.failures and len(summary.failures) == summary.fetched else 0


def cmd_extract(args: argparse.Namespace) -> int:
    """Print an article (URL or local file) as Markdown or JSON."""
    from tui.core.pages import fetch_article_body

    body = fetch_article_body(args.source, base_url=args.base_url)
    if args.json:
        from tui.core.extract import body_to_json

        print(json.dumps(body_to_json(body), ensure_ascii=False, indent=2))
    else:
        print(body.markdown)
    return 0


def cmd_search(context: Context, args: argparse.Namespace) -> int:
    """Print one line per match, newest first: title, feed, date, URL (tab-separated)."""
    from tui.core.models import ListQuery
    from tui.core.sanitize import clean_line
    from tui.core.search import search_terms
    from tui.core.timefmt import short_date

    text = " ".join(args.query)
    if not search_terms(text):
        print("tvnews: search: give at least one word (letters or digits)", file=sys.stderr)
        return EXIT_CONFIG
    store = context.open_store()
    try:
        rows = store.rows_by_id(store.ids(ListQuery(search=text), max(args.limit, 0)))
        for row in rows:
            article = store.article(row.id)
            url = clean_line(article.url if article else "", 2000)
            title = clean_line(row.title, 200)
            print(f"{title}\t{clean_line(row.feed_name, 60)}\t{short_date(row.published)}\t{url}")
    finally:
        store.close()
    if not rows:
        print(f"tvnews: no articles match {clean_line(text, 80)!r}", file=sys.stderr)
    return 0 if rows else 1


if __name__ == "__main__":
    sys.exit(main())
