"""Feed health: every feed, failing ones first, with the reason and the last good refresh."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from tui.core.models import FeedState
from tui.core.sanitize import clean_line
from tui.core.timefmt import age

WARNING_PREFIX = "feed is not well-formed"


def feed_status(feed: FeedState) -> str:
    """``failing``, ``warning`` (read, but not well-formed), ``ok`` or ``new`` (never fetched)."""
    if feed.last_error:
        return "warning" if feed.last_error.startswith(WARNING_PREFIX) else "failing"
    return "ok" if feed.last_fetched else "new"


def health_rows(feeds: Sequence[FeedState]) -> list[tuple[FeedState, str]]:
    """Feeds with their status, failing first, then warnings, then by name."""
    order = {"failing": 0, "warning": 1, "new": 2, "ok": 3}
    rows = [(feed, feed_status(feed)) for feed in feeds]
    return sorted(rows, key=lambda row: (order[row[1]], row[0].display_name.casefold()))


def _ago(timestamp: float | None) -> str:
    """``never``, ``just now``, ``5m ago``, ``3d ago``."""
    if not timestamp:
        return "never"
    ago = age(timestamp)
    return "just now" if ago in ("", "now") else f"{ago} ago"


class FeedHealthScreen(ModalScreen[int | None]):
    """Enter shows the feed's articles (returns its id); Esc closes."""

    BINDINGS = [
        Binding("escape,q,E", "dismiss(None)", "Close", id="health.close"),
        Binding("enter", "show_feed", "Show feed", id="health.show"),
    ]

    def __init__(self, feeds: Sequence[FeedState]) -> None:
        super().__init__()
        self.rows = health_rows(feeds)

    def compose(self) -> ComposeResult:
        failing = sum(1 for _, status in self.rows if status == "failing")
        summary = (
            f"Feed health: {len(self.rows)} feeds, {failing} failing"
            " — Enter shows a feed's articles, Esc closes"
        )
        with Vertical(id="health-box"):
            yield Static(summary, id="health-title", markup=False)
            table: DataTable[Text] = DataTable(
                id="health-table", cursor_type="row", zebra_stripes=True
            )
            table.add_columns("Status", "Feed", "Unread", "Last refresh", "Problem")
            styles = {"failing": "bold red", "warning": "yellow", "new": "dim", "ok": "green"}
            for feed, status in self.rows:
                table.add_row(
                    Text(status, style=styles[status]),
                    Text(clean_line(feed.display_name, 40)),
                    Text(f"{feed.unread}/{feed.total}", justify="right"),
                    Text(_ago(feed.last_fetched)),
                    Text(clean_line(feed.last_error, 200)),
                    key=str(feed.id),
                )
            yield table

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()

    def action_show_feed(self) -> None:
        table = self.query_one(DataTable)
        if not self.rows:
            self.dismiss(None)
            return
        self.dismiss(self.rows[table.cursor_row][0].id)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.dismiss(self.rows[event.cursor_row][0].id)
