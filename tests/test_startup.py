"""What the first frame does not wait for: a checkpoint of the write-ahead log a crash left.

``tvnews`` checks the cache before the app starts, then hands that connection to the app.
Closing it first would make it the last connection, and SQLite checkpoints the WAL when
the last one closes: ~0.4 s at 100k articles, before the first frame.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.apphelpers import TUI_DRIVE, long_list_app, play_in_terminal
from tui.widgets.reading_pane import ReadingPane

#: Runs ``tvnews``; at its first frame, writes down when the cache file last changed (a
#: checkpoint copies the WAL into it).
PROBE = """
import os, sys, textual.app
from tui.cli import main
cache, out = os.environ["CACHE"], os.environ["PROBE_OUT"]
display = textual.app.App._display
def first_frame(self, *args):
    if not os.path.exists(out):
        with open(out, "w") as report:
            report.write(str(os.stat(cache).st_mtime_ns))
    return display(self, *args)
textual.app.App._display = first_frame
sys.exit(main(sys.argv[1:]))
"""

#: Runs ``tvnews``; at the first frame written with the list's rows, writes down whether
#: the imports for opening articles (the Markdown renderer) had begun.
IMPORTS_AT_FIRST_FRAME = """
import os, sys, tui.app
from tui.cli import main
out = os.environ["PROBE_OUT"]
write = tui.app.FrameWritingDriver.write
def first_rows(self, data):
    if "Article 2999" in data and not os.path.exists(out):
        with open(out, "w") as report:
            report.write(str("rich.markdown" in sys.modules))
    return write(self, data)
tui.app.FrameWritingDriver.write = first_rows
sys.exit(main(sys.argv[1:]))
"""

#: Writes to the cache and dies without closing it, as a killed process does.
CRASH = """
import os, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE articles SET read = 1 WHERE rowid % 2 = 0")
db.commit()
os._exit(0)
"""


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
@pytest.mark.skipif(not TUI_DRIVE.is_file(), reason="../shared/tools/tui_drive.py is missing")
def test_a_wal_left_by_a_crash_is_not_checkpointed_before_the_first_frame(
    tmp_path: Path,
) -> None:
    app = long_list_app(tmp_path, 3_000)
    subprocess.run([sys.executable, "-c", CRASH, str(app.cache_path)], check=True, timeout=60)
    wal = app.cache_path.with_name(app.cache_path.name + "-wal")
    assert wal.stat().st_size > 0
    before = app.cache_path.stat().st_mtime_ns
    out = tmp_path / "first-frame.txt"
    steps = ["wait Article 2999", "keys q", "exited 10"]
    cache = str(app.cache_path)
    play_in_terminal(app, tmp_path, steps, ("-c", PROBE), CACHE=cache, PROBE_OUT=str(out))
    assert int(out.read_text()) == before, "the WAL was checkpointed before the first frame"
    assert app.cache_path.stat().st_mtime_ns > before, "and was when tvnews ended"


#: Starts the app headless on a small cache; reports which thread imported what.
IMPORTS = """
import asyncio, importlib.abc, json, sys, threading
from pathlib import Path
on_main = {}
class Spy(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        on_main.setdefault(name, threading.current_thread() is threading.main_thread())
sys.meta_path.insert(0, Spy())
from tests.apphelpers import long_list_app
from tui.widgets.reading_pane import ReadingPane
app = long_list_app(Path(sys.argv[1]), 50)
loaded_before = "rich.markdown" in sys.modules
async def main():
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.screen.query_one(ReadingPane)
        for _ in range(200):
            if pane.markdown:
                break
            await pilot.pause(0.05)
        return pane.markdown.startswith("# tvnews")
welcome = asyncio.run(main())
print(json.dumps({"before": loaded_before, "welcome": welcome,
                  "on_main": on_main.get("rich.markdown")}))
"""


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
@pytest.mark.skipif(not TUI_DRIVE.is_file(), reason="../shared/tools/tui_drive.py is missing")
def test_the_imports_for_opening_wait_until_the_first_frame_is_written(tmp_path: Path) -> None:
    """Textual lays out and renders a first frame inside its start-up batch and throws it
    away; the imports started after that one (a thread holding the interpreter ~55 ms)
    and the frame written next came ~10 ms later."""
    app = long_list_app(tmp_path, 3_000)
    out = tmp_path / "first-frame.txt"
    steps = ["wait Article 2999", "keys q", "exited 10"]
    play_in_terminal(app, tmp_path, steps, ("-c", IMPORTS_AT_FIRST_FRAME), PROBE_OUT=str(out))
    assert out.read_text() == "False", "the Markdown renderer was imported before"


def test_the_markdown_renderer_is_imported_off_the_ui_thread(tmp_path: Path) -> None:
    """The welcome text waits for the renderer's import (~85 ms) on a worker thread: keys
    pressed just after the first frame used to wait for it (a j took 125-240 ms)."""
    result = subprocess.run(
        [sys.executable, "-c", IMPORTS, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["before"] is False and report["welcome"] is True
    assert report["on_main"] is False, "imported on the UI thread"


async def test_imports_for_opening_run_right_after_the_first_frame(tmp_path: Path) -> None:
    """The imports for opening articles (and the welcome text, which needs them) start
    once the first frame is written, keys or not: an article opened soon after start no
    longer imports them itself (~0.2 s), as it did while they waited for a quiet second."""
    app = long_list_app(tmp_path, 100)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.screen.query_one(ReadingPane)
        for _ in range(30):  # three seconds of keys, from the first frame on
            await pilot.press("j")
            await pilot.pause(0.1)
            if pane.markdown:
                break
        assert pane.markdown.startswith("# tvnews"), "the welcome text came while keys did"


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
@pytest.mark.skipif(not TUI_DRIVE.is_file(), reason="../shared/tools/tui_drive.py is missing")
def test_ctrl_z_suspends_to_the_shell_and_fg_brings_it_back(tmp_path: Path) -> None:
    """As in any terminal program started from an interactive shell."""
    app = long_list_app(tmp_path, 30)
    command = (
        f"{sys.executable} -m tui.cli --config {app.config.path} --data-dir {app.cache_path.parent}"
    )
    steps = [
        "sleep 0.3",
        f"type {command}",
        "keys Enter",
        "wait Article 29 10",
        "keys C-z",
        "wait Stopped 5",
        "refuse Article 29",
        "type fg",
        "keys Enter",
        "wait Article 29 5",
        "keys q",
        "gone Article 29 10",
        "type exit",
        "keys Enter",
    ]
    scenario = tmp_path / "scenario.txt"
    scenario.write_text("\n".join(steps) + "\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(TUI_DRIVE), "script", str(scenario), "--", "bash", "--norc", "-i"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
