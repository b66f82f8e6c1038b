"""Keys sent at once through a real terminal (a paste, a script, a fast typist): what
follows ``a`` or ``/`` lands in the dialog or the search bar, never on the list's keys."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.apphelpers import TUI_DRIVE, long_list_app, play_in_terminal

URL = "https://news.example/tv/some/feed.xml?sort=smo"


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
@pytest.mark.skipif(not TUI_DRIVE.is_file(), reason="../shared/tools/tui_drive.py is missing")
def test_a_url_or_search_words_typed_right_after_the_key(tmp_path: Path) -> None:
    app = long_list_app(tmp_path, 20_000)  # a long list: keys take their time to pass on
    steps = [
        "wait Article 19999",
        *(["keys a", f"type {URL}", f"wait {URL} 10", "keys Escape", "gone Add a feed"] * 3),
        "refuse ★",  # s was never taken as the star key
        "keys /",
        "type jessica/jones",
        "wait Search: jessica/jones 10",
        "keys C-c",
        "exited 10",
    ]
    play_in_terminal(app, tmp_path, steps, ("-m", "tui.cli"), BROWSER="true")
