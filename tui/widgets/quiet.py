"""Widgets that change what they show without a new layout of the screen.

Textual lays the whole screen out again when a widget's content may change its size
(``Static.update``, a ScrollView's ``virtual_size``); with the article list, the reading
pane and the footer on screen that costs tens of milliseconds per key. Widgets whose
size is fixed by CSS can repaint just themselves instead.
"""

from __future__ import annotations

from rich.text import Text
from textual.geometry import Size
from textual.scroll_view import ScrollView
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


class TextLine(Widget):
    """One line of plain text (never markup) whose size is set by CSS."""

    DEFAULT_CSS = """
    TextLine { height: 1; width: 1fr; }
    """

    def __init__(self, text: str = "", **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._text = text

    def update(self, text: str) -> None:
        """Show ``text`` (already sanitized by the caller); repaints only this line."""
        if text != self._text:
            self._text = text
            self.refresh()

    def render(self) -> Text:
        return Text(self._text, no_wrap=True, overflow="ellipsis", end="")


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
