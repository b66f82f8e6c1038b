"""feedparser adapter: bytes in, :class:`ParsedFeed` out. Runs in a worker process.

feedparser's HTML sanitizer and URI resolver are off (they cost two thirds of the
parse time); text is sanitized once, our way, when it is shown, and relative links
are resolved against the entry's base then.
"""

from __future__ import annotations

import calendar
import functools
import html
import io
import json
import re
from datetime import datetime
from typing import Any

from tui.core.errors import ParseError
from tui.core.fastrss import parse_rss
from tui.core.models import ParsedEntry, ParsedFeed
from tui.core.sanitize import clean_line, safe_url, whole_number

_TAGS = re.compile(r"<[^>]{0,2000}>")
#: Entries kept from one document; a feed with more is cut (newest usually come first).
MAX_ENTRIES = 5000
#: Longest title kept in the cache; the screen trims further.
MAX_TITLE = 2000
#: bozo reasons that do not mean anything was lost.
_HARMLESS = ("CharacterEncodingOverride", "NonXMLContentType")
_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html[\s>])", re.I | re.S)
#: What feedparser's loose parser has been seen to raise on hostile input.
_FEEDPARSER_CRASHES = (
    ValueError,
    TypeError,
    LookupError,
    AttributeError,
    ArithmeticError,
    RecursionError,
)
_CHAR_REF = re.compile(rb"&#([xX][0-9a-fA-F]{1,32}|[0-9]{1,32});")
_SURROGATES = re.compile("[\ud800-\udfff]")


def _fix_char_ref(match: re.Match[bytes]) -> bytes:
    """``&#xD800;`` or ``&#x110000;`` would crash feedparser: make them U+FFFD."""
    ref = match.group(1)
    code = int(ref[1:], 16) if ref[:1] in (b"x", b"X") else int(ref)
    if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return b"&#xFFFD;"
    return match.group(0)


def _storable(text: str) -> str:
    """Text the cache keeps whole: no NUL (SQLite's JSON and text functions stop at it),
    no lone surrogate (not UTF-8). Checked without a regex scan in the usual case."""
    if not text:
        return text
    if "\x00" in text:
        text = text.replace("\x00", "")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = _SURROGATES.sub("\ufffd", text)
    return text


def _scrub(value: Any) -> Any:
    """Replace lone surrogates (valid in JSON, not in UTF-8) throughout a JSON value."""
    if isinstance(value, str):
        return _SURROGATES.sub("\ufffd", value)
    if isinstance(value, list):
        return [_scrub(item) for item in value]
    if isinstance(value, dict):
        return {_scrub(key): _scrub(item) for key, item in value.items()}
    return value


_XML_ENCODING = re.compile(
    rb"""^(?:\xef\xbb\xbf)?\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([^"']{1,40})"""
)
_UTF8_NAMES = ("utf-8", "utf8")
_JSON_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def _repair_utf8(body: bytes, content_type: str) -> bytes:
    """Replace the few invalid bytes of a UTF-8 document.

    feedparser re-reads a whole document as Latin-1 when one byte is not UTF-8, which turns
    every accented letter into mojibake. A document that says it is UTF-8 (or says nothing)
    and holds valid multi-byte UTF-8 is UTF-8 with damage; one with none is left to
    feedparser's legacy-encoding detection (undeclared Windows-1252 is common).
    """
    if body.startswith((b"\xff\xfe", b"\xfe\xff")):
        return body
    charset = content_type.lower().partition("charset=")[2].strip(" \"';")
    declared = _XML_ENCODING.match(body[:300])
    names = [charset, declared.group(1).decode("ascii", "replace").lower() if declared else ""]
    if any(name and name not in _UTF8_NAMES for name in names):
        return body
    try:
        body.decode("utf-8")
        return body
    except UnicodeDecodeError:
        pass
    text = body.decode("utf-8", errors="replace")
    damaged = text.count("\ufffd")
    valid = sum(1 for ch in text if ord(ch) > 0x7F) - damaged
    if body.startswith(b"\xef\xbb\xbf") or valid >= damaged:
        return text.encode("utf-8")
    return body


