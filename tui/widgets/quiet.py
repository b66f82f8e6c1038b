"""Widgets that repaint cheaply: without a new layout of the screen, with little per line.

Textual lays the whole screen out again when a widget's content may change its size
(``Static.update``, a ScrollView's ``virtual_size``); with the article list, the reading
pane and the footer on screen that costs tens of milliseconds per key. Widgets whose
size is fixed by CSS can repaint just themselves instead.
"""

from __future__ import annotations

from math import ceil

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.containers import Horizontal, Vertical
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBar
from textual.strip import Strip
from textual.widget import Widget


def set_virtual_size(view: ScrollView, size: Size) -> None:
    """Give ``view`` a new scrollable size: its scrollbars follow, the screen keeps its layout.

    This is what Textual itself does when a layout changes a widget's size
    (``Widget._size_updated``); a layout is still made when a scrollbar appears or goes.
    """
    if size == view.virtual_size:
        return
    view.set_reactive(Widget.virtual_size, size)
    view._scroll_update(size)  # Textual's own path (textual>=8.2,<9)
    view.refresh()


class StyledOncePerPaint:
    """Mixin for Line-API widgets: ``paint_style`` is the widget's Rich style, worked out
    once per repaint (``Widget.rich_style`` walks every ancestor's CSS on each call,
    ~0.1 ms, and ``render_line`` runs once per line)."""

    paint_style: Style = Style()

    def render_lines(self, crop: Region) -> list[Strip]:
        self.paint_style = self.rich_style  # type: ignore[attr-defined]
        return super().render_lines(crop)  # type: ignore[misc]


class SameLinesUntilDirty:
    """Mixin: ``render_lines`` gives the lines it gave last time until the widget is
    marked dirty, restyled, resized or filtered differently.

    Textual asks every widget whose clip overlaps a change to render, so the screen, the
    containers and the bars around the article list rendered their unchanged lines again
    on each key (~1.5 ms a frame for seven of them); the same strips also let Textual's
    caches of their cuts and ANSI hit.
    """

    _last_lines: tuple[tuple, list[Strip]] | None = None
    background_only = False
    """True for a widget that draws nothing but its background (the screen under the
    panes): its lines then stay when it is marked dirty too. Setting the screen's
    sub-title repaints the whole screen, and its 50 lines were drawn and cut at every
    pane's edge again, to be covered by the panes: ~8 ms of an article's first frame at
    200 x 50."""

    def _set_dirty(self, *regions: Region) -> None:  # Textual's (textual>=8.2,<9)
        if not self.background_only:
            self._last_lines = None
        super()._set_dirty(*regions)  # type: ignore[misc]

    def notify_style_update(self) -> None:
        self._last_lines = None
        super().notify_style_update()  # type: ignore[misc]

    def render_lines(self, crop: Region) -> list[Strip]:
        key = (crop, *map(id, self.get_line_filters()))  # type: ignore[attr-defined]
        if self._last_lines is not None and self._last_lines[0] == key:
            return self._last_lines[1]
        lines = super().render_lines(crop)  # type: ignore[misc]
        self._last_lines = (key, lines)
        return lines


class ThumbRepaintsWhenItMoves:
    """Mixin for long ScrollViews: the vertical scrollbar repaints only when its thumb
    moves on screen.

    Textual repaints the whole scrollbar (~2.5 ms for 35 lines) on every change of the
    scroll offset; on a list of 100k rows a page down moves the thumb by a hundredth of
    a cell. The scrollbar still learns each new offset (dragging starts from it).
    """

    def watch_scroll_y(self, old: float, new: float) -> None:
        """ScrollView's own watcher, less the scrollbar's repaint when nothing moved."""
        if not self.show_vertical_scrollbar:  # type: ignore[attr-defined]
            super().watch_scroll_y(old, new)  # type: ignore[misc]
            return
        bar = self.vertical_scrollbar  # type: ignore[attr-defined]
        drawn = thumb_eighths(bar, bar.position)
        position = int(new * 8) / 8  # as ScrollBar.validate_position rounds it
        bar.set_reactive(ScrollBar.position, position)
        if drawn is None or drawn != thumb_eighths(bar, position):
            bar.refresh()
        if round(old) != round(new):
            self.refresh(self.size.region)  # type: ignore[attr-defined]


