"""One hierarchy of errors the user can be shown."""

from __future__ import annotations


class TvnewsError(Exception):
    """Base of every error tvnews reports to the user."""


class ConfigError(TvnewsError):
    """A mistake in a config file: names the file, line and key."""

    def __init__(self, path: str, line: int | None, key: str, problem: str) -> None:
        self.path = path
        self.line = line
        self.key = key
        self.problem = problem
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {key}: {problem}" if key else f"{where}: {problem}")


class FetchError(TvnewsError):
    """A request failed: time-out, HTTP status, too large, blocked scheme, …"""


class ParseError(TvnewsError):
    """A document could not be read as a feed or a page."""


class StoreError(TvnewsError):
    """The cache cannot be used: corrupt, newer schema, locked, disk full."""
