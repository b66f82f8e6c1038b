"""The bench's figures, the issue's goals, and the table printed at the end."""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field

from measure import Latency, Paint, Run

MB = 1024 * 1024


@dataclass
class RefreshFigures:
    """One feed shape: cold and warm refresh of both readers, and their caches."""

    cold_tv: Run
    cold_nb: Run
    warm_tv: Run
    warm_nb: Run
    articles: int
    tv_bytes: int
    nb_bytes: int
    nb_items: int
    tv_output: list[str]


@dataclass
class SearchFigure:
    """One query on the largest cache, inside one process."""

    text: str
    matches: int
    first: float
    median: float
    """Count and first page of rows (what the list shows), seconds."""
    ordered: float = 0.0
    """All matching ids in list order (what ``tvnews search`` reads), seconds."""


@dataclass
class ViewFigure:
    """One view of the largest cache, as the list reads it, inside one process (seconds,
    medians): its count, its first, middle and last page, and ``n`` from the middle."""

    name: str
    rows: int
    count: float
    pages: tuple[float, float, float]
    next_unread: float

    @property
    def slowest(self) -> float:
        return max(self.count, *self.pages, self.next_unread)


@dataclass
class Results:
    """Everything one run measured."""

    quick: bool
    load: float
    shapes: list[tuple[int, int]]
    cpus: int | None
    refresh: dict[str, RefreshFigures] = field(default_factory=dict)
    warm_304: dict[str, tuple[int, int]] = field(default_factory=dict)
    search: list[SearchFigure] = field(default_factory=list)
    views: list[ViewFigure] = field(default_factory=list)
    cli_search: float = 0.0
    paint_bare: Paint | None = None
    paint_tv: Paint | None = None
    paint_nb: Paint | None = None
    keys_idle: list[Latency] = field(default_factory=list)
    keys_busy: list[Latency] = field(default_factory=list)
    keys_bare: list[Latency] = field(default_factory=list)
    open_idle: list[float] = field(default_factory=list)
    open_busy: list[float] = field(default_factory=list)
    app_search: list[tuple[str, float]] = field(default_factory=list)
    newsboat_search: float = 0.0
    app_rss: int = 0
    busy_rss: int = 0
    busy_still_refreshing: bool = False
    seconds: float = 0.0
    load_after: float = 0.0


class Table:
    """Rows of | figure | tvnews | newsboat | ratio | goal | holds |."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, ...]] = []
        self.misses: list[str] = []

    def add(
        self,
        figure: str,
        ours: str,
        theirs: str = "",
        ratio: float | None = None,
        goal: str = "",
        holds: bool | None = None,
    ) -> None:
        verdict = "" if holds is None else ("yes" if holds else "**no**")
        if holds is False:
            self.misses.append(figure)
        ratio_text = "" if ratio is None else f"{ratio:.2f}x"
        self.rows.append((figure, ours, theirs, ratio_text, goal, verdict))

    def render(self) -> str:
        head = ("Figure", "tvnews", "newsboat / baseline", "ratio", "goal", "holds")
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        return "\n".join(lines)


def _s(seconds: float) -> str:
    return f"{seconds:.2f} s"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _mb(size: int) -> str:
    return f"{size / MB:.0f} MB"


def _keys(table: Table, label: str, found: list[Latency], bare: list[Latency]) -> None:
    """One row per key; the bare Textual list's figure for the same key beside it."""
    baseline = {latency.key: latency for latency in bare}
    for latency in found:
        if not latency.presses:  # none made while the condition held (a refresh ran)
            table.add(f"{latency.key} {label}", "no press made", goal="< 16 / < 50 ms")
            continue
        holds = latency.median < 16 and latency.high < 50 and not latency.unchanged
        base = baseline.get(latency.key)
        table.add(
            f"{latency.key} {label} (x{latency.presses}), median / max",
            f"{latency.median:.1f} / {latency.high:.1f} ms"
            + (f" ({latency.unchanged} no change)" if latency.unchanged else ""),
            f"{base.median:.1f} / {base.high:.1f} ms (bare Textual list)" if base else "",
            latency.median / base.median if base else None,
            goal="< 16 / < 50 ms",
            holds=holds,
        )


def _opens(table: Table, label: str, times: list[float]) -> None:
    if not times:
        return
    middle, high = statistics.median(times), max(times)
    table.add(
        f"open a cached article {label} (x{len(times)}), median / max",
        f"{middle * 1000:.1f} / {high * 1000:.1f} ms",
        goal="< 50 ms",
        holds=middle < 0.05,
    )


