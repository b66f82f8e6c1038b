"""The article list: a Line-API widget that renders only visible rows, paged from SQLite.

It holds no widget per article and no full list: rows come in pages of :data:`PAGE`
from a :class:`RowSource`, and only a few pages are kept, so 100k articles open and
scroll as fast as 100.
"""

from __future__ import annotations

import textwrap
from collections import OrderedDict
from itertools import islice
from typing import Protocol

from rich.cells import set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.color import Color
from textual.filter import LineFilter
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.core.models import ArticleRow
from tui.core.sanitize import clean_line
from tui.core.search import match_spans
from tui.core.timefmt import age
from tui.widgets.quiet import (
    KeptScrollBars,
    ThumbRepaintsWhenItMoves,
    fit_cells,
    set_virtual_size,
)

#: Rows fetched from the store at once: a screenful or two. The first page after a new
#: view or search is read before its frame is drawn (256 rows took 2-7 ms, 64 take ~0.6).
PAGE = 64
#: Pages kept in memory.
PAGES_KEPT = 32
#: Finished lines kept (a row is rendered again only when it or its look changes).
LINES_KEPT = 1024
#: The oldest finished lines let go per turn, after a frame, once more are kept (freeing
#: a line and its caches costs: 523 took 4.7 ms, so all 1,024 at once ~9 ms of a PageDown).
LINES_FREED_AT_ONCE = 128
#: Rows rendered ahead of a PageDown or PageUp per turn of the event loop (~2 ms).
PREPARED_AT_ONCE = 12
FEED_WIDTH = 18
AGE_WIDTH = 4


class RowSource(Protocol):
    """Where rows come from (the screen passes the store and the current query)."""

    def count(self) -> int:
        """How many rows there are."""
        ...

    def rows(self, offset: int, limit: int) -> list[ArticleRow]:
        """Rows ``offset`` … ``offset + limit``."""
        ...


