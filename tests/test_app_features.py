"""Daily-reader features driven by Pilot: sidebar and views, marks with undo, show/hide read,
sort, copy, save, feed health, adding and removing feeds, palette, keys, themes, refresh."""

from __future__ import annotations

import re
import struct
import threading
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from textual import events
from textual.command import CommandPalette

import tui.widgets.lead_image as lead_image_module
from tests.apphelpers import long_list_app, screen_text, wait_for
from tests.conftest import DATA
from tests.server import Route, TestServer
from tui.app import TvnewsApp
from tui.config import load_config
from tui.core.images import LeadImage, lead_image
from tui.core.models import ListQuery
from tui.core.refresh import refresh
from tui.core.store import Store, default_cache_path
from tui.screens.dialogs import AddFeedDialog, ConfirmDialog
from tui.screens.health import FeedHealthScreen
from tui.screens.help import HelpScreen
from tui.screens.main import MainScreen
from tui.widgets.article_list import ArticleList
from tui.widgets.lead_image import LeadPicture
from tui.widgets.quiet import TextLine
from tui.widgets.reading_pane import ReadingPane
from tui.widgets.sidebar import Sidebar

WIDE = (160, 45)


def feeds_toml(server: TestServer, settings: str = "", keys: str = "") -> str:
    """Two TV News feeds (3 articles each), one Tech feed (1), one broken feed."""
    return f"""# feeds for the feature tests
[settings]
refresh_on_start = false   # tests refresh by hand
auto_refresh_minutes = 0
{settings}

[[feeds]]
name = "Site"
url = "{server.url("/feed.xml")}"
section = "TV News"

[[feeds]]
name = "TV section"
url = "{server.url("/tv-news/feed.xml")}"
section = "TV News"

[[feeds]]
name = "Cloudflare"
url = "{server.url("/feeds/rss20-cloudflare-blog-content-encoded.xml")}"
section = "Tech"

[[feeds]]
name = "Broken"
url = "{server.url("/gone.xml")}"

[keys]
{keys}
"""


def make(tmp_path: Path, text: str, *, prefill: bool = True) -> TvnewsApp:
    path = tmp_path / "feeds.toml"
    path.write_text(text, encoding="utf-8")
    config = load_config(path)
    cache = default_cache_path(tmp_path / "data")
    if prefill:
        with ThreadPoolExecutor(1) as thread:
            thread.submit(refresh, cache, config.feeds, config.settings).result()
    return TvnewsApp(config, cache)


def main(app: TvnewsApp) -> MainScreen:
    screen = app.screen_stack[1] if len(app.screen_stack) > 1 else app.screen
    assert isinstance(screen, MainScreen)
    return screen


async def choose(pilot, title: str) -> None:
    """Pick a sidebar row by its title, as a reader would: focus, move, Enter. (The sidebar
    is filled just after the first frame.)"""
    sidebar = pilot.app.screen.query_one(Sidebar)
    await wait_for(pilot, lambda: title in [view.title for view in sidebar.views])
    sidebar.focus()
    sidebar.highlighted = [view.title for view in sidebar.views].index(title)
    await pilot.press("enter")
    await pilot.pause()


def notified(app: TvnewsApp) -> str:
    """Every notification shown so far (title and message), one per line."""
    return "\n".join(f"{n.title}: {n.message}" for n in app._notifications)


def unread_in_store(app: TvnewsApp) -> int:
    return main(app).store.count(ListQuery(unread_only=True))


async def test_marking_thousands_read_is_saved_in_the_background(tmp_path: Path) -> None:
    app = long_list_app(tmp_path, 5000)
    async with app.run_test(size=WIDE) as pilot:
        articles = main(app).query_one(ArticleList)
        await pilot.press("A")
        await wait_for(pilot, lambda: "Marking every unread article here read…" in notified(app))
        await pilot.press("j", "j")
        assert articles.cursor == 2
        marked = "Marked 5,000 articles read. Press u to undo."
        await wait_for(pilot, lambda: marked in notified(app))
        assert unread_in_store(app) == 0
        assert articles.current is not None and articles.current.read, "the list shows them read"
        await pilot.press("u")
        await wait_for(pilot, lambda: "Marking 5,000 articles unread…" in notified(app))
        await wait_for(pilot, lambda: "5,000 articles unread again." in notified(app))
        assert unread_in_store(app) == 5000
        status = main(app).query_one("#status-line", TextLine)
        await wait_for(pilot, lambda: "5,000 unread" in str(status.text))


