"""Score article extraction: tvnews's ``extract_article`` against plain trafilatura.

Runs both extractors over the article-extraction-benchmark development split in
``shared/fixtures/extraction-dev`` and scores them with ``shared/tools/score_extraction.py``
(4-gram shingle F1). Times only the extraction call (pages are read and gunzipped first),
after one warm-up call, and reports the median over pages.

    python bench/extraction.py [--shared DIR] [--pages N] [--repeat N] [--per-page]
"""

from __future__ import annotations

import argparse
import gc
import gzip
import importlib.util
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tui.core.extract import extract_article  # noqa: E402

DEFAULT_SHARED = REPO / ".." / "shared"
GOAL_F1 = 0.965
GOAL_MS = 15.0


def load_scorer(shared: Path) -> ModuleType:
    """Import ``tools/score_extraction.py`` from its path."""
    path = shared / "tools" / "score_extraction.py"
    spec = importlib.util.spec_from_file_location("score_extraction", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load the scorer {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_pages(dataset: Path, limit: int | None) -> dict[str, bytes]:
    """Page id -> raw page bytes, gunzipped."""
    files = sorted((dataset / "html").glob("*.html.gz"))[:limit]
    return {f.name.split(".", 1)[0]: gzip.decompress(f.read_bytes()) for f in files}


def run(
    extract: Callable[[bytes], str], pages: dict[str, bytes], repeat: int
) -> tuple[dict[str, dict[str, str]], list[float]]:
    """Predictions in the scorer's format, and each page's extraction time in seconds (the
    fastest of ``repeat`` runs, which filters out noise from whatever else the machine does)."""
    extract(next(iter(pages.values())))  # warm-up: imports, caches
    predictions, times = {}, []
    for page_id, page in pages.items():
        best = float("inf")
        for _ in range(repeat):
            gc.collect()
            start = time.perf_counter()
            text = extract(page)
            best = min(best, time.perf_counter() - start)
        times.append(best)
        predictions[page_id] = {"articleBody": text or ""}
    return predictions, times


def tvnews(page: bytes) -> str:
    return extract_article(page).text


def plain_trafilatura(page: bytes) -> str:
    import trafilatura

    return trafilatura.extract(page) or ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="the shared/ folder")
    parser.add_argument("--pages", type=int, default=None, help="only the first N pages")
    parser.add_argument("--repeat", type=int, default=3, help="runs per page, fastest kept")
    parser.add_argument("--per-page", action="store_true", help="print each page's scores")
    args = parser.parse_args(argv)

    shared = args.shared.resolve()
    dataset = shared / "fixtures" / "extraction-dev"
    scorer = load_scorer(shared)
    truth = json.loads((dataset / "ground-truth.json").read_text(encoding="utf-8"))
    pages = load_pages(dataset, args.pages)
    keys = sorted(k for k in truth if k in pages)

    systems = {"tvnews": tvnews, "plain trafilatura": plain_trafilatura}
    results = {}
    for name, extract in systems.items():
        predictions, times = run(extract, pages, max(1, args.repeat))
        f1, precision, recall = scorer.score(truth, predictions, keys)
        results[name] = (f1, precision, recall, statistics.median(times) * 1000, predictions)

    if args.per_page:
        print(f"{'page':10} " + "  ".join(f"{name:>22}" for name in systems))
        for key in keys:
            cells = []
            for name in systems:
                tp, fp, fn = scorer.page_counts(
                    truth[key].get("articleBody", ""), results[name][4][key]["articleBody"]
                )
                p, r = scorer.prec(tp, fp, fn), scorer.rec(tp, fp, fn)
                cells.append(f"P {p:.3f} R {r:.3f}".rjust(22))
            print(f"{key[:10]} " + "  ".join(cells))
        print()

    print(f"pages: {len(keys)} ({dataset}); time: extraction only, fastest of {args.repeat} runs")
    print(f"{'extractor':20} {'F1':>7} {'precision':>10} {'recall':>8} {'median ms':>10}")
    for name, (f1, precision, recall, median_ms, _) in results.items():
        print(f"{name:20} {f1:7.4f} {precision:10.4f} {recall:8.4f} {median_ms:10.1f}")
    f1, _, _, median_ms, _ = results["tvnews"]
    verdict = "met" if f1 >= GOAL_F1 and median_ms <= GOAL_MS else "NOT met"
    print(
        f"\ntvnews: F1 {f1:.4f} (goal >= {GOAL_F1}), median {median_ms:.1f} ms/page "
        f"(goal <= {GOAL_MS:g} ms): goal {verdict}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
