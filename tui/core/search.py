"""Full-text search: what the user typed -> an FTS5 query, and where a title matches.

The cache's ``articles_fts`` index (SQLite FTS5, ``unicode61`` tokenizer without
diacritics) covers title, summary, content and the extracted article text. Every word
typed must match; words match as prefixes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence

#: A word as the FTS5 unicode61 tokenizer sees it: letters and digits.
_WORD = re.compile(r"[^\W_]+")


def search_terms(text: str) -> list[str]:
    """The words of a search, split as the index splits text."""
    return _WORD.findall(text)


def fts_query(text: str, spelled: Mapping[str, Sequence[str]] | None = None) -> str:
    """Turn what the user typed into an FTS5 query: every word must match.

    Words match as prefixes (``seas`` finds "season"), except single letters, which
    match whole words only (a one-letter prefix would match most of the index).
    ``spelled`` gives, for a word (lower case), the words of the index it is a prefix
    of: they are asked for by name instead (see :func:`spellable`).
    """
    terms = []
    for word in search_terms(text):
        words = spelled.get(word.lower()) if spelled else None
        if words:
            terms.append("(" + " OR ".join(_quoted(w) for w in words) + ")")
        else:
            terms.append(_quoted(word) if len(word) == 1 else f"{_quoted(word)}*")
    return " AND ".join(terms) or '""'


def spellable(word: str) -> bool:
    """Whether to look up the index's words starting with ``word`` by its lower case:
    ASCII words, which the index folds to lower case and nothing else, of three letters
    or more (shorter ones start too many words to be worth looking up).

    A prefix search in FTS5 took 12 ms for "season" in 100k articles, the same word by
    name 2 ms.
    """
    return len(word) > 2 and word.isascii()


def _quoted(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def _fold(text: str) -> str:
    """Lower case without accents, one character for each character (offsets stay put)."""
    if text.isascii():  # most titles: one call, not one per character
        return text.lower()
    return "".join(map(_fold_char, text))


def _fold_char(ch: str) -> str:
    if ch.isascii():
        return ch.lower()
    lower = ch.lower()
    return unicodedata.normalize("NFD", lower)[0] if lower else ch


def match_spans(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """(start, end) of the parts of ``text`` that ``terms`` match, for highlighting."""
    if not terms or not text:
        return []
    wanted = [_fold(term) for term in terms]
    spans = []
    for word in _WORD.finditer(_fold(text)):
        value = word.group()
        for term in wanted:
            if value == term or (len(term) > 1 and value.startswith(term)):
                spans.append((word.start(), word.start() + len(term)))
                break
    return spans
