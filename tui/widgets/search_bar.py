"""The search bar: one line above the panes, opened with ``/``.

Enter runs the search (full-text, over title, summary and article text); Esc clears it
and closes the bar. The screen does the searching; the bar only reports what was typed.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Static

from tui.widgets.quiet import TextLine


class SearchBar(Horizontal):
    """``Search:`` [words] ``N matches``."""

    BINDINGS = [
        Binding("escape", "clear", "Clear search", id="search.clear"),
    ]

    class Submitted(Message):
        """Enter: search for ``text`` (empty: stop searching)."""

        def __init__(self, text: str) -> None:
            self.text = text
            super().__init__()

    class Cleared(Message):
        """Esc: stop searching and close the bar."""

    def compose(self) -> ComposeResult:
        yield Static("Search:", id="search-label", markup=False)
        yield Input(
            placeholder="words in title or text (Enter: search, Esc: clear)",
            id="search-input",
            compact=True,
            max_length=200,
        )
        yield TextLine(id="search-count")

    @property
    def input(self) -> Input:
        return self.query_one("#search-input", Input)

    def open(self, text: str = "") -> None:
        """Show the bar with ``text`` and put the cursor in it."""
        self.display = True
        self.input.value = text
        self.input.cursor_position = len(text)
        # Now, not after the next refresh as ``focus()`` does: keys typed right after ``/``
        # go to the focused widget.
        self.screen.set_focus(self.input)

    def close(self) -> None:
        """Hide the bar."""
        self.display = False
        self.show_count(None)

    def show_count(self, matches: int | None) -> None:
        """``N matches`` on the right (None: nothing)."""
        text = "" if matches is None else f"{matches:,} match{'es' * (matches != 1)}"
        self.query_one("#search-count", TextLine).update(text)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Submitted(event.value.strip()))

    def action_clear(self) -> None:
        self.post_message(self.Cleared())
