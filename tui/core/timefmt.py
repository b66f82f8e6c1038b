"""Dates as the list and the reading pane show them."""

from __future__ import annotations

import time
from datetime import datetime


def age(timestamp: float | None, now: float | None = None) -> str:
    """Compact age: ``now``, ``5m``, ``3h``, ``2d``, ``7w``, ``3y``."""
    if timestamp is None:
        return ""
    seconds = (now or time.time()) - timestamp
    if seconds < 60:
        return "now"
    for unit, size in (("y", 365 * 86400), ("w", 7 * 86400), ("d", 86400), ("h", 3600)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds // 60)}m"


def short_date(timestamp: float | None) -> str:
    """``2026-11-25`` in local time, or empty."""
    if timestamp is None:
        return ""
    try:
        return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d")
    except (OverflowError, OSError, ValueError):
        return ""


def long_date(timestamp: float | None) -> str:
    """``Wed 25 Nov 2026 14:05`` in local time, or empty."""
    if timestamp is None:
        return ""
    try:
        return datetime.fromtimestamp(timestamp).strftime("%a %d %b %Y %H:%M")
    except (OverflowError, OSError, ValueError):
        return ""


def duration(seconds: float) -> str:
    """``45 s``, ``12 min``, ``2.5 h``."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
