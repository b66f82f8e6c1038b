"""A key's way to its frame: the list runs its own keys where they land, with the user's
keymap; the frame goes to the terminal from the UI thread as it is made."""

from __future__ import annotations

import io
import sys
import threading
from pathlib import Path

import pytest
from textual import events
from textual.app import App
from textual.drivers.linux_driver import LinuxDriver
from textual.message import Message

from tests.apphelpers import long_list_app, wait_for
from tui.app import FrameWritingDriver, TvnewsApp
from tui.config import load_config
from tui.widgets.article_list import ArticleList

SIZE = (120, 40)


class Recorded(io.StringIO):
    """A terminal stream that notes the threads writing to it."""

    def __init__(self) -> None:
        super().__init__()
        self.threads: set[str] = set()

    def write(self, text: str) -> int:
        self.threads.add(threading.current_thread().name)
        return super().write(text)


async def test_frames_are_written_at_once_by_the_thread_that_made_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Textual's driver queues frames for a writer thread, which waits for the interpreter
    while the UI thread works on; ours writes them when handed them."""
    stream = Recorded()
    monkeypatch.setattr(sys, "__stderr__", stream)  # the stream Textual's driver writes to
    driver = FrameWritingDriver(App(), debug=False, mouse=False)
    driver.write("\x1b[1;1Hframe")
    assert stream.getvalue() == "\x1b[1;1Hframe"
    assert stream.threads == {threading.current_thread().name}
    with pytest.raises(AssertionError):  # Textual's own needs its writer thread
        LinuxDriver(App(), debug=False, mouse=False).write("frame")


def test_the_app_uses_it_in_a_terminal(tmp_path: Path) -> None:
    app = long_list_app(tmp_path, 1)
    assert app.get_driver_class() is FrameWritingDriver


async def test_list_keys_are_run_by_the_list_not_passed_up_to_the_app(tmp_path: Path) -> None:
    """j, k, PageDown … are bindings of the list: Textual passed each one up through
    every container to the app before running it (a message queue and a walk over the
    bindings of the focus chain at each step)."""
    seen: list[Message] = []
    app = long_list_app(tmp_path, 1_000)
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        articles = app.screen.query_one(ArticleList)
        await wait_for(pilot, lambda: articles.total == 1_000)
        for key, cursor in (("j", 1), ("j", 2), ("down", 3), ("k", 2), ("pagedown", None)):
            seen.clear()
            await pilot.press(key)
            await pilot.pause()
            if cursor is not None:
                assert articles.cursor == cursor, key
            handled = [m for m in seen if isinstance(m, events.Key) and m.key == key]
            assert len(handled) == 2, (key, handled)  # the app's queue, then the list's
        assert articles.cursor > 2, "PageDown moved on"


async def test_the_list_keys_follow_the_keymap(tmp_path: Path) -> None:
    """A key moved in ``[keys]`` moves for the list's own handling too."""
    app = long_list_app(tmp_path, 100)
    path = tmp_path / "feeds.toml"
    path.write_text(path.read_text() + '\n[keys]\n"list.down" = "J"\n', encoding="utf-8")
    app = TvnewsApp(load_config(path), app.cache_path)
    async with app.run_test(size=SIZE) as pilot:
        articles = app.screen.query_one(ArticleList)
        await wait_for(pilot, lambda: articles.total == 100)
        await pilot.press("J", "J")
        await pilot.pause()
        assert articles.cursor == 2
        await pilot.press("j", "down")
        await pilot.pause()
        assert articles.cursor == 2, "j and down are no longer the list's"
        await pilot.press("k")
        await pilot.pause()
        assert articles.cursor == 1
