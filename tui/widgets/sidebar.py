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
from tui.widgets.quiet import fit_cells

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


def sidebar_views(feeds: Sequence[FeedState]) -> list[tuple[View, int, FeedState | None]]:
    """(view, indent, feed) rows: fixed views, then each section with its feeds, then the rest."""
    rows: list[tuple[View, int, FeedState | None]] = [(ALL, 0, None), (UNREAD, 0, None)]
    rows.append((STARRED, 0, None))
    sections: dict[str, list[FeedState]] = {}
    loose: list[FeedState] = []
    for feed in feeds:
        (sections.setdefault(feed.section, []) if feed.section else loose).append(feed)
    for section in sorted(sections, key=str.casefold):
        rows.append((View("section", section=section, title=clean_line(section, 80)), 0, None))
        rows += [(_feed_view(feed), 1, feed) for feed in sections[section]]
    rows += [(_feed_view(feed), 0, feed) for feed in loose]
    return rows


def _feed_view(feed: FeedState) -> View:
    return View("feed", feed_id=feed.id, title=clean_line(feed.display_name, 80))


class Sidebar(OptionList):
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
        self.border_title = "Feeds"

    def show_feeds(self, feeds: Sequence[FeedState], counts: SidebarCounts, current: View) -> None:
        """Rebuild when the feeds changed, else only update the counts; mark ``current``."""
        rows = sidebar_views(feeds)
        shape = tuple((view.key, view.title) for view, _, _ in rows)
        unread_by_section: dict[str, int] = {}
        for feed in feeds:
            unread_by_section[feed.section] = unread_by_section.get(feed.section, 0) + feed.unread
        prompts = []
        for view, indent, feed in rows:
            if view.kind == "all":
                number = sum(each.total for each in feeds)
            elif view.kind == "unread":
                number = counts.unread
            elif view.kind == "starred":
                number = counts.starred
            elif view.kind == "section":
                number = unread_by_section.get(view.section or "", 0)
            else:
                number = feed.unread if feed else 0
            failing = bool(feed and feed.last_error and "not well-formed" not in feed.last_error)
            is_current = view.key == current.key
            prompts.append(self._prompt(view, indent, number, failing, is_current, view is ALL))
        if shape != self._shape:
            highlighted = self.highlighted
            key = self.views[highlighted].key if highlighted is not None and self.views else None
            self._shape = shape
            self.views = [view for view, _, _ in rows]
            self.set_options(
                [
                    Option(prompt, id=view.key)
                    for prompt, view in zip(prompts, self.views, strict=True)
                ]
            )
            keys = [view.key for view in self.views]
            self.highlighted = (
                keys.index(key)
                if key in keys
                else keys.index(current.key)
                if current.key in keys
                else 0
            )
            return
        for index, prompt in enumerate(prompts):
            self.replace_option_prompt_at_index(index, prompt)

    def _prompt(
        self, view: View, indent: int, number: int, failing: bool, current: bool, muted: bool
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
            (count, "$text-muted" if muted or not number else "bold"),
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
