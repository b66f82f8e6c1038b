"""Measuring programs: wall time and peak memory of a process tree, and a terminal driver.

Peak memory is sampled from /proc every 10 ms as the sum of the proportional set sizes
(PSS) of the process and all its descendants (worker processes count, shared pages
once), next to the largest single process's RSS (``ru_maxrss``, what ``/usr/bin/time``
reports). Terminal timings use
``tui_drive.py`` from the shared tools (tmux), as a person at a terminal would see them.
"""

from __future__ import annotations

import importlib.util
import os
import re
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True, slots=True)
class Run:
    """One finished command."""

    seconds: float
    tree_rss: int
    """Peak memory of the process and its descendants (summed PSS), bytes."""
    max_rss: int
    """Peak RSS of the largest single process, bytes."""
    returncode: int
    output: str


def _children(pid: int) -> list[int]:
    """The child pids of ``pid`` (from each of its threads' ``children`` file: a sample
    reads a few small files instead of every process's ``stat``, ~0.2 ms against ~3, so
    sampling every 10 ms takes little CPU from the program measured)."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children", "rb") as children:
                found.extend(int(child) for child in children.read().split())
        except (OSError, ValueError):
            continue
    return found


def tree_rss(pid: int) -> int:
    """Memory of ``pid`` and its descendants now, bytes: the sum of their proportional set
    sizes (PSS: a page shared by n processes counts 1/n in each), so worker processes
    forked from one parent are not counted several times for the same pages."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        total += _pss(current)
        stack.extend(_children(current))
    return total


def _pss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as rollup:
            for line in rollup:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    try:
        with open(f"/proc/{pid}/statm", "rb") as statm:
            return int(statm.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


class PeakSampler:
    """Samples the tree RSS of a pid every ``interval`` seconds until stopped."""

    def __init__(self, pid: int, interval: float = 0.01) -> None:
        self.pid = pid
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss(self.pid))
            self._stop.wait(self.interval)

    def stop(self) -> int:
        """Stop sampling; return the peak in bytes."""
        self._stop.set()
        self._thread.join()
        return self.peak


