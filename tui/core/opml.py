"""Feed lists in and out: OPML 1.0/2.0 (newsboat, Feedly, Inoreader, …) and newsboat's ``urls``.

Parsing never expands entities, loads a DTD or touches the network; folders become
sections, OPML ``category`` and newsboat tags become tags, and every URL must be http(s).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path

from lxml import etree

from tui.core.errors import ParseError
from tui.core.safexml import safe_xml_parser
from tui.core.sanitize import clean_line, safe_url

#: Largest feed list read (a few thousand feeds are well under this).
MAX_BYTES = 20_000_000


@dataclass(frozen=True, slots=True)
class ListedFeed:
    """One feed of an imported or exported list."""

    url: str
    name: str = ""
    section: str = ""
    tags: tuple[str, ...] = ()
    html_url: str = ""


@dataclass(slots=True)
class FeedList:
    """What a file held: the feeds, and what was left out and why."""

    feeds: list[ListedFeed] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    """One line per entry that is not an http(s) feed (newsboat queries, exec:, file:, …)."""


def read_feed_list(path: Path) -> FeedList:
    """Read an OPML file or a newsboat ``urls`` file, whichever ``path`` is."""
    try:
        data = path.read_bytes()[: MAX_BYTES + 1]
    except OSError as error:
        raise ParseError(f"{path}: {error.strerror or error}") from None
    if len(data) > MAX_BYTES:
        raise ParseError(f"{path}: larger than {MAX_BYTES // 1_000_000} MB")
    if looks_like_opml(data):
        return parse_opml(data, str(path))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ParseError(f"{path}: neither OPML nor a UTF-8 newsboat urls file") from None
    return parse_newsboat_urls(text, str(path))


def looks_like_opml(data: bytes) -> bool:
    """True when the bytes start like an XML document with an ``<opml>`` root."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<") and b"<opml" in data[:65536].lower()


_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.I)


def parse_opml(data: bytes, where: str = "<opml>") -> FeedList:
    """Feeds of an OPML document; nested folders become the section (innermost name).

    Like defusedxml, a document that declares entities is refused outright; a merely
    broken one (an unescaped ``&``) is read as far as libxml2's recovery allows.
    """
    if _ENTITY_DECLARATION.search(data[:1_000_000]):
        raise ParseError(f"{where}: refused: the document declares XML entities (unsafe)")
    strict_error: etree.XMLSyntaxError | None = None
    try:
        root = etree.fromstring(data, safe_xml_parser())
    except etree.XMLSyntaxError as error:
        strict_error = error
        try:
            root = etree.fromstring(data, safe_xml_parser(recover=True))
        except etree.XMLSyntaxError:
            root = None
    body = None
    if root is not None and _local(root.tag) == "opml":
        body = next((el for el in root if _local(el.tag) == "body"), None)
    if body is None and strict_error is not None:
        raise ParseError(f"{where}: not valid OPML ({strict_error})")
    if root is None or _local(root.tag) != "opml":
        raise ParseError(f"{where}: not OPML (no <opml> root element)")
    if body is None:
        raise ParseError(f"{where}: OPML without a <body>")
    result = FeedList()
    seen: set[str] = set()
    _walk(body, "", result, seen)
    if strict_error is not None and not result.feeds:
        raise ParseError(f"{where}: not valid OPML ({strict_error})")
    return result


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _attr(el: etree._Element, name: str) -> str:
    """An attribute, matched case-insensitively (``xmlUrl``, ``xmlurl``, ``XMLURL``)."""
    for key, value in el.attrib.items():
        if isinstance(key, str) and key.lower() == name.lower():
            return value
    return ""