def looks_like_html(body: bytes, content_type: str = "") -> bool:
    """True when a response is a web page rather than a feed."""
    if "html" in content_type.lower() and "xhtml+xml" not in content_type.lower():
        return True
    return bool(_HTML_START.match(body[:4096].lstrip(b"\xef\xbb\xbf")))


def _plain(value: str | None, limit: int = MAX_TITLE) -> str:
    """Strip tags and entities from a title-like field."""
    if not value:
        return ""
    value = value[: limit * 4]
    if "<" in value:
        value = _TAGS.sub(" ", value)
    return clean_line(html.unescape(value), limit)


_DATE_KEYS = (
    ("published_stamp", "published_parsed"),
    ("updated_stamp", "updated_parsed"),
    ("created_stamp", "created_parsed"),
)


def _date(entry: Any) -> float | None:
    for stamp_key, key in _DATE_KEYS:
        stamp = entry.get(stamp_key)  # the fast path's Unix time (feedparser: a struct_time)
        if stamp is not None:
            return float(stamp)
        parsed = entry.get(key)
        if parsed:
            try:
                return float(calendar.timegm(parsed))
            except (TypeError, ValueError, OverflowError):
                continue
    return None


def _author(entry: Any) -> str:
    if entry.get("author"):
        return _plain(entry["author"], 200)
    names = [a.get("name", "") for a in entry.get("authors", []) if isinstance(a, dict)]
    return _plain(", ".join(name for name in names if name), 200)


def _with_base(value: str, base: str, link: str) -> str:
    """Prefix ``<base>`` when content was written against a base other than the item link."""
    if base and base != link:
        return _base_tag(base) + value
    return value


@functools.lru_cache(maxsize=64)
def _base_tag(base: str) -> str:
    """``<base href>`` for a safe base, else nothing (cached: a feed's entries share one)."""
    return f'<base href="{html.escape(base, quote=True)}">' if safe_url(base) else ""


def _guid(given: Any, link: str, title: str, summary: str, content: str) -> str:
    """An entry's identity: its id, else its link, else a digest of what it says."""
    guid = str(given or "").strip() or link
    if not guid:
        import hashlib  # only here: it loads OpenSSL's digests (1 MB) for entries without ids

        digest = hashlib.sha1(f"{title}\n{summary}\n{content}".encode(errors="replace"))
        guid = f"tvnews:{digest.hexdigest()}"
    return _storable(guid[:2000])


def _entry(raw: Any, feed_url: str, position: int) -> ParsedEntry:
    link = safe_url(raw.get("link"), feed_url) or ""
    summary = raw.get("summary", "") or ""
    summary_base = (raw.get("summary_detail") or {}).get("base", "")
    contents = [c for c in raw.get("content", []) if c.get("value")]
    content = ""
    if contents:
        best = max(contents, key=lambda c: len(c.get("value", "")))
        content = _with_base(best["value"], best.get("base", ""), link)
        if summary.strip() == best["value"].strip():
            summary = ""
    summary = _with_base(summary, summary_base, link)
    title = _plain(raw.get("title"))
    if not title:
        words = _plain(raw.get("summary") or (contents[0]["value"] if contents else ""), 80)
        title = words or "(untitled)"
    return ParsedEntry(
        guid=_guid(raw.get("id"), link, title, summary, content),
        url=link,
        title=title,
        author=_author(raw),
        published=_date(raw),
        summary=_storable(summary),
        content=_storable(content),
    )


