"""tvnews next to newsboat, in one run: refresh, first paint, keys, search, memory.

    python bench/run.py            # the whole suite (about 15 minutes on 2 cores)
    python bench/run.py --quick    # a small smoke run (about 1 minute)

Generates RSS feeds (bench/feeds.py), serves them from loopback hosts (bench/server.py),
and measures both readers on the same URLs with the same number of articles, each in
its own temporary config and cache (your own are never touched). Prints every figure
with newsboat's beside it and the ratio, checks the goals of the performance issue, and
writes bench/out/results.md and results.json. See bench/README.md.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path[:0] = [str(BENCH), str(REPO)]

import measure  # noqa: E402
import report  # noqa: E402
import terminal  # noqa: E402
from server import feed_url, prepare  # noqa: E402

FULL_SHAPES = [(200, 50), (500, 200)]
QUICK_SHAPES = [(40, 50), (100, 100)]


class Bench:
    """One run of the suite: the server, the temp dirs, the figures."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.shapes = QUICK_SHAPES if args.quick else FULL_SHAPES
        self.runs = 1 if args.quick else args.runs
        self.tmp = Path(tempfile.mkdtemp(prefix="tvnews-bench-"))
        self.home = self.tmp / "home"
        self.home.mkdir()
        self.env = {
            **os.environ,
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.home / ".config"),
            "XDG_DATA_HOME": str(self.home / ".local/share"),
            "XDG_CACHE_HOME": str(self.home / ".cache"),
            "PYTHONPATH": str(REPO),
            "BROWSER": "true",
        }
        for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
            self.env.pop(name, None)
        # Run as installed: from compiled bytecode (pip compiles it; Python writes it on
        # the first run of an editable install). Some sandboxes switch that off.
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)
        self.results = report.Results(
            quick=args.quick, load=os.getloadavg()[0], shapes=self.shapes, cpus=os.cpu_count()
        )
        self.server: subprocess.Popen[str] | None = None
        self.port = 0

    # -- setup ------------------------------------------------------------------------

    def start_server(self) -> None:
        cache = self.args.out / "feeds"
        print(f"generating feeds into {cache} (once) …", flush=True)
        prepare(cache, self.shapes, 2)
        cmd = [sys.executable, str(BENCH / "server.py"), "--cache", str(cache)]
        cmd += ["--generations", "2"]
        for feeds, items in self.shapes:
            cmd += ["--shape", f"{feeds}x{items}"]
        self.server = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        line = self.server.stdout.readline()  # type: ignore[union-attr]
        if not line.startswith("ready"):
            raise SystemExit(f"feed server did not start: {line!r}")
        self.port = int(line.split()[1])
        print(f"feed server on 127.0.0.1-8:{self.port}", flush=True)

    def control(self, path: str) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=10) as reply:
            return reply.read().decode()

    def tvnews(self, config: Path, data: Path, *args: str) -> list[str]:
        base = [sys.executable, "-m", "tui.cli", "--config", str(config), "--data-dir", str(data)]
        return [*base, *args]

    def write_config(self, name: str, feeds: int, items: int, *, on_start: bool = False) -> Path:
        lines = [
            "[settings]",
            f"refresh_on_start = {'true' if on_start else 'false'}",
            "auto_refresh_minutes = 0",
            "feed_interval_minutes = 0",
            "",
        ]
        for feed in range(feeds):
            lines += ["[[feeds]]", f'url = "{feed_url(self.port, items, feed)}"', ""]
        path = self.tmp / f"{name}.toml"
        path.write_text("\n".join(lines))
        return path

    def newsboat_dirs(self, name: str, feeds: int, items: int) -> tuple[Path, Path, Path]:
        folder = self.tmp / name
        folder.mkdir(exist_ok=True)
        urls = folder / "urls"
        urls.write_text("".join(f"{feed_url(self.port, items, n)}\n" for n in range(feeds)))
        config = folder / "config"
        config.write_text("")
        return urls, folder / "cache.db", config

    def newsboat(self, urls: Path, cache: Path, config: Path, *extra: str) -> list[str]:
        return ["newsboat", "-u", str(urls), "-c", str(cache), "-C", str(config), *extra]

    # -- refresh ----------------------------------------------------------------------

    def refresh_shape(self, feeds: int, items: int) -> tuple[Path, Path, tuple[Path, Path, Path]]:
        """Cold and warm refresh of one shape, both readers; returns the last caches."""
        label = f"{feeds}x{items}"
        config = self.write_config(label, feeds, items)
        runs = self.runs if feeds * items <= 20_000 else 1
        cold_tv, cold_nb, data, nb = [], [], Path(), (Path(), Path(), Path())
        for attempt in range(runs):
            data = self.tmp / f"tv-{label}-{attempt}"
            print(f"  tvnews cold refresh {label} #{attempt + 1} …", flush=True)
            cold_tv.append(
                self.checked(measure.run(self.tvnews(config, data, "refresh"), env=self.env))
            )
            nb = self.newsboat_dirs(f"nb-{label}-{attempt}", feeds, items)
            print(f"  newsboat cold reload {label} #{attempt + 1} …", flush=True)
            cold_nb.append(
                self.checked(measure.run(self.newsboat(*nb, "-x", "reload"), env=self.env))
            )
        warm_tv, warm_nb = [], []
        for _ in range(max(runs, 3)):
            before = self.control("/_stats").split()
            warm_tv.append(
                self.checked(measure.run(self.tvnews(config, data, "refresh"), env=self.env))
            )
            after = self.control("/_stats").split()
            self.results.warm_304[label] = (int(after[1]) - int(before[1]), feeds)
            warm_nb.append(
                self.checked(measure.run(self.newsboat(*nb, "-x", "reload"), env=self.env))
            )
        articles = self.count_articles(data)
        self.results.refresh[label] = report.RefreshFigures(
            cold_tv=measure.median_run(cold_tv),
            cold_nb=measure.median_run(cold_nb),
            warm_tv=measure.median_run(warm_tv),
            warm_nb=measure.median_run(warm_nb),
            articles=articles,
            tv_bytes=_size(data),
            nb_bytes=_size(nb[1].parent, "cache.db"),
            nb_items=self.count_newsboat(nb[1]),
            tv_output=cold_tv[-1].output.strip().splitlines()[-1:],
        )
        return config, data, nb

    def checked(self, result: measure.Run) -> measure.Run:
        if result.returncode != 0:
            print(result.output[-2000:], file=sys.stderr)
            raise SystemExit(f"command failed with exit status {result.returncode}")
        return result

    def count_articles(self, data: Path) -> int:
        import sqlite3

        db = sqlite3.connect(data / "cache.sqlite3")
        try:
            return db.execute("SELECT count(*) FROM articles").fetchone()[0]
        finally:
            db.close()

    def count_newsboat(self, cache: Path) -> int:
        import sqlite3

        db = sqlite3.connect(cache)
        try:
            return db.execute("SELECT count(*) FROM rss_item").fetchone()[0]
        finally:
            db.close()

    # -- the whole run ----------------------------------------------------------------

    def run(self) -> None:
        started = time.time()
        compileall.compile_dir(REPO / "tui", quiet=1)
        self.start_server()
        last = None
        for feeds, items in self.shapes:
            print(f"refresh {feeds} feeds x {items} items", flush=True)
            last = (feeds, items, *self.refresh_shape(feeds, items))
        assert last is not None
        feeds, items, config, data, nb = last
        print("search and views in the cache", flush=True)
        self.results.search = terminal.store_search(data)
        self.results.views = terminal.store_views(data)
        self.results.cli_search = terminal.cli_search(self, config, data)
        tool = self.args.tui_drive
        if not (tool.exists() and shutil.which("tmux")):
            print(f"skipping terminal figures: need tmux and {tool}", flush=True)
        else:
            terminal.run_all(self, config, data, nb, feeds, items)
        self.results.seconds = time.time() - started
        self.results.load_after = os.getloadavg()[0]
        text = report.render(self.results) + self.quality()
        print()
        print(text)
        self.args.out.mkdir(parents=True, exist_ok=True)
        (self.args.out / "results.md").write_text(text)
        (self.args.out / "results.json").write_text(
            json.dumps(report.as_json(self.results), indent=2)
        )
        print(f"\nwritten to {self.args.out / 'results.md'}")

    def quality(self) -> str:
        """The extraction and related-link benchmarks' own reports (they need ../shared)."""
        if self.args.quick or not (REPO.parent / "shared" / "fixtures").is_dir():
            return ""
        parts = []
        for script in ("extraction.py", "related.py"):
            print(f"{script} …", flush=True)
            done = subprocess.run(
                [sys.executable, str(BENCH / script)], capture_output=True, text=True, env=self.env
            )
            parts.append(f"\n## {script}\n\n```\n{done.stdout.strip()}\n```\n")
        return "".join(parts)

    def close(self) -> None:
        if self.server is not None:
            self.server.terminate()
            self.server.wait(10)
        if not self.args.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)
        else:
            print(f"kept {self.tmp}")


def _size(folder: Path, name: str = "") -> int:
    paths = [folder / name] if name else list(folder.iterdir())
    return sum(path.stat().st_size for path in paths if path.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small shapes, one run each")
    parser.add_argument("--runs", type=int, default=3, help="runs per small measurement")
    parser.add_argument("--out", type=Path, default=BENCH / "out", help="results and feed cache")
    parser.add_argument(
        "--tui-drive",
        type=Path,
        default=REPO.parent / "shared" / "tools" / "tui_drive.py",
        help="the shared terminal driver (tmux)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary caches")
    args = parser.parse_args()
    if not shutil.which("newsboat"):
        raise SystemExit("newsboat is not installed (apt-get install newsboat)")
    bench = Bench(args)
    try:
        bench.run()
    finally:
        bench.close()


if __name__ == "__main__":
    main()
