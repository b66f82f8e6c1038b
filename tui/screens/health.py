"""Feed health: every feed, failing ones first, with the reason and the last good refresh."""

from __future__ import annotations

from collections.abc import Callable, Sequence

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
STATUS_STYLES = {"failing": "bold red", "warning": "yellow", "new": "dim", "ok": "green"}
#: Rows in the table when it first shows; the rest follow in batches, a frame apart
#: (Textual's table measures every cell it is given: 500 feeds took ~250 ms to show).
FIRST_ROWS = 60
BATCH_ROWS = 100


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

    def __init__(
        self, feeds: Sequence[FeedState], next_fetch: Callable[[FeedState], str] | None = None
    ) -> None:
        super().__init__()
        self.rows = health_rows(feeds)
        self.next_fetch = next_fetch or (lambda feed: "")
        """When a refresh fetches a feed next (``due``, ``in 40 min (feed asks)``)."""

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
            table.add_columns("Status", "Feed", "Unread", "Last refresh", "Next", "Problem")
            self._add_rows(table, 0, FIRST_ROWS)
            yield table

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        if len(self.rows) > FIRST_ROWS:
            self.call_after_refresh(self._add_more, FIRST_ROWS)

    def _add_more(self, start: int) -> None:
        """The next batch of rows, after a frame (keys typed meanwhile go first)."""
        if not self.is_attached:  # closed before it was full
            return
        end = self._add_rows(self.query_one(DataTable), start, start + BATCH_ROWS)
        if end < len(self.rows):
            self.call_after_refresh(self._add_more, end)

    def _add_rows(self, table: DataTable[Text], start: int, end: int) -> int:
        """Rows ``start`` to ``end`` of the table (plain text, never markup); where the
        next batch starts."""
        for feed, status in self.rows[start:end]:
            table.add_row(
                Text(status, style=STATUS_STYLES[status]),
                Text(clean_line(feed.display_name, 40)),
                Text(f"{feed.unread}/{feed.total}", justify="right"),
                Text(_ago(feed.last_fetched)),
                Text(self.next_fetch(feed)),
                Text(clean_line(feed.last_error, 200)),
                key=str(feed.id),
            )
        return min(end, len(self.rows))

    def action_show_feed(self) -> None:
        table = self.query_one(DataTable)
        if not self.rows:
            self.dismiss(None)
            return
        self.dismiss(self.rows[table.cursor_row][0].id)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.dismiss(self.rows[event.cursor_row][0].id)
