"""Editing feeds.toml in place: add and remove feeds, change a setting.

The user's comments, order and layout stay (tomlkit, and line edits for removal);
every new text is validated with the normal config reader before it replaces the
file, and the file is replaced atomically, so a failed edit leaves it as it was.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import tomlkit
from tomlkit.exceptions import TOMLKitError

from tui.config import Config, FeedConfig, parse_config
from tui.core.errors import ConfigError
from tui.core.sanitize import clean_line, safe_url

_TABLE_HEADER = re.compile(r"^\s*\[")
_FEEDS_HEADER = re.compile(r"^\s*\[\[\s*feeds\s*\]\]\s*(#.*)?$")
_COMMENT = re.compile(r"^\s*#")


@dataclass(frozen=True, slots=True)
class NewFeed:
    """A feed to add: the URL is required, the rest may be empty."""

    url: str
    name: str = ""
    section: str = ""
    tags: tuple[str, ...] = ()


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(str(path), None, "", f"cannot read: {error}") from None


def _write(path: Path, text: str) -> Config:
    """Validate ``text`` as a config, then replace ``path`` with it atomically."""
    config = parse_config(text, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=".feeds-", suffix=".toml", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return config


def _parse(path: Path, text: str) -> tomlkit.TOMLDocument:
    parse_config(text, path)  # the same error, with file:line:key, as at startup
    try:
        return tomlkit.parse(text)
    except TOMLKitError as error:
        raise ConfigError(str(path), None, "", f"invalid TOML: {error}") from None


def add_feeds(path: Path, feeds: Iterable[NewFeed]) -> tuple[Config, list[NewFeed]]:
    """Append feeds whose URL is not listed yet; return the new config and those added."""
    text = _read(path)
    doc = _parse(path, text)
    known = {feed.url for feed in parse_config(text, path).feeds}
    added: list[NewFeed] = []
    for feed in feeds:
        url = safe_url(feed.url)
        if url is None or url != feed.url.strip():
            raise ConfigError(str(path), None, "feeds.url", f"not an http(s) URL: {feed.url!r}")
        if url in known:
            continue
        known.add(url)
        added.append(feed)
    if not added:
        return parse_config(text, path), []
    aot = doc.get("feeds")
    if aot is None:
        aot = tomlkit.aot()
        if text and not text.endswith("\n\n"):
            doc.add(tomlkit.nl())
        doc.append("feeds", aot)
    elif len(aot):
        last = aot[-1]
        if not last.as_string().endswith("\n\n"):
            last.add(tomlkit.nl())
    for feed in added:
        table = tomlkit.table()
        if feed.name:
            table["name"] = clean_line(feed.name, 200)
        table["url"] = feed.url.strip()
        if feed.section:
            table["section"] = clean_line(feed.section, 100)
        if feed.tags:
            table["tags"] = [clean_line(tag, 60) for tag in feed.tags if clean_line(tag, 60)]
        table.add(tomlkit.nl())
        aot.append(table)
    return _write(path, tomlkit.dumps(doc).rstrip("\n") + "\n"), added


def add_feed(path: Path, feed: NewFeed) -> Config:
    """Add one feed; a :class:`ConfigError` if it is listed already."""
    config, added = add_feeds(path, [feed])
    if not added:
        raise ConfigError(str(path), None, "feeds.url", f"already in the feed list: {feed.url}")
    return config


def find_feed(config: Config, url_or_name: str) -> FeedConfig | None:
    """The feed with this URL, or else with this name (case-insensitive)."""
    wanted = url_or_name.strip()
    for feed in config.feeds:
        if feed.url == wanted:
            return feed
    folded = wanted.casefold()
    matches = [feed for feed in config.feeds if feed.name.casefold() == folded]
    return matches[0] if len(matches) == 1 else None


def remove_feed(path: Path, url: str) -> Config:
    """Delete the ``[[feeds]]`` table with ``url``, with the comment lines just above it."""
    text = _read(path)
    before = parse_config(text, path)
    urls = [feed.url for feed in before.feeds]
    if url not in urls:
        raise ConfigError(str(path), None, "feeds.url", f"not in the feed list: {url}")
    index = urls.index(url)
    new_text = _remove_lines(text, index)
    expected = [feed for feed in before.feeds if feed.url != url]
    if new_text is None or list(parse_config(new_text, path).feeds) != expected:
        doc = _parse(path, text)
        del doc["feeds"][index]
        new_text = tomlkit.dumps(doc)
    return _write(path, new_text)


def _remove_lines(text: str, index: int) -> str | None:
    """Cut the ``index``-th ``[[feeds]]`` block by lines; None when the layout is unusual."""
    lines = text.splitlines(keepends=True)
    headers = [n for n, line in enumerate(lines) if _FEEDS_HEADER.match(line)]
    if index >= len(headers):
        return None
    start = headers[index]
    end = next((n for n in range(start + 1, len(lines)) if _TABLE_HEADER.match(lines[n])), None)
    end = len(lines) if end is None else end
    # Comments right above the next header belong to the next table: keep them.
    while end > start + 1 and _COMMENT.match(lines[end - 1]):
        end -= 1
    # Comments right above this header describe this feed: remove them too.
    while start > 0 and _COMMENT.match(lines[start - 1]):
        start -= 1
    # One blank line goes with the block, so the layout stays evenly spaced.
    if end < len(lines) and not lines[end].strip():
        end += 1
    elif start > 0 and not lines[start - 1].strip() and end == len(lines):
        start -= 1
    return "".join(lines[:start] + lines[end:])


def set_setting(path: Path, key: str, value: object) -> Config:
    """Set ``[settings] key = value``, keeping the line's comment; add the table if missing."""
    text = _read(path)
    doc = _parse(path, text)
    settings = doc.get("settings")
    if settings is not None:
        if settings.get(key) == value:
            return parse_config(text, path)
        settings[key] = value
        return _write(path, tomlkit.dumps(doc))
    table = tomlkit.document()
    table.add(tomlkit.key(key), value)
    block = "[settings]\n" + tomlkit.dumps(table) + "\n"
    lines = text.splitlines(keepends=True)
    at = next((n for n, line in enumerate(lines) if _TABLE_HEADER.match(line)), len(lines))
    if at == len(lines) and lines and lines[-1].strip():
        block = ("\n" if lines[-1].endswith("\n") else "\n\n") + block
    return _write(path, "".join(lines[:at]) + block + "".join(lines[at:]))
