"""The help screen: every key, generated from the bindings in force."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

#: Keys shown in a friendlier spelling.
KEY_NAMES = {
    "backspace": "Backspace",
    "shift+backspace": "Shift+Backspace",
    "question_mark": "?",
    "space": "Space",
    "enter": "Enter",
    "escape": "Esc",
    "pagedown": "PgDn",
    "pageup": "PgUp",
    "tab": "Tab",
    "shift+tab": "Shift+Tab",
    "slash": "/",
    "backslash": "\\",
    "plus": "+",
}


def key_text(keys: str) -> str:
    """``j,down`` -> ``j / down`` with friendly names (``ctrl+z`` -> ``Ctrl+Z``)."""
    return " / ".join(_key_name(key.strip()) for key in keys.split(","))


def _key_name(key: str) -> str:
    if key.startswith("ctrl+") and len(key) == 6:
        return f"Ctrl+{key[-1].upper()}"
    return KEY_NAMES.get(key, key)


def binding_rows(
    sources: list[tuple[str, list[Binding]]], keymap: dict[str, str] | None = None
) -> list[tuple[str, str, str, str]]:
    """(where, keys, description, id) for every binding with a description, deduplicated.

    ``keymap`` (the ``[keys]`` table: binding id -> keys) replaces the default keys.
    """
    rows: list[tuple[str, str, str, str]] = []
    seen: set[tuple[str, str]] = set()
    for where, bindings in sources:
        for binding in bindings:
            keys = (keymap or {}).get(binding.id or "", binding.key)
            if not binding.description or (keys, where) in seen:
                continue
            seen.add((keys, where))
            rows.append((where, key_text(keys), binding.description, binding.id or ""))
    return rows


class HelpScreen(ModalScreen[None]):
    """Lists every key of the app, the screen and each pane."""

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close help", id="help.close")]

    def __init__(self, rows: list[tuple[str, str, str, str]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static("tvnews keys — Esc or ? closes", id="help-title", markup=False)
            table: DataTable[str] = DataTable(
                id="help-table", cursor_type="row", zebra_stripes=True
            )
            table.add_columns("Where", "Key", "Action", "Id (for keys)")
            table.add_rows(self.rows)
            yield table

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
