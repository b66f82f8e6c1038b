"""Saving an article as a Markdown file the reader can keep, grep or send on."""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

from tui.core.errors import TvnewsError
from tui.core.models import Article
from tui.core.render import render_article

_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slug(title: str, limit: int = 80) -> str:
    """``Jessica Jones: Season 2!`` -> ``jessica-jones-season-2`` (ASCII, never empty)."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = _NOT_SLUG.sub("-", ascii_title.lower()).strip("-")
    return words[:limit].rstrip("-") or "article"


def default_save_dir(setting: str) -> Path:
    """The ``save_dir`` setting (``~`` expanded), else ~/Downloads if it exists, else home."""
    if setting:
        return Path(setting).expanduser()
    downloads = Path.home() / "Downloads"
    return downloads if downloads.is_dir() else Path.home()


def save_markdown(article: Article, directory: Path) -> Path:
    """Write the article (as the reading pane shows it) to ``directory/<slug>.md``.

    An existing file is never overwritten: ``-2``, ``-3``… is added to the name.
    """
    text = render_article(article).markdown.rstrip() + "\n"
    name = slug(article.title)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for number in range(1, 1000):
            path = directory / (f"{name}.md" if number == 1 else f"{name}-{number}.md")
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                continue
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            return path
    except OSError as error:
        raise TvnewsError(f"cannot save to {directory}: {error.strerror or error}") from None
    raise TvnewsError(f"cannot save to {directory}: too many files named {name}*.md")
