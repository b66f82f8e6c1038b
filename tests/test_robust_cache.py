"""The cache loses nothing: two writers at once, kill -9 mid-refresh, damaged and foreign files.

Real processes (``python -m tui.cli``) against real SQLite files and a loopback server.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from tests.robust_support import write_feeds_toml
from tests.server import Route, TestServer
from tui.core import recovery
from tui.core.models import ListQuery
from tui.core.parse import parse_feed
from tui.core.recovery import check_marker, note_damage, open_store_or_recover
from tui.core.store import SCHEMA_VERSION, Store

ROOT = Path(__file__).resolve().parents[1]


def _rfc822(stamp: float) -> str:
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(stamp))


def rss(prefix: str, count: int, extra: str = "", words: str = "") -> bytes:
    items = "".join(
        f"<item><title>{prefix} item {n} {extra}</title><link>http://site.example/{prefix}/{n}</link>"
        f"<guid>{prefix}-{n}</guid><description>&lt;p&gt;Common body {words} {n} "
        + "text "
        * 200
        + "&lt;/p&gt;</description>"
        f"<pubDate>{_rfc822(1.7e9 + n * 60)}</pubDate>"
        "</item>"
        for n in range(count)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{prefix}</title>'
        f"<link>http://site.example/</link>{items}</channel></rss>"
    ).encode()


def serve_changing_feed(
    server: TestServer, path: str, prefix: str, count: int, delay: float = 0.0
) -> str:
    """A feed whose titles change on every request, so every refresh writes every row."""
    calls = {"n": 0}

    def handler(request) -> None:
        calls["n"] += 1
        body = rss(prefix, count, extra=f"v{calls['n']}")
        request.send_response(200)
        request.send_header("Content-Type", "application/rss+xml")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    server.routes[path] = Route(handler=handler, delay=delay)
    return server.url(path)


def cli(tmp_path: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run ``tvnews`` in a separate process with this test's config and data dir."""
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", "--config", str(tmp_path / "feeds.toml"),
         "--data-dir", str(tmp_path / "data"), *args],
        capture_output=True, text=True, timeout=timeout, cwd=ROOT,
        env={**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "xdg")},
    )  # fmt: skip


def cache_of(tmp_path: Path) -> Path:
    return tmp_path / "data" / "cache.sqlite3"


def states(cache: Path) -> dict[str, tuple[int, int]]:
    """guid -> (read, starred), read with a plain read-only connection."""
    db = sqlite3.connect(f"file:{cache}?mode=ro", uri=True)
    try:
        return {guid: (read, starred) for guid, read, starred in db.execute(
            "SELECT guid, read, starred FROM articles")}  # fmt: skip
    finally:
        db.close()


