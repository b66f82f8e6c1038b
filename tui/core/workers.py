"""Processes: worker processes (page extraction when prefetching; a refresh given a
process pool), forked from a fork server that has their code loaded; and the settings of
a short-lived refresh process (cheaper garbage collection, one malloc heap).

Kept apart from :mod:`tui.core.refresh` so callers can use these without importing the
HTTP client and the parsers; ``multiprocessing`` itself is imported only when needed.
"""

from __future__ import annotations

import contextlib
import os
import sys


def preload_workers() -> None:
    """Workers fork from a fork server that imported their code once: they start fast
    and share those pages."""
    import multiprocessing

    multiprocessing.get_context("forkserver").set_forkserver_preload(
        ["__main__", "tui.core.ingest"]
    )


def start_helpers() -> None:
    """Start the fork server and resource tracker now, while stderr is a real file.

    Call before a UI takes over the terminal: Textual replaces ``sys.stderr`` with an
    object without a file descriptor, and they cannot be started after that.
    """
    from multiprocessing import forkserver, resource_tracker

    preload_workers()
    resource_tracker.ensure_running()
    forkserver.ensure_running()


def start_helpers_in_ui() -> None:
    """:func:`start_helpers` from inside a running Textual app (after its first frame).

    Textual replaces ``sys.stderr`` with an object that has no file descriptor; the
    helpers get the real one. Nothing happens if they are running already.
    """
    real = sys.__stderr__
    if real is None:
        return
    saved = sys.stderr
    try:
        real.fileno()
        sys.stderr = real
        start_helpers()
    except (OSError, ValueError):
        pass
    finally:
        sys.stderr = saved


def settle_refresh_process() -> None:
    """The settings of a short-lived refresh process (``tvnews refresh``, the app's
    refresh process): :func:`collect_less` and :func:`one_malloc_heap`."""
    collect_less()
    one_malloc_heap()


def collect_less() -> None:
    """Cheaper garbage collection for a short-lived command that allocates a lot.

    Parsing a large refresh makes millions of short-lived objects; each full collection
    would walk every module loaded so far too (they are frozen out of it), and the first
    generation is collected less often (10-20% of the parse time otherwise).
    """
    import gc

    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


#: glibc's ``mallopt`` parameter for the most heaps (arenas) malloc keeps.
M_ARENA_MAX = -8


def one_malloc_heap() -> None:
    """Let every thread of a refresh allocate from one malloc heap (glibc only).

    glibc gives each new thread a heap of its own (up to eight per core), and a fetch
    thread's heap keeps the few hundred kilobytes a response passed through: 2 MB of a
    refresh's peak with a dozen fetch threads. Python code allocates holding the GIL
    anyway, so the threads hardly ever wait for the shared heap (no slower, measured).
    Call before the threads start; elsewhere it does nothing.
    """
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):  # None where it is not glibc
            return
    except (ValueError, OSError):  # not known here at all (macOS, Windows)
        return
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).mallopt(M_ARENA_MAX, 1)