def _feedparser_parse(body: bytes, headers: dict[str, str]) -> Any:
    """Run feedparser (imported only when a feed needs it)."""
    import feedparser

    try:
        # A file object, never a string: feedparser would treat a string as a URL or a path.
        return feedparser.parse(
            io.BytesIO(body),
            response_headers=headers,
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except _FEEDPARSER_CRASHES as error:
        # feedparser's loose parser has crashes on hostile input; one feed must not stop a refresh.
        raise ParseError(f"not a feed: unreadable document ({type(error).__name__})") from None


def parse_feed(body: bytes, url: str, content_type: str = "") -> ParsedFeed:
    """Parse a feed document; raise :class:`ParseError` when nothing usable is in it."""
    if not body.strip():
        raise ParseError("empty document")
    if _json_text(body[:64]).lstrip(" \t\r\n")[:1] == "{":
        return parse_json_feed(body, url)
    body = _repair_utf8(body, content_type)
    headers = {"content-location": url, "content-type": content_type or "application/xml"}
    # Plain RSS 2.0 takes the ElementTree fast path (same results); the rest goes to feedparser.
    parsed = parse_rss(body, url, content_type)
    if parsed is None:
        body = _CHAR_REF.sub(_fix_char_ref, body)
        parsed = _feedparser_parse(body, headers)
    raw_entries = parsed.get("entries", [])[:MAX_ENTRIES]
    feed = parsed.get("feed", {})
    problem = ""
    error = parsed.get("bozo_exception")
    if parsed.get("bozo") and type(error).__name__ not in _HARMLESS:
        problem = _plain(str(error or "") or "not well-formed", 200)
    if not raw_entries and not parsed.get("version"):
        if looks_like_html(body, content_type):
            raise ParseError("not a feed: the URL serves a web page (HTML)")
        raise ParseError(f"not a feed ({problem or 'unrecognised format'})")
    entries = tuple(_entry(raw, url, n) for n, raw in enumerate(raw_entries))
    return ParsedFeed(
        title=_plain(feed.get("title"), 300),
        link=safe_url(feed.get("link"), url) or "",
        entries=entries,
        warning=f"feed is not well-formed: {problem}" if problem else "",
        ttl_seconds=_ttl_seconds(feed.get("ttl")),
    )


def _ttl_seconds(value: Any) -> int:
    """RSS ``<ttl>`` (minutes) in seconds; 0 when missing or not a number."""
    minutes = whole_number(str(value or ""), 8)
    return minutes * 60 if minutes is not None else 0


def _json_date(value: Any) -> float | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.timestamp() if parsed.tzinfo else calendar.timegm(parsed.timetuple())


def _json_item(item: dict[str, Any], feed_url: str) -> ParsedEntry:
    link = safe_url(str(item.get("url") or item.get("external_url") or ""), feed_url) or ""
    content = str(item.get("content_html") or "")
    if not content and item.get("content_text"):
        content = html.escape(str(item["content_text"])).replace("\n\n", "</p><p>")
        content = f"<p>{content}</p>"
    authors = item.get("authors") or ([item["author"]] if item.get("author") else [])
    names = [a.get("name", "") for a in authors if isinstance(a, dict)]
    summary = str(item.get("summary") or "")
    title = _plain(str(item.get("title") or "")) or _plain(summary or content, 80) or "(untitled)"
    return ParsedEntry(
        guid=_guid(item.get("id"), link, title, summary, content),
        url=link,
        title=title,
        author=_plain(", ".join(str(n) for n in names if n), 200),
        published=_json_date(item.get("date_published") or item.get("date_modified")),
        summary=_storable(summary),
        content=_storable(content),
    )


def _json_text(body: bytes) -> str:
    """JSON Feed text: UTF-8, or UTF-16 when a byte-order mark says so."""
    for bom, encoding in _JSON_BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(encoding, errors="replace")
    return body.decode("utf-8", errors="replace")


def parse_json_feed(body: bytes, url: str) -> ParsedFeed:
    """Parse a JSON Feed (1.0 / 1.1) document."""
    try:
        data = _scrub(json.loads(_json_text(body)))
    except (ValueError, RecursionError) as error:
        raise ParseError(f"not a feed: invalid JSON ({error})") from None
    if not isinstance(data, dict) or not isinstance(data.get("items", []), list):
        raise ParseError("not a feed: JSON without an items list")
    if "jsonfeed.org" not in str(data.get("version", "")) and "items" not in data:
        raise ParseError("not a feed: JSON that is not a JSON Feed")
    items = [item for item in data.get("items", []) if isinstance(item, dict)][:MAX_ENTRIES]
    return ParsedFeed(
        title=_plain(str(data.get("title") or ""), 300),
        link=safe_url(str(data.get("home_page_url") or ""), url) or "",
        entries=tuple(_json_item(item, url) for item in items),
    )