# -- two writers --------------------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from tui.core.store import Store
    cache, stop = sys.argv[1], Path(sys.argv[2])
    store = Store(cache)
    ids = [row[0] for row in store.db.execute("SELECT id FROM articles ORDER BY id")]
    expected = {}
    n = 0
    while n < 2 or not stop.exists():
        n += 1
        for index, article_id in enumerate(ids):
            read = (index + n) % 3 == 0
            starred = (index * 7 + n) % 5 == 0
            store.set_read([article_id], read)
            store.set_starred(article_id, starred)
            expected[article_id] = (int(read), int(starred))
        time.sleep(0.01)
    guids = dict(store.db.execute("SELECT id, guid FROM articles"))
    print(json.dumps({guids[i]: state for i, state in expected.items()}))
    """
)


def test_app_and_cron_refresh_write_at_once_without_locks_or_lost_state(
    server: TestServer, tmp_path: Path
) -> None:
    urls = [serve_changing_feed(server, f"/busy{n}.xml", f"feed{n}", 60) for n in range(4)]
    write_feeds_toml(tmp_path / "feeds.toml", urls, "feed_interval_minutes = 0", named=True)
    first = cli(tmp_path, "refresh")
    assert first.returncode == 0, first.stderr
    stop = tmp_path / "stop"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(cache_of(tmp_path)), str(stop)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    refreshes = [cli(tmp_path, "refresh", "--force") for _ in range(3)]
    stop.touch()
    out, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err
    for result in refreshes:
        assert result.returncode == 0, result.stderr
        assert "locked" not in result.stderr + result.stdout
    assert "locked" not in err
    expected = {guid: tuple(state) for guid, state in json.loads(out).items()}
    assert len(expected) == 240
    assert states(cache_of(tmp_path)) == expected, "every read/starred change survived"


async def test_the_app_marks_while_a_cron_refresh_runs(server: TestServer, tmp_path: Path) -> None:
    """The real app (Pilot) marks and stars while ``tvnews refresh`` runs in another process."""
    from tui.app import TvnewsApp
    from tui.config import load_config
    from tui.widgets.article_list import ArticleList

    urls = [serve_changing_feed(server, f"/app{n}.xml", f"feed{n}", 80) for n in range(3)]
    write_feeds_toml(tmp_path / "feeds.toml", urls, "feed_interval_minutes = 0", named=True)
    assert cli(tmp_path, "refresh").returncode == 0
    app = TvnewsApp(load_config(tmp_path / "feeds.toml"), cache_of(tmp_path))
    stop = tmp_path / "stop"
    refresher = subprocess.Popen(
        [sys.executable, "-c",
         "import sys; from pathlib import Path; from tui.cli import main\n"
         "runs = 0\n"
         "while runs < 2 or not Path(sys.argv[1]).exists():\n"
         "    assert main(sys.argv[2:]) == 0\n"
         "    runs += 1\n"
         "print(runs)\n",
         str(stop), "--config", str(tmp_path / "feeds.toml"), "--data-dir", str(tmp_path / "data"),
         "refresh", "--force", "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        article_list = app.screen.query_one(ArticleList)
        marked = []
        for index in range(40):
            article_list.move_to(index)
            await pilot.press("m", *(["s"] if index % 4 == 0 else []))
            row = article_list.row(index)
            assert row is not None
            marked.append((row.id, index % 4 == 0))
        await pilot.press("q")
    stop.touch()
    out, err = refresher.communicate(timeout=120)
    assert refresher.returncode == 0, err
    assert int(out) >= 2
    assert "locked" not in err
    store = Store(cache_of(tmp_path))
    for article_id, starred in marked:
        article = store.article(article_id)
        assert article is not None and article.read and article.starred == starred
    store.close()


# -- kill -9 ------------------------------------------------------------------------------


@pytest.mark.parametrize("delay", [0.9, 1.6])
def test_kill_9_during_a_refresh_loses_nothing_committed(
    server: TestServer, tmp_path: Path, delay: float
) -> None:
    # Feeds arrive over 1.5 s, so the kill lands between and during their transactions.
    urls = [
        serve_changing_feed(server, f"/kill{n}.xml", f"feed{n}", 400, delay=n * 0.3)
        for n in range(6)
    ]
    write_feeds_toml(tmp_path / "feeds.toml", urls[:1], "feed_interval_minutes = 0", named=True)
    assert cli(tmp_path, "refresh").returncode == 0
    store = Store(cache_of(tmp_path))
    ids = [row.id for row in store.rows(ListQuery(), 0, 400)]
    store.set_read(ids[::2])
    for article_id in ids[::3]:
        store.set_starred(article_id, True)
    store.close()
    before = states(cache_of(tmp_path))
    write_feeds_toml(tmp_path / "feeds.toml", urls, "feed_interval_minutes = 0", named=True)
    process = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "--config", str(tmp_path / "feeds.toml"),
         "--data-dir", str(tmp_path / "data"), "refresh", "--force"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
    )  # fmt: skip
    time.sleep(delay)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL
    cache = cache_of(tmp_path)
    db = sqlite3.connect(cache)
    assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    db.close()
    after = states(cache)
    for guid, state in before.items():
        assert after[guid] == state, guid
    # Whole feeds or nothing: a feed's transaction commits all its articles or none.
    counts = {}
    for guid in after:
        feed = guid.split("-")[0]
        counts[feed] = counts.get(feed, 0) + 1
    assert set(counts.values()) == {400}, counts
    store, message = open_store_or_recover(cache)
    store.close()
    assert message == ""
    again = cli(tmp_path, "refresh", "--force")
    assert again.returncode == 0, again.stderr
    assert len(states(cache)) == 2400
    assert all(states(cache)[guid] == state for guid, state in before.items())


# -- damaged, newer and foreign caches ----------------------------------------------------


def _cache_with_state(
    server: TestServer, tmp_path: Path, count: int = 300
) -> dict[str, tuple[int, int]]:
    body = rss("feed", count, words="common")
    server.routes["/feed.xml"] = Route(body=body, headers={"Content-Type": "application/rss+xml"})
    write_feeds_toml(
        tmp_path / "feeds.toml", [server.url("/feed.xml")], "feed_interval_minutes = 0"
    )
    assert cli(tmp_path, "refresh").returncode == 0
    store = Store(cache_of(tmp_path))
    ids = [row.id for row in store.rows(ListQuery(), 0, count)]
    store.set_read(ids[::2])
    for article_id in ids[::5]:
        store.set_starred(article_id, True)
    store.close()
    return states(cache_of(tmp_path))


def _aside(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "data").glob("cache.sqlite3.corrupt-*[0-9]"))


def test_a_file_that_is_not_a_database_is_moved_aside_and_rebuilt(
    server: TestServer, tmp_path: Path
) -> None:
    _cache_with_state(server, tmp_path)
    cache = cache_of(tmp_path)
    garbage = b"this is not a database, it is a damaged file " * 200
    cache.write_bytes(garbage)
    result = cli(tmp_path, "refresh")
    assert result.returncode == 0, result.stderr
    assert "The cache was damaged (file is not a database)" in result.stderr
    assert "Traceback" not in result.stderr
    (aside,) = _aside(tmp_path)
    assert aside.read_bytes() == garbage, "the damaged file is kept, untouched"
    assert str(aside) in result.stderr
    assert len(states(cache)) == 300, "a fresh cache was built and refreshed"


def test_a_truncated_cache_is_rebuilt_with_the_state_that_can_be_read(
    server: TestServer, tmp_path: Path
) -> None:
    before = _cache_with_state(server, tmp_path)
    cache = cache_of(tmp_path)
    size = cache.stat().st_size
    with cache.open("r+b") as file:
        file.truncate(size * 2 // 3)
    result = cli(tmp_path, "refresh", "--force")
    assert result.returncode == 0, result.stderr
    assert "The cache was damaged (file is truncated" in result.stderr
    assert "articles were recovered" in result.stderr
    after = states(cache)
    assert len(after) == 300, "the refresh brought back what was lost"
    kept = [guid for guid in before if after[guid] == before[guid] and before[guid] != (0, 0)]
    assert len(kept) >= 50, "read/starred state of the readable part was salvaged"


def test_salvage_stops_at_the_largest_rowid_when_the_damage_goes_on(tmp_path: Path) -> None:
    """Reading past a damaged stretch jumps twice as far each time; where the damage
    goes on to the end of a cut-off file the jumps ran past SQLite's largest rowid and
    the salvage stopped with an OverflowError (a traceback, not a recovered cache)."""
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    db.executemany("INSERT INTO t VALUES (?, ?)", ((n, "x" * 300) for n in range(1, 3001)))
    db.commit()
    db.close()
    size = path.stat().st_size
    with path.open("r+b") as file:  # the end zeroed, as the salvage pads a cut-off file
        file.seek(size // 3)
        file.write(bytes(size - size // 3))
    old = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    new = sqlite3.connect(":memory:")
    new.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    recovery._copy_table(old, new, "t")
    copied = new.execute("SELECT count(*), max(id) FROM t").fetchone()
    assert 0 < copied[0] < 3000 and copied[1] < 3000, copied
    old.close()
    new.close()


def _damage_a_middle_leaf(cache: Path) -> None:
    db = sqlite3.connect(cache)
    try:
        leaves = [
            row[0]
            for row in db.execute(
                "SELECT pageno FROM dbstat WHERE name = 'articles' AND pagetype = 'leaf' "
                "ORDER BY pageno"
            )
        ]
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
    except sqlite3.OperationalError as error:
        pytest.skip(f"this SQLite has no dbstat table to find a page to damage: {error}")
    finally:
        db.close()
    assert len(leaves) > 4
    with cache.open("r+b") as file:
        file.seek((leaves[len(leaves) // 2] - 1) * page_size)
        file.write(b"\xde\xad\xbe\xef" * (page_size // 4))


def test_damage_found_in_use_is_repaired_on_the_next_start(
    server: TestServer, tmp_path: Path
) -> None:
    before = _cache_with_state(server, tmp_path)
    cache = cache_of(tmp_path)
    _damage_a_middle_leaf(cache)
    failed = cli(tmp_path, "search", "-n", "1000", "common")
    if "articles_fts" in failed.stderr:
        pytest.skip("full-text search is not in the cache schema yet")
    assert failed.returncode == 1
    assert "cache error: database disk image is malformed" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert check_marker(cache).exists()
    repaired = cli(tmp_path, "refresh", "--force")
    assert repaired.returncode == 0, repaired.stderr
    assert "The cache was damaged (database disk image is malformed)" in repaired.stderr
    assert not check_marker(cache).exists()
    after = states(cache)
    assert len(after) == 300
    kept = sum(after[guid] == state for guid, state in before.items() if state != (0, 0))
    assert kept >= 0.8 * sum(state != (0, 0) for state in before.values())
    assert cli(tmp_path, "search", "-n", "1000", "common").returncode == 0


def test_a_damaged_cache_found_by_the_app_start_is_reported_in_the_app(
    server: TestServer, tmp_path: Path
) -> None:
    import asyncio

    from tui.app import TvnewsApp
    from tui.cli import _context, build_parser

    _cache_with_state(server, tmp_path)
    cache_of(tmp_path).write_bytes(b"\x00garbage" * 1000)
    args = build_parser().parse_args(
        ["--config", str(tmp_path / "feeds.toml"), "--data-dir", str(tmp_path / "data")]
    )
    context = _context(args)
    notices: list[str] = []
    context.open_store(notices).close()
    assert notices and "The cache was damaged" in notices[0]

    async def run() -> list[str]:
        app = TvnewsApp(context.config, context.cache_path, notice="\n".join(notices))
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            return [notification.message for notification in app._notifications]

    messages = asyncio.run(run())
    assert any("The cache was damaged" in message for message in messages)


async def test_a_locked_cache_refuses_marks_with_a_reason_and_the_app_goes_on(
    tmp_path: Path,
) -> None:
    """Another program holds the cache's write lock (a sqlite3 shell, a stuck writer):
    star, mark and the mark on opening are refused with the reason, the article still
    opens, the list shows only what was saved, and marks work again once the lock goes."""
    from tests.apphelpers import long_list_app

    app = long_list_app(tmp_path, 20)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        screen.store.db.execute("PRAGMA busy_timeout = 100")  # the app waits 30 s
        other = sqlite3.connect(app.cache_path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            for key in ("s", "m", "enter"):
                await pilot.press(key)
                await pilot.pause()
            messages = [notification.message for notification in app._notifications]
            assert [message.split(":")[0] for message in messages] == [
                "Not starred",
                "Not marked read",  # m
                "Not marked read",  # opening
            ]
            assert all("another program is writing to the cache" in m for m in messages)
            row = screen.article_list.current
            assert row is not None and not row.read and not row.starred
            assert screen.history.current is not None  # the article opened all the same
            assert screen.history.current.article_id == row.id
        finally:
            other.execute("ROLLBACK")
            other.close()
        await pilot.press("s")
        await pilot.pause()
        assert app.is_running
        row = screen.article_list.current
        assert row is not None and row.starred
    assert states(app.cache_path)[f"g{20 - 1}"] == (0, 1)


async def test_damage_met_while_the_app_runs_ends_it_with_a_message_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The cache file is damaged under the running app (a disk fault, another program):
    the next read of a damaged page ends the app with return code 1 and a message that
    says the cache will be checked on the next start, which it then is."""
    from tests.apphelpers import long_list_app

    app = long_list_app(tmp_path, 3000)
    cache = app.cache_path
    db = sqlite3.connect(cache)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # every page in the file, none in the log
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    db.close()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        with cache.open("r+b") as file:  # every page but the first (read at start)
            file.seek(page_size)
            file.write(b"\xde\xad\xbe\xef" * ((cache.stat().st_size - page_size) // 4))
        app.simulate_key("G")  # the end of the list is on pages not read yet
        deadline = time.monotonic() + 10
        while app.is_running and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
    # run_test re-raises an error the app did not handle: none was.
    assert app.return_code == 1
    message = " ".join(capsys.readouterr().err.split())  # as printed on exit, unwrapped
    assert message.count("tvnews: cache error: database disk image is malformed") == 1
    assert "checked the next time tvnews starts" in message
    assert "Traceback" not in message and "errors shown" not in message
    assert check_marker(cache).exists()
    store, notice = open_store_or_recover(cache)
    store.close()
    assert "The cache was damaged (" in notice
    # quick_check names every broken page (~100 here); the notice names three.
    assert "; and " in notice and " more)" in notice and len(notice) < 600, notice


def test_a_refused_write_says_why(tmp_path: Path) -> None:
    """The user's own writes (read, starred, a fetched page) fail as a StoreError saying
    why; the refresh's writes keep SQLite's error (the whole run stops on them)."""
    from tui.core.errors import StoreError

    cache = tmp_path / "cache.sqlite3"
    store = Store(cache)
    store.db.execute("PRAGMA busy_timeout = 50")
    store.sync_feeds([("http://127.0.0.1:9/f.xml", "F", "")])
    other = sqlite3.connect(cache, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreError, match="another program is writing to the cache"):
            store.set_starred(1, True)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            store.sync_feeds([("http://127.0.0.1:9/g.xml", "G", "")])
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert not store.db.in_transaction
    store.set_starred(1, True)  # no transaction was left open
    store.close()


def test_thorough_check_only_after_damage_was_seen(server: TestServer, tmp_path: Path) -> None:
    _cache_with_state(server, tmp_path)
    cache = cache_of(tmp_path)
    _damage_a_middle_leaf(cache)
    store, message = open_store_or_recover(cache)
    store.close()
    assert message == "", "the cheap check at open does not read every page"
    note_damage(cache)
    store, message = open_store_or_recover(cache)
    store.close()
    assert "database disk image is malformed" in message


def test_a_cache_from_a_newer_tvnews_is_refused_and_left_alone(tmp_path: Path) -> None:
    write_feeds_toml(tmp_path / "feeds.toml", ["http://127.0.0.1:9/feed.xml"])
    cache = cache_of(tmp_path)
    Store(cache).close()
    db = sqlite3.connect(cache)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 7}")
    db.close()
    original = cache.read_bytes()
    result = cli(tmp_path, "refresh")
    assert result.returncode == 1
    assert "written by a newer tvnews" in result.stderr and "Traceback" not in result.stderr
    assert cache.read_bytes() == original and not _aside(tmp_path)


def test_a_database_that_is_not_a_tvnews_cache_is_refused_and_left_alone(tmp_path: Path) -> None:
    write_feeds_toml(tmp_path / "feeds.toml", ["http://127.0.0.1:9/feed.xml"])
    cache = cache_of(tmp_path)
    cache.parent.mkdir(parents=True)
    db = sqlite3.connect(cache)
    db.execute("PRAGMA application_id = 1234")
    db.execute("CREATE TABLE mine(x)")
    db.commit()
    db.close()
    original = cache.read_bytes()
    result = cli(tmp_path, "refresh")
    assert result.returncode == 1
    assert "is not a tvnews cache" in result.stderr and "Traceback" not in result.stderr
    assert cache.read_bytes() == original and not _aside(tmp_path)


def test_an_empty_cache_file_is_simply_a_new_cache(tmp_path: Path) -> None:
    cache = cache_of(tmp_path)
    cache.parent.mkdir(parents=True)
    cache.touch()
    store, message = open_store_or_recover(cache)
    assert message == "" and store.count(ListQuery()) == 0
    store.close()


def test_a_cache_moved_aside_while_being_checked_reads_as_undamaged(tmp_path: Path) -> None:
    """Another process repairing the cache moves the file aside at any moment: looking at
    its header then found no file and ended the command with a traceback (one run in a
    few hundred of the test below). Gone reads as undamaged; the open then waits for the
    repair and opens the new cache."""
    path = tmp_path / "cache.sqlite3"
    assert recovery._truncated(path) is None
    assert recovery.damage_of(path, thorough=True) is None


def test_two_processes_finding_the_same_damage_rebuild_once(
    server: TestServer, tmp_path: Path
) -> None:
    _cache_with_state(server, tmp_path)
    cache_of(tmp_path).write_bytes(b"garbage" * 1000)
    first = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "--config", str(tmp_path / "feeds.toml"),
         "--data-dir", str(tmp_path / "data"), "refresh"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    second = cli(tmp_path, "refresh")
    _, first_err = first.communicate(timeout=60)
    assert first.returncode == 0 and second.returncode == 0, first_err + second.stderr
    assert len(_aside(tmp_path)) == 1, "moved aside once"
    assert len(states(cache_of(tmp_path))) == 300


def test_many_processes_finding_the_same_damage_all_go_on(
    server: TestServer, tmp_path: Path
) -> None:
    """One repairs; the others wait and use the repaired cache. A process that had opened
    the damaged file just before it was moved aside used to stop with "file is not a
    database", and one switching the new file to WAL with "database is locked" (about one
    round in twelve under load)."""
    _cache_with_state(server, tmp_path)
    command = [sys.executable, "-m", "tui.cli", "--config", str(tmp_path / "feeds.toml"),
               "--data-dir", str(tmp_path / "data"), "refresh"]  # fmt: skip
    for _ in range(3):
        cache_of(tmp_path).write_bytes(b"garbage" * 1000)
        pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True, "cwd": ROOT}
        children = [subprocess.Popen(command, **pipes) for _ in range(6)]
        errors = [child.communicate(timeout=120)[1] for child in children]
        failed = [err for child, err in zip(children, errors, strict=True) if child.returncode]
        assert not failed, failed
        assert len(states(cache_of(tmp_path))) == 300
    assert len(_aside(tmp_path)) == 3, "moved aside once per damage"


def test_a_cache_another_process_is_writing_in_rollback_mode_is_waited_for(
    tmp_path: Path,
) -> None:
    """Switching to WAL needs the file to itself; SQLite says "database is locked" at once
    (no busy timeout) while another connection holds a write lock, as a first run does."""
    path = tmp_path / "cache.sqlite3"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("CREATE TABLE t(x)")
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO t VALUES (1)")
    release = threading.Timer(0.5, other.execute, ["COMMIT"])
    release.start()
    store = Store(path)
    release.join()
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()
    other.close()


def test_parsed_feed_fixture_sanity() -> None:
    parsed = parse_feed(rss("x", 3), "http://site.example/feed.xml")
    # An RSS guid is a permalink unless it says otherwise: feedparser resolves it.
    assert [entry.guid for entry in parsed.entries] == [
        f"http://site.example/x-{n}" for n in range(3)
    ]