async def test_quitting_while_thousands_are_marked_waits_for_the_marks(tmp_path: Path) -> None:
    app = long_list_app(tmp_path, 5000)
    async with app.run_test(size=WIDE) as pilot:
        # A, then q at once, while the worker saves (Pilot's press would wait for it).
        main(app).action_mark_all_read()
        app.action_back_or_quit()
        saving = "Saving the marks first; tvnews quits when they are saved…"
        await wait_for(pilot, lambda: saving in notified(app) or not app.is_running)
        assert saving in notified(app), "q waited, and said why"
        await wait_for(pilot, lambda: not app.is_running)
    store = Store(app.cache_path)
    assert store.count(ListQuery(unread_only=True)) == 0, "every mark was saved"
    store.close()


async def test_sidebar_lists_views_sections_and_feeds_with_counts(
    server: TestServer, tmp_path: Path
) -> None:
    app = make(tmp_path, feeds_toml(server))
    async with app.run_test(size=WIDE) as pilot:
        sidebar = app.screen.query_one(Sidebar)
        await wait_for(pilot, lambda: len(sidebar.views) == 9)
        assert sidebar.display
        assert [(view.kind, view.title) for view in sidebar.views] == [
            ("all", "All articles"),
            ("unread", "Unread"),
            ("starred", "Starred"),
            ("section", "Tech"),
            ("feed", "Cloudflare"),
            ("section", "TV News"),
            ("feed", "Site"),
            ("feed", "TV section"),
            ("feed", "Broken"),
        ]
        text = screen_text(app)
        assert "TV News         6" in text and "Site          3" in text
        assert "⚠ Broken" in text, "a failing feed is marked"
        assert "Unread          7" in text


