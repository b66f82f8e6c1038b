"""What keeps the UI thread free for keys: worker threads hand the GIL back within 1 ms
while the app runs."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.apphelpers import make_app, serve_seed_feed
from tests.server import TestServer
from tui.app import SWITCH_INTERVAL


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
