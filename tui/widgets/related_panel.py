"""The related-links panel: the links an article offers its reader, numbered.

A Line-API widget: a new article's links repaint the panel without a new layout of the
screen (an OptionList lays the screen out again on every change).
"""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.core.models import RELATED_KINDS, RelatedLink
from tui.core.sanitize import clean_line
from tui.widgets.quiet import KeptScrollBars, StyledOncePerPaint, set_virtual_size

KIND_LABELS = {
    "next": "NEXT",
    "more": "MORE",
    "source": "SOURCE",
    "related": "RELATED",
    "inline": "LINK",
}


class RelatedPanel(StyledOncePerPaint, KeptScrollBars, ScrollView, can_focus=True):
    """``1 NEXT  Things We Want In Jessica Jones Season 2``; Enter or 1–9 follows."""

    BINDINGS = [
        Binding("j,down", "cursor_down", "Down", show=False, id="related.down"),
        Binding("k,up", "cursor_up", "Up", show=False, id="related.up"),
        Binding("g,home", "first", "First", show=False, id="related.first"),
        Binding("G,end", "last", "Last", show=False, id="related.last"),
        Binding("enter", "select", "Follow", show=False, id="related.follow"),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "related-panel--number",
        "related-panel--kind",
        "related-panel--cursor",
    }

    highlighted: reactive[int] = reactive(0, repaint=False)

    class Followed(Message):
        """The reader chose a link."""

        def __init__(self, link: RelatedLink) -> None:
            self.link = link
            super().__init__()

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.links: tuple[RelatedLink, ...] = ()
        self.border_title = "Related"

    def show_links(self, links: tuple[RelatedLink, ...], title: str = "Related") -> None:
        """Replace the list, grouped NEXT, MORE, SOURCE, RELATED, LINK (page order within a kind).

        Feed text is shown as plain text, never as markup.
        """
        rank = {kind: n for n, kind in enumerate(RELATED_KINDS)}
        self.links = tuple(sorted(links, key=lambda link: rank.get(link.kind, len(rank))))
        self.border_title = f"{title} ({len(self.links)})" if self.links else title
        set_virtual_size(self, Size(self.scrollable_content_region.width, len(self.links)))
        self.scroll_to(y=0, animate=False, immediate=True)
        self.highlighted = 0
        self.refresh()

    @property
    def option_count(self) -> int:
        return len(self.links)

    def follow(self, number: int) -> bool:
        """Follow link ``number`` (1-based); False when there is no such link."""
        if 1 <= number <= len(self.links):
            self.post_message(self.Followed(self.links[number - 1]))
            return True
        return False

    # -- cursor ---------------------------------------------------------------------------

    def validate_highlighted(self, value: int) -> int:
        return max(0, min(value, len(self.links) - 1))

    def watch_highlighted(self, old: int, new: int) -> None:
        self.scroll_to_region(Region(0, new, 1, 1), animate=False, immediate=True)
        self.refresh()

    def action_cursor_down(self) -> None:
        self.highlighted += 1

    def action_cursor_up(self) -> None:
        self.highlighted -= 1

    def action_first(self) -> None:
        self.highlighted = 0

    def action_last(self) -> None:
        self.highlighted = len(self.links) - 1

    def action_select(self) -> None:
        self.follow(self.highlighted + 1)

    def on_click(self, event: events.Click) -> None:
        index = int(self.scroll_offset.y) + event.y
        if 0 <= index < len(self.links):
            self.highlighted = index
            self.follow(index + 1)

    # -- rendering ------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = int(self.scroll_offset.y) + y
        if not 0 <= index < len(self.links):
            return Strip.blank(width, self.paint_style)
        link = self.links[index]
        base = self.paint_style
        if index == self.highlighted and self.has_focus:
            base += self.get_component_rich_style("related-panel--cursor")
        number = self.get_component_rich_style("related-panel--number")
        kind_style = self.get_component_rich_style("related-panel--kind")
        kind = KIND_LABELS.get(link.kind, clean_line(link.kind, 10).upper())
        label = clean_line(link.label, 300) or clean_line(link.url, 300)
        strip = Strip(
            [
                Segment(f"{index + 1:>2} " if index < 9 else "   ", base + number),
                Segment(f"{kind:<8}", base + kind_style),
                Segment(label, base),
            ]
        )
        if strip.cell_length > width > 1:
            return Strip([*strip.crop(0, width - 1), Segment("…", base)])
        return strip.extend_cell_length(width, base).crop(0, width)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()


__all__ = ["KIND_LABELS", "RelatedPanel"]
