"""The Textual app: bindings with ids, theme, help; the main screen does the work."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

from textual import events, work
from textual.app import App
from textual.binding import Binding
from textual.driver import Driver
from textual.drivers.linux_driver import LinuxDriver
from textual.theme import Theme
from textual.worker import WorkerFailed

from tui.config import Config
from tui.core.errors import StoreError
from tui.core.store import Store
from tui.screens.main import MainScreen
from tui.widgets.article_list import ArticleList

#: How long a thread may hold the GIL while another waits (Python's default is 5 ms). A
#: worker fetching or extracting a page then delays a key's frame by at most 1 ms at a time.
SWITCH_INTERVAL = 0.001


def _tvnews_commands() -> type:
    """The palette's provider, imported when the palette first opens (not at start-up)."""
    from tui.commands import TvnewsCommands

    return TvnewsCommands


class FrameWritingDriver(LinuxDriver):
    """Textual's terminal driver, writing each frame from the UI thread as it is made.

    Textual hands frames to a writer thread, which then waits for the interpreter while
    the UI thread works on: a key's frame reached the terminal 2–3 ms later, up to 6.
    """

    def write(self, data: str) -> None:
        self._file.write(data)  # the terminal's stream (textual>=8.2,<9)
        self._file.flush()


class TvnewsApp(App[None]):
    """tvnews: list, reading pane and related links, all from the keyboard."""

    CSS_PATH = "tvnews.tcss"
    TITLE = "tvnews"
    COMMANDS = App.COMMANDS | {_tvnews_commands}
    BINDINGS = [
        Binding("q", "back_or_quit", "Quit", id="quit"),
        Binding("question_mark", "help", "Help", id="help"),
        Binding("ctrl+c", "quit", "Quit now", show=False, priority=True, id="quit_now"),
        Binding("ctrl+z", "suspend_process", "Suspend to the shell", show=False, id="suspend"),
        Binding("tab", "app.focus_next", "Next pane", show=False, id="next_pane"),
        Binding("shift+tab", "app.focus_previous", "Previous pane", show=False, id="prev_pane"),
        Binding(
            "ctrl+p", "command_palette", "Commands", show=False, priority=True, id="command_palette"
        ),
    ]

    def __init__(
        self, config: Config, cache_path: Path, *, notice: str = "", store: Store | None = None
    ) -> None:
        super().__init__()
        self.config = config
        self.cache_path = cache_path
        self._store = store
        """The cache, opened already (the main screen takes it; else it opens its own)."""
        self.notice = notice
        """Shown once at start (e.g. the cache was damaged and rebuilt)."""
        theme = config.settings.theme
        if theme in self.available_themes:
            self.theme = theme

    def get_driver_class(self) -> type[Driver]:
        driver = super().get_driver_class()
        return FrameWritingDriver if driver is LinuxDriver else driver

    def on_mount(self) -> None:
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL)
        if self.config.keys:
            self.set_keymap(self.config.keys)
        store, self._store = self._store, None
        self.push_screen(MainScreen(self.config, self.cache_path, store=store))
        if self.notice:
            self.notify(self.notice, severity="warning", timeout=30, markup=False)
        if self.config.keys:
            self.call_after_refresh(self._check_key_ids)
        self._theme_timer = None
        self.theme_changed_signal.subscribe(self, self._theme_changed)

    def on_unmount(self) -> None:
        sys.setswitchinterval(self._switch_interval)

    def _check_key_ids(self) -> None:
        """Say which ids in ``[keys]`` name no binding."""
        from tui.commands import known_binding_ids

        unknown = sorted(set(self.config.keys) - known_binding_ids(self))
        if unknown:
            self.notify(
                f"Unknown ids in [keys]: {', '.join(unknown)} (see ? for the list)",
                title="feeds.toml",
                severity="warning",
                timeout=10,
                markup=False,
            )

    def _theme_changed(self, theme: Theme) -> None:
        """Save the chosen theme to feeds.toml once the choice settles."""
        if self._theme_timer is not None:
            self._theme_timer.stop()
        self._theme_timer = self.set_timer(1.0, lambda: self.save_theme(theme.name))

    @work(thread=True, group="settings", exclusive=True)
    def save_theme(self, name: str) -> None:
        """Worker: ``[settings] theme = name`` in feeds.toml, comments kept."""
        from tui.core.errors import TvnewsError
        from tui.core.feedlist import set_setting

        path = self.config.path
        if path is None:
            return
        try:
            set_setting(path, "theme", name)
        except TvnewsError as error:
            self.call_from_thread(
                self.notify, f"Theme not saved: {error}", severity="warning", markup=False
            )

    def _handle_exception(self, error: Exception) -> None:
        """The cache failing in use (locked for too long, disk full, damaged) ends the app
        with a message that says what happens next, not a traceback. Textual ends the app
        on any error nothing handled; writes the screen expects to fail are handled there
        (the app goes on)."""
        cause = error.error if isinstance(error, WorkerFailed) else error
        if not isinstance(cause, sqlite3.DatabaseError | StoreError):
            super()._handle_exception(error)
            return
        if self._return_code == 1:
            return  # ending already: one message, however many reads failed since
        from rich.text import Text

        from tui.core.recovery import failed_in_use

        self._return_code = 1  # what Textual's own handler sets (textual>=8.2,<9)
        self.panic(Text(failed_in_use(self.cache_path, cause)))

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and self.return_code is not None:
            return  # quitting: keys typed after q open nothing in an app that is closing
        await super().on_event(event)

    def action_back_or_quit(self) -> None:
        """q: leave a pane for the list first, then quit."""
        focused = self.focused
        if isinstance(self.screen, MainScreen) and not isinstance(focused, ArticleList):
            self.screen.query_one(ArticleList).focus()
            return
        main = next((s for s in self.screen_stack if isinstance(s, MainScreen)), None)
        if main is not None and main.quit_after_marks():
            return
        self.exit()

    def action_help(self) -> None:
        """Show every key."""
        from tui.commands import binding_groups
        from tui.screens.help import HelpScreen, binding_rows

        if isinstance(self.screen, HelpScreen):
            return
        sources = [(group.where, list(group.bindings)) for group in binding_groups(self)]
        self.push_screen(HelpScreen(binding_rows(sources, self.config.keys)))
