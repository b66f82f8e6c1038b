"""The reading pane: an article (or a section listing) rendered as Markdown."""

from __future__ import annotations

from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Markdown, Static

from tui.core.sanitize import clean_text, safe_url


class ReadingPane(VerticalScroll, can_focus=True):
    """Scrollable Markdown; links clicked in the text are passed up, never opened directly."""

    BINDINGS = [
        Binding("j,down", "scroll_down", "Scroll down", show=False, id="reader.down"),
        Binding("k,up", "scroll_up", "Scroll up", show=False, id="reader.up"),
        Binding("g,home", "scroll_home", "Top", show=False, id="reader.top"),
        Binding("G,end", "scroll_end", "Bottom", show=False, id="reader.bottom"),
    ]

    class LinkFollowed(Message):
        """A link in the article text was clicked (already checked to be http(s))."""

        def __init__(self, url: str) -> None:
            self.url = url
            super().__init__()

    notice: str = ""
    """The note shown above the article now (empty: none)."""

    def compose(self):
        yield Static("", id="reading-notice", markup=False)
        yield Markdown("", id="article-body", open_links=False)

    def show(self, markdown: str, *, notice: str = "") -> None:
        """Replace the content and scroll to the top."""
        self.query_one("#article-body", Markdown).update(markdown)
        self.set_notice(notice)
        self.scroll_home(animate=False)

    def set_notice(self, notice: str, *, error: bool = False) -> None:
        """A one-line note above the article: fetching, failed (with the reason), offline."""
        self.notice = clean_text(notice)
        widget = self.query_one("#reading-notice", Static)
        widget.update(self.notice)
        widget.display = bool(notice)
        widget.set_class(error, "-error")

    @property
    def markdown(self) -> str:
        """The Markdown shown now."""
        return self.query_one("#article-body", Markdown).source

    def on_markdown_link_clicked(self, event: Markdown.LinkClicked) -> None:
        event.stop()
        url = safe_url(event.href)
        if url:
            self.post_message(self.LinkFollowed(url))
        else:
            self.notify("Only http(s) links are followed.", severity="warning")