def _walk(parent: etree._Element, section: str, result: FeedList, seen: set[str]) -> None:
    for el in parent:
        if _local(el.tag) != "outline":
            continue
        label = clean_line(_attr(el, "title") or _attr(el, "text"), 200)
        raw_url = _attr(el, "xmlUrl").strip()
        if not raw_url:
            _walk(el, label or section, result, seen)
            continue
        url = safe_url(raw_url)
        if url is None or url != raw_url:
            result.skipped.append(f"{clean_line(raw_url, 200)}: not an http(s) URL")
            continue
        if url in seen:
            continue
        seen.add(url)
        label = "" if label == url else label
        tags = _categories(_attr(el, "category"))
        html_url = safe_url(_attr(el, "htmlUrl")) or ""
        result.feeds.append(ListedFeed(url, label, section, tags, html_url))
        _walk(el, section, result, seen)


def _categories(value: str) -> tuple[str, ...]:
    """OPML 2.0 ``category``: comma-separated, each maybe a ``/path``; keep the last part."""
    tags: list[str] = []
    for part in value.split(","):
        tag = clean_line(part.strip().strip("/").rsplit("/", 1)[-1], 60)
        if tag and tag not in tags:
            tags.append(tag)
    return tuple(tags)


def parse_newsboat_urls(text: str, where: str = "<urls>") -> FeedList:
    """newsboat's ``urls`` file: ``URL tag "two words" "~Title" "!hidden"``, ``#`` comments.

    The first plain tag becomes the section; query:, exec: and filter: feeds are skipped.
    """
    result = FeedList()
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            words = shlex.split(line, comments=True)
        except ValueError as error:
            raise ParseError(f"{where}:{number}: cannot read this line ({error})") from None
        if not words:
            continue
        raw_url, rest = words[0], words[1:]
        url = safe_url(raw_url)
        if url is None or url != raw_url:
            result.skipped.append(f"line {number}: {clean_line(raw_url, 120)}: not an http(s) feed")
            continue
        name = ""
        tags: list[str] = []
        for word in rest:
            if word.startswith("~"):
                name = clean_line(word[1:], 200)
            elif word.startswith("!"):
                continue
            elif (tag := clean_line(word, 60)) and tag not in tags:
                tags.append(tag)
        if url in seen:
            continue
        seen.add(url)
        result.feeds.append(ListedFeed(url, name, tags[0] if tags else "", tuple(tags)))
    return result


def export_opml(feeds: Iterable[ListedFeed], title: str = "tvnews feeds") -> str:
    """OPML 2.0: one folder per section (in first-seen order), feeds without one at the top."""
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = _xml_text(title)
    etree.SubElement(head, "dateCreated").text = formatdate(usegmt=True)
    body = etree.SubElement(root, "body")
    folders: dict[str, etree._Element] = {}
    for feed in feeds:
        parent = body
        if feed.section:
            parent = folders.get(feed.section)
            if parent is None:
                section = _xml_text(feed.section)
                parent = etree.SubElement(body, "outline", text=section, title=section)
                folders[feed.section] = parent
        name = _xml_text(feed.name or feed.url)
        outline = etree.SubElement(
            parent, "outline", type="rss", text=name, title=name, xmlUrl=feed.url
        )
        if feed.html_url:
            outline.set("htmlUrl", feed.html_url)
        if feed.tags:
            outline.set("category", ",".join(_xml_text(tag).replace(",", " ") for tag in feed.tags))
    etree.indent(root, space="  ")
    xml = etree.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + xml + "\n"


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(text: str) -> str:
    """Text XML 1.0 can hold (lxml refuses control characters)."""
    return _NOT_XML.sub("", clean_line(text, 500))


def newsboat_urls(feeds: Sequence[ListedFeed]) -> str:
    """The feeds as a newsboat ``urls`` file (tags, then the title as ``"~Title"``)."""
    lines = []
    for feed in feeds:
        words = [feed.url]
        tags = list(feed.tags)
        if feed.section and feed.section not in tags:
            tags.insert(0, feed.section)
        words += [_quote(tag) for tag in tags]
        if feed.name:
            words.append(_quote("~" + feed.name))
        lines.append(" ".join(words))
    return "\n".join(lines) + ("\n" if lines else "")


def _quote(word: str) -> str:
    return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'
