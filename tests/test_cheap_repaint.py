"""Repainting cheaply: one-line text widgets, styles worked out once per repaint, and
garbage collected after frames rather than between a key and its frame."""

from __future__ import annotations

import contextlib
import gc
import weakref
from collections.abc import AsyncIterator, Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from rich.segment import Segment
from textual import events
from textual.app import App, ComposeResult
from textual.geometry import Size
from textual.scrollbar import ScrollBar
from textual.widget import Widget

from tests.apphelpers import long_list_app, make_app, screen_text, serve_seed_feed, wait_for
from tests.conftest import SHARED
from tests.server import TestServer
from tui.screens import garbage
from tui.widgets.article_list import LINES_KEPT, ArticleList
from tui.widgets.key_bar import KeyBar
from tui.widgets.quiet import TextLine, fit_cells, thumb_eighths
from tui.widgets.reading_pane import ReadingPane
from tui.widgets.related_panel import RelatedPanel

SIZE = (120, 40)


class Lines(App[None]):
    CSS = """
    #left { width: 12; }
    #middle { width: 12; text-align: center; }
    #right { width: 12; text-align: right; }
    """

    def compose(self) -> ComposeResult:
        yield TextLine("left", id="left")
        yield TextLine("mid", id="middle")
        yield TextLine("right", id="right")


async def test_text_line_places_cuts_and_never_reads_markup() -> None:
    app = Lines()
    async with app.run_test(size=(40, 5)) as pilot:
        left, middle, right = app.query(TextLine)
        assert left.render_line(0).text == "left        "
        assert middle.render_line(0).text == "    mid     "
        assert right.render_line(0).text == "       right"
        left.update("[bold]a very long line[/]")
        await pilot.pause()
        assert left.text == "[bold]a very long line[/]"
        assert left.render_line(0).text == "[bold]a ver…", "markup stays text; cut to 12 cells"
        assert left.render_line(0).cell_length == 12
        assert left.render_line(1).text.strip() == "", "one line only"


@pytest.mark.parametrize(
    ("text", "width", "shown"),
    [
        ("DrecomRSSに記事投稿", 14, "DrecomRSSに記…"),
        ("DrecomRSSに記事投稿", 15, "DrecomRSSに記… "),  # 事 does not fit: … right after 記
        ("日本語", 2, "… "),
        ("abc def ghi", 6, "abc d…"),
        ("short", 8, "short   "),
    ],
)
def test_cut_text_ends_in_an_ellipsis_right_after_the_text(
    text: str, width: int, shown: str
) -> None:
    assert fit_cells(text, width) == shown
    assert cell_len(shown) == width


async def test_panes_take_the_new_theme_colours(server: TestServer, tmp_path: Path) -> None:
    """Styles are worked out once per repaint, not once for all: a new theme shows."""
    app = make_app(tmp_path, [("Screen Rant TV News", serve_seed_feed(server))])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        pane, panel = app.screen.query_one(ReadingPane), app.screen.query_one(RelatedPanel)
        await wait_for(pilot, lambda: panel.links)
        await pilot.pause()

        articles, keys = app.screen.query_one(ArticleList), app.screen.query_one(KeyBar)

        def backgrounds() -> tuple[object, object, object, object]:
            return (
                list(pane.render_line(0))[-1].style.bgcolor,
                list(panel.render_line(0))[-1].style.bgcolor,
                next(iter(articles.render_line(0))).style.color,
                list(keys.render_line(0))[-1].style.bgcolor,
            )

        before = backgrounds()
        app.theme = "textual-light"
        await pilot.pause()
        await pilot.pause()
        app.screen._compositor.render_strips()  # a repaint, as the next frame makes
        after = backgrounds()
        assert all(new != old for new, old in zip(after, before, strict=True)), (before, after)
        assert after[0] == pane.rich_style.bgcolor and after[1] == panel.rich_style.bgcolor
        assert after[3] == keys.rich_style.bgcolor


