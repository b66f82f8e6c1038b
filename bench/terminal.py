"""The bench's interactive figures: first paint, keys, opening, search, memory of the app.

Everything on screen is timed in a real terminal (tmux, through the shared
``tui_drive.py``): from the key press until the screen shows the result.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import measure
import report
from feeds import COMMON, WORDS

if TYPE_CHECKING:
    from run import Bench

SIZE = "120x40"
#: How often the app's memory is sampled while keys are timed: each sample scans /proc,
#: and at 20 ms that took a good part of a core from the app being timed.
APP_SAMPLE_SECONDS = 0.25


def search_queries() -> list[str]:
    """A very common word, a common one, a rare one, and two words together."""
    return ["season", WORDS[len(COMMON) + 40], WORDS[4000], "netflix season"]


def store_search(data: Path) -> list[report.SearchFigure]:
    """Search timings inside one process, as the app's list makes them: the count (the
    search itself), then the first screen of rows; and all the ids in order (the CLI)."""
    from tui.core.models import ListQuery
    from tui.core.store import Store

    store = Store(data / "cache.sqlite3")
    figures = []
    try:
        for text in search_queries():
            query = ListQuery(search=text)
            listed, ordered, matches = [], [], 0
            for _ in range(6):
                started = time.perf_counter()
                matches = store.count(query)
                store.rows(query, 0, 64)
                listed.append(time.perf_counter() - started)
                started = time.perf_counter()
                store.ids(query)
                ordered.append(time.perf_counter() - started)
            figures.append(
                report.SearchFigure(
                    text, matches, listed[0], statistics.median(listed), statistics.median(ordered)
                )
            )
    finally:
        store.close()
    return figures


def store_views(data: Path) -> list[report.ViewFigure]:
    """The list's reads in the views a reader moves between, inside one process: the
    count, a page at the top, the middle and the end (64 rows, as the list reads them),
    and the next unread row from the middle (``n``); medians of five."""
    from tui.core.models import ListQuery
    from tui.core.store import Store
    from tui.screens.main import StoreRows

    store = Store(data / "cache.sqlite3")
    feeds = store.feeds()
    feed = feeds[len(feeds) // 2].id
    views = {
        "all, by date": ListQuery(),
        "unread only": ListQuery(unread_only=True),
        "sorted by feed": ListQuery(sort="feed"),
        "one feed": ListQuery(feed_id=feed),
        'search "season"': ListQuery(search="season"),
        'search "season", sorted by feed': ListQuery(search="season", sort="feed"),
    }
    figures = []
    try:
        for name, query in views.items():
            counts, pages, nexts = [], [[], [], []], []
            rows = 0
            for _ in range(5):
                source = StoreRows(store, query)
                started = time.perf_counter()
                rows = source.count()
                counts.append(time.perf_counter() - started)
                read = []
                for n, offset in enumerate((0, rows // 2, max(rows - 64, 0))):
                    source = StoreRows(store, query, rows)  # no neighbouring page known
                    started = time.perf_counter()
                    read.append(source.rows(offset, 64))
                    pages[n].append(time.perf_counter() - started)
                at = read[1][0].id if read[1] else None  # the app knows the row shown
                started = time.perf_counter()
                store.next_unread(query, rows // 2, 1, at=at)
                nexts.append(time.perf_counter() - started)
            figures.append(
                report.ViewFigure(
                    name,
                    rows,
                    statistics.median(counts),
                    tuple(statistics.median(page) for page in pages),  # type: ignore[arg-type]
                    statistics.median(nexts),
                )
            )
    finally:
        store.close()
    return figures


def cli_search(bench: Bench, config: Path, data: Path) -> float:
    """Wall time of ``tvnews search season`` (a whole process, start to exit)."""
    runs = [
        measure.run(bench.tvnews(config, data, "search", "-n", "20", "season"), env=bench.env)
        for _ in range(3)
    ]
    return measure.median_run(runs).seconds


def _with_env(bench: Bench, cmd: list[str]) -> list[str]:
    """tmux starts programs with its own environment: pass ours explicitly."""
    names = ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "PYTHONPATH", "BROWSER")
    unset = ["-u", "PYTHONDONTWRITEBYTECODE"]  # as in Bench.env: run from bytecode
    return ["env", *unset, *(f"{name}={bench.env[name]}" for name in names), *cmd]


def _list_order(data: Path, count: int) -> list[tuple[str, str]]:
    """(title, author) of the first ``count`` rows of the list, as the app orders them."""
    from tui.core.models import ListQuery
    from tui.core.store import Store

    store = Store(data / "cache.sqlite3")
    try:
        rows = store.rows(ListQuery(), 0, count)
        return [(row.title, store.article(row.id).author) for row in rows]  # type: ignore[union-attr]
    finally:
        store.close()


def _keys(pane: object, presses: int, while_shown: str = "") -> list[measure.Latency]:
    """j, k, PageDown, PageUp on the list: delay until the panes change, each press
    (only while ``while_shown`` is on screen, when given)."""
    pane.keys("g")  # type: ignore[attr-defined]
    time.sleep(0.3)
    return [
        measure.latency(pane, "j", presses, while_shown=while_shown),
        measure.latency(pane, "k", presses, while_shown=while_shown),
        measure.latency(pane, "PageDown", presses // 2, while_shown=while_shown),
        measure.latency(pane, "PageUp", presses // 2, while_shown=while_shown),
    ]


def _open_articles(pane: object, count: int, while_shown: str = "") -> list[float]:
    """Press n (open the next unread article) ``count`` times; seconds until its text shows
    (only while ``while_shown`` is on screen, when given).

    The header names the article at once; the body is parsed and mounted after, so each
    time runs until a word of the new title is in the reading pane (right of the list).
    """
    pane.keys("g")  # type: ignore[attr-defined]
    time.sleep(0.3)
    times = []
    for _ in range(count):
        lines = pane.screen().splitlines()  # type: ignore[attr-defined]
        if while_shown and while_shown not in "\n".join(lines):
            break
        header, before = lines[0], _reading_pane(lines)
        start = time.monotonic()
        pane.keys("n")  # type: ignore[attr-defined]
        word: str | None = None
        while time.monotonic() - start < 10:
            lines = pane.screen().splitlines()  # type: ignore[attr-defined]
            if word is None and lines[0] != header and "—" in lines[0]:
                title = lines[0].split("—", 1)[1]
                fresh = [w for w in title.split() if len(w) > 3 and w not in before]
                word = max(fresh, key=len) if fresh else ""
            text = _reading_pane(lines)
            if word is not None and (word in text if word else text != before):
                times.append(time.monotonic() - start)
                break
            time.sleep(0.002)
        else:
            raise RuntimeError("no article opened:\n" + "\n".join(lines))
        time.sleep(0.1)
    return times


def _reading_pane(lines: list[str]) -> str:
    """The text right of the list (the reading pane and the related panel)."""
    return "\n".join(line[56:] for line in lines[1:-2])


def _app_search(
    pane: object, figures: list[report.SearchFigure], repeats: int = 3
) -> list[tuple[str, float]]:
    """/ words Enter: seconds until the list shows the matches (their count is on screen);
    the median of ``repeats`` searches for each text."""
    found = []
    for figure in figures:
        times = []
        for _ in range(repeats):
            pane.keys("/")  # type: ignore[attr-defined]
            if not pane.wait("words in title", 5):  # type: ignore[attr-defined]
                raise RuntimeError("the search bar did not open:\n" + pane.screen())  # type: ignore[attr-defined]
            pane.keys(figure.text, literal=True)  # type: ignore[attr-defined]
            if not pane.wait(f"Search: {figure.text}", 5):  # type: ignore[attr-defined]
                raise RuntimeError("the search words were not typed:\n" + pane.screen())  # type: ignore[attr-defined]
            marker = f"{figure.matches:,} match"
            times.append(measure.time_until(pane, "Enter", marker))
            pane.keys("Escape")  # type: ignore[attr-defined]
            if not pane.wait("Search:", 10, present=False):  # type: ignore[attr-defined]
                raise RuntimeError("Esc did not close the search:\n" + pane.screen())  # type: ignore[attr-defined]
            time.sleep(0.2)
        found.append((figure.text, statistics.median(times)))
    return found


def run_all(
    bench: Bench, config: Path, data: Path, nb: tuple[Path, Path, Path], feeds: int, items: int
) -> None:
    """First paint, keys, opening, search and memory, for the largest cache."""
    # One idle session keeps the tmux server up between panes (a new pane right after the
    # last one closed can race the server's exit).
    keepalive = f"tvnews-bench-{os.getpid()}"
    subprocess.run(["tmux", "new-session", "-d", "-s", keepalive, "sleep 3600"], check=True)
    try:
        _run_all(bench, config, data, nb, feeds, items)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", keepalive], check=False)


def _run_all(
    bench: Bench, config: Path, data: Path, nb: tuple[Path, Path, Path], feeds: int, items: int
) -> None:
    drive = measure.load_tui_drive(bench.args.tui_drive)
    results = bench.results
    marker = _list_order(data, 1)[0][0][:16]
    presses = 15 if bench.args.quick else 40
    tool = bench.args.tui_drive
    tvnews_cmd = _with_env(bench, bench.tvnews(config, data))
    newsboat_cmd = _with_env(bench, bench.newsboat(*nb))
    paint_runs = 2 if bench.args.quick else 5

    print("first paint: bare Textual app, tvnews, newsboat", flush=True)
    bare = [sys.executable, str(Path(__file__).parent / "bare_app.py")]
    results.paint_bare = measure.ttfp(
        tool, "bare textual app ready", _with_env(bench, bare), paint_runs
    )
    results.paint_tv = measure.ttfp(tool, marker, tvnews_cmd, paint_runs)
    results.paint_nb = measure.ttfp(tool, "Your feeds", newsboat_cmd, max(2, paint_runs - 2), 120)

    print("keys, opening and search in tvnews", flush=True)
    pane = drive.Pane(tvnews_cmd, SIZE)
    try:
        sampler = measure.PeakSampler(measure.pane_pid(pane), APP_SAMPLE_SECONDS)
        if not pane.wait(marker, 90):
            raise RuntimeError("tvnews did not show its list")
        results.keys_idle = _keys(pane, presses)
        results.open_idle = _open_articles(pane, 10)
        results.app_search = _app_search(pane, results.search)
        results.app_rss = sampler.stop()
    finally:
        pane.close()

    print("keys in a bare Textual list (the baseline)", flush=True)
    bare_list = _with_env(bench, [sys.executable, str(Path(__file__).parent / "bare_list.py")])
    pane = drive.Pane(bare_list, SIZE)
    try:
        if not pane.wait("bare Textual list", 60):
            raise RuntimeError("the bare list did not start")
        results.keys_bare = _keys(pane, presses)
    finally:
        pane.close()

    print("search in newsboat", flush=True)
    pane = drive.Pane(newsboat_cmd, SIZE)
    try:
        if not pane.wait("Your feeds", 120):
            raise RuntimeError("newsboat did not start")
        pane.keys("/")
        time.sleep(0.3)
        pane.keys("season", literal=True)
        time.sleep(0.2)
        results.newsboat_search = measure.time_until(pane, "Enter", "Search result", 120)
    finally:
        pane.close()

    print(f"keys while a {feeds * items:,}-article refresh runs", flush=True)
    busy = bench.tmp / "tv-busy"
    shutil.copytree(data, busy)
    busy_config = bench.write_config("busy", feeds, items, on_start=True)
    bench.control("/_generation/2")
    pane = drive.Pane(_with_env(bench, bench.tvnews(busy_config, busy)), SIZE)
    try:
        sampler = measure.PeakSampler(measure.pane_pid(pane), APP_SAMPLE_SECONDS)
        if not pane.wait("refreshing", 90):
            raise RuntimeError("the refresh did not start")
        # Fewer presses than when idle, and only those made while the status line says
        # the refresh runs count: the refresh takes ~20 s, the idle set of keys as long.
        results.keys_busy = _keys(pane, presses // 2, while_shown="refreshing")
        results.open_busy = _open_articles(pane, 10, while_shown="refreshing")
        results.busy_still_refreshing = "refreshing" in pane.screen()
        results.busy_rss = sampler.stop()
    finally:
        pane.close()
        bench.control("/_generation/1")
