"""A refresh in a child process, reporting its progress as JSON lines.

The app refreshes this way: fetching, parsing and writing 100k articles in the app's own
process would compete with the interface for the interpreter, and keys would lag. The
child runs at a lower priority; the app reads one line per feed and a summary at the end.

    python -m tui.core.refresh_process CONFIG CACHE [--force]
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import IO

from tui.core.errors import TvnewsError
from tui.core.models import FeedOutcome, RefreshSummary

#: Niceness added to the child (and its parsers): the interface comes first on a busy
#: machine. At 5, keys during a 100k-article refresh took ~30% longer than at 15.
NICENESS = 15


#: Refreshes running now (``stop_children`` ends them when the app quits).
_children: set[subprocess.Popen[str]] = set()


def stop_children() -> None:
    """End every refresh started here (the app is quitting); committed feeds stay."""
    for child in list(_children):
        with contextlib.suppress(OSError):
            child.terminate()


def refresh_in_child(
    config_path: Path,
    cache_path: Path,
    *,
    force: bool = False,
    on_progress: Callable[[int, int, FeedOutcome], None] | None = None,
) -> RefreshSummary:
    """Run a refresh of ``config_path``'s feeds into ``cache_path`` in a child process."""
    package_root = str(Path(__file__).resolve().parents[2])
    paths = [package_root, os.environ.get("PYTHONPATH", "")]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(path for path in paths if path),
        "TVNEWS_PARENT_PID": str(os.getpid()),
    }
    command = [sys.executable, "-m", "tui.core.refresh_process", str(config_path), str(cache_path)]
    if force:
        command.append("--force")
    # Its stderr goes to a file, not a pipe: a pipe nobody reads could fill and stall it.
    with tempfile.TemporaryFile("w+", encoding="utf-8") as errors_file:
        summary = _follow(command, env, errors_file, on_progress)
        errors_file.seek(0)
        errors = errors_file.read()
    if summary is None:
        last = errors.strip().splitlines()[-1:] or ["no summary"]
        raise TvnewsError(f"the refresh stopped: {last[0][:300]}")
    return summary


def _follow(
    command: list[str],
    env: dict[str, str],
    errors_file: IO[str],
    on_progress: Callable[[int, int, FeedOutcome], None] | None,
) -> RefreshSummary | None:
    """Start the child and read its lines until it ends; its summary (None: none came)."""
    child = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=errors_file,
        env=env,
        text=True,
        encoding="utf-8",
    )
    _children.add(child)
    summary: RefreshSummary | None = None
    assert child.stdout is not None
    try:
        for line in child.stdout:
            message = json.loads(line)
            if "progress" in message:
                done, total, outcome = message["progress"]
                if on_progress is not None:
                    on_progress(done, total, FeedOutcome(**outcome))
            elif "summary" in message:
                outcomes = [FeedOutcome(**item) for item in message["summary"]["outcomes"]]
                summary = RefreshSummary(outcomes, message["summary"]["seconds"])
            elif "error" in message:
                raise TvnewsError(message["error"])
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
        _children.discard(child)
    return summary


def main(argv: list[str] | None = None) -> int:
    """Child side: refresh (and prefetch full articles if the settings say so), one JSON
    line per feed, then the summary (also when the prefetch stops: the feeds are saved)."""
    args = sys.argv[1:] if argv is None else argv
    config_path, cache_path = Path(args[0]), Path(args[1])
    force = "--force" in args[2:]
    with contextlib.suppress(OSError):  # not allowed here: run at the same priority
        os.nice(NICENESS)
    _exit_with_parent()

    def say(message: dict) -> None:
        print(json.dumps(message), flush=True)

    from tui.config import load_config
    from tui.core.refresh import refresh
    from tui.core.workers import settle_refresh_process

    settle_refresh_process()

    try:
        config = load_config(config_path)
        summary = refresh(
            cache_path,
            config.feeds,
            config.settings,
            force=force,
            on_progress=lambda done, total, outcome: say(
                {"progress": [done, total, asdict(outcome)]}
            ),
        )
        from tui.core.prefetch import prefetch_after_refresh

        _saved, stopped = prefetch_after_refresh(cache_path, config.settings)
        if stopped:  # the app reads the summary; this goes to the errors file
            print(f"prefetch stopped: {stopped}", file=sys.stderr)
    except TvnewsError as error:
        say({"error": str(error)})
        return 1
    say(
        {"summary": {"outcomes": [asdict(o) for o in summary.outcomes], "seconds": summary.seconds}}
    )
    return 0


def _exit_with_parent() -> None:
    """Stop when the app that started this refresh is gone (closed terminal, kill -9):
    what is committed stays, nothing runs on unseen."""
    parent = int(os.environ.get("TVNEWS_PARENT_PID") or os.getppid())

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(3)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