async def test_opening_an_article_keeps_the_screen_background_as_drawn(
    server: TestServer, tmp_path: Path
) -> None:
    """Opening an article sets the screen's sub-title, and Textual repaints the whole
    screen: the screen's own lines (its background, under the panes) stay as they were
    drawn (they were drawn and cut at every pane's edge again: ~8 ms at 200 x 50), and are
    drawn anew for a new theme."""
    app = make_app(tmp_path, [("Screen Rant TV News", serve_seed_feed(server))])
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await pilot.pause()
        drawn: list[list] = []
        original = screen.render_lines

        def recorded(crop):
            drawn.append(lines := original(crop))
            return lines

        screen.render_lines = recorded  # type: ignore[method-assign]
        screen.refresh()
        await wait_for(pilot, lambda: drawn)
        before = drawn[-1]
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.query_one(RelatedPanel).links)
        await pilot.pause()
        assert screen.sub_title and len(drawn) > 1, "the whole screen was painted again"
        assert all(lines is before for lines in drawn), "with the lines drawn before"
        app.theme = "textual-light"
        await pilot.pause()
        await pilot.pause()
        assert drawn[-1] is not before
        assert list(drawn[-1][0])[-1].style.bgcolor == screen.rich_style.bgcolor


class Cycle:
    """Garbage only the cycle collector frees."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def collection_as_in_run_app() -> Iterator[None]:
    """Collection off until the first frame, as ``run_app`` does; Python's defaults after."""
    thresholds = gc.get_threshold()
    gc.disable()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)
    gc.enable()


async def test_young_garbage_is_collected_after_a_frame(
    server: TestServer, tmp_path: Path, collection_as_in_run_app: None
) -> None:
    app = make_app(tmp_path, [("Screen Test", server.url("/feed.xml"))])
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, gc.isenabled)  # after the first frame
        assert gc.get_threshold() == garbage.AUTOMATIC_THRESHOLDS
        cycles = [Cycle() for _ in range(garbage.COLLECT_AT)]
        watch = weakref.ref(cycles[0])
        del cycles
        assert watch() is not None, "Python alone would not collect these yet"
        await pilot.press("j")
        await wait_for(pilot, lambda: watch() is None)
        assert gc.get_count()[0] < garbage.COLLECT_AT


async def test_the_list_scrollbar_repaints_only_when_its_thumb_moves(tmp_path: Path) -> None:
    async with long_list_at_rest(tmp_path, 30_000) as (pilot, articles):
        # (the first frames, painted by now, drew the bar)
        bar = articles.vertical_scrollbar
        painted = []
        original = bar._render_content  # draws the bar anew

        def counted() -> None:
            painted.append(bar.position)
            original()

        bar._render_content = counted  # type: ignore[method-assign]
        thumbs = []
        for _ in range(12):
            await pilot.press("pagedown")
            await pilot.pause()
            assert bar.position == articles.scroll_y, "dragging starts from the true offset"
            thumbs.append(thumb_eighths(bar, bar.position))
        moves = sum(1 for a, b in pairwise(thumbs) if a != b)
        assert 0 < len(painted) <= moves + 1 < 12, (painted, thumbs)
        await pilot.press("G")
        await pilot.pause()
        thumb = [
            bool(next(iter(strip)).style.reverse) for strip in bar.render_lines(bar.size.region)
        ]
        assert thumb[-1] and not thumb[0], "at the end the thumb is drawn at the bottom"


async def test_focus_changes_keep_the_scrollbars_as_drawn(tmp_path: Path) -> None:
    """Tab and Esc restyle the panes they leave and enter, and Textual repainted their
    scrollbars then (~2.5 ms a bar), though nothing on them changed. The bars now keep
    their lines, which are still the lines Textual draws, and a new theme draws them
    anew."""
    async with long_list_at_rest(tmp_path, 3000) as (pilot, _articles):
        app = pilot.app
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.query_one(ReadingPane).markdown)
        await pilot.pause()
        panes = (ArticleList, ReadingPane, RelatedPanel)
        bars = [app.screen.query_one(pane).vertical_scrollbar for pane in panes]
        bars = [bar for bar in bars if bar.display and bar.size.height]
        assert len(bars) >= 2, "the list's and the reading pane's"
        drawn: list[object] = []
        for bar in bars:
            original = bar._render_content

            def counted(bar=bar, original=original) -> None:
                drawn.append(bar)
                original()

            bar._render_content = counted  # type: ignore[method-assign]

        def as_textual_draws(bar: ScrollBar) -> list[list[Segment]]:
            """The bar's lines drawn anew by Textual (its styles cache emptied)."""
            bar._styles_cache.clear()
            bar._render_content()
            return [list(strip) for strip in Widget.render_lines(bar, bar.size.region)]

        for key in ("tab", "tab", "tab", "escape", "tab", "escape"):
            await pilot.press(key)
            await pilot.pause()
        assert drawn == [], "no bar drawn again"
        for bar in bars:
            shown = [list(strip) for strip in bar.render_lines(bar.size.region)]
            assert shown == as_textual_draws(bar)
        before = [list(bar.render_lines(bar.size.region)[0]) for bar in bars]
        app.theme = "textual-light"
        await pilot.pause()
        await pilot.pause()
        after = [list(bar.render_lines(bar.size.region)[0]) for bar in bars]
        assert after != before
        for bar in bars:
            shown = [list(strip) for strip in bar.render_lines(bar.size.region)]
            assert shown == as_textual_draws(bar)


