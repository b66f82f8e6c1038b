"""Where files live, and reading feeds.toml into one validated, frozen settings object.

Every mistake names the file, the line and the key, and what was expected.
"""

from __future__ import annotations

import re
import shutil
import tomllib
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import platformdirs

from tui.core.errors import ConfigError

APP_NAME = "tvnews"


def default_config_path() -> Path:
    """The user's feeds.toml (honours XDG_CONFIG_HOME)."""
    return Path(platformdirs.user_config_dir(APP_NAME)) / "feeds.toml"


def default_data_dir() -> Path:
    """Where the cache lives (honours XDG_DATA_HOME)."""
    return Path(platformdirs.user_data_dir(APP_NAME))


def packaged_feeds_toml() -> str:
    """The default feed list shipped inside the package."""
    return resources.files("tui").joinpath("feeds.toml").read_text(encoding="utf-8")


def ensure_user_config(path: Path) -> bool:
    """Create ``path`` from the packaged default if it does not exist; True if created."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text(packaged_feeds_toml(), encoding="utf-8")
    shutil.move(tmp, path)
    return True


@dataclass(frozen=True, slots=True)
class Settings:
    """The ``[settings]`` table. Every field is documented in README's config reference."""

    refresh_on_start: bool = True
    """Refresh in the background when the app starts."""
    auto_refresh_minutes: int = 30
    """Refresh again every N minutes while the app runs (0: never)."""
    feed_interval_minutes: int = 15
    """Skip a feed fetched less than N minutes ago, or less than its ``<ttl>`` or its
    server's max-age (``r`` in the app and ``refresh --force`` fetch all)."""
    max_connections: int = 16
    """Requests in flight at once."""
    max_per_host: int = 4
    """Requests in flight to one host at once."""
    timeout_seconds: float = 20.0
    """Connect / read time-out; a whole request is also cut off at 3x this."""
    max_redirects: int = 5
    """Redirects followed per request."""
    max_feed_bytes: int = 16_000_000
    """Largest feed body accepted (after decompression)."""
    max_page_bytes: int = 8_000_000
    """Largest article page accepted (after decompression)."""
    prefetch_full_articles: bool = False
    """Fetch and extract the full page of new articles during refresh."""
    mark_read_on_open: bool = True
    """Opening an article marks it read."""
    show_read: bool = True
    """Show read articles in the list (toggle in the app)."""
    reading_width: int = 100
    """Maximum width of the article text, in columns."""
    theme: str = "textual-dark"
    """A Textual theme name."""
    save_dir: str = ""
    """Where ``w`` saves articles as Markdown (empty: ~/Downloads if it exists, else home)."""
    keep_days: int = 0
    """Prune unstarred articles older than N days after a refresh (0: keep all)."""
    keep_per_feed: int = 0
    """Keep at most N unstarred articles per feed (0: no limit)."""
    user_agent: str = ""
    """Override the User-Agent sent (empty: tvnews/VERSION with a project URL)."""


@dataclass(frozen=True, slots=True)
class FeedConfig:
    """One ``[[feeds]]`` table."""

    url: str
    name: str = ""
    section: str = ""
    tags: tuple[str, ...] = ()
    interval_minutes: int | None = None
    """Per-feed refresh interval (None: settings.feed_interval_minutes)."""


@dataclass(frozen=True, slots=True)
class Config:
    """Everything read from one feeds.toml."""

    path: Path | None
    settings: Settings = field(default_factory=Settings)
    feeds: tuple[FeedConfig, ...] = ()
    keys: dict[str, str] = field(default_factory=dict)
    """``[keys]``: binding id -> comma-separated keys."""


_FEED_KEYS: dict[str, type | tuple[type, ...]] = {
    "name": str,
    "url": str,
    "section": str,
    "tags": list,
    "interval_minutes": int,
}
_TYPE_NAMES = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}
#: Largest number any setting takes (minutes, bytes, seconds); also rejects nan and inf.
MAX_NUMBER = 2**31 - 1
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_BARE_OR_QUOTED = r"(?:[A-Za-z0-9_\-]+|\"[^\"]*\"|'[^']*')"


def _key_lines(text: str) -> dict[tuple[str, int | None, str], int]:
    """Map (table, array index, key) to its 1-based line, for error messages."""
    lines: dict[tuple[str, int | None, str], int] = {}
    table, index = "", None
    counters: dict[str, int] = {}
    header = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\"']+)\s*\]\]?")
    key = re.compile(rf"^\s*({_BARE_OR_QUOTED}(?:\s*\.\s*{_BARE_OR_QUOTED})*)\s*=")
    for number, line in enumerate(text.splitlines(), 1):
        if m := header.match(line):
            table = m.group(2).strip("\"'")
            if m.group(1) == "[[":
                counters[table] = counters.get(table, -1) + 1
                index = counters[table]
            else:
                index = None
            lines.setdefault((table, index, ""), number)
        elif m := key.match(line):
            # A dotted key ("settings.timeout_seconds = 3") is key of a table of its own.
            parts = [part.strip().strip("\"'") for part in m.group(1).split(".")]
            lines.setdefault((table, index, parts[0]), number)
            if len(parts) > 1:
                owner = ".".join([table, *parts[:-1]]).strip(".")
                lines.setdefault((owner, None, parts[-1]), number)
    return lines


