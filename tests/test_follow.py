"""Following an article's own links on a seed-shaped loopback site, as a reader would."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from tests.apphelpers import make_app, screen_text, wait_for
from tests.server import Route, TestServer
from tui.core.store import Store
from tui.widgets.reading_pane import ReadingPane
from tui.widgets.related_panel import RelatedPanel

SIZE = (120, 40)


def config_text(tmp_path: Path) -> str:
    return (tmp_path / "feeds.toml").read_text()


def kinds(app) -> list[tuple[str, str]]:
    return [(link.kind, link.label) for link in app.screen.query_one(RelatedPanel).links]


async def open_row(pilot, app, index: int) -> None:
    app.screen.article_list.move_to(index)
    await pilot.press("enter")
    await wait_for(pilot, lambda: not app.screen.pending)


async def test_walk_next_back_more_in_and_open_from_the_section(
    server: TestServer, tmp_path: Path
) -> None:
    app = make_app(tmp_path, [("Screen Test", server.url("/feed.xml"))])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        pane = app.screen.query_one(ReadingPane)
        await open_row(pilot, app, 1)
        assert "# Jessica Jones Season 2 Begins Filming" in pane.markdown
        assert "## Jessica Jones Season 2 Directors" in pane.markdown
        assert kinds(app)[0] == ("next", "Things We Want In Jessica Jones Season 2")
        assert ("more", "More in TV News") in kinds(app)
        assert "1 NEXT" in screen_text(app)

        await pilot.press("1")
        await wait_for(pilot, lambda: "# Things We Want In Jessica Jones Season 2" in pane.markdown)
        await wait_for(pilot, lambda: not app.screen.pending)
        assert "## Trish Walker Steps Up" in pane.markdown
        assert "◀ b 2/2" in screen_text(app)

        await pilot.press("b")
        assert "# Jessica Jones Season 2 Begins Filming" in pane.markdown
        await pilot.press("f")
        assert "# Things We Want In Jessica Jones Season 2" in pane.markdown
        await pilot.press("b")

        more = next(n for n, (kind, _) in enumerate(kinds(app), 1) if kind == "more")
        await pilot.press(str(more))
        await wait_for(pilot, lambda: "TV News" in pane.markdown and "Section" in pane.markdown)
        titles = [link.label for link in app.screen.query_one(RelatedPanel).links]
        assert titles == [
            "Things We Want In Jessica Jones Season 2",
            "Jessica Jones Season 2 Begins Filming",
            "That '70s Show Theory: Eric Was In A Coma (& Died In The Finale)",
        ]
        assert server.count("/tv-news/feed.xml") == 1, "the section's feed was discovered"

        await pilot.press("3")
        await wait_for(pilot, lambda: "# That '70s Show Theory" in pane.markdown)
        await pilot.press("b")
        assert "Section" in pane.markdown

        await pilot.press("plus")
        await wait_for(pilot, lambda: server.url("/tv-news/feed.xml") in config_text(tmp_path))
        assert "Screen Test" in config_text(tmp_path), "the user's feeds stay"


async def test_pages_in_no_feed_are_cached_and_read_offline(
    server: TestServer, tmp_path: Path
) -> None:
    app = make_app(tmp_path, [("Screen Test", server.url("/feed.xml"))])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await open_row(pilot, app, 1)
        pane = app.screen.query_one(ReadingPane)
        inline = [
            n
            for n, link in enumerate(app.screen.query_one(RelatedPanel).links, 1)
            if link.url.endswith("/iron-fist-season-1-review/")
        ]
        server.routes["/iron-fist-season-1-review/"] = Route(
            body=b"<html><head><title>Iron Fist Review</title></head><body><article>"
            b"<h1>Iron Fist Season 1 Review</h1>"
            + b"<p>Danny Rand returns to New York after fifteen years away from home.</p>" * 8
            + b"</article></body></html>",
            headers={"Content-Type": "text/html; charset=utf-8"},
        )
        assert inline and inline[0] <= 9
        await pilot.press(str(inline[0]))
        await wait_for(pilot, lambda: "Danny Rand returns" in pane.markdown)
        assert "# Iron Fist Review" in pane.markdown
    store = Store(tmp_path / "data" / "cache.sqlite3")
    page = store.article_by_url(server.url("/iron-fist-season-1-review/"))
    assert page is not None and page.feed_id is None and "Danny Rand" in page.full_markdown


async def test_failures_show_their_reason_and_enter_twice_fetches_once(
    server: TestServer, tmp_path: Path
) -> None:
    server.routes["/feeds/slow.xml"] = Route(
        body=(Path(__file__).parent / "data/seed/feed.xml")
        .read_bytes()
        .replace(
            b"https://screenrant.example/jessica-jones-season-2-filming/",
            server.url("/slow-article/").encode(),
        ),
        headers={"Content-Type": "application/rss+xml"},
    )
    release = threading.Event()

    def answer_when_released(handler: BaseHTTPRequestHandler) -> None:
        release.wait(10)
        handler.send_response(404)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    server.routes["/slow-article/"] = Route(handler=answer_when_released)
    app = make_app(tmp_path, [("Slow", server.url("/feeds/slow.xml"))])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        app.screen.article_list.focus()
        await pilot.press("enter")  # while the first fetch is still waiting for its answer
        await wait_for(pilot, lambda: server.count("/slow-article/") >= 1)
        await pilot.pause(0.2)
        release.set()
        await wait_for(pilot, lambda: not app.screen.pending)
        await pilot.pause()
        assert server.count("/slow-article/") == 1
        notice = app.screen.query_one(ReadingPane).notice
        assert notice.endswith("/slow-article/: HTTP 404 Not Found")
        assert "Could not fetch" in screen_text(app)
        assert "Directors" in app.screen.query_one(ReadingPane).markdown, "feed text still shown"


async def test_clicking_a_link_in_the_text_follows_it(server: TestServer, tmp_path: Path) -> None:
    app = make_app(tmp_path, [("Screen Test", server.url("/feed.xml"))])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await open_row(pilot, app, 1)
        pane = app.screen.query_one(ReadingPane)
        await wait_for(pilot, lambda: any("Iron Fist" in line for line in pane.rendered_text))
        row = next(n for n, line in enumerate(pane.rendered_text) if "Iron Fist" in line)
        column = pane.rendered_text[row].index("Iron Fist")
        left, top = pane.gutter.left, pane.gutter.top
        server.routes["/iron-fist-season-1-review/"] = Route(
            body=b"<html><head><title>Iron Fist Review</title></head><body><article>"
            + b"<p>Danny Rand returns to New York after fifteen years away from home.</p>" * 8
            + b"</article></body></html>",
            headers={"Content-Type": "text/html; charset=utf-8"},
        )
        await pilot.click(pane, offset=(left + column + 2, top + row - int(pane.scroll_y)))
        await wait_for(pilot, lambda: "Danny Rand returns" in pane.markdown)
        assert server.count("/iron-fist-season-1-review/") == 1
