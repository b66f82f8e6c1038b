"""The sidebar: views (all, unread, starred), then sections and their feeds, with unread counts.

Feeds are few, so an OptionList is fine here; articles stay in the virtual ArticleList.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from tui.core.models import FeedState
from tui.core.sanitize import clean_line
from tui.widgets.quiet import KeptScrollBars, fit_cells

#: Cells of a sidebar row: name, then the unread count right-aligned. The sidebar is 24
#: cells wide: borders, padding and its scrollbar's gutter (kept even when not needed,
#: so rows never change width) leave 19.
ROW_WIDTH = 19
#: Cells kept for the count (more when the count is longer: 100,000 articles).
COUNT_WIDTH = 5


@dataclass(frozen=True, slots=True)
class View:
    """What the list shows: ``all``, ``unread``, ``starred``, a ``section`` or a ``feed``."""

    kind: str = "all"
    feed_id: int | None = None
    section: str | None = None
    title: str = "All articles"

    @property
    def key(self) -> str:
        """A stable option id for this view."""
        if self.kind == "feed":
            return f"feed-{self.feed_id}"
        if self.kind == "section":
            return f"section-{self.section}"
        return self.kind


ALL = View("all", title="All articles")
UNREAD = View("unread", title="Unread")
STARRED = View("starred", title="Starred")


@dataclass(frozen=True, slots=True)
class SidebarCounts:
    """Numbers shown next to the fixed views."""

    unread: int = 0
    starred: int = 0


@dataclass(frozen=True, slots=True)
class SidebarRow:
    """One row: its view, indent, number (unread; all articles for "All") and warning."""

    view: View
    indent: int
    number: int
    failing: bool


def sidebar_rows(feeds: Sequence[FeedState], counts: SidebarCounts) -> list[SidebarRow]:
    """The rows: fixed views, then each section with its feeds, then the rest.

    Plain work on plain data (~4 ms for 500 feeds): the app does it on the worker thread
    that counted the feeds, not on the UI thread.
    """
    sections: dict[str, list[FeedState]] = {}
    loose: list[FeedState] = []
    for feed in feeds:
        (sections.setdefault(feed.section, []) if feed.section else loose).append(feed)
    rows = [
        SidebarRow(ALL, 0, sum(feed.total for feed in feeds), False),
        SidebarRow(UNREAD, 0, counts.unread, False),
        SidebarRow(STARRED, 0, counts.starred, False),
    ]
    for section in sorted(sections, key=str.casefold):
        unread = sum(feed.unread for feed in sections[section])
        view = View("section", section=section, title=clean_line(section, 80))
        rows.append(SidebarRow(view, 0, unread, False))
        rows += [_feed_row(feed, 1) for feed in sections[section]]
    rows += [_feed_row(feed, 0) for feed in loose]
    return rows


def _feed_row(feed: FeedState, indent: int) -> SidebarRow:
    view = View("feed", feed_id=feed.id, title=clean_line(feed.display_name, 80))
    failing = bool(feed.last_error and "not well-formed" not in feed.last_error)
    return SidebarRow(view, indent, feed.unread, failing)


class Sidebar(KeptScrollBars, OptionList):
    """Enter (or a click) shows a view; counts are unread articles."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="sidebar.down"),
        Binding("k", "cursor_up", "Up", show=False, id="sidebar.up"),
    ]

    class ViewChosen(Message):
        """The reader picked a view."""

        def __init__(self, view: View) -> None:
            self.view = view
            super().__init__()

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.views: list[View] = []
        self._shape: tuple[tuple[str, str], ...] = ()
        self._looks: list[tuple[int, int, bool, bool]] = []
        """What each row shows: (indent, count, failing, current)."""
        self.border_title = "Feeds"

    def show_rows(self, rows: Sequence[SidebarRow], current: View) -> None:
        """Rebuild when the feeds changed, else redraw only the rows whose count, mark or
        warning changed (redrawing all 500 rows took ~50 ms); mark ``current``."""
        shape = tuple((row.view.key, row.view.title) for row in rows)
        key = current.key
        looks = [(row.indent, row.number, row.failing, row.view.key == key) for row in rows]
        if shape != self._shape:
            highlighted = self.highlighted
            kept = self.views[highlighted].key if highlighted is not None and self.views else None
            self._shape = shape
            self._looks = looks
            self.views = [row.view for row in rows]
            self.set_options(
                [
                    Option(self._prompt(view, *look), id=view.key)
                    for view, look in zip(self.views, looks, strict=True)
                ]
            )
            keys = [view.key for view in self.views]
            self.highlighted = (
                keys.index(kept) if kept in keys else keys.index(key) if key in keys else 0
            )
            return
        shown = zip(self.views, looks, self._looks, strict=True)
        for index, (view, look, before) in enumerate(shown):
            if look != before:
                self._redraw_row(index, self._prompt(view, *look))
        self._looks = looks

    def _redraw_row(self, index: int, prompt: Content) -> None:
        """Give row ``index`` a new prompt and redraw that row alone.

        OptionList's own ``replace_option_prompt_at_index`` drops the drawing of every row
        and measures all of them again: with 500 feeds the next frame took ~30 ms at
        200 x 50. Every row here is one line (:data:`ROW_WIDTH`), so no other row moves.
        Uses OptionList's render cache (textual>=8.2,<9); the public way if it is not there.
        """
        option = self.get_option_at_index(index)
        try:
            cache = self._option_render_cache
            line = self._index_to_line[index]
            option._set_prompt(prompt)
        except (AttributeError, KeyError):
            self.replace_option_prompt_at_index(index, prompt)
            return
        keys = cache.keys()
        for key in [key for key in keys if key[0] is option]:
            cache.discard(key)
        self.refresh_line(line)

    def _prompt(
        self, view: View, indent: int, number: int, failing: bool, current: bool
    ) -> Content:
        marker = "⚠" if failing else "▸" if current else " "
        count = f"{number:,}" if number else ""
        count_width = max(COUNT_WIDTH, len(count) + 1)
        name_width = ROW_WIDTH - count_width - 2 - 2 * indent
        name = fit_cells(clean_line(view.title, 80), name_width)
        count = count.rjust(count_width)
        name_style = "bold" if view.kind in ("all", "unread", "starred", "section") else ""
        if current:
            name_style = (name_style + " $accent").strip()
        return Content.assemble(
            ("  " * indent, ""),
            (marker + " ", "$warning" if failing else "$accent"),
            (name, name_style),
            (count, "$text-muted" if view is ALL or not number else "bold"),
        )

    def view_for_feed(self, feed_id: int) -> View | None:
        """The feed's view, if it is listed."""
        return next((v for v in self.views if v.kind == "feed" and v.feed_id == feed_id), None)

    @property
    def highlighted_view(self) -> View | None:
        """The view under the cursor."""
        index = self.highlighted
        return self.views[index] if index is not None and index < len(self.views) else None

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_index < len(self.views):
            self.post_message(self.ViewChosen(self.views[event.option_index]))
