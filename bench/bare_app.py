"""The baseline for time to first paint: a bare Textual app with one Static widget."""

from textual.app import App, ComposeResult
from textual.widgets import Static


class BareApp(App[None]):
    """Nothing but one line of text."""

    def compose(self) -> ComposeResult:
        yield Static("bare textual app ready")


if __name__ == "__main__":
    BareApp().run()
