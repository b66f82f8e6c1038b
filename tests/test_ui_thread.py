"""What keeps the UI thread free for keys: worker threads hand the GIL back within 1 ms
while the app runs, and the app process never imports trio (httpcore would, for 0.1 s,
when a page is first fetched)."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path

import pytest

from tests.apphelpers import TUI_DRIVE, make_app, play_in_terminal, serve_seed_feed
from tests.server import TestServer
from tui.app import SWITCH_INTERVAL

#: Runs ``tvnews`` and writes down, once it has quit, what it imported.
PROBE = """
import json, os, sys, traceback
from tui.cli import main
try:
    code = main(sys.argv[1:])
except BaseException:  # written down, so that a failed run says why
    code = traceback.format_exc()
with open(os.environ["PROBE_OUT"], "w") as out:
    json.dump({"code": code, "trio": "trio" in sys.modules and sys.modules["trio"] is not None,
               "pages": "tui.core.pages" in sys.modules}, out)
"""


async def test_threads_hand_the_gil_back_quickly_while_the_app_runs(
    server: TestServer, tmp_path: Path
) -> None:
    before = sys.getswitchinterval()
    assert before != SWITCH_INTERVAL
    app = make_app(tmp_path, [("Screen Rant TV News", serve_seed_feed(server))])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert sys.getswitchinterval() == SWITCH_INTERVAL
    assert sys.getswitchinterval() == before, "the process's own setting comes back"


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
@pytest.mark.skipif(not TUI_DRIVE.is_file(), reason="../shared/tools/tui_drive.py is missing")
@pytest.mark.skipif(importlib.util.find_spec("trio") is None, reason="trio is not installed")
def test_the_app_fetching_a_page_does_not_import_trio(server: TestServer, tmp_path: Path) -> None:
    app = make_app(tmp_path, [("Screen Rant TV News", serve_seed_feed(server))])
    out = tmp_path / "probe.json"
    screen = tmp_path / "screen.txt"
    steps = ["wait Jessica Jones", "keys Enter", "sleep 2", "keys q", "keys q", "exited 10"]
    play_in_terminal(app, tmp_path, [*steps, f"screen {screen}"], ("-c", PROBE), PROBE_OUT=str(out))
    assert out.is_file(), f"the app ended without its probe's report:\n{screen.read_text()}"
    assert json.loads(out.read_text()) == {"code": 0, "trio": False, "pages": True}
