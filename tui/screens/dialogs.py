"""Small modal dialogs: add a feed (found by autodiscovery), and yes/no confirmation."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from tui.config import Settings
from tui.core.errors import TvnewsError
from tui.core.sanitize import clean_line, clean_text


@dataclass(frozen=True, slots=True)
class FeedToAdd:
    """What the add-feed dialog found: the feed URL, a name and a section."""

    url: str
    name: str
    section: str


class AddFeedDialog(ModalScreen[FeedToAdd | None]):
    """URL (feed or site), optional name and section; Enter looks the feed up, Esc cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    class Found(Message):
        """The worker found (or failed to find) the feed."""

        def __init__(self, feed: FeedToAdd | None, error: str = "") -> None:
            self.feed, self.error = feed, error
            super().__init__()

    def __init__(
        self, settings: Settings, section: str = "", known: frozenset[str] = frozenset()
    ) -> None:
        super().__init__()
        self.settings = settings
        self.section = section
        self.known = known
        """Feed URLs already in the list: finding one of them keeps the dialog open."""
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical(id="add-feed-box", classes="dialog"):
            yield Static("Add a feed", classes="dialog-title", markup=False)
            yield Label("Feed or web site URL", markup=False)
            yield Input(placeholder="https://example.com/", id="add-url")
            yield Label("Name (empty: the feed's title)", markup=False)
            yield Input(id="add-name")
            yield Label("Section (optional)", markup=False)
            yield Input(value=self.section, id="add-section")
            yield Static("", id="add-status", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Add", variant="primary", id="add-ok")
                yield Button("Cancel", id="add-cancel")

    def on_mount(self) -> None:
        self.focus_url()

    def focus_url(self) -> None:
        """Focus the URL field now (``focus()`` would wait for the next message)."""
        self.set_focus(self.query_one("#add-url", Input))

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#add-cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    @on(Button.Pressed, "#add-ok")
    def _submit(self) -> None:
        if self.busy:
            return
        url = self.query_one("#add-url", Input).value.strip()
        if not url:
            self._status("Type the URL of a feed or of a web site.", error=True)
            self.query_one("#add-url", Input).focus()
            return
        self.busy = True
        self._status(f"Looking for the feed at {clean_line(url, 200)} …")
        name = self.query_one("#add-name", Input).value.strip()
        section = self.query_one("#add-section", Input).value.strip()
        self.look_up(url, name, section)

    def _status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#add-status", Static)
        status.update(clean_line(text, 400))
        status.set_class(error, "-error")

    @work(thread=True, exclusive=True, group="discover")
    def look_up(self, url: str, name: str, section: str) -> None:
        """Worker: fetch the URL; a web page's declared feed is used."""
        from tui.core.discover import discover_feed

        try:
            found = discover_feed(url, self.settings)
        except TvnewsError as error:
            self.post_message(self.Found(None, str(error) or type(error).__name__))
            return
        feed = FeedToAdd(found.url, clean_line(name or found.title, 200), clean_line(section, 100))
        self.post_message(self.Found(feed))

    @on(Found)
    def _found(self, event: Found) -> None:
        self.busy = False
        if event.feed is None:
            self._status(f"No feed added: {event.error}", error=True)
            return
        if event.feed.url in self.known:
            self._status(f"Already in your feeds: {event.feed.url}", error=True)
            return
        self.dismiss(event.feed)


class ConfirmDialog(ModalScreen[bool]):
    """A question with Yes (y) and No (n, Esc)."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="dialog.yes"),
        Binding("n,escape", "answer(False)", "No", id="dialog.no"),
    ]

    def __init__(self, question: str, detail: str = "") -> None:
        super().__init__()
        self.question = question
        self.detail = detail

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box", classes="dialog"):
            yield Static(clean_line(self.question, 300), classes="dialog-title", markup=False)
            if self.detail:
                yield Static(clean_text(self.detail), id="confirm-detail", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Yes (y)", variant="error", id="confirm-yes")
                yield Button("No (n)", id="confirm-no")

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")