WIDE_TITLES = (
    "日本語のニュース見出しがとても長い場合の表示",
    "Emoji 🎬📺 in a title, with a combining e\u0301 and a tab\there",
    "A title far longer than any list column could ever hold, " * 4,
    "",
)


@pytest.mark.parametrize("width", [40, 83, 120, 201])
async def test_list_rows_fill_the_width_exactly(tmp_path: Path, width: int) -> None:
    """Rows are painted with their width known in advance; wide and odd titles too."""
    app = long_list_app(tmp_path, 10, WIDE_TITLES)
    async with app.run_test(size=(width, 20)) as pilot:
        articles = app.screen.query_one(ArticleList)
        await wait_for(pilot, lambda: articles.total == 10 + len(WIDE_TITLES))
        await pilot.press("j")
        inner = articles.scrollable_content_region.width
        for y in range(articles.total):
            strip = articles.render_line(y)
            assert sum(cell_len(segment.text) for segment in strip) == inner
            assert strip.cell_length == inner


class LinesRendered:
    """Counts the list's lines that Textual renders for the screen (each calls
    ``render_line``), not those prepared ahead."""

    def __init__(self, articles: ArticleList) -> None:
        self.count = 0
        original = articles.render_line

        def counted(y: int):
            self.count += articles._rendering is None
            return original(y)

        articles.render_line = counted  # type: ignore[method-assign]


async def _at_rest(pilot, articles: ArticleList) -> None:
    """Let the frame paint and the pages next to it be prepared."""
    await pilot.pause()
    await wait_for(pilot, lambda: not articles._preparing)


@contextlib.asynccontextmanager
async def long_list_at_rest(tmp_path: Path, count: int) -> AsyncIterator[tuple[Any, ArticleList]]:
    """The app on a list of ``count`` articles, its first frames painted and the pages
    next to them prepared."""
    app = long_list_app(tmp_path, count)
    async with app.run_test(size=SIZE) as pilot:
        articles = app.screen.query_one(ArticleList)
        await wait_for(pilot, lambda: articles.total == count)
        await _at_rest(pilot, articles)
        yield pilot, articles


async def test_a_scroll_by_one_row_renders_one_line_not_the_screenful(tmp_path: Path) -> None:
    """Rows keep their finished lines where they move: j at the bottom row renders the
    row coming in, not every row again (Textual keeps lines by their place)."""
    app = long_list_app(tmp_path, 30_000)
    async with app.run_test(size=SIZE) as pilot:
        articles = app.screen.query_one(ArticleList)
        await wait_for(pilot, lambda: articles.total == 30_000)
        await wait_for(pilot, lambda: articles.border_subtitle)  # set after the first frame
        height = articles.scrollable_content_region.height
        articles.move_to(height - 1)
        await _at_rest(pilot, articles)
        rendered = LinesRendered(articles)
        runs = []  # the lines Textual renders for the list (with border and colours)
        original = articles._styles_cache.render_widget

        def counted(node, crop):
            if articles._rendering is None:  # not a row prepared ahead
                runs.append(crop.line_range)
            return original(node, crop)

        articles._styles_cache.render_widget = counted  # type: ignore[method-assign]
        for step in range(1, 6):
            await pilot.press("j")
            await _at_rest(pilot, articles)
            assert articles.scroll_offset.y == step
        assert rendered.count <= 5 * 2, rendered.count  # the new cursor row (was ~37 each)
        # The border lines above and below the rows are kept too (they were made again
        # for every frame, as two more runs).
        assert len(runs) <= 5, runs