def _check_type(value: Any, expected: type | tuple[type, ...]) -> bool:
    if expected is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, expected)


def parse_config(text: str, path: Path | None = None) -> Config:
    """Parse and validate feeds.toml text; raise :class:`ConfigError` on the first mistake."""
    where = str(path) if path else "<config>"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        m = re.search(r"line (\d+)", str(error))
        line = int(m.group(1)) if m else max(1, len(text.splitlines()))
        raise ConfigError(where, line, "", f"invalid TOML: {error}") from None
    lines = _key_lines(text)

    def fail(table: str, index: int | None, key: str, problem: str) -> ConfigError:
        line = (
            lines.get((table, index, key))
            or lines.get((table, index, ""))
            or lines.get(("", None, table.split(".")[0]))  # an inline table or array
        )
        name = (
            f"{table}[{index}].{key}" if index is not None else f"{table}.{key}" if table else key
        )
        return ConfigError(where, line, name.rstrip("."), problem)

    for top in data:
        if top not in ("settings", "feeds", "keys"):
            raise fail("", None, top, "unknown key (expected [settings], [[feeds]] or [keys])")

    settings = _parse_settings(data.get("settings", {}), fail)
    raw_feeds = data.get("feeds", [])
    if not isinstance(raw_feeds, list):
        raise fail("", None, "feeds", "expected an array of tables: [[feeds]]")
    feeds: list[FeedConfig] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(raw_feeds):
        feed = _parse_feed(raw, index, fail)
        same = _same_url(feed.url)
        if same in seen:
            raise fail("feeds", index, "url", f"duplicate URL (also in feeds[{seen[same]}])")
        seen[same] = index
        feeds.append(feed)
    keys = data.get("keys", {})
    if not isinstance(keys, dict):
        raise fail("", None, "keys", "expected a table: [keys]")
    for name, value in keys.items():
        if not isinstance(value, str) or not value.strip():
            raise fail("keys", None, name, 'expected a string of keys, e.g. "j,down"')
    return Config(path=path, settings=settings, feeds=tuple(feeds), keys=dict(keys))


def _same_url(url: str) -> str:
    """What makes two feed URLs the same feed: scheme and host in any case, no fragment."""
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), parts.netloc.lower()
    return urlunsplit((scheme, host, parts.path or "/", parts.query, ""))


def _parse_settings(raw: Any, fail: Any) -> Settings:
    if not isinstance(raw, dict):
        raise fail("", None, "settings", "expected a table: [settings]")
    known = {f.name: f for f in fields(Settings)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in known:
            raise fail("settings", None, key, f"unknown setting (known: {', '.join(known)})")
        expected = type(known[key].default)
        if not _check_type(value, expected):
            raise fail("settings", None, key, f"expected {_TYPE_NAMES[expected]}, got {value!r}")
        if expected in (int, float) and not 0 <= value <= MAX_NUMBER:
            raise fail("settings", None, key, f"expected a number from 0 to {MAX_NUMBER}")
        if expected is str and _CONTROL.search(value):
            raise fail("settings", None, key, "control characters are not allowed")
        values[key] = float(value) if expected is float else value
    for key in ("max_connections", "max_per_host", "max_feed_bytes", "max_page_bytes"):
        if values.get(key) == 0:
            raise fail("settings", None, key, "expected a number >= 1")
    return Settings(**values)


def _parse_feed(raw: Any, index: int, fail: Any) -> FeedConfig:
    from tui.core.sanitize import safe_url

    if not isinstance(raw, dict):
        raise fail("feeds", index, "", "expected a table")
    for key, value in raw.items():
        if key not in _FEED_KEYS:
            raise fail("feeds", index, key, f"unknown key (known: {', '.join(_FEED_KEYS)})")
        if not _check_type(value, _FEED_KEYS[key]):
            kind = "a list of strings" if key == "tags" else _TYPE_NAMES[_FEED_KEYS[key]]
            raise fail("feeds", index, key, f"expected {kind}, got {value!r}")
    url = raw.get("url")
    if url is None:
        raise fail("feeds", index, "url", "missing (every feed needs a url)")
    if safe_url(url) != url.strip() or not url.strip():
        raise fail(
            "feeds", index, "url", f"expected an absolute http:// or https:// URL, got {url!r}"
        )
    tags = raw.get("tags", [])
    if not all(isinstance(tag, str) for tag in tags):
        raise fail("feeds", index, "tags", "expected a list of strings")
    interval = raw.get("interval_minutes")
    if interval is not None and not 0 <= interval <= MAX_NUMBER:
        raise fail("feeds", index, "interval_minutes", f"expected a number from 0 to {MAX_NUMBER}")
    return FeedConfig(
        url=url.strip(),
        name=raw.get("name", ""),
        section=raw.get("section", ""),
        tags=tuple(tags),
        interval_minutes=interval,
    )


def load_config(path: Path) -> Config:
    """Read and validate ``path``."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # editors on Windows add a BOM
    except FileNotFoundError:
        raise ConfigError(str(path), None, "", "file not found") from None
    except UnicodeDecodeError as error:
        line = error.object[: error.start].count(b"\n") + 1
        raise ConfigError(str(path), line, "", f"not UTF-8 text ({error.reason})") from None
    except OSError as error:
        raise ConfigError(str(path), None, "", error.strerror or str(error)) from None
    return parse_config(text, path)
