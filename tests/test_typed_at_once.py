"""Keys sent at once through a real terminal (a paste, a script, a fast typist): what
follows ``a`` or ``/`` lands in the dialog or the search bar, never on the list's keys."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.apphelpers import long_list_app

ROOT = Path(__file__).resolve().parents[1]
TUI_DRIVE = ROOT.parent / "shared" / "tools" / "tui_drive.py"
URL = "https://news.example/tv/some/feed.xml?sort=smo"


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
@pytest.mark.skipif(not TUI_DRIVE.is_file(), reason="../shared/tools/tui_drive.py is missing")
def test_a_url_or_search_words_typed_right_after_the_key(tmp_path: Path) -> None:
    app = long_list_app(tmp_path, 20_000)  # a long list: keys take their time to pass on
    steps = [
        "wait Article 19999",
        *(["keys a", f"type {URL}", "sleep 0.5", f"expect {URL}", "keys Escape", "sleep 0.3"] * 3),
        "refuse ★",  # s was never taken as the star key
        "keys /",
        "type jessica/jones",
        "sleep 0.5",
        "expect Search: jessica/jones",
        "keys C-c",
        "exited 10",
    ]
    scenario = tmp_path / "scenario.txt"
    scenario.write_text("\n".join(steps) + "\n", encoding="utf-8")
    command = [
        *(sys.executable, "-m", "tui.cli"),
        *("--config", str(app.config.path), "--data-dir", str(app.cache_path.parent)),
    ]
    result = subprocess.run(
        [sys.executable, str(TUI_DRIVE), "script", str(scenario), "--", *command],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "BROWSER": "true"},
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