def run(cmd: list[str], *, env: dict[str, str] | None = None, timeout: float = 900) -> Run:
    """Run ``cmd`` to completion; wall time, peak tree RSS and peak single-process RSS."""
    started = time.perf_counter()
    process = subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
    )
    sampler = PeakSampler(process.pid)
    output: list[bytes] = []
    reader = threading.Thread(target=lambda: output.append(process.stdout.read()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    deadline = started + timeout
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            process.kill()
        time.sleep(0.002)
    seconds = time.perf_counter() - started
    peak = sampler.stop()
    reader.join(5)
    process.returncode = os.waitstatus_to_exitcode(status)
    text = b"".join(output).decode(errors="replace")
    return Run(seconds, max(peak, usage.ru_maxrss * 1024), usage.ru_maxrss * 1024,
               process.returncode, text)  # fmt: skip


def median_run(runs: list[Run]) -> Run:
    """The run with the median time (its memory figures with it); peak memory is the max."""
    ordered = sorted(runs, key=lambda r: r.seconds)
    middle = ordered[(len(ordered) - 1) // 2]
    return Run(
        middle.seconds,
        max(r.tree_rss for r in runs),
        max(r.max_rss for r in runs),
        middle.returncode,
        middle.output,
    )


# -- terminal -----------------------------------------------------------------------------


def load_tui_drive(path: Path) -> ModuleType:
    """Import the shared ``tui_drive.py`` by path (its Pane class drives tmux)."""
    spec = importlib.util.spec_from_file_location("tui_drive", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_TTFP = re.compile(r"ttfp min ([\d.]+) median ([\d.]+) max ([\d.]+) s")
_LATENCY = re.compile(r"latency (\S+) x(\d+): median ([\d.]+) ms max ([\d.]+) ms unchanged (\d+)")


@dataclass(frozen=True, slots=True)
class Paint:
    """Time to first paint over several runs, seconds."""

    low: float
    median: float
    high: float


def ttfp(tui_drive: Path, marker: str, cmd: list[str], runs: int, timeout: float = 60) -> Paint:
    """``tui_drive.py ttfp`` over ``runs`` launches."""
    result = subprocess.run(
        [
            "python3",
            str(tui_drive),
            "ttfp",
            "--runs",
            str(runs),
            "--timeout",
            str(timeout),
            "--marker",
            marker,
            "--",
            *cmd,
        ],
        capture_output=True,
        text=True,
        timeout=timeout * runs + 120,
    )
    match = _TTFP.search(result.stdout)
    if not match:
        raise RuntimeError(f"ttfp failed: {result.stdout[-2000:]} {result.stderr[-2000:]}")
    low, middle, high = (float(value) for value in match.groups())
    return Paint(low, middle, high)


@dataclass(frozen=True, slots=True)
class Latency:
    """Key-to-screen-change delays for one key, milliseconds."""

    key: str
    presses: int
    median: float
    high: float
    unchanged: int


def script(
    tui_drive: Path, scenario: str, cmd: list[str], workdir: Path, timeout: float = 300
) -> tuple[list[Latency], str]:
    """Play a ``tui_drive.py script`` scenario; the latency lines it printed, and its output."""
    path = workdir / "scenario.txt"
    path.write_text(scenario)
    result = subprocess.run(
        ["python3", str(tui_drive), "script", str(path), "--", *cmd],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    found = [
        Latency(key, int(n), float(middle), float(high), int(same))
        for key, n, middle, high, same in _LATENCY.findall(result.stdout)
    ]
    if result.returncode != 0:
        raise RuntimeError(f"scenario failed:\n{result.stdout[-3000:]}\n{result.stderr[-2000:]}")
    return found, result.stdout


def time_until(pane: object, key: str, marker: str, timeout: float = 10.0) -> float:
    """Press ``key`` in a tui_drive Pane; seconds until ``marker`` is on screen."""
    start = time.monotonic()
    pane.keys(key)  # type: ignore[attr-defined]
    while marker not in pane.screen():  # type: ignore[attr-defined]
        if time.monotonic() - start > timeout:
            screen = pane.screen()  # type: ignore[attr-defined]
            raise RuntimeError(f"{marker!r} not on screen {timeout} s after {key}:\n{screen}")
        time.sleep(0.002)
    return time.monotonic() - start


def pane_pid(pane: object) -> int:
    """The pid of the program running in a tui_drive Pane."""
    out = subprocess.run(
        ["tmux", "display-message", "-p", "-t", pane.name, "#{pane_pid}"],  # type: ignore[attr-defined]
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return int(out.strip())


def median(values: list[float]) -> float:
    """Median, or 0 for none."""
    return statistics.median(values) if values else 0.0


def styled_screen(pane: object, rows: slice = slice(1, -2)) -> str:
    """The screen with colours and attributes (``capture-pane -e``), header and status cut.

    A cursor that moves only changes colours, so a plain-text capture would not see it;
    the status bar (refresh progress) and header are left out so they do not count.
    """
    out = subprocess.run(
        ["tmux", "capture-pane", "-p", "-e", "-t", pane.name],  # type: ignore[attr-defined]
        capture_output=True,
        text=True,
    ).stdout
    return "\n".join(out.splitlines()[rows])


def latency(
    pane: object, key: str, count: int, timeout: float = 2.0, *, while_shown: str = ""
) -> Latency:
    """Press ``key`` ``count`` times; after each, the delay until the panes change (ms).

    ``while_shown``: press only while that text is on screen (a refresh's status), so
    every figure is taken while it holds; the presses counted may be fewer than ``count``.
    """
    delays, unchanged = [], 0
    for _ in range(count):
        if while_shown and while_shown not in pane.screen():  # type: ignore[attr-defined]
            break
        before = styled_screen(pane)
        start = time.monotonic()
        pane.keys(key)  # type: ignore[attr-defined]
        while (now := styled_screen(pane)) == before and time.monotonic() - start < timeout:
            time.sleep(0.001)
        delays.append(time.monotonic() - start)
        unchanged += now == before
        time.sleep(0.02)
    if not delays:
        return Latency(key, 0, 0.0, 0.0, 0)
    return Latency(
        key, len(delays), statistics.median(delays) * 1000, max(delays) * 1000, unchanged
    )
