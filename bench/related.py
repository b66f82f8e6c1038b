"""Measure :func:`tui.core.related.find_related` against hand annotations.

Runs ``find_related`` on every page of ``bench/related_truth.json`` and prints precision and
recall per kind (next, more, source, related) and overall, plus time per page.

Page names are folders of ``<shared>/fixtures/pages`` (``source.html``), or ``site/<slug>``
for the seed-shaped test site in ``tests/site/<slug>/index.html``.

    python bench/related.py [--shared DIR] [--truth FILE] [-v] [--check]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tui.core.related import find_related  # noqa: E402

KINDS = ("next", "more", "source", "related")
#: Goal: (min recall, min precision) per kind.
GOALS = {"next": (0.95, 0.9), "more": (0.95, 0.9), "source": (0.95, 0.9)}
REPEAT = 5


def page_path(name: str, shared: Path) -> Path:
    """Where the HTML of an annotated page lives."""
    if name.startswith("site/"):
        return REPO / "tests" / "site" / name.removeprefix("site/") / "index.html"
    return shared / "fixtures" / "pages" / name / "source.html"


def ratio(num: int, den: int) -> float:
    return num / den if den else 1.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--truth", type=Path, default=REPO / "bench" / "related_truth.json")
    parser.add_argument("-v", "--verbose", action="store_true", help="list misses and extras")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is not met")
    args = parser.parse_args(argv)

    truth = json.loads(args.truth.read_text(encoding="utf-8"))
    tp = dict.fromkeys(KINDS, 0)
    fp = dict.fromkeys(KINDS, 0)
    fn = dict.fromkeys(KINDS, 0)
    times: list[float] = []
    for name, spec in truth.items():
        path = page_path(name, args.shared)
        if not path.exists():
            print(f"skip {name}: {path} not found", file=sys.stderr)
            continue
        html = path.read_text(encoding="utf-8", errors="replace")
        best = float("inf")
        for _ in range(REPEAT):
            start = time.perf_counter()
            found = find_related(html, spec["base_url"])
            best = min(best, time.perf_counter() - start)
        times.append(best * 1000)
        want = {(link["kind"], link["url"]) for link in spec["links"] if link["kind"] in KINDS}
        got = {(link.kind, link.url) for link in found if link.kind in KINDS}
        for kind, url in got | want:
            if (kind, url) in got and (kind, url) in want:
                tp[kind] += 1
            elif (kind, url) in got:
                fp[kind] += 1
                if args.verbose:
                    print(f"  extra  {name:45} {kind:8} {url}")
            else:
                fn[kind] += 1
                if args.verbose:
                    print(f"  missed {name:45} {kind:8} {url}")

    print(f"{'kind':10}{'truth':>7}{'found':>7}{'correct':>9}{'precision':>11}{'recall':>8}")
    failed = False
    for kind in (*KINDS, "overall"):
        if kind == "overall":
            t, f, n = sum(tp.values()), sum(fp.values()), sum(fn.values())
        else:
            t, f, n = tp[kind], fp[kind], fn[kind]
        precision, recall = ratio(t, t + f), ratio(t, t + n)
        mark = ""
        if kind in GOALS:
            ok = recall >= GOALS[kind][0] and precision >= GOALS[kind][1]
            failed |= not ok
            mark = "  ok" if ok else "  BELOW GOAL"
        print(f"{kind:10}{t + n:>7}{t + f:>7}{t:>9}{precision:>11.3f}{recall:>8.3f}{mark}")
    if times:
        print(
            f"\n{len(times)} pages, ms/page: median {statistics.median(times):.1f}, "
            f"mean {statistics.mean(times):.1f}, max {max(times):.1f} (best of {REPEAT})"
        )
    return 1 if args.check and failed else 0


if __name__ == "__main__":
    sys.exit(main())
