"""The one place untrusted text and URLs are made safe for a terminal.

Every string that comes from the network and reaches the screen passes through
:func:`clean_text` (multi-line) or :func:`clean_line` (single line). Links are
only followed when :func:`safe_url` accepts them.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

#: C0 controls except tab and newline, DEL, C1 controls, and the bidi
#: embedding/override/isolate controls that can reorder what the user sees, and lone
#: surrogates (a JSON feed can carry "\ud800"; they cannot be written as UTF-8).
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c"
    "\ufff9-\ufffb\ufeff\ud800-\udfff]"
)
_SPACES = re.compile(r"[ \t\r\n\u00a0\u2028\u2029]+")
#: Any whitespace (str.isspace) or control character (Unicode category Cc).
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")
#: Absolute http(s) URLs with an ASCII host that urljoin returns unchanged whatever the base
#: and urlsplit accepts (tests/test_perf_paths.py checks both): no need to run them.
_PLAIN_HTTP_URL = re.compile(
    r"https?://[A-Za-z0-9][A-Za-z0-9.-]*(?::[0-9]{1,5})?(?:/[^?#;\s]*)?(?:\?[^#;\s]+)?", re.A
)

#: Longest single-line string shown (titles, labels); longer ones are cut with an ellipsis.
MAX_LINE = 500

SAFE_SCHEMES = ("http", "https")
#: Longest URL followed or opened; longer ones are refused (servers stop near 8 kB).
MAX_URL = 8192


def clean_text(text: str | None) -> str:
    """Remove ESC, C0 (but newline and tab), C1 and bidi controls; CR LF becomes LF."""
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _UNSAFE.sub("", text)


def clean_line(text: str | None, limit: int = MAX_LINE) -> str:
    """Sanitize and fold to one line of at most ``limit`` characters."""
    if not text:
        return ""
    text = text[: limit * 4]
    if text.isprintable() and "  " not in text:
        # Every character the two patterns act on is unprintable, but the plain space.
        line = text.strip()
    else:
        line = _SPACES.sub(" ", _UNSAFE.sub("", text)).strip()
    if len(line) > limit:
        line = line[: limit - 1].rstrip() + "…"
    return line


def is_safe_text(text: str) -> bool:
    """True when ``text`` holds nothing :func:`clean_text` would remove."""
    return _UNSAFE.search(text) is None


def safe_url(url: str | None, base: str | None = None) -> str | None:
    """Return ``url`` made absolute against ``base`` if it is http(s), else None.

    Control characters and surrounding spaces are removed first; javascript:,
    file:, data: and every other scheme are refused, as are URLs without a host and
    URLs longer than :data:`MAX_URL`.
    """
    if not url or len(url) > MAX_URL:
        return None
    url = _UNSAFE.sub("", url).strip()
    url = re.sub(r"\s", "", url) if "\n" in url or "\t" in url else url
    if not url:
        return None
    if _PLAIN_HTTP_URL.fullmatch(url):  # the common case: what urljoin/urlsplit would accept
        return None if _SPACE_OR_CONTROL.search(url) else url
    if base:
        try:
            url = urljoin(base, url)
        except ValueError:
            return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in SAFE_SCHEMES or not parts.hostname or len(url) > MAX_URL:
        return None
    if _SPACE_OR_CONTROL.search(url):
        return None
    return url


def whole_number(text: str | None, digits: int = 9) -> int | None:
    """``text`` (spaces around it allowed) as a whole number written with at most
    ``digits`` ASCII digits; None for anything else. Not ``str.isdigit``: it also takes
    "²" and other digits ``int`` refuses, so a header or an attribute holding one made
    ``int`` raise."""
    text = (text or "").strip()
    if not text or len(text) > digits or not text.isascii() or not text.isdigit():
        return None
    return int(text)


def short_url(text: str) -> str:
    """``text`` without an http(s) scheme and ``www.``: a feed known only by its URL, in a
    narrow column ("example.com/feed.xml", not "http://exa…")."""
    for scheme in ("https://", "http://"):
        if text.startswith(scheme):
            text = text[len(scheme) :]
            return text[4:] if text.startswith("www.") else text
    return text