class KeptScrollBar(ScrollBar):
    """Textual's scrollbar, giving the lines it gave last time while nothing they show
    has changed.

    Restyling a widget sets its scrollbar colours, and Textual repaints its scrollbars
    then even when the colours stay the same: every focus change (Tab, Esc, Enter)
    restyles the panes it leaves and enters, and each of their bars was drawn again
    (~2.5 ms for 35 lines).
    """

    _kept: tuple[tuple, list[Strip]] | None = None
    _marked = True
    """Marked dirty since the lines were kept (then the look is checked again)."""

    def _set_dirty(self, *regions: Region) -> None:  # Textual's (textual>=8.2,<9)
        self._marked = True
        super()._set_dirty(*regions)

    def render_lines(self, crop: Region) -> list[Strip]:
        kept = self._kept
        if kept is not None and not self._marked and kept[0][0] == crop:
            return kept[1]
        self._marked = False
        bar = self.render()
        look = (
            crop,
            self.size,
            self.window_virtual_size,
            self.window_size,
            self.position,
            self.thickness,
            self.vertical,
            type(bar),
            getattr(bar, "style", None),  # the colours, from the scrolling widget's styles
            self.visual_style,
            self.background_colors,
            *map(id, self.get_line_filters()),
        )
        if kept is not None and kept[0] == look:
            return kept[1]
        lines = super().render_lines(crop)
        self._kept = (look, lines)
        return lines


class KeptScrollBars:
    """Mixin for scrolling widgets: their vertical scrollbar is a :class:`KeptScrollBar`."""

    @property
    def vertical_scrollbar(self) -> ScrollBar:
        """The vertical scrollbar, made as Textual makes it (textual>=8.2,<9)."""
        bar = self._vertical_scrollbar  # type: ignore[attr-defined]
        if bar is None:
            bar = KeptScrollBar(
                vertical=True,
                name="vertical",
                thickness=self.scrollbar_size_vertical,  # type: ignore[attr-defined]
            )
            self._vertical_scrollbar = bar
            bar.display = False
            self.app._start_widget(self, bar)  # type: ignore[attr-defined]
        return bar


def thumb_eighths(bar: ScrollBar, position: float) -> tuple[int, int] | None:
    """Where the thumb of a vertical ``bar`` starts and ends, in eighths of a cell, as
    Textual's ``ScrollBarRender.render_bar`` draws it; None when there is no thumb."""
    size, virtual, window = bar.size.height, bar.window_virtual_size, bar.window_size
    if not (size and virtual and window) or window >= virtual or size == virtual:
        return None
    thumb = max(1, window / (virtual / size))
    start = int((size - thumb) * (position / (virtual - window)) * 8)
    return start, start + ceil(thumb * 8)


class TextLine(SameLinesUntilDirty, StyledOncePerPaint, Widget):
    """One line of plain text (never markup) whose size is set by CSS.

    Painted as one segment (a Rich ``Text`` costs ~1 ms a line to lay out); cut with an
    ellipsis when too long, and placed by the CSS ``text-align``.
    """

    DEFAULT_CSS = """
    TextLine { height: 1; width: 1fr; }
    """

    def __init__(self, text: str = "", **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._text = text

    @property
    def text(self) -> str:
        """The text shown."""
        return self._text

    def update(self, text: str) -> None:
        """Show ``text`` (already sanitized by the caller); repaints only this line."""
        if text != self._text:
            self._text = text
            self.refresh()

    def render_line(self, y: int) -> Strip:
        width, style = self.content_size.width, self.paint_style
        if y or width <= 0:
            return Strip.blank(width, style)
        left, text, right = _placed(self._text, width, self.styles.text_align)
        # Padding has only the background: a screenshot (SVG) then places the text by
        # its own start, as it does for Textual's own aligned text.
        pad = style.background_style
        segments = [Segment(left, pad), Segment(text, style), Segment(right, pad)]
        return Strip([segment for segment in segments if segment.text], width)


def fit_cells(text: str, width: int) -> str:
    """Pad or cut ``text`` to ``width`` cells, with an ellipsis when cut."""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    cut = set_cell_size(text, width - 1)
    if not text.startswith(cut):  # a wide character did not fit: the ellipsis follows the text
        return cut[:-1] + "… "
    return cut + "…"


def _placed(text: str, width: int, align: str) -> tuple[str, str, str]:
    """``text`` in exactly ``width`` cells as (space before, text, space after): cut
    as :func:`fit_cells` cuts when too long, else placed by ``align``."""
    length = cell_len(text)
    if length > width:
        return "", fit_cells(text, width), ""
    space = width - length
    left = space // 2 if align == "center" else space if align in ("right", "end") else 0
    return " " * left, text, " " * (space - left)


class TitleBar(TextLine):
    """The top line: ``▶ tvnews — the article's title`` (the screen's title and sub-title)."""

    DEFAULT_CSS = """
    TitleBar {
        dock: top; height: 1; width: 1fr;
        background: $panel; color: $foreground; text-align: center;
    }
    """

    def on_mount(self) -> None:
        self.watch(self.screen, "title", self._retitle)
        self.watch(self.screen, "sub_title", self._retitle)

    def _retitle(self, _value: str) -> None:
        title, sub_title = self.screen.title or "", self.screen.sub_title or ""
        self.update(f"▶  {title} — {sub_title}" if sub_title else f"▶  {title}")


class Row(SameLinesUntilDirty, Horizontal):
    """A Horizontal container that renders its background once until it changes."""


class Column(SameLinesUntilDirty, Vertical):
    """A Vertical container that renders its background once until it changes."""