async def test_page_down_and_up_find_their_rows_ready(tmp_path: Path) -> None:
    """After a frame the pages above and below are read and rendered, so PageDown and
    PageUp only put them on screen."""
    async with long_list_at_rest(tmp_path, 30_000) as (pilot, articles):
        rendered = LinesRendered(articles)
        for key in ("pagedown", "pagedown", "pagedown", "pageup", "pagedown"):
            before = rendered.count
            await pilot.press(key)
            await pilot.pause()
            assert rendered.count - before <= 2, (key, rendered.count - before)
            await _at_rest(pilot, articles)


async def test_j_and_k_find_the_next_cursor_row_ready(tmp_path: Path) -> None:
    """The rows a key puts the cursor on are prepared as the cursor row, so j and k
    render no line (they rendered the row the cursor came to)."""
    app = long_list_app(tmp_path, 30_000)
    async with app.run_test(size=SIZE) as pilot:
        articles = app.screen.query_one(ArticleList)
        await wait_for(pilot, lambda: articles.total == 30_000)
        articles.move_to(10)
        await _at_rest(pilot, articles)
        rendered = LinesRendered(articles)
        for key, cursor in (("j", 11), ("j", 12), ("k", 11), ("k", 10), ("down", 11)):
            await pilot.press(key)
            await wait_for(pilot, lambda cursor=cursor: articles.cursor == cursor)
            await _at_rest(pilot, articles)
            assert rendered.count == 0, (key, rendered.count)
        assert articles.scroll_offset.y == 0