async def test_an_opened_article_counts_one_less_counted_off_the_ui_thread(
    server: TestServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening an article marks it read: its feed, its section and Unread count one less.
    The sidebar is counted on a worker thread (500 feeds took ~35 ms at 100k articles on
    the UI thread, after every article opened, and the next key waited), and only the rows
    whose count changed are drawn again (all of them were: ~30 ms at 200 x 50)."""
    app = make(tmp_path, feeds_toml(server))
    counted_on: list[threading.Thread] = []
    feeds = Store.feeds

    def recorded(store: Store, **kwargs: bool) -> list:
        counted_on.append(threading.current_thread())
        return feeds(store, **kwargs)

    monkeypatch.setattr(Store, "feeds", recorded)
    async with app.run_test(size=WIDE) as pilot:
        screen = main(app)
        sidebar = screen.query_one(Sidebar)
        await wait_for(pilot, lambda: "Unread          7" in screen_text(app))
        row = screen.query_one(ArticleList).current
        assert row is not None
        article = screen.store.article(row.id)
        assert article is not None and article.feed_id is not None
        feed = next(f for f in screen.store.feeds() if f.id == article.feed_id)
        counted_on.clear()
        drawn: list[str | None] = []
        visual = sidebar._get_visual

        def recorded_visual(option):  # each row Textual measures or draws anew
            drawn.append(option.id)
            return visual(option)

        sidebar._get_visual = recorded_visual  # type: ignore[method-assign]
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Unread          6" in screen_text(app))
        shown = sidebar.get_option(f"feed-{feed.id}").prompt.plain.split()[-1]  # type: ignore[union-attr]
        assert shown == (str(feed.unread - 1) if feed.unread > 1 else feed.display_name)
        assert counted_on and threading.main_thread() not in counted_on
        changed = {"unread", f"feed-{feed.id}", f"section-{feed.section}"}
        assert "unread" in drawn and set(drawn) <= changed, drawn


async def test_sidebar_counts_stay_whole_when_it_scrolls_and_counts_are_long(
    tmp_path: Path,
) -> None:
    """More feeds than fit (the sidebar has a scrollbar) and a five-digit count: every
    count is shown whole (the scrollbar took a cell, and counts showed as "3…")."""
    app = long_list_app(tmp_path, 12_345, empty_feeds=60)
    async with app.run_test(size=WIDE) as pilot:
        sidebar = app.screen.query_one(Sidebar)
        await wait_for(pilot, lambda: len(sidebar.views) == 3 + 1 + 61)
        await pilot.pause()
        assert sidebar.display and sidebar.max_scroll_y > 0
        region = sidebar.region

        def shown() -> str:
            lines = app.screen._compositor.render_strips()
            return "\n".join(
                "".join(segment.text for segment in line.crop(region.x, region.right))
                for line in lines[region.y : region.bottom]
            )

        top = shown()
        sidebar.scroll_end(animate=False)
        await pilot.pause()
        bottom = shown()
        rows = (("All artic…", top), ("Unread", top), ("TV News", top), ("Long", bottom))
        for name, where in rows:
            assert re.search(rf"{re.escape(name)} +12,345 +│", where), where


async def test_views_all_unread_starred_section_and_feed(
    server: TestServer, tmp_path: Path
) -> None:
    app = make(tmp_path, feeds_toml(server))
    async with app.run_test(size=WIDE) as pilot:
        articles = app.screen.query_one(ArticleList)
        assert articles.total == 7
        await choose(pilot, "Cloudflare")
        assert articles.total == 1 and articles.has_focus
        assert articles.border_title == "Cloudflare"
        await choose(pilot, "TV News")
        assert articles.total == 6
        assert {articles.row(n).feed_name for n in range(6)} == {"Site", "TV section"}
        await pilot.press("s")  # star the first TV News article
        await pilot.press("S")
        assert articles.total == 1 and articles.border_title == "Starred"
        await pilot.press("enter")  # open it: read now
        await pilot.press("escape", "U")
        assert articles.total == 6 and articles.border_title == "Unread"
        await pilot.press("V")
        assert articles.total == 7 and articles.border_title == "Articles"


async def test_mark_all_read_then_undo(server: TestServer, tmp_path: Path) -> None:
    app = make(tmp_path, feeds_toml(server))
    async with app.run_test(size=WIDE) as pilot:
        await choose(pilot, "TV News")
        await pilot.press("A")
        assert unread_in_store(app) == 1, "only the section's articles were marked"
        await wait_for(pilot, lambda: "Marked 6 articles read. Press u to undo." in notified(app))
        await choose(pilot, "All articles")
        await pilot.press("A")
        assert unread_in_store(app) == 0
        await pilot.press("u")
        assert unread_in_store(app) == 1
        await pilot.press("u")
        assert unread_in_store(app) == 7
        await pilot.press("u")
        await wait_for(pilot, lambda: "Nothing to undo." in notified(app))
        status = app.screen.query_one("#status-line", TextLine).text
        assert "7 unread" in str(status)


async def test_hide_read_articles_and_show_them_again(server: TestServer, tmp_path: Path) -> None:
    app = make(tmp_path, feeds_toml(server))
    async with app.run_test(size=WIDE) as pilot:
        articles = app.screen.query_one(ArticleList)
        await pilot.press("enter", "escape", "j", "m")  # open the first, mark the second
        await pilot.press("h")
        assert articles.total == 5
        assert articles.border_title == "Articles (unread only)"
        await choose(pilot, "TV News")
        unread_here = main(app).store.count(ListQuery(section="TV News", unread_only=True))
        assert unread_here == 5 and articles.total == 5
        await pilot.press("h")
        assert articles.total == 6


async def test_sort_by_feed_then_by_date(server: TestServer, tmp_path: Path) -> None:
    app = make(tmp_path, feeds_toml(server))
    async with app.run_test(size=WIDE) as pilot:
        articles = app.screen.query_one(ArticleList)
        by_date = [articles.row(n).feed_name for n in range(7)]
        assert by_date[0] == "Cloudflare", "newest first"
        await pilot.press("O")
        by_feed = [articles.row(n).feed_name for n in range(7)]
        assert by_feed == ["Cloudflare", *["Site"] * 3, *["TV section"] * 3]
        assert "by feed" in articles.border_title
        await pilot.press("O")
        assert [articles.row(n).feed_name for n in range(7)] == by_date


async def test_copy_url_and_save_as_markdown(server: TestServer, tmp_path: Path) -> None:
    save_dir = tmp_path / "saved"
    app = make(tmp_path, feeds_toml(server, f'save_dir = "{save_dir}"'))
    async with app.run_test(size=WIDE) as pilot:
        await choose(pilot, "Site")
        await pilot.press("y")
        assert app.clipboard == server.url("/things-we-want-jessica-jones-season-2/")
        await pilot.press("w", "w")
        await pilot.pause()
        saved = sorted(save_dir.iterdir())
        assert [path.name for path in saved] == [
            "things-we-want-in-jessica-jones-season-2-2.md",
            "things-we-want-in-jessica-jones-season-2.md",
        ]
        text = saved[1].read_text()
        assert text.startswith("# Things We Want In Jessica Jones Season 2\n")
        assert server.url("/things-we-want-jessica-jones-season-2/") in text
        assert "Trish Walker" in text
        await pilot.press("enter")
        pane = app.screen.query_one(ReadingPane)
        await wait_for(pilot, lambda: not main(app).pending)
        await pilot.press("escape", "j", "y")  # the reading pane's article wins over the cursor
        assert app.clipboard == server.url("/things-we-want-jessica-jones-season-2/")
        assert "Things We Want" in pane.markdown


async def test_feed_health_lists_failures_and_opens_a_feed(
    server: TestServer, tmp_path: Path
) -> None:
    app = make(tmp_path, feeds_toml(server))
    async with app.run_test(size=WIDE) as pilot:
        status = app.screen.query_one("#status-line", TextLine)
        # The status line is filled just after the first frame.
        await wait_for(pilot, lambda: "1 feed failing" in status.text)
        await pilot.press("E")
        assert isinstance(app.screen, FeedHealthScreen)
        feed, status = app.screen.rows[0]
        assert (feed.display_name, status) == ("Broken", "failing")
        assert "HTTP 404 Not Found" in screen_text(app)
        assert [status for _, status in app.screen.rows[1:]] == ["ok", "ok", "ok"]
        await pilot.press("down", "enter")
        assert isinstance(app.screen, MainScreen)
        assert main(app).view.kind == "feed"
        assert app.screen.query_one(ArticleList).border_title == "Cloudflare"
        await pilot.press("E", "escape")
        assert isinstance(app.screen, MainScreen)


async def test_feed_health_of_many_feeds_shows_first_and_fills_in_after() -> None:
    """Textual's table measures every cell it is given: 500 feeds took ~250 ms before the
    screen showed. The first rows are there with the first frame, the rest follow in
    batches a frame apart, in order."""
    from textual.app import App
    from textual.widgets import DataTable

    from tui.core.models import FeedState
    from tui.screens.health import FIRST_ROWS

    feeds = [
        FeedState(n, f"https://example.com/{n}", f"Feed {n:03}", last_fetched=1.7e9)
        for n in range(1, 251)
    ]
    feeds.append(FeedState(999, "https://example.com/x", "Broken", last_error="HTTP 404"))
    chosen: list[int | None] = []
    mounted_with: list[int] = []

    class Health(FeedHealthScreen):
        def on_mount(self) -> None:  # Textual runs FeedHealthScreen's own as well
            mounted_with.append(self.query_one(DataTable).row_count)

    class Host(App[None]):
        def on_mount(self) -> None:
            self.push_screen(Health(feeds), chosen.append)

    app = Host()
    async with app.run_test(size=(120, 40)) as pilot:
        assert mounted_with == [FIRST_ROWS], "the first rows only, for the first frame"
        table = app.screen.query_one(DataTable)
        await pilot.press("down")
        await wait_for(pilot, lambda: table.row_count == len(feeds))
        names = [str(table.get_row_at(n)[1]) for n in range(table.row_count)]
        assert names == ["Broken"] + [f"Feed {n:03}" for n in range(1, 251)]
        assert table.cursor_row == 1
        table.move_cursor(row=table.row_count - 1)  # a row added after the first frame
        await pilot.press("enter")
        assert chosen == [250]


async def test_a_url_typed_at_once_after_a_goes_into_the_dialog(
    server: TestServer, tmp_path: Path
) -> None:
    """``a`` and a URL sent in one go (a paste, a script): the letters that reach the app
    before the dialog is up go into its URL field, and none acts as a list key (s, m, o)."""
    app = make(tmp_path, feeds_toml(server))
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause()
        articles = app.screen.query_one(ArticleList)
        before = (articles.cursor, articles.current)
        url = "https://news.example/tv/feed.xml?sort=jkmnos"
        for char in "a" + url:
            app.post_message(events.Key(char, char))
        await wait_for(pilot, lambda: isinstance(app.screen, AddFeedDialog))
        field = app.screen.query_one("#add-url")
        await wait_for(pilot, lambda: field.value == url)
        assert (articles.cursor, articles.current) == before, "no key reached the list"


async def test_add_a_feed_from_the_app(server: TestServer, tmp_path: Path) -> None:
    app = make(tmp_path, feeds_toml(server))
    path = tmp_path / "feeds.toml"
    async with app.run_test(size=WIDE) as pilot:
        await choose(pilot, "Tech")
        await pilot.press("a")
        assert isinstance(app.screen, AddFeedDialog)
        assert app.screen.query_one("#add-section").value == "Tech", "the section in view"
        # A site page whose feed is already listed: the dialog says so and stays.
        await pilot.press(*server.url("/tv-news/"), "enter")
        await wait_for(pilot, lambda: "Already in your feeds" in screen_text(app))
        assert isinstance(app.screen, AddFeedDialog)
        app.screen.query_one("#add-url").value = server.url(
            "/feeds/atom10-minimal-missing-fields.xml"
        )
        app.screen.query_one("#add-name").value = "Minimal Atom"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        await wait_for(pilot, lambda: not main(app).refreshing)
        text = path.read_text()
        assert text.startswith("# feeds for the feature tests\n")
        assert 'name = "Minimal Atom"' in text and 'section = "Tech"' in text
        assert text.index("Minimal Atom") < text.index("[keys]")
        sidebar = app.screen.query_one(Sidebar)
        await wait_for(pilot, lambda: "Minimal Atom" in [v.title for v in sidebar.views])
        assert len(app.config.feeds) == 5
        await choose(pilot, "Minimal Atom")
        assert app.screen.query_one(ArticleList).total >= 1, "fetched right away"


async def test_adding_a_feed_that_fails_keeps_the_dialog(
    server: TestServer, tmp_path: Path
) -> None:
    app = make(tmp_path, feeds_toml(server))
    before = (tmp_path / "feeds.toml").read_text()
    async with app.run_test(size=WIDE) as pilot:
        await pilot.press("a", "enter")
        assert "Type the URL" in screen_text(app)
        app.screen.query_one("#add-url").value = server.url("/nothing-here.xml")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "No feed added: HTTP 404 Not Found" in screen_text(app))
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
    assert (tmp_path / "feeds.toml").read_text() == before


async def test_remove_a_feed_after_confirming(server: TestServer, tmp_path: Path) -> None:
    app = make(tmp_path, feeds_toml(server))
    path = tmp_path / "feeds.toml"
    async with app.run_test(size=WIDE) as pilot:
        sidebar = app.screen.query_one(Sidebar)
        await wait_for(pilot, lambda: sidebar.views)
        sidebar.focus()
        sidebar.highlighted = [view.title for view in sidebar.views].index("Cloudflare")
        await pilot.press("D")
        assert isinstance(app.screen, ConfirmDialog)
        assert "Remove the feed Cloudflare?" in screen_text(app)
        await pilot.press("n")
        assert "Cloudflare" in path.read_text()
        await pilot.press("D", "y")
        await pilot.pause()
        assert "Cloudflare" not in path.read_text()
        assert path.read_text().startswith("# feeds for the feature tests\n")
        await wait_for(pilot, lambda: "Cloudflare" not in [v.title for v in sidebar.views])
        assert app.screen.query_one(ArticleList).total == 6
        assert [feed.name for feed in app.config.feeds] == ["Site", "TV section", "Broken"]


async def test_removing_a_feed_that_failed_just_now_clears_its_failure(
    server: TestServer, tmp_path: Path
) -> None:
    """A feed with no name of its own (the sidebar shows its title) fails in a refresh,
    then is removed: the status line stops counting it as failing."""
    server.routes["/flaky.xml"] = Route(
        body=(DATA / "feeds" / "rss20-cloudflare-blog-content-encoded.xml").read_bytes(),
        headers={"Content-Type": "application/rss+xml"},
    )
    text = feeds_toml(server) + f'\n[[feeds]]\nurl = "{server.url("/flaky.xml")}"\n'
    text = text.replace("\n[keys]\n", "\n") + "\n[keys]\n"
    app = make(tmp_path, text)
    server.routes["/flaky.xml"] = Route(status=500)
    async with app.run_test(size=WIDE) as pilot:
        screen = main(app)
        status = screen.query_one("#status-line", TextLine)
        await pilot.press("r")
        await wait_for(pilot, lambda: not screen.refreshing and "2 feeds failing" in status.text)
        # Named by its title, as the sidebar names it, not by its URL. (A notification
        # is a message to the app: it may be listed a moment after the status line.)
        await wait_for(pilot, lambda: "The Cloudflare Blog: HTTP 500" in notified(app))
        sidebar = screen.query_one(Sidebar)
        # The sidebar is counted on a worker after the refresh (and after the first frame).
        await wait_for(pilot, lambda: "Broken" in [view.title for view in sidebar.views])
        sidebar.focus()
        titles = [view.title for view in sidebar.views]
        sidebar.highlighted = titles.index("The Cloudflare Blog", titles.index("Broken"))
        await pilot.press("D", "y")
        await wait_for(pilot, lambda: len(sidebar.views) == len(titles) - 1)
        # The status line is counted again after the frame (a moment later under load).
        await wait_for(pilot, lambda: "1 feed failing" in status.text)


async def test_command_palette_offers_actions_views_and_feeds(
    server: TestServer, tmp_path: Path
) -> None:
    app = make(tmp_path, feeds_toml(server))
    async with app.run_test(size=WIDE) as pilot:
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"Starred view")
        await wait_for(pilot, lambda: "S · Reader" in screen_text(app))
        await pilot.press("enter")
        await wait_for(pilot, lambda: main(app).view.kind == "starred")
        await pilot.press("ctrl+p", *"Feed: TV section")
        await wait_for(pilot, lambda: "3 unread" in screen_text(app))
        await pilot.press("enter")
        await wait_for(pilot, lambda: main(app).view.title == "TV section")
        await pilot.press("ctrl+p", *"Mark all read")  # fuzzy: "All read"
        await pilot.press("escape")
        await pilot.press("ctrl+p", *"All read")
        await wait_for(pilot, lambda: "A · Reader" in screen_text(app))
        await pilot.press("enter")
        await wait_for(pilot, lambda: unread_in_store(app) == 4)


async def test_keys_table_rebinds_and_help_shows_it(server: TestServer, tmp_path: Path) -> None:
    keys = 'mark_all_read = "M"\ntoggle_star = "x"\nno_such_action = "z"'
    app = make(tmp_path, feeds_toml(server, keys=keys))
    async with app.run_test(size=WIDE) as pilot:
        await wait_for(pilot, lambda: "Unknown ids in [keys]: no_such_action" in notified(app))
        await pilot.press("A")
        assert unread_in_store(app) == 7, "A no longer marks all read"
        await pilot.press("M")
        assert unread_in_store(app) == 0
        await pilot.press("x")
        assert main(app).store.article(main(app).article_list.current.id).starred
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        rows = app.screen.rows
        assert ("Reader", "M", "All read", "mark_all_read") in rows
        assert ("Reader", "x", "Star", "toggle_star") in rows
        ids = {row[3] for row in rows}
        for expected in (
            "add_feed",
            "remove_feed",
            "undo",
            "toggle_show_read",
            "toggle_sort",
            "copy_url",
            "save_markdown",
            "feed_health",
            "toggle_sidebar",
            "change_theme",
            "command_palette",
            "sidebar.down",
            "view_unread",
        ):
            assert expected in ids, expected
        assert all(row[3] for row in rows), "every binding has an id for [keys]"


async def test_theme_choice_is_saved_to_feeds_toml(server: TestServer, tmp_path: Path) -> None:
    app = make(tmp_path, feeds_toml(server, 'theme = "nord"  # my theme'))
    path = tmp_path / "feeds.toml"
    async with app.run_test(size=WIDE) as pilot:
        assert app.theme == "nord"
        await pilot.press("T")
        assert isinstance(app.screen, CommandPalette), "T opens the theme picker"
        await pilot.press("escape")
        app.theme = "gruvbox"
        await wait_for(pilot, lambda: 'theme = "gruvbox"  # my theme' in path.read_text())
        assert path.read_text().startswith("# feeds for the feature tests\n")
    assert load_config(path).settings.theme == "gruvbox"


async def test_reading_width_and_mark_read_on_open_settings(
    server: TestServer, tmp_path: Path
) -> None:
    app = make(tmp_path, feeds_toml(server, "reading_width = 60\nmark_read_on_open = false"))
    async with app.run_test(size=WIDE) as pilot:
        pane = app.screen.query_one(ReadingPane)
        assert pane.reading_width == 60
        await pilot.press("enter")
        await wait_for(pilot, lambda: not main(app).pending)
        assert pane.text_width == 60 < pane.size.width
        widest = max(len(line.rstrip()) for line in pane.rendered_text)
        assert 40 < widest <= 60
        assert unread_in_store(app) == 7, "opening did not mark it read"


async def test_refresh_tells_about_new_articles_and_failures(
    server: TestServer, tmp_path: Path
) -> None:
    app = make(tmp_path, feeds_toml(server), prefill=False)
    async with app.run_test(size=WIDE) as pilot:
        status = app.screen.query_one("#status-line", TextLine)
        await wait_for(pilot, lambda: "not refreshed yet" in status.text)
        await pilot.press("r")
        await wait_for(pilot, lambda: main(app).last_refresh is not None)
        await wait_for(pilot, lambda: "7 new articles" in notified(app))
        await wait_for(pilot, lambda: "1 feed failed" in notified(app))  # the next message
        text = notified(app)
        assert "7 new articles" in text
        assert "TV section 3" in text and "Cloudflare 1" in text
        assert "1 feed failed" in text
        line = status.text
        assert "refreshed just now" in line and "1 feed failing" in line
        sidebar = app.screen.query_one(Sidebar)
        await wait_for(pilot, lambda: "Cloudflare" in [v.title for v in sidebar.views])


async def test_prefetch_caches_full_articles_after_a_refresh(
    server: TestServer, tmp_path: Path
) -> None:
    text = feeds_toml(server, "prefetch_full_articles = true")
    app = make(tmp_path, text.split("[[feeds]]")[0] + "[[feeds]]" + text.split("[[feeds]]")[1])
    async with app.run_test(size=WIDE) as pilot:
        await pilot.press("r")
        cache = default_cache_path(tmp_path / "data")

        def cached() -> int:
            store = Store(cache)
            try:
                return len(
                    store.db.execute("SELECT id FROM articles WHERE full_fetched").fetchall()
                )
            finally:
                store.close()

        await wait_for(pilot, lambda: cached() == 3, timeout=30)
        assert server.count("/jessica-jones-season-2-filming/") == 1
        requests = len(server.requests)
        await pilot.press("enter")
        await pilot.pause()
        assert not main(app).pending, "the page is cached: nothing to fetch"
        assert len(server.requests) == requests


async def test_sidebar_starts_hidden_on_narrow_terminals(
    server: TestServer, tmp_path: Path
) -> None:
    app = make(tmp_path, feeds_toml(server))
    async with app.run_test(size=(120, 40)) as pilot:
        sidebar = app.screen.query_one(Sidebar)
        assert not sidebar.display
        await pilot.press("backslash")
        assert sidebar.display
        await choose(pilot, "Tech")
        assert app.screen.query_one(ArticleList).total == 1
        await pilot.press("backslash")
        assert not sidebar.display


# -- the lead picture ------------------------------------------------------------------------


def png(width: int = 8, height: int = 6) -> bytes:
    """A small red PNG, written by hand (no imaging library needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


PICTURE_ITEM = """<?xml version="1.0"?><rss version="2.0"><channel><title>Pictures</title>
<link>{base}/</link><item><title>With a picture</title>
<link>{base}/jessica-jones-season-2-filming/</link>
<guid>pic-1</guid><description><![CDATA[<img src="/pixel.gif" width="1" height="1">
<figure><img src="/lead.png" alt="alt text"><figcaption>Krysten Ritter as Jessica Jones</figcaption>
</figure><p>Production has begun.</p>]]></description></item></channel></rss>"""


def test_lead_image_is_the_first_real_picture_with_its_caption() -> None:
    html = PICTURE_ITEM.split("<![CDATA[")[1].split("]]>")[0]
    image = lead_image(html, "https://site.example/a/")
    assert image == LeadImage("https://site.example/lead.png", "Krysten Ritter as Jessica Jones")
    assert lead_image('<img src="x.jpg" alt="Alt \x1b[31m">', "https://s.example/") == LeadImage(
        "https://s.example/x.jpg", "Alt [31m"
    )
    assert lead_image(
        '<img src="javascript:alert(1)"><img data-src="/d.png">', "https://s.example/"
    )
    assert lead_image('<img src="javascript:alert(1)">', "https://s.example/") is None
    assert lead_image("<p>no picture</p>", "https://s.example/") is None
    # A width in digits int() refuses is no size at all (it raised).
    assert lead_image('<img src="/w.png" width="²">', "https://s.example/") == LeadImage(
        "https://s.example/w.png", ""
    )


async def test_without_picture_support_the_caption_stays_in_the_text(
    server: TestServer, tmp_path: Path
) -> None:
    app = make(tmp_path, feeds_toml(server))
    async with app.run_test(size=WIDE) as pilot:
        await choose(pilot, "Cloudflare")
        await pilot.press("enter")
        await wait_for(pilot, lambda: not main(app).pending)
        picture = app.screen.query_one(LeadPicture)
        assert not picture.display and picture.image is None
        markdown = app.screen.query_one(ReadingPane).markdown
        assert r"\[Image: Privacy-Preserving Compromised Credential Checking\]" in markdown


async def test_with_picture_support_the_lead_picture_is_drawn(
    server: TestServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    widgets = pytest.importorskip("textual_image.widget", reason="the images extra is optional")
    # Headless tests have no terminal to ask, so choose the half-cell drawing the extra brings.
    monkeypatch.setattr(lead_image_module, "PICTURE_WIDGET", widgets.HalfcellImage)
    server.routes["/pictures.xml"] = Route(
        body=PICTURE_ITEM.format(base=server.base).encode(),
        headers={"Content-Type": "application/rss+xml"},
    )
    server.routes["/lead.png"] = Route(body=png(), headers={"Content-Type": "image/png"})
    url = server.url("/pictures.xml")
    text = f'[settings]\nrefresh_on_start = false\n\n[[feeds]]\nurl = "{url}"\n'
    app = make(tmp_path, text)
    async with app.run_test(size=WIDE) as pilot:
        await pilot.press("enter")
        picture = app.screen.query_one(LeadPicture)
        await wait_for(pilot, lambda: picture.display and not main(app).pending)
        assert picture.query(".picture")
        assert "Krysten Ritter as Jessica Jones" in str(picture.query_one("#lead-caption").render())
        assert server.count("/lead.png") == 1 and server.count("/pixel.gif") == 0
        await pilot.press("escape", "enter")
        await pilot.pause()
        assert server.count("/lead.png") == 1, "the same picture is not fetched again"


async def test_an_empty_view_says_why(server: TestServer, tmp_path: Path) -> None:
    """Empty starred and unread views say so, not "No articles yet"."""
    app = make(tmp_path, feeds_toml(server))
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause()
        articles = app.screen.query_one(ArticleList)
        assert articles.total > 0
        await pilot.press("S")
        await wait_for(pilot, lambda: articles.total == 0)
        shown = " ".join(articles.render_line(y).text.strip() for y in range(1, 4)).strip()
        assert shown == "Nothing starred yet. Press s on an article to star it."
        assert "Nothing starred yet. Press s on" in screen_text(app)
        await pilot.press("V", "A")  # all articles, then mark them all read
        await wait_for(pilot, lambda: unread_in_store(app) == 0)
        await pilot.press("U")
        await wait_for(pilot, lambda: articles.total == 0)
        assert "No unread articles. Press r to refresh." in screen_text(app)
        assert "No articles yet" not in screen_text(app)


def _space_app(tmp_path: Path) -> tuple[TvnewsApp, int]:
    """Three articles, newest first: Long (80 paragraphs), Read (read already), Short;
    with the id of Read. No links, so opening one fetches nothing."""
    from tests.conftest import write_config
    from tui.core.models import ParsedEntry, ParsedFeed

    url = "http://127.0.0.1:9/space.xml"
    config = write_config(tmp_path / "feeds.toml", [("Space", url)])
    cache = default_cache_path(tmp_path / "data")
    store = Store(cache)
    store.sync_feeds([(url, "Space", "")])
    long_text = "".join(f"<p>Paragraph {n} of the long one.</p>" for n in range(80))
    entries = (
        ParsedEntry("a", "", "Short", "", 1.7e9, "<p>Only a line.</p>", ""),
        ParsedEntry("b", "", "Read", "", 1.7e9 + 1, "<p>Read already.</p>", ""),
        ParsedEntry("c", "", "Long", "", 1.7e9 + 2, long_text, ""),
    )
    store.save_feed(store.feed_fetch_state(url)[0], ParsedFeed("Space", "", entries))
    read = next(row.id for row in store.rows(ListQuery(), 0, 3) if row.title == "Read")
    store.set_read([read], True)
    store.close()
    return TvnewsApp(load_config(config), cache), read


async def test_space_pages_through_an_article_then_opens_the_next_unread(tmp_path: Path) -> None:
    """Space scrolls the article a page at a time and, at its end, opens the next unread
    article (a read one in between is passed over), as mutt and slrn do."""
    app, read = _space_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.screen.query_one(ReadingPane)
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Paragraph 0 of the long one." in pane.markdown)
        await pilot.press("space")
        await wait_for(pilot, lambda: pane.scroll_y > 0)
        assert "Paragraph 0" in pane.markdown, "a page further, in the same article"
        for _ in range(20):  # to its end, then one more
            if pane.scroll_y >= pane.max_scroll_y:
                break
            await pilot.press("space")
            await pilot.pause()
        await pilot.press("space")
        await wait_for(pilot, lambda: "Only a line." in pane.markdown)
        assert main(app).article_list.current_id != read
        await pilot.press("space")  # the end again: nothing unread is left
        await wait_for(pilot, lambda: "No more unread articles." in notified(app))


async def test_space_typed_with_the_enter_that_opens_a_long_article_scrolls_it(
    tmp_path: Path,
) -> None:
    """Enter and Space as a fast typist sends them, in one read: Space sees the long
    article's length, not the short text shown before it, and scrolls it."""
    app, _ = _space_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.screen.query_one(ReadingPane)
        await pilot.pause()
        app.post_message(events.Key("enter", "\r"))
        app.post_message(events.Key("space", " "))
        await wait_for(pilot, lambda: pane.scroll_y > 0)
        assert "Paragraph 0 of the long one." in pane.markdown