def render(results: Results) -> str:
    """The table and the notes around it (Markdown)."""
    table = Table()
    for label, fig in results.refresh.items():
        feeds, items = label.split("x")
        name = f"{feeds} feeds x {items} items"
        ratio = fig.cold_tv.seconds / fig.cold_nb.seconds
        table.add(f"cold refresh {name}", _s(fig.cold_tv.seconds), _s(fig.cold_nb.seconds),
                  ratio, "<= 0.5x newsboat", ratio <= 0.5)  # fmt: skip
        rss = fig.cold_tv.tree_rss / fig.cold_nb.tree_rss
        table.add(
            f"peak RSS, cold refresh {name} (all processes; largest one)",
            f"{_mb(fig.cold_tv.tree_rss)}; {_mb(fig.cold_tv.max_rss)}",
            _mb(fig.cold_nb.tree_rss),
            rss,
            "<= newsboat",
            rss <= 1.0,
        )
        got, total = results.warm_304.get(label, (0, 0))
        warm_ok = fig.warm_tv.seconds <= 0.3 and got == total
        table.add(
            f"warm refresh {name} ({got}/{total} answered 304)",
            _s(fig.warm_tv.seconds),
            _s(fig.warm_nb.seconds),
            fig.warm_tv.seconds / fig.warm_nb.seconds,
            "all 304, <= 0.3 s",
            warm_ok,
        )
        table.add(
            f"cache bytes per article, {name}",
            f"{fig.tv_bytes / max(fig.articles, 1):,.0f} B ({fig.articles:,} articles)",
            f"{fig.nb_bytes / max(fig.nb_items, 1):,.0f} B ({fig.nb_items:,} items)",
            (fig.tv_bytes / max(fig.articles, 1)) / (fig.nb_bytes / max(fig.nb_items, 1)),
        )
    biggest = max(results.refresh.values(), key=lambda f: f.articles, default=None)
    count = f"{biggest.articles:,}" if biggest else "?"
    if results.paint_tv and results.paint_bare:
        ratio = results.paint_tv.median / results.paint_bare.median
        table.add(
            f"first paint, {count} cached (median of runs) vs a bare Textual app",
            _s(results.paint_tv.median),
            _s(results.paint_bare.median),
            ratio,
            "<= 2x bare Textual",
            ratio <= 2,
        )
    if results.paint_tv and results.paint_nb:
        table.add(
            f"first paint, {count} cached, vs newsboat",
            _s(results.paint_tv.median),
            _s(results.paint_nb.median),
            results.paint_tv.median / results.paint_nb.median,
        )
    _keys(table, f"on {count}", results.keys_idle, results.keys_bare)
    _opens(table, "", results.open_idle)
    _keys(table, "during a refresh", results.keys_busy, results.keys_bare)
    _opens(table, "during a refresh", results.open_busy)
    for figure in results.search:
        table.add(
            f'search "{figure.text}" ({figure.matches:,} matches), in process: count + rows',
            f"{_ms(figure.median)} (first {_ms(figure.first)}; all ids in order "
            f"{_ms(figure.ordered)})",
            goal="< 50 ms",
            holds=figure.median < 0.05,
        )
    for view in results.views:
        first, middle, last = view.pages
        table.add(
            f"view {view.name} ({view.rows:,} rows), in process: count; first, middle and "
            "last page; n from the middle",
            f"{_ms(view.count)}; {_ms(first)}, {_ms(middle)}, {_ms(last)}; {_ms(view.next_unread)}",
            goal="each < 50 ms",
            holds=view.slowest < 0.05,
        )
    for text, seconds in results.app_search:
        theirs = _s(results.newsboat_search) if text == "season" and results.newsboat_search else ""
        table.add(
            f'search "{text}" in the app: / words Enter until listed',
            _ms(seconds),
            theirs,
            seconds / results.newsboat_search if theirs else None,
            "< 50 ms (+ terminal)",
            seconds < 0.05,
        )
    if results.cli_search:
        table.add("tvnews search season (whole command)", _s(results.cli_search))
    if results.app_rss:
        table.add(f"app RSS with {count} cached (all processes)", _mb(results.app_rss),
                  goal="< 100 MB", holds=results.app_rss < 100 * MB)  # fmt: skip
    if results.busy_rss:
        table.add(f"app RSS during a {count}-article refresh", _mb(results.busy_rss))
    notes = [
        f"Run: {'quick' if results.quick else 'full'}, {results.cpus} CPUs, load average "
        f"{results.load:.1f} before and {results.load_after:.1f} after, "
        f"{results.seconds / 60:.1f} min.",
        "Times are medians of the runs; peak RSS is sampled every 10 ms over the process "
        "and its children (tvnews's parse workers count) and is the highest seen.",
        "Key and open times run from tmux send-keys until tmux capture-pane shows the change, "
        "so they include tmux and the polling; the bare Textual list beside them is that "
        "floor, measured the same way.",
    ]
    if results.keys_busy:
        notes.append(
            "Keys and opens during a refresh count only while the status line said it ran "
            "(the x in each row is how many); "
            + (
                "it was still running at the end."
                if results.busy_still_refreshing
                else "it ended before the last of them."
            )
        )
    if table.misses:
        notes.append("Goals missed: " + "; ".join(table.misses) + ".")
    else:
        notes.append("Every goal measured here holds.")
    return table.render() + "\n\n" + "\n".join(f"- {note}" for note in notes) + "\n"


def as_json(results: Results) -> dict:
    """Everything, for comparing runs later."""
    return asdict(results)