class ArticleList(ThumbRepaintsWhenItMoves, KeptScrollBars, ScrollView, can_focus=True):
    """Newest first; unread marked ●, starred ★; feed name and age on the right."""

    BINDINGS = [
        Binding("j,down", "cursor_down", "Down", show=False, id="list.down"),
        Binding("k,up", "cursor_up", "Up", show=False, id="list.up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="list.page_down"),
        Binding("pageup", "page_up", "Page up", show=False, id="list.page_up"),
        Binding("g,home", "first", "First", show=False, id="list.first"),
        Binding("G,end", "last", "Last", show=False, id="list.last"),
        Binding("enter", "select", "Open", id="list.open"),
    ]
    COMPONENT_CLASSES = {
        "article-list--cursor",
        "article-list--unread",
        "article-list--read",
        "article-list--feed",
        "article-list--age",
        "article-list--star",
        "article-list--empty",
        "article-list--match",
    }

    cursor: reactive[int] = reactive(0, always_update=True, repaint=False)

    class Selected(Message):
        """The reader opened a row (Enter or click)."""

        def __init__(self, article_id: int) -> None:
            self.article_id = article_id
            super().__init__()

    class Painted(Message):
        """The list's first lines were painted (posted once, handled after that frame is
        written): work that can wait for the first screen starts then."""

    def __init__(self, source: RowSource | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.source = source
        self.total = 0
        self.total_is_unmarked = True
        """No row was marked read or unread since the rows were counted (so a list of
        unread articles still has ``total`` of them)."""
        self.empty_text = "No articles yet. Press r to refresh."
        self.highlight_terms: list[str] = []
        """Search words whose matches in titles are highlighted (empty: none)."""
        self._pages: OrderedDict[int, list[ArticleRow]] = OrderedDict()
        self._styles: dict[tuple[bool, bool, bool], tuple[Style, ...]] = {}
        self._lines: dict[tuple, Strip] = {}
        """Finished lines of rows (a row's line is the same until its data, width, cursor
        or age change), by :meth:`_line_key`."""
        self._prepare_when_painted = False
        """Whether the rows on screen changed: the pages next to them are to be prepared
        once they are painted."""
        self._prepare_queued = False
        """Whether :meth:`_prepare_pages` is to run on the next turn of the event loop."""
        self._rendering: tuple[int, bool] | None = None
        """The row being prepared ahead (see :meth:`_prepare_pages`), which
        :meth:`render_line` renders rather than the one at its place, and whether with
        the cursor on it."""
        self._width = 0
        """The width of a row, for the paint under way (see :meth:`render_lines`)."""
        self._frame: tuple[tuple, Color, list[LineFilter], tuple[Strip, ...]] | None = None
        """What Textual draws around a row (see :meth:`_row_line`): the look it was drawn
        for, the app's line filters and the background they take, and the pieces left of,
        right after and right of the row."""
        self._own_keys: dict[str, str] | None = None
        """Key -> action of this list's bindings (None: to be worked out again)."""
        self._painted = False
        """Whether :class:`Painted` was posted."""

    # -- data -----------------------------------------------------------------------------

    def set_source(self, source: RowSource, *, keep_cursor: bool = False) -> None:
        """Show another query; the cursor goes to the top unless ``keep_cursor``."""
        self.source = source
        self.reload(keep_cursor=keep_cursor)

    def reload(self, *, keep_cursor: bool = True) -> None:
        """Re-read the count and drop cached pages (after a refresh or a state change)."""
        self._pages.clear()
        self.total = self.source.count() if self.source else 0
        self.total_is_unmarked = True
        set_virtual_size(self, Size(self.size.width, self.total))
        cursor = min(self.cursor, max(self.total - 1, 0)) if keep_cursor else 0
        if not keep_cursor:
            self.scroll_to(y=0, animate=False)
        self.cursor = cursor
        self.refresh()
        self._prepare_pages_later()

    def row(self, index: int) -> ArticleRow | None:
        """The row at ``index``, fetching its page if needed."""
        if not 0 <= index < self.total or self.source is None:
            return None
        number = index // PAGE
        page = self._pages.get(number)
        if page is None:
            page = self.source.rows(number * PAGE, PAGE)
            self._pages[number] = page
            while len(self._pages) > PAGES_KEPT:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(number)
        offset = index - number * PAGE
        return page[offset] if offset < len(page) else None

    def update_row(
        self, article_id: int, *, read: bool | None = None, starred: bool | None = None
    ) -> bool:
        """Change one cached row in place (after m, s, or opening) without a query.

        False when the row is not among the cached pages (a mark of it may still change
        how many of this list's articles are unread: see ``total_is_unmarked``).
        """
        for number, page in self._pages.items():
            for offset, row in enumerate(page):
                if row.id == article_id:
                    if read is not None and read != row.read:
                        self.total_is_unmarked = False
                    page[offset] = ArticleRow(
                        row.id,
                        row.title,
                        row.feed_name,
                        row.published,
                        row.read if read is None else read,
                        row.starred if starred is None else starred,
                    )
                    self.refresh_line(number * PAGE + offset)
                    return True
        if read is not None:
            self.total_is_unmarked = False
        return False

    @property
    def current(self) -> ArticleRow | None:
        """The row under the cursor."""
        return self.row(self.cursor)

    @property
    def current_id(self) -> int | None:
        """The id of the article under the cursor (None: no row there)."""
        row = self.current
        return row.id if row is not None else None

    # -- cursor ---------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def _bindings_changed(self, _screen: object) -> None:
        self._own_keys = None

    async def on_key(self, event: events.Key) -> None:
        """Run this list's own bindings as its keys arrive. Textual passes each key up
        through every container to the app first, working out the bindings of the whole
        focus chain twice on the way (~0.6 ms of each j)."""
        if self._own_keys is None:  # the keys of the bindings, with the user's keymap
            active = self.screen.active_bindings.items()
            self._own_keys = {
                key: bound.binding.action
                for key, bound in active
                if bound.node is self and bound.enabled and not bound.binding.priority
            }
        action = self._own_keys.get(event.key)
        if action is not None and await self.app.run_action(action, self):
            event.stop()

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, self.total - 1)) if self.total else 0

    def watch_cursor(self, old: int, new: int) -> None:
        top = self.scroll_offset.y
        self.scroll_to_region(Region(0, new, 1, 1), animate=False, immediate=True)
        if self.scroll_offset.y == top:  # only the two rows changed
            self.refresh_line(old)
            self.refresh_line(new)
        else:
            self.refresh(self.size.region)  # the rows; the border stays
        self._prepare_pages_later()

    def move_to(self, index: int) -> None:
        """Put the cursor on ``index``."""
        self.cursor = index

    def action_cursor_down(self) -> None:
        self.cursor += 1

    def action_cursor_up(self) -> None:
        self.cursor -= 1

    def action_page_down(self) -> None:
        self.cursor += max(self.size.height - 1, 1)

    def action_page_up(self) -> None:
        self.cursor -= max(self.size.height - 1, 1)

    def action_first(self) -> None:
        self.cursor = 0

    def action_last(self) -> None:
        self.cursor = self.total - 1

    def action_select(self) -> None:
        row = self.current
        if row is not None:
            self.post_message(self.Selected(row.id))

    def on_click(self, event: events.Click) -> None:
        index = int(self.scroll_offset.y) + event.y
        if 0 <= index < self.total:
            self.cursor = index
            self.action_select()

    def on_resize(self, event: events.Resize) -> None:
        set_virtual_size(self, Size(event.size.width, self.total))
        self._prepare_pages_later()

    # -- rendering ------------------------------------------------------------------------

    def render_lines(self, crop: Region) -> list[Strip]:
        """The lines in ``crop``; a row's finished line (border, colours, the app's
        filters) is reused for as long as the row looks the same, wherever it moves.

        Textual's styles cache keeps lines by their place in the widget, so a scroll by
        one row built every line again, each as a new strip, and the screen's caches
        after it (cutting into columns, ANSI) missed for all of them.
        """
        self._width = self.scrollable_content_region.width
        keys = self._line_keys(crop)
        strips = {y: self._lines[key] for y, key in keys.items() if key in self._lines}
        look = self._frame_look(crop)
        frame = self._usable_frame(look)
        run: list[int] = []  # lines next to each other that Textual renders, as one region
        for y in crop.line_range:
            if y not in strips:
                key = keys.get(y)
                is_row = key is not None and key[0] != "edge"
                if frame and is_row:
                    self._render_run(run, crop, strips)
                    strips[y] = self._row_line(key[0], key[2], frame)  # type: ignore[index]
                    continue
                if key:
                    self._styles_cache.set_dirty(Region(0, y, 1, 1))  # (textual>=8.2,<9)
                run.append(y)
                if is_row and look:  # the first row Textual draws: keep what is around it
                    self._render_run(run, crop, strips)
                    self._keep_frame(strips[y], look)
                    frame = self._usable_frame(look)
                    look = None  # tried once: if not kept, Textual draws the rest
                continue
            self._render_run(run, crop, strips)
        self._render_run(run, crop, strips)
        if len(self._lines) > 2 * LINES_KEPT:  # kept past the trimming (no focus)
            self._lines.clear()
        for y, key in keys.items():  # newest last: the trimming lets go of the oldest
            self._lines.pop(key, None)
            self._lines[key] = strips[y]
        if self._prepare_when_painted:
            self._prepare_when_painted = False
            self._prepare_next_turn()
        if not self._painted and not self.app._batch_count:  # else not shown (textual<9)
            self._painted = True
            self.post_message(self.Painted())
        return [strips[y] for y in crop.line_range]

    def _render_run(self, run: list[int], crop: Region, strips: dict[int, Strip]) -> None:
        """Have Textual render the lines in ``run`` (then emptied) into ``strips``."""
        if run:
            region = Region(crop.x, run[0], crop.width, len(run))
            strips.update(zip(run, super().render_lines(region), strict=True))
            run.clear()

    def _line_keys(self, crop: Region) -> dict[int, tuple]:
        """What each line in ``crop`` shows (a row, or the border above or below the
        rows), as a key to its finished line."""
        if not self.total:
            return {}
        top, height = self.styles.gutter.top, self.scrollable_content_region.height
        context = self._line_context(crop)
        edge = (self.size, self.has_focus, self.border_title, self.border_subtitle, *context)
        first = int(self.scroll_offset.y) - top
        keys = {}
        for y in crop.line_range:
            if not 0 <= y - top < height:
                keys[y] = ("edge", y, *edge)
            elif key := self._line_key(first + y, context):
                keys[y] = key
        return keys

    def _line_key(self, index: int, context: tuple, *, cursor: bool | None = None) -> tuple | None:
        """What the finished line of row ``index`` depends on (None: no such row), with the
        cursor on the row or not (by default: as it is now)."""
        row = self.row(index)
        if row is None:
            return None
        is_cursor = index == self.cursor if cursor is None else cursor
        look = (self._width, is_cursor, is_cursor and self.has_focus, age(row.published))
        return (row, *look, *self.highlight_terms, *context)

    def _line_context(self, crop: Region) -> tuple:
        """What every finished line in ``crop`` also depends on."""
        return (crop.column_span, *map(id, self.get_line_filters()))

    def _prepare_pages_later(self) -> None:
        """Prepare the pages next to the rows on screen once those rows are painted: work
        that Textual ran before the frame held it up (~9 ms of a search's first frame)."""
        self._prepare_when_painted = True

    def _prepare_next_turn(self) -> None:
        if not self._prepare_queued:
            self._prepare_queued = True
            self.call_after_refresh(self._prepare_pages)

    @property
    def _preparing(self) -> bool:
        """Whether rows next to the view are still to be prepared."""
        return self._prepare_when_painted or self._prepare_queued

    def _prepare_pages(self) -> None:
        """After a frame: read and render the rows a PageDown or PageUp shows next, and
        the rows a key puts the cursor on as the cursor row, a few at a time, so the key
        finds them ready (a page of new rows took ~10 ms, a cursor row ~0.3). Each
        line is also cut where the screen cuts it and turned into terminal text (both
        kept on the line), which the compositor did on the key (~2 ms a page).

        Only while the list has focus: those keys come to it then, and the work would
        hold up keys typed elsewhere (an Enter in the search bar waited ~10 ms for it).
        Focus coming back restyles the list, which prepares again.
        """
        self._prepare_queued = False
        self._width = self.scrollable_content_region.width
        height = self.scrollable_content_region.height
        if self._width <= 0 or height <= 0:
            return  # not laid out yet: the resize that lays it out prepares again
        if not self.has_focus:
            return
        if len(self._lines) > LINES_KEPT:
            for key in list(islice(self._lines, LINES_FREED_AT_ONCE)):
                del self._lines[key]
            if len(self._lines) > LINES_KEPT:
                self._prepare_next_turn()  # more to let go of
        top, span = int(self.scroll_offset.y), min(height, LINES_KEPT // 4)
        context = self._line_context(self.outer_size.region)
        # First the rows j, k, PageDown and PageUp put the cursor on, as the cursor row,
        # and the cursor's row as it looks once the cursor leaves it.
        cursor, step = self.cursor, max(height - 1, 1)
        wanted = [(index, True) for index in (cursor + 1, cursor - 1, cursor + step, cursor - step)]
        wanted.append((cursor, False))
        wanted += [(index, False) for index in range(top + height, top + height + span)]
        wanted += [(index, False) for index in range(top - span, top)]
        todo = []
        for index, as_cursor in wanted:
            key = self._line_key(index, context, cursor=as_cursor)
            if key and key not in self._lines:
                todo.append((index, as_cursor, key))
        if not todo:
            return
        line = Region(0, self.styles.gutter.top, self.outer_size.width, 1)
        cuts, console = self._screen_cuts(), self.app.console
        look = self._frame_look(line)
        frame = self._usable_frame(look)
        for index, as_cursor, key in todo[:PREPARED_AT_ONCE]:
            self._rendering = (index, as_cursor)
            if frame:
                strip = self._row_line(key[0], as_cursor, frame)
            else:
                self._styles_cache.set_dirty(line)
                strip = super().render_lines(line)[0]
                self._styles_cache.set_dirty(line)  # it holds the row prepared
                if look:
                    self._keep_frame(strip, look)
                    frame = self._usable_frame(look)
            self._lines[key] = strip
            for piece in strip.divide(cuts):
                piece.render(console)
        self._rendering = None
        self._prepare_next_turn()

    def _row_line(self, row: ArticleRow, is_cursor: bool, frame: tuple) -> Strip:
        """The finished line of ``row``, built here: the row (through the app's line
        filters) between the pieces Textual drew around a row for the same look of the
        list. Textual's styles cache took ~80 µs a line for what is ~8 µs of row."""
        _look, background, filters, (left, after, right) = frame
        line = self._render_row(row, self._width, is_cursor)
        for line_filter in filters:
            line = line.apply_filter(line_filter, background)
        return Strip([*left, *line, *after, *right], self.outer_size.width)

    def _frame_look(self, crop: Region) -> tuple | None:
        """What the pieces around a row depend on; None when Textual draws more than
        pieces around it (opacity, tint, hatching), or ``crop`` is not whole lines."""
        styles, width = self.styles, self.outer_size.width
        if (
            crop.column_span != (0, width)
            or self.opacity != 1
            or styles.text_opacity != 1
            or styles.tint.a
            or (styles.has_rule("hatch") and styles.hatch != "none")
        ):
            return None
        return (width, self._width, self.has_focus, *self._line_context(crop))

    def _usable_frame(self, look: tuple | None) -> tuple | None:
        """The kept pieces around a row, if they were drawn for ``look`` (the list's look
        now, from :meth:`_frame_look`)."""
        frame = self._frame
        if look is None or frame is None or frame[0] != look:
            return None
        return frame

    def _keep_frame(self, strip: Strip, look: tuple) -> None:
        """Keep the pieces around the row in ``strip``, a row's line Textual drew for
        ``look``."""
        left, right = self.styles.gutter.left, self.styles.gutter.right
        width, row_end = self.outer_size.width, left + self._width
        if strip.cell_length != width or row_end > width - right:
            return
        after = strip.crop(row_end, width - right)
        pieces = (strip.crop(0, left), after, strip.crop(width - right))
        filters = self.get_line_filters()
        self._frame = (look, self.background_colors[1], filters, pieces)

    def _screen_cuts(self) -> list[int]:
        """Where the screen cuts a row of this list into pieces (at the scrollbar and the
        border), relative to the list: the cuts the compositor divides a new line at
        (textual>=8.2,<9: ``Compositor.cuts``)."""
        region = self.region
        try:
            cuts = self.screen._compositor.cuts[region.y + self.styles.gutter.top]
        except IndexError:
            return [region.width]
        return [cut - region.x for cut in cuts if region.x < cut <= region.right]

    def render_line(self, y: int) -> Strip:
        width = self._width
        if self._rendering is None:
            index = int(self.scroll_offset.y) + y
            is_cursor = index == self.cursor
        else:
            index, is_cursor = self._rendering
        if self.total == 0:
            lines = textwrap.wrap(self.empty_text, max(width - 4, 10))
            if 1 <= y <= len(lines):
                style = self.get_component_rich_style("article-list--empty")
                return Strip([Segment(set_cell_size(f"  {lines[y - 1]}", width), style)])
            return Strip.blank(width, self.rich_style)
        row = self.row(index)
        if row is None:
            return Strip.blank(width, self.rich_style)
        return self._render_row(row, width, is_cursor)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._lines.clear()  # colours (theme, focus) are part of the finished lines
        self._styles.clear()
        self._frame = None
        self._prepare_pages_later()

    def _row_styles(self, read: bool, is_cursor: bool) -> tuple[Style, Style, Style, Style]:
        """Title, feed, age and star styles of a row (worked out once until the styles
        change: ``get_component_rich_style`` costs ~10 µs a call)."""
        key = (read, is_cursor, is_cursor and self.has_focus)
        styles = self._styles.get(key)
        if styles is None:
            names = ("read" if read else "unread", "feed", "age", "star")
            styles = tuple(self.get_component_rich_style(f"article-list--{n}") for n in names)
            if is_cursor:
                cursor = self.get_component_rich_style("article-list--cursor")
                if not self.has_focus:
                    cursor = Style(bgcolor=cursor.bgcolor, dim=True) if cursor.bgcolor else cursor
                styles = tuple(style + cursor for style in styles)
            self._styles[key] = styles  # type: ignore[assignment]
        return styles  # type: ignore[return-value]

    def _render_row(self, row: ArticleRow, width: int, is_cursor: bool) -> Strip:
        base, feed_style, age_style, star_style = self._row_styles(row.read, is_cursor)
        marker = "●" if not row.read else " "
        star = "★" if row.starred else " "
        feed_width = min(FEED_WIDTH, max(width // 4, 6))
        title_width = max(width - feed_width - AGE_WIDTH - 6, 1)
        title = fit_cells(clean_line(row.title, 300), title_width)
        feed = fit_cells(clean_line(row.feed_name, 80), feed_width)
        when = age(row.published).rjust(AGE_WIDTH)
        segments = [
            Segment(f" {marker}", base),
            Segment(star, star_style),
            *self._title_segments(f" {title} ", base),
            Segment(f"{feed} ", feed_style),
            Segment(when, age_style),
        ]
        if title_width + feed_width + len(when) + 6 == width and when.isascii():
            return Strip(segments, width)  # the columns fill the width exactly
        strip = Strip(segments)
        if strip.cell_length < width:
            strip = strip.extend_cell_length(width, base)
        return strip.crop(0, width)

    def _title_segments(self, title: str, style: Style) -> list[Segment]:
        """The title, with the parts the search matched highlighted."""
        spans = match_spans(title, self.highlight_terms) if self.highlight_terms else []
        if not spans:
            return [Segment(title, style)]
        match = style + self.get_component_rich_style("article-list--match")
        segments, at = [], 0
        for start, end in spans:
            segments += [Segment(title[at:start], style), Segment(title[start:end], match)]
            at = end
        segments.append(Segment(title[at:], style))
        return segments