async def test_page_down_finds_its_rows_already_cut_for_the_screen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rows prepared ahead are also cut where the screen cuts them (scrollbar,
    border) and kept as terminal text: a PageDown's frame cuts only the cursor's rows
    (it cut all 35 new rows, ~2 ms of the key)."""
    async with long_list_at_rest(tmp_path, 30_000) as (pilot, articles):
        cut: list[int] = []
        divide = Segment.divide.__func__  # type: ignore[attr-defined]

        def counted(cls, segments, cuts):
            if articles._rendering is None:  # not a line being prepared
                cut.append(articles.scroll_offset.y)
            return divide(cls, segments, cuts)

        monkeypatch.setattr(Segment, "divide", classmethod(counted))
        tops = set()
        for key in ("pagedown", "pagedown", "pagedown", "pageup", "pageup", "pageup"):
            cursor = articles.cursor
            await pilot.press(key)
            await wait_for(pilot, lambda cursor=cursor: articles.cursor != cursor)
            await _at_rest(pilot, articles)
            assert len(cut) <= 2, (key, len(cut))  # the cursor rows, drawn anew
            cut.clear()
            tops.add(articles.scroll_offset.y)
        assert len(tops) >= 3, tops  # the list scrolled by pages, both ways


async def test_the_lines_kept_are_trimmed_after_frames_not_during_them(
    tmp_path: Path,
) -> None:
    """Past LINES_KEPT the oldest lines are let go a few at a time after frames; a
    frame never drops lines (letting go of all 1,024 at once took ~9 ms of a key)."""
    async with long_list_at_rest(tmp_path, 30_000) as (pilot, articles):
        dropped = []
        render_lines = articles.render_lines

        def counted(crop):
            before = len(articles._lines)
            lines = render_lines(crop)
            if len(articles._lines) < before:
                dropped.append(before - len(articles._lines))
            return lines

        articles.render_lines = counted  # type: ignore[method-assign]
        kept = []
        for _ in range(40):  # ~75 new lines a page: past LINES_KEPT
            cursor = articles.cursor
            await pilot.press("pagedown")
            await wait_for(pilot, lambda cursor=cursor: articles.cursor != cursor)
            await _at_rest(pilot, articles)
            kept.append(len(articles._lines))
        assert dropped == []
        assert max(kept) > LINES_KEPT * 0.9, kept  # it did get there
        assert kept[-1] <= LINES_KEPT + 2 * articles.size.height, kept


async def test_the_list_prepares_pages_only_while_it_has_focus(tmp_path: Path) -> None:
    """With the focus elsewhere (the search bar) the list does not prepare its next
    pages, which would hold up the keys typed there; focus coming back prepares them."""
    async with long_list_at_rest(tmp_path, 30_000) as (pilot, articles):
        await pilot.press("slash")  # the bar opens: the list is a line shorter
        await _at_rest(pilot, articles)
        assert not articles.has_focus
        kept = len(articles._lines)
        assert kept <= 2 * articles.size.height, kept  # what is on screen, no more
        await pilot.press("escape")
        await _at_rest(pilot, articles)
        assert articles.has_focus
        rendered = LinesRendered(articles)
        await pilot.press("pagedown")
        await pilot.pause()
        assert rendered.count <= 2, rendered.count


async def test_rows_kept_as_finished_lines_show_what_a_fresh_render_shows(tmp_path: Path) -> None:
    """Whatever the keys, the lines on screen are the ones rendered anew from nothing, and
    the ones Textual's own styles cache renders (the list builds most row lines itself):
    right row, right cursor, focus, read marks and search highlights."""
    app = long_list_app(tmp_path, 5_000)
    async with app.run_test(size=SIZE) as pilot:
        articles = app.screen.query_one(ArticleList)
        await wait_for(pilot, lambda: articles.total == 5_000)
        for keys in (
            ["j"] * 40,
            ["pagedown"] * 3,
            ["k"] * 5,
            ["pageup"],
            ["G"],
            ["g"],
            ["pagedown", "m", "j"],
            ["tab"],
            ["shift+tab", "pagedown", "pageup"],
            ["slash", *"article 49", "enter", "j", "pagedown"],
            ["escape", "k"],
        ):
            await pilot.press(*keys)
            await _at_rest(pilot, articles)
            assert bool(articles.highlight_terms) == (keys[0] == "slash"), keys
            region = articles.outer_size.region
            shown = [list(strip) for strip in articles.render_lines(region)]
            articles._lines.clear()
            articles._styles_cache.clear()
            assert shown == [list(strip) for strip in articles.render_lines(region)], keys
            articles._styles_cache.clear()
            by_textual = [list(strip) for strip in Widget.render_lines(articles, region)]
            assert shown == by_textual, keys


async def test_widgets_around_the_list_render_again_only_when_they_change(tmp_path: Path) -> None:
    """The screen, its containers and bars keep their lines while keys move the list; a
    change of their own (new text, another theme) renders them again."""
    app = long_list_app(tmp_path, 30_000)
    async with app.run_test(size=SIZE) as pilot:
        articles = app.screen.query_one(ArticleList)
        await wait_for(pilot, lambda: articles.total == 30_000)
        status = app.screen.query_one("#status-line", TextLine)
        await wait_for(pilot, lambda: status.text)  # filled after the first frame
        articles.move_to(articles.scrollable_content_region.height - 1)
        await _at_rest(pilot, articles)
        around = [app.screen, *(app.screen.query_one(f"#{name}") for name in AROUND)]
        renders = {widget: 0 for widget in around}
        for widget in around:
            original = widget._styles_cache.render_widget

            def counted(node, crop, original=original):
                renders[node] += 1
                return original(node, crop)

            widget._styles_cache.render_widget = counted  # type: ignore[method-assign]
        for _ in range(5):
            await pilot.press("j")
            await _at_rest(pilot, articles)
        assert sum(renders.values()) == 0, renders
        status.update("a new status")
        await pilot.pause()
        assert "a new status" in screen_text(app)
        assert renders[status] >= 1
        app.theme = "textual-light" if app.theme != "textual-light" else "nord"
        await pilot.pause()
        assert all(renders[widget] >= 1 for widget in around), renders


AROUND = ("panes", "right", "status-bar", "status-line", "title-bar", "key-bar")


async def test_a_resize_to_the_size_laid_out_makes_no_new_layout(tmp_path: Path) -> None:
    """The terminal driver reports the size at start, after the first frame: the screen
    is laid out at that size already. A real change of size lays it out again."""
    app = long_list_app(tmp_path, 1_000)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        articles = screen.query_one(ArticleList)
        await wait_for(pilot, lambda: articles.total == 1_000)
        await pilot.pause()
        layouts = []
        original = screen._refresh_layout

        def counted(*args, **kwargs):
            layouts.append(args)
            return original(*args, **kwargs)

        screen._refresh_layout = counted  # type: ignore[method-assign]
        size = Size(*SIZE)
        app.post_message(events.Resize(size, size))
        await pilot.pause(0.1)
        assert layouts == []
        await pilot.resize_terminal(100, 30)
        await pilot.pause(0.1)
        assert layouts and articles.outer_size.height < 40


async def test_the_pages_next_to_a_new_view_wait_for_its_paint(tmp_path: Path) -> None:
    """Preparing the rows around the view is work for after its frame. Textual runs
    after-refresh callbacks whenever the screen goes idle with nothing to update, which
    in a terminal came before the frame of a search's results (~9 ms of it)."""
    async with long_list_at_rest(tmp_path, 5_000) as (pilot, articles):
        prepared: list[int] = []
        original = articles._prepare_pages

        def counted() -> None:
            prepared.append(articles.cursor)
            original()

        articles._prepare_pages = counted  # type: ignore[method-assign]
        with articles.app.batch_update():  # idle screens, callbacks run, and no frame is painted
            articles.reload()
            await pilot.pause(0.2)
            assert prepared == [], "prepared before the new rows were painted"
        await _at_rest(pilot, articles)
        assert prepared, "and prepared after"


