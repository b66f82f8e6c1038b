"""Garbage collection that waits until a frame is on the terminal.

Python collects its young objects after a fixed number of allocations, wherever that
falls. Opening an article makes ~10,000 objects that live on (rendered lines, caches) and
a page of the list ~6,000, so a 5–16 ms collection used to land between a key and its
frame every few keys. Here the young objects are collected once the screen is painted
and nothing else is waiting; Python's own thresholds are set high, a safety net for
when the screen is never idle.
"""

from __future__ import annotations

import gc

#: Python's own thresholds once the app is up (a net for a screen that is never idle).
AUTOMATIC_THRESHOLDS = (100_000, 10, 100)
#: Young objects that make a collection due after the next frame (~1 ms of collecting).
COLLECT_AT = 2_000
#: Young collections before the middle generation is collected too.
YOUNG_PER_MIDDLE = 10
#: Middle collections before the whole heap is (start-up's objects are frozen out of it).
MIDDLE_PER_FULL = 100


def start_collecting() -> None:
    """The first screen is up: what start-up made stays (frozen out of collections);
    collect from now on, mostly after frames. ``run_app`` turned collection off."""
    if not gc.isenabled():
        gc.freeze()
        gc.set_threshold(*AUTOMATIC_THRESHOLDS)
        gc.enable()


class CollectAfterFrames:
    """Screen mixin: when enough young objects are pending, collect them right after the
    next frame is written, not in the middle of handling a key."""

    _collection_due = False

    def on_idle(self) -> None:
        if self._collection_due or not gc.isenabled() or gc.get_count()[0] < COLLECT_AT:
            return
        self._collection_due = True
        self.call_after_refresh(self._collect)  # type: ignore[attr-defined]

    def _collect(self) -> None:
        self._collection_due = False
        _young, middle, old = gc.get_count()
        if old >= MIDDLE_PER_FULL:
            gc.collect(2)
        elif middle >= YOUNG_PER_MIDDLE:
            gc.collect(1)
        else:
            gc.collect(0)
