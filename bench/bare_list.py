"""The baseline for key latency: a bare Textual Line-API list of 100k rows, between a
header line and two status lines (where tvnews has its own), nothing else.

j/k/PageDown/PageUp move a highlighted row, as in tvnews's article list; the time from a
key to the changed screen, measured the same way in tmux, is what Textual and the
terminal cost before tvnews does anything.
"""

from rich.segment import Segment
from rich.style import Style
from textual.app import App, ComposeResult
from textual.geometry import Region, Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Static

ROWS = 100_000


class BareList(ScrollView, can_focus=True):
    """Rows ``row N``; the cursor row is shown reversed."""

    BINDINGS = [
        ("j,down", "move(1)"),
        ("k,up", "move(-1)"),
        ("pagedown", "page(1)"),
        ("pageup", "page(-1)"),
        ("g", "top"),
    ]
    cursor = reactive(0, repaint=False)

    def on_mount(self) -> None:
        self.virtual_size = Size(60, ROWS)
        self.focus()

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, ROWS - 1))

    def watch_cursor(self, new: int) -> None:
        self.scroll_to_region(Region(0, new, 1, 1), animate=False, immediate=True)
        self.refresh()

    def action_move(self, step: int) -> None:
        self.cursor += step

    def action_page(self, step: int) -> None:
        self.cursor += step * max(self.size.height - 1, 1)

    def action_top(self) -> None:
        self.cursor = 0

    def render_line(self, y: int) -> Strip:
        index = int(self.scroll_offset.y) + y
        text = f" row {index} of a bare Textual list".ljust(self.size.width)
        return Strip([Segment(text, Style(reverse=index == self.cursor))])


class BareListApp(App[None]):
    """The list, between a header line and two status lines as in tvnews: the bench's
    screen comparison leaves those lines out (a refresh's progress changes them), so
    every move of the cursor shows in the rows it compares."""

    CSS = """
    #header { height: 1; }
    BareList { height: 1fr; }
    #status { height: 2; }
    """

    def compose(self) -> ComposeResult:
        yield Static("bare Textual list, 100,000 rows", id="header")
        yield BareList()
        yield Static("status\nkeys", id="status")


if __name__ == "__main__":
    BareListApp().run()
