"""The Textual app: bindings with ids, theme, help; the main screen does the work."""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.binding import Binding

from tui.config import Config
from tui.screens.help import HelpScreen, binding_rows
from tui.screens.main import MainScreen
from tui.widgets.article_list import ArticleList
from tui.widgets.reading_pane import ReadingPane


class TvnewsApp(App[None]):
    """tvnews: list, reading pane and related links, all from the keyboard."""

    CSS_PATH = "tvnews.tcss"
    TITLE = "tvnews"
    BINDINGS = [
        Binding("q", "back_or_quit", "Quit", id="quit"),
        Binding("question_mark", "help", "Help", id="help"),
        Binding("ctrl+c", "quit", "Quit now", show=False, priority=True, id="quit_now"),
        Binding("tab", "app.focus_next", "Next pane", show=False, id="next_pane"),
        Binding("shift+tab", "app.focus_previous", "Previous pane", show=False, id="prev_pane"),
    ]

    def __init__(self, config: Config, cache_path: Path) -> None:
        super().__init__()
        self.config = config
        self.cache_path = cache_path
        theme = config.settings.theme
        if theme in self.available_themes:
            self.theme = theme

    def on_mount(self) -> None:
        if self.config.keys:
            self.set_keymap(self.config.keys)
        self.push_screen(MainScreen(self.config, self.cache_path))

    def action_back_or_quit(self) -> None:
        """q: leave a pane for the list first, then quit."""
        focused = self.focused
        if isinstance(self.screen, MainScreen) and not isinstance(focused, ArticleList):
            self.screen.query_one(ArticleList).focus()
            return
        self.exit()

    def action_help(self) -> None:
        """Show every key."""
        if isinstance(self.screen, HelpScreen):
            return
        main = self.screen
        sources = [
            ("Global", list(self.BINDINGS)),
            ("Reader", list(MainScreen.BINDINGS)),
            ("List", list(ArticleList.BINDINGS)),
            ("Article", list(ReadingPane.BINDINGS)),
        ]
        del main
        self.push_screen(HelpScreen(binding_rows(sources)))