class Pane(App[None]):
    def compose(self) -> ComposeResult:
        yield ReadingPane()


def long_article(sections: int = 80) -> str:
    """Markdown of every kind of block the reading pane sets, ~0.7 KB a section."""
    blocks = []
    for n in range(sections):
        blocks += [
            f"## Section {n}",
            "A paragraph with **bold**, *italic*, `code` and [a link](https://example.com/"
            f"{n}) that runs long enough to wrap over a few lines of the pane. " * 3,
            "- one\n- two, with a second line\n  continued\n- three",
            f"{n + 3}. counted from {n + 3}\n{n + 4}. and on",
            "> Quoted, with a second paragraph\n>\n> inside the quote.",
            "```\ncode block line\n  indented line\n```",
            "| Show | Day |\n|---|---|\n| Fargo | Mon |\n| Severance | Fri |",
            "---",
        ]
    return "\n\n".join(blocks) + "\n"


async def test_a_long_article_is_set_a_part_at_a_time_into_the_lines_of_the_whole() -> None:
    """The first frame of a long article waits only for its first part (setting 109 KB at
    once took 120 ms); the rest follows a part per frame and reads as the whole would."""
    from tui.widgets.reading_pane import PART_CHARS

    source = long_article(80)
    assert len(source) > 8 * PART_CHARS, len(source)
    async with Pane().run_test(size=SIZE) as pilot:
        pane = pilot.app.query_one(ReadingPane)
        await pilot.pause()
        pane.show(source)
        pane._render_now()  # what the next frame does
        first = len(pane._lines)
        await wait_for(pilot, lambda: not pane._relayout_due and not pane._unset.get(pane._key()))
        whole = [line.text for line in pane._render_body(source, pane._rendered_width)]
        assert pilot.app.size.height < first < len(whole) / 4, "a screenful and more, not all"
        assert pane.rendered_text == whole

        # A key that needs the end sets the rest at once: End, and Space's "at the end?".
        pane.show(source + "\nThe last line.\n")
        pane._render_now()
        assert len(pane._lines) < len(whole) / 4
        assert not pane.at_end()
        assert pane.rendered_text[-1].rstrip() == "The last line."
        pane.show(source + "\nThe very last line.\n")
        pane._render_now()
        await pilot.press("end")
        await pilot.pause()
        assert pane.at_end() and pane.rendered_text[-1].rstrip() == "The very last line."


DEV_PAGES = SHARED / "fixtures" / "extraction-dev" / "html"


@pytest.mark.skipif(not DEV_PAGES.is_dir(), reason="shared/fixtures/extraction-dev is not here")
async def test_real_articles_set_in_parts_read_as_the_whole() -> None:
    """The 65 benchmark pages' articles, three times over each (long enough to be cut
    into parts at every kind of boundary), set in parts give the whole's lines."""
    import gzip

    from tui.core.extract import extract_article
    from tui.widgets.reading_pane import PART_CHARS

    articles = [
        extract_article(gzip.decompress(path.read_bytes()), "https://example.com/a").markdown
        for path in sorted(DEV_PAGES.glob("*.html.gz"))
    ]
    async with Pane().run_test(size=(90, 30)) as pilot:
        pane = pilot.app.query_one(ReadingPane)
        await pilot.pause()
        cut = 0
        for article in filter(None, articles):
            source = "\n\n".join([article] * 3)
            pane.show(source)
            pane._render_now()
            width = pane._rendered_width
            cut += len(source) > PART_CHARS
            assert pane.rendered_text == [line.text for line in pane._render_body(source, width)]
    assert cut > len(articles) / 2, "most of them were cut into parts"
