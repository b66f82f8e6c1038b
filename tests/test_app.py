"""The app driven by Pilot: launch, move, open, headings, related links, refresh, quit."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual import events
from textual.widgets import ProgressBar

from tests.apphelpers import make_app, screen_text, serve_seed_feed, wait_for
from tests.server import TestServer
from tui.core.models import ListQuery
from tui.core.store import Store
from tui.screens.help import HelpScreen
from tui.screens.main import MainScreen, RefreshProgress
from tui.widgets.article_list import ArticleList
from tui.widgets.key_bar import KeyBar
from tui.widgets.reading_pane import ReadingPane
from tui.widgets.related_panel import RelatedPanel

SIZE = (120, 40)


def headings(app) -> list[str]:
    return app.screen.query_one(ReadingPane).headings


async def test_launch_shows_cached_articles_before_any_network(
    server: TestServer, tmp_path: Path
) -> None:
    app = make_app(tmp_path, [("Screen Test", server.url("/feed.xml"))])
    requests_before = len(server.requests)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        article_list = app.screen.query_one(ArticleList)
        assert article_list.total == 3
        assert article_list.has_focus
        first = article_list.row(0)
        assert first is not None and first.title == "Things We Want In Jessica Jones Season 2"
        assert "Things We Want In Jessica" in screen_text(app)
        assert len(server.requests) == requests_before, "refresh_on_start is off here"
        await pilot.press("j")
        assert article_list.cursor == 1
        await pilot.press("k", "k")
        assert article_list.cursor == 0
        await pilot.press("G")
        assert article_list.cursor == 2
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_seed_article_shows_its_heading_and_related_links(
    server: TestServer, tmp_path: Path
) -> None:
    app = make_app(tmp_path, [("Screen Rant TV News", serve_seed_feed(server))])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        pane = app.screen.query_one(ReadingPane)
        await wait_for(pilot, lambda: "Jessica Jones Season 2 Directors" in pane.markdown)
        await wait_for(pilot, lambda: not app.screen.pending)
        assert "Jessica Jones Season 2 Directors" in headings(app)
        assert headings(app)[0] == "Jessica Jones Season 2 Begins Filming"
        links = app.screen.query_one(RelatedPanel).links
        pairs = [(link.kind, link.label) for link in links]
        assert ("next", "Things We Want In Jessica Jones Season 2") in pairs
        assert ("more", "More in TV News") in pairs
        assert [link.label for link in links if link.kind == "source"] == ["OLV", "MCUexchange"]
        shot = screen_text(app)
        assert "NEXT" in shot and "Things We Want In Jessica Jones Season 2" in shot
        assert "More in TV News" in shot
        row = app.screen.query_one(ArticleList).row(0)
        assert row is not None and row.read, "opening marks the article read"


async def test_tab_cycles_panes_and_q_goes_back_then_quits(
    server: TestServer, tmp_path: Path
) -> None:
    app = make_app(tmp_path, [("Screen Test", server.url("/feed.xml"))])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("tab")
        assert isinstance(app.focused, ReadingPane)
        await pilot.press("tab")
        assert isinstance(app.focused, RelatedPanel)
        await pilot.press("shift+tab", "shift+tab")
        assert isinstance(app.focused, ArticleList)
        await pilot.press("tab", "q")
        assert isinstance(app.focused, ArticleList)
        assert app.is_running
        await pilot.press("question_mark")
        await pilot.pause()
        assert "Refresh" in screen_text(app) and "Next unread" in screen_text(app)
        await pilot.press("escape", "q")
        await pilot.pause()
    assert not app.is_running


async def test_keys_typed_right_after_q_do_not_stop_the_quit(
    server: TestServer, tmp_path: Path
) -> None:
    app = make_app(tmp_path, [("Screen Test", server.url("/feed.xml"))])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        # As a terminal delivers fast typing: all queued at once. (``a`` and ``/`` are
        # priority keys, run as they arrive, so they would open their dialog first.)
        for key in "qE?":
            app.post_message(events.Key(key if key != "?" else "question_mark", key))
        await pilot.pause(0.5)
    assert app.return_code == 0, "a screen was mounted into a closing app"


async def test_an_article_opened_at_once_is_not_replaced_by_the_welcome(
    server: TestServer, tmp_path: Path, monkeypatch
) -> None:
    # The welcome text is due a moment after the first frame; a reader can be faster.
    monkeypatch.setattr("tui.screens.main.FIRST_FRAME_SECONDS", 1.5)
    app = make_app(tmp_path, [("Screen Test", server.url("/feed.xml"))])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Things We Want In Jessica Jones Season 2" in headings(app))
        await wait_for(pilot, lambda: not app.screen.pending)
        await pilot.pause(1.8)  # the moment is past
        assert "Things We Want In Jessica Jones Season 2" in headings(app)
        assert "Pick an article in the list" not in app.screen.query_one(ReadingPane).markdown


async def test_key_bar_follows_focus_and_a_click_presses_the_key(
    server: TestServer, tmp_path: Path
) -> None:
    app = make_app(tmp_path, [("Screen Test", server.url("/feed.xml"))])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        bar = app.screen.query_one(KeyBar)
        descriptions = [key.description for key in bar.keys]
        assert "Open" in descriptions, "Enter opens from the list"
        assert descriptions[-1] == "Commands", "the palette key sits on the right"
        assert "⏎ Open" in screen_text(app).splitlines()[-1]
        await pilot.press("tab")
        await pilot.pause()
        assert "Open" not in [key.description for key in bar.keys]
        assert "⏎ Open" not in screen_text(app).splitlines()[-1]
        line = screen_text(app).splitlines()[-1]
        await pilot.hover(KeyBar, offset=(line.index("Help"), 0))
        assert bar.hovered == "question_mark", "the key under the pointer is highlighted"
        await pilot.click(KeyBar, offset=(line.index("Help"), 0))
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


async def test_refresh_in_the_app_adds_articles_and_reports_failures(
    server: TestServer, tmp_path: Path
) -> None:
    app = make_app(
        tmp_path,
        [("Screen Test", server.url("/feed.xml")), ("Gone", server.url("/feeds/gone.xml"))],
        prefill=False,
    )
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MainScreen)
        assert screen.query_one(ArticleList).total == 0
        await pilot.press("r")
        await wait_for(pilot, lambda: not screen.refreshing)
        assert screen.query_one(ArticleList).total == 3
        assert screen.failing == [(server.url("/feeds/gone.xml"), "Gone", "HTTP 404 Not Found")]
        assert "1 feed failing" in screen_text(app)


async def test_the_status_line_says_refreshing_until_the_refresh_ends(
    server: TestServer, tmp_path: Path
) -> None:
    """Marking or opening an article while a refresh runs rewrites the status line; it
    still says the refresh runs (it used to drop "refreshing…" at the first mark)."""
    from tests.server import Route

    app = make_app(tmp_path, [("Screen Test", server.url("/feed.xml"))])
    server.routes["/feed.xml"] = Route(body=b"", status=304, delay=1.5)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        status = screen.query_one("#status-line")
        await pilot.press("r")
        await wait_for(pilot, lambda: "refreshing…" in status.text)
        await pilot.press("m", "enter")
        await pilot.pause()
        assert screen.refreshing and "refreshing…" in status.text, status.text
        await wait_for(pilot, lambda: not screen.refreshing)
        await pilot.pause()
        assert "refreshing" not in status.text and "refreshed just now" in status.text


async def test_marks_and_stars_are_kept(server: TestServer, tmp_path: Path) -> None:
    app = make_app(tmp_path, [("Screen Test", server.url("/feed.xml"))])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("m", "s")
        row = app.screen.query_one(ArticleList).row(0)
        assert row is not None and row.read and row.starred
        await pilot.press("m")
    again = make_app(tmp_path, [("Screen Test", server.url("/feed.xml"))], prefill=False)
    async with again.run_test(size=SIZE) as pilot:
        await pilot.pause()
        row = again.screen.query_one(ArticleList).row(0)
        assert row is not None and not row.read and row.starred


def counts_recorded(monkeypatch: pytest.MonkeyPatch) -> list[ListQuery]:
    """The queries ``Store.count`` is asked from now on (it still counts)."""
    counted: list[ListQuery] = []
    count = Store.count

    def recorded(store: Store, query: ListQuery) -> int:
        counted.append(query)
        return count(store, query)

    monkeypatch.setattr(Store, "count", recorded)
    return counted


async def test_m_moves_the_unread_count_by_one_without_counting_again(
    server: TestServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """m marks the row read, m again unread: the status line's unread count follows by
    one each time, without counting every unread article again (~25 ms at 100k, on the
    UI thread, for each m)."""
    app = make_app(tmp_path, [("Screen Test", server.url("/feed.xml"))])
    async with app.run_test(size=SIZE) as pilot:
        status = app.screen.query_one("#status-line")
        await wait_for(pilot, lambda: " unread" in status.text)
        unread = app.screen.store.count(ListQuery(unread_only=True))
        assert f"{unread:,} unread" in status.text
        counted = counts_recorded(monkeypatch)
        await pilot.press("m")
        await wait_for(pilot, lambda: f"{unread - 1:,} unread" in status.text)
        await pilot.press("m")
        await wait_for(pilot, lambda: f"{unread:,} unread" in status.text)
        assert not [query for query in counted if query.unread_only], counted


async def test_a_view_and_its_unread_articles_are_counted_once(
    server: TestServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Switching views counts the view's articles and its unread ones in one pass, for
    the list and the status line (they were counted separately, 9.5 + 22.6 ms at 100k,
    against 16 ms at once); after a mark the status line is still right."""
    app = make_app(tmp_path, [("Screen Test", server.url("/feed.xml"))])
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        status = screen.query_one("#status-line")
        await wait_for(pilot, lambda: " unread" in status.text)
        unread = screen.store.count(ListQuery(unread_only=True))
        total = screen.store.count(ListQuery())
        assert total >= unread >= 2
        counted = counts_recorded(monkeypatch)
        for key, unread_only in (("U", True), ("V", False)):  # unread, then all articles
            counted.clear()
            await pilot.press(key)
            await pilot.pause()
            assert screen.list_query.unread_only is unread_only
            assert counted == [screen.list_query], counted
            assert f"{unread:,} unread" in status.text, status.text
        assert f"{total:,} articles" in status.text
        await pilot.press("m")
        await wait_for(pilot, lambda: f"{unread - 1:,} unread" in status.text)
        await pilot.press("U", "V")  # the unread articles, then all again
        await pilot.pause()
        assert f"{unread - 1:,} unread" in status.text, status.text
        assert screen.store.count(ListQuery(unread_only=True)) == unread - 1


async def test_refresh_progress_repaints_a_few_times_a_second(
    server: TestServer, tmp_path: Path
) -> None:
    """Feeds done close together share one repaint of the bar; the last count shows."""
    app = make_app(tmp_path, [("Screen Test", server.url("/feed.xml"))])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        bar = app.screen.query_one("#refresh-progress", ProgressBar)
        for done in range(1, 51):
            app.screen.post_message(RefreshProgress(done, 50, f"feed {done}", ""))
        await pilot.pause()
        assert bar.progress == 0, "not one repaint per feed"
        await wait_for(pilot, lambda: bar.progress == 50)
        assert bar.total == 50
