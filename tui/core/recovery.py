"""A damaged cache is moved aside and rebuilt; what can still be read of it is salvaged.

Opening checks cheaply (the file is as long as its header says, the schema and both ends
of each table read). A thorough ``PRAGMA quick_check`` runs only when the last run saw
the cache fail (:func:`note_damage` leaves a marker). A cache from a newer tvnews, or a
database that is not a tvnews cache, is never touched: :class:`StoreError` as before.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

from tui.core.errors import StoreError
from tui.core.store import Store, cache_failure

#: Tables copied from a damaged cache, parents first.
SALVAGED_TABLES = ("feeds", "articles")
#: Rows read from a damaged table at once.
_CHUNK = 500
#: Failed reads after which a table is given up (each failure jumps twice as far).
_MAX_FAILURES = 64
#: The largest rowid SQLite holds (the jumps stop there).
_MAX_ROWID = 2**63 - 1
_HEADER = b"SQLite format 3\x00"


def check_marker(path: Path) -> Path:
    """The file whose presence asks for a thorough check of the cache at ``path``."""
    return path.with_name(path.name + ".check")


def note_damage(path: Path) -> None:
    """Remember that the cache failed in use, so the next open checks (and repairs) it."""
    with contextlib.suppress(OSError):
        check_marker(path).touch()


def failed_in_use(path: Path, error: Exception) -> str:
    """What to tell the user when the cache at ``path`` failed in use (the app or a
    command ends with it). A cache that may be damaged is noted, so the next start checks
    it, and rebuilds it if need be."""
    if isinstance(error, StoreError):
        return f"tvnews: cache error: {error}"
    if isinstance(error, sqlite3.OperationalError) and "malformed" not in str(error):
        return f"tvnews: cache error: {cache_failure(error)}"
    note_damage(path)
    return (
        f"tvnews: cache error: {error}. The cache will be checked the next time tvnews "
        "starts, and rebuilt if it is damaged (what can still be read of it is kept)."
    )


def open_store_or_recover(path: Path) -> tuple[Store, str]:
    """Open the cache at ``path``; rebuild it when it is damaged.

    Returns the store and a message for the user (empty when the cache was fine).
    """
    path = Path(path)
    thorough = check_marker(path).exists()
    try:
        store = Store(path)
    except StoreError:
        if damage_of(path, thorough=True) is None:
            # Not damaged now: another process may have been repairing it (moving aside
            # the file this one had opened). Open it again once that repair is over.
            with _exclusive(path):
                return Store(path), ""
        return _recover(path)
    try:
        damage = _damage_in_use(store, thorough)
    except sqlite3.DatabaseError as error:
        damage = str(error)
    if damage:
        store.close()
        return _recover(path)
    with contextlib.suppress(OSError):
        check_marker(path).unlink(missing_ok=True)
    return store, ""


def damage_of(path: Path, *, thorough: bool = False) -> str | None:
    """What is wrong with the SQLite file at ``path``, or None when it reads fine (or is
    not there: another process repairing it may move it aside at any moment)."""
    try:
        if path.stat().st_size == 0:
            return None
    except FileNotFoundError:
        return None
    problem = _truncated(path)
    if problem:
        return problem
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    except sqlite3.Error as error:
        return None if isinstance(error, sqlite3.OperationalError) else str(error)
    try:
        result = db.execute("PRAGMA quick_check" if thorough else "PRAGMA quick_check(1)")
        rows = [row[0] for row in result.fetchall()]
    except sqlite3.OperationalError as error:
        if "locked" in str(error) or "unable to open" in str(error):
            return None
        return str(error)
    except sqlite3.DatabaseError as error:
        return str(error)
    finally:
        db.close()
    return None if rows == ["ok"] else _problems(rows)


def _problems(rows: list[str]) -> str:
    """The first problems ``PRAGMA quick_check`` found (one row can hold a hundred lines),
    and how many more there are."""
    lines = [line.strip() for row in rows for line in row.splitlines()]
    lines = [line for line in lines if line and not line.startswith("***")]
    more = f"; and {len(lines) - 3} more" if len(lines) > 3 else ""
    return "; ".join(lines[:3]) + more


def _truncated(path: Path) -> str | None:
    """The header's page count times page size is more than the file holds (None too
    when the file is gone: moved aside by another process repairing it)."""
    try:
        with path.open("rb") as file:
            header = file.read(100)
            size = os.fstat(file.fileno()).st_size
    except FileNotFoundError:
        return None
    if len(header) < 100 or not header.startswith(_HEADER):
        return "file is not a database" if header else None
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    valid = header[24:28] == header[92:96]
    if valid and pages and pages * page_size > size:
        return f"file is truncated ({size} of {pages * page_size} bytes)"
    return None


def _damage_in_use(store: Store, thorough: bool) -> str | None:
    """Cheap checks on an open cache (schema, both ends of each table), or a quick_check."""
    problem = _truncated(store.path)
    if problem:
        return problem
    db = store.db
    if thorough:
        rows = [row[0] for row in db.execute("PRAGMA quick_check").fetchall()]
        return None if rows == ["ok"] else _problems(rows)
    for table in SALVAGED_TABLES:
        db.execute(f"SELECT * FROM {table} ORDER BY rowid LIMIT 1").fetchall()
        db.execute(f"SELECT * FROM {table} ORDER BY rowid DESC LIMIT 1").fetchall()
        db.execute(f"SELECT count(*) FROM {table}").fetchone()
    return None


@contextlib.contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """Only one process repairs a cache at a time (the others wait, then see it repaired)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        yield
        return
    with path.with_name(path.name + ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _recover(path: Path) -> tuple[Store, str]:
    with _exclusive(path):
        # Another process may have repaired it while we waited for the lock.
        damage = damage_of(path, thorough=True)
        if damage is None:
            return Store(path), ""
        aside = _move_aside(path)
        store = Store(path)
        articles, read, starred = _salvage(aside, store)
    with contextlib.suppress(OSError):
        check_marker(path).unlink(missing_ok=True)
    message = f"The cache was damaged ({damage}). It was moved to {aside} and a new cache was built"
    if articles:
        message += f"; {articles} articles were recovered ({read} read, {starred} starred)."
    else:
        message += "; nothing could be recovered from it."
    return store, message


def _move_aside(path: Path) -> Path:
    """Rename the cache (and its -wal / -shm) to ``<name>.corrupt-<timestamp>``."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    number = 1
    while aside.exists():
        number += 1
        aside = path.with_name(f"{path.name}.corrupt-{stamp}-{number}")
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{path}{suffix}")
        if source.exists():
            try:
                os.replace(source, f"{aside}{suffix}")
            except OSError as error:
                raise StoreError(f"{path}: damaged and cannot be moved aside ({error})") from None
    return aside


def _salvage(aside: Path, store: Store) -> tuple[int, int, int]:
    """Copy every readable feed and article row into the fresh cache; (articles, read, starred).

    SQLite reads nothing of a file shorter than its header says, so a truncated file is
    read from a copy padded back to full length (the file moved aside stays as it was).
    """
    source, padded = aside, None
    if _truncated(aside):
        padded = aside.with_name(aside.name + ".salvage")
        try:
            shutil.copyfile(aside, padded)
            with open(padded, "r+b") as file:
                file.truncate(_declared_size(aside))
            for suffix in ("-wal", "-shm"):
                if Path(f"{aside}{suffix}").exists():
                    shutil.copyfile(f"{aside}{suffix}", f"{padded}{suffix}")
        except OSError:
            return 0, 0, 0
        source = padded
    try:
        return _copy_all(source, store)
    finally:
        if padded is not None:
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(OSError):
                    Path(f"{padded}{suffix}").unlink(missing_ok=True)


def _declared_size(path: Path) -> int:
    """The file length the SQLite header promises."""
    with path.open("rb") as file:
        header = file.read(100)
    page_size = int.from_bytes(header[16:18], "big")
    return (65536 if page_size == 1 else page_size) * int.from_bytes(header[28:32], "big")


def _copy_all(source: Path, store: Store) -> tuple[int, int, int]:
    try:
        old = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        old.execute("SELECT count(*) FROM sqlite_schema").fetchone()
    except sqlite3.Error:
        return 0, 0, 0
    db = store.db
    db.execute("PRAGMA foreign_keys = OFF")
    try:
        db.execute("BEGIN IMMEDIATE")
        for table in SALVAGED_TABLES:
            _copy_table(old, db, table)
        # Everything copied waits for the search index (before any delete below, which
        # takes out of the index only what is not waiting).
        db.execute("INSERT OR IGNORE INTO search_pending(id) SELECT id FROM articles")
        # Articles whose feed row was lost: keep starred ones as saved pages, drop the rest.
        orphans = "feed_id IS NOT NULL AND feed_id NOT IN (SELECT id FROM feeds)"
        db.execute(f"DELETE FROM articles WHERE {orphans} AND starred = 0")
        db.execute(f"UPDATE OR IGNORE articles SET feed_id = NULL WHERE {orphans}")
        # Fetch every feed in full next time: articles lost with damaged pages come back.
        db.execute("UPDATE feeds SET etag = '', last_modified = '', last_fetched = NULL")
        db.execute("COMMIT")
    except sqlite3.Error:
        db.execute("ROLLBACK")
        raise
    finally:
        db.execute("PRAGMA foreign_keys = ON")
        old.close()
    count, read, starred = db.execute(
        "SELECT count(*), coalesce(sum(read), 0), coalesce(sum(starred), 0) FROM articles"
    ).fetchone()
    return count, read, starred


def _columns(db: sqlite3.Connection, table: str) -> list[str]:
    try:
        return [row[1] for row in db.execute(f"PRAGMA table_info({table})").fetchall()]
    except sqlite3.DatabaseError:
        return []


def _copy_table(old: sqlite3.Connection, new: sqlite3.Connection, table: str) -> None:
    """Copy the rows of ``table`` that can be read, skipping over damaged stretches."""
    wanted = set(_columns(new, table))
    columns = [column for column in _columns(old, table) if column in wanted]
    if not columns:
        return
    names = ", ".join(columns)
    insert = f"INSERT OR IGNORE INTO {table}({names}) VALUES({', '.join('?' * len(columns))})"
    try:
        highest = old.execute(f"SELECT max(rowid) FROM {table} NOT INDEXED").fetchone()[0]
    except sqlite3.DatabaseError:
        highest = None
    last, failures, step = 0, 0, 1
    while failures < _MAX_FAILURES and last < _MAX_ROWID and (highest is None or last < highest):
        rows = []
        try:
            cursor = old.execute(
                f"SELECT rowid, {names} FROM {table} NOT INDEXED WHERE rowid > ? "
                "ORDER BY rowid LIMIT ?",
                (last, _CHUNK),
            )
            for row in cursor:
                rows.append(row)
        except sqlite3.DatabaseError:
            # Keep what was read, then jump over the damaged stretch, further each time.
            new.executemany(insert, [row[1:] for row in rows])
            last = min((rows[-1][0] if rows else last) + step, _MAX_ROWID)
            failures, step = failures + 1, step * 2
            continue
        if not rows:
            break
        new.executemany(insert, [row[1:] for row in rows])
        last, step = rows[-1][0], 1
