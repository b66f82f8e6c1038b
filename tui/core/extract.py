"""Article pages turned into :class:`~tui.core.models.ArticleBody`.

trafilatura picks the main text (precision mode, comments off: the best setting measured on
the article-extraction benchmark, see ``bench/extraction.py``). Each block it keeps is then
matched by its text to the element it came from in the page, and that element is rendered
instead, so the Markdown gets back the links, emphasis and image captions that trafilatura's
text mode drops. Around that, a few general repairs: the title is not repeated as the first
line, "Related: …" / "Read more: …" / comment-count / newsletter lines are dropped, and
section headings, embedded posts (tweets) and article chunks split into sibling containers
that trafilatura dropped are put back in page order.
"""

from __future__ import annotations

import bisect
import codecs
import gzip
import itertools
import json
import re
import threading
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import lxml.html
from lxml import etree

from tui.core.markdown import MarkdownWriter, html_to_markdown
from tui.core.models import ArticleBody, RelatedLink
from tui.core.related_dom import base_href
from tui.core.sanitize import clean_line, safe_url

__all__ = ["body_to_json", "extract_article", "html_to_markdown", "load_html_file"]

#: Largest page read (bytes, after gunzip, or characters); bigger pages are cut.
MAX_PAGE_BYTES = 5_000_000
#: Pages with more elements than this (after scripts, styles, navs… are removed) are not
#: given to trafilatura's main extractor, whose time grows faster than linearly.
MAX_ELEMENTS = 15_000
#: Below this many characters the fast pass is redone with trafilatura's fallbacks.
SHORT_TEXT = 1500

_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
_LEGACY_DEFAULTS = ("latin-1", "iso8859-1", "ascii", "cp1252")
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_PROLOGUE = re.compile(r"^\s*(?:<\?xml[^>]*>\s*)?(?:<!doctype[^>]*>)?", re.I)
_local = threading.local()
_CDATA = re.compile(r"^\s*(?://\s*)?<!\[CDATA\[|(?://\s*)?\]\]>\s*$")
_SITE_SUFFIX = re.compile(r"\s+[-|–—·:]\s+([^-|–—·:]{1,60})$")
_KEY = re.compile(r"\W+")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_URL_DATE = re.compile(r"/(20\d{2}|19\d{2})/(\d{1,2})/(\d{1,2})/")
_BOILERPLATE = re.compile(
    # a label and its link: "Related: …", "Read more | …", "Filed under: …"
    r"^(?:related(?: \w+)?|read (?:more|also|next)|also read|see also|more on this|filed under"
    r"|tags|tagged(?: with)?|categories|posted in)\s*[:|>»\-–—]"
    r"|^also on [\w-]+\.[a-z]{2,}\b|^(?:like|share) this (?:story|article)\b"
    # a whole line: "Related stories", "3 comments", "Advertisement", "Share this:"
    r"|^(?:related(?: \w+)?|read more|\d* ?comments?|advertisement|sponsored"
    r"|(?:share|like) this(?: \w+)?:?)$",
    re.I,
)
_NEWSLETTER = re.compile(
    r"\b(?:sign up|subscribe)\b.*\bnewsletters?\b|\bnewsletters?\b.*\bsign up\b", re.I
)
_TEI_TAGS = {"quote": "blockquote", "item": "li", "row": "tr", "lb": "br", "graphic": "img"}
_SOURCE_TAGS = (
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "blockquote", "pre", "figcaption",
    "table", "div",
)  # fmt: skip
#: Letters compared before an element's whole text is (see :func:`_index`).
_PREFIX = 8
_INLINE_TAGS = frozenset(("a", "span", "strong", "b", "em", "i", "font", "u", "time", "cite"))
_NOT_BODY = frozenset(
    ("aside", "figure", "form", "nav", "header", "footer", "script", "style", "noscript", "a")
)
_NEVER_CONTENT = ("nav", "script", "style", "noscript", "svg", "iframe", "button", "select")
_HEADING_TAGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))
_CHUNK_TAGS = frozenset(("p", "h2", "h3", "h4", "blockquote", "ul", "ol", "pre", "table"))
_TOO_BIG = etree.XPath(
    f"count(//*) > {MAX_ELEMENTS} or (count(//*) > 1000 and boolean(//*[count(*) > 1000]))"
)
#: Embedded social posts (tweets, Instagram, TikTok).
_EMBEDS = etree.XPath(
    ".//blockquote[contains(concat(' ', normalize-space(@class), ' '), ' twitter-tweet ')"
    " or contains(@class, 'instagram-media') or contains(@class, 'tiktok-embed')]"
)


# ----- reading --------------------------------------------------------------------------------


def decode_html(data: bytes) -> str:
    """Decode page bytes: BOM, then ``<meta charset>``, then UTF-8, then a guess."""
    for bom, codec in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le")):
        if data.startswith(bom):
            return data[len(bom) :].decode(codec, "replace")
    if data.startswith(codecs.BOM_UTF16_BE):
        return data[2:].decode("utf-16-be", "replace")
    match = _CHARSET.search(data[:8192])
    try:
        codec = codecs.lookup(match[1].decode("ascii")).name if match else ""
    except LookupError:
        codec = ""
    if codec and codec not in _LEGACY_DEFAULTS and not codec.startswith("utf-16"):
        return data.decode(codec, "replace")
    try:  # UTF-8 is often mislabelled as Latin-1
        return data.decode("utf-8")
    except UnicodeDecodeError:
        if codec:  # browsers read Latin-1 and ASCII labels as windows-1252
            return data.decode("cp1252", "replace")
    try:
        from charset_normalizer import from_bytes
    except ImportError:
        return data.decode("utf-8", "replace")
    best = from_bytes(data[:200_000]).best()
    return data.decode(best.encoding if best else "utf-8", "replace")


def load_html_file(path: str | Path) -> str:
    """Read a ``.html`` or ``.html.gz`` file and decode it (see :func:`decode_html`)."""
    path = Path(path)
    with path.open("rb") as raw:
        if path.suffix == ".gz":
            with gzip.GzipFile(fileobj=raw) as unzipped:
                data = unzipped.read(MAX_PAGE_BYTES)
        else:
            data = raw.read(MAX_PAGE_BYTES)
    return decode_html(data)


def _parse_page(html: str) -> lxml.html.HtmlElement | None:
    """Parse a whole page (characters libxml2 rejects removed, as trafilatura does)."""
    html = _PROLOGUE.sub("", _INVALID_XML.sub("", html), count=1)
    parser = getattr(_local, "parser", None)
    if parser is None:  # lxml parsers must not be shared between threads
        parser = _local.parser = lxml.html.HTMLParser(
            collect_ids=False,
            default_doctype=False,
            no_network=True,
            remove_comments=True,
            remove_pis=True,
        )
    try:
        tree = lxml.html.document_fromstring(html, parser=parser)
    except (etree.ParserError, ValueError):
        return None
    return tree if len(tree) else None


# ----- metadata -------------------------------------------------------------------------------


def _meta(tree: lxml.html.HtmlElement) -> dict[str, str]:
    """``<meta>`` values by lower-cased name/property/itemprop (first one wins)."""
    found: dict[str, str] = {}
    for el in tree.iter("meta"):
        key = el.get("property") or el.get("name") or el.get("itemprop")
        value = el.get("content")
        if key and value and value.strip():
            found.setdefault(key.strip().lower(), value.strip())
    return found


def _json_ld(tree: lxml.html.HtmlElement) -> dict[str, Any]:
    """The first schema.org *Article object in the page's JSON-LD, or {}."""
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json" or not script.text:
            continue
        text = _CDATA.sub("", script.text[:500_000])
        try:
            data = json.loads(text, strict=False)
        except ValueError:
            continue
        pending, seen = [data], 0
        while pending and seen < 200:
            item, seen = pending.pop(0), seen + 1
            if isinstance(item, list):
                pending.extend(item)
            elif isinstance(item, dict):
                kind = item.get("@type")
                kinds = kind if isinstance(kind, list) else [kind]
                if any(isinstance(k, str) and k.endswith(("Article", "Posting")) for k in kinds):
                    return item
                pending.extend(v for k, v in item.items() if k in ("@graph", "mainEntity"))
    return {}


def _names(value: Any) -> Iterator[str]:
    """Person names from a JSON-LD ``author`` value."""
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict) and isinstance(item.get("name"), str):
            yield item["name"]


def _first(values: Iterable[str | None]) -> str:
    return next((v for v in values if v and v.strip()), "")


def _iso_date(value: str) -> str:
    """An ISO 8601 date-time or date from a page's date string, or ''."""
    value = value.strip()
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).isoformat()
    except ValueError:
        match = _ISO_DATE.search(value)
    if match:
        try:
            return datetime(int(match[1]), int(match[2]), int(match[3])).date().isoformat()
        except ValueError:
            return ""
    return ""


def _published(meta: dict[str, str], ld: dict[str, Any], tree: Any, url: str) -> str:
    candidates = [
        meta.get("article:published_time"),
        ld.get("datePublished") if isinstance(ld.get("datePublished"), str) else None,
        meta.get("datepublished"),
        meta.get("og:article:published_time"),
        *(meta.get(k) for k in ("pubdate", "publishdate", "date", "dc.date.issued", "dc.date")),
        *(meta.get(k) for k in ("sailthru.date", "parsely-pub-date", "article.published")),
    ]
    candidates += [t.get("datetime") for t in tree.iter("time")][:3]
    for value in candidates:
        if value and (iso := _iso_date(value)):
            return iso
    match = _URL_DATE.search(url)
    if match:
        return _iso_date(f"{match[1]}-{int(match[2]):02d}-{int(match[3]):02d}")
    return ""


def _author(meta: dict[str, str], ld: dict[str, Any], tree: Any) -> str:
    names = [
        meta.get("author"),
        ", ".join(dict.fromkeys(_names(ld.get("author")))),
        meta.get("article:author"),
        meta.get("byl"),
        meta.get("parsely-author"),
        meta.get("sailthru.author"),
    ]
    for link in tree.iterfind(".//a[@rel='author']"):
        names.append(link.text_content())
    for name in names:
        name = clean_line(re.sub(r"^\s*by\s+", "", name or "", flags=re.I), 200)
        if name and "://" not in name and not name.startswith("@"):
            return name
    return ""


def _feed_url(tree: Any, base: str) -> str:
    for link in tree.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").strip().lower()
        feed = "alternate" in rel and kind in ("application/rss+xml", "application/atom+xml")
        if feed and (found := safe_url(link.get("href"), base or None)):
            return found
    return ""


# ----- the article text -----------------------------------------------------------------------


def _key(text: str) -> str:
    """What two renderings of the same paragraph have in common: its letters and digits."""
    return _KEY.sub("", text).lower()


def _index(tree: Any, keys: set[str]) -> dict[str, Any]:
    """Page elements whose :func:`_key` is one of ``keys`` (first in document order wins).

    An element whose own leading text already differs from every key's start is skipped
    without computing its whole text, which keeps this linear in practice.
    """
    starts = {key[:_PREFIX] for key in keys}
    longest = max(map(len, keys), default=0) * 2 + 50
    found: dict[str, Any] = {}
    for el in tree.iter(*_SOURCE_TAGS):
        lead = _key(el.text[:200]) if el.text else ""
        if len(lead) >= _PREFIX and lead[:_PREFIX] not in starts:
            continue
        if el.tag == "div" and not (lead or (len(el) and el[0].tag in _INLINE_TAGS)):
            continue  # a wrapper, not a paragraph written as a <div>
        text = el.text_content()
        if len(text) > longest:
            continue
        key = _key(text)
        if key in keys and key not in found:
            found[key] = el
    return found


def _tei_to_html(block: Any) -> Any:
    """Rename trafilatura's output tags to HTML ones in place so the writer can render them."""
    for el in block.iter():
        tag = el.tag
        if tag == "head":
            rend = el.get("rend", "")
            el.tag = rend if rend in ("h1", "h2", "h3", "h4", "h5", "h6") else "h2"
        elif tag == "list":
            el.tag = "ol" if el.get("rend") == "ol" else "ul"
        elif tag == "hi":
            rend = el.get("rend", "")
            el.tag = "strong" if "b" in rend else "code" if "t" in rend else "em"
        elif tag == "ref":
            el.tag = "a"
            el.set("href", el.attrib.pop("target", ""))
        elif tag == "cell":
            el.tag = "th" if el.get("role") == "head" else "td"
        elif tag == "code":
            el.tag = "pre" if "\n" in "".join(el.itertext()) else "code"
        elif tag in _TEI_TAGS:
            el.tag = _TEI_TAGS[tag]
    return block


def _text_of(el: Any) -> str:
    return " ".join("".join(el.itertext()).split())


def _children(body: Any) -> Iterator[Any]:
    """The blocks of trafilatura's body; loose text between them becomes paragraphs."""
    if body.text and body.text.strip():
        yield _paragraph(body.text)
    for child in body:
        tail, child.tail = child.tail, None
        yield child
        if tail and tail.strip():
            yield _paragraph(tail)


def _paragraph(text: str) -> Any:
    element = etree.Element("p")
    element.text = text
    return element


def _is_boilerplate(text: str) -> bool:
    """Lines that are site furniture rather than article: "Related: …", "3 comments"…"""
    if len(text) > 300:
        return False
    return bool(_BOILERPLATE.search(text) or _NEWSLETTER.search(text))


def _trafilatura_body(tree: Any, url: str) -> Any:
    """trafilatura's main-text tree, or None.

    Precision mode without fallbacks first; when that finds little text, again with
    trafilatura's fallback extractors, and then in its balanced mode, which is taken only when
    it finds several times more (precision mode can throw away a whole listicle). Huge trees
    (:data:`MAX_ELEMENTS`, or one element with thousands of children) get trafilatura's
    linear-time baseline instead.
    """
    from trafilatura import bare_extraction, baseline

    if _TOO_BIG(tree):  # trafilatura slows down faster than linearly on such trees
        return baseline(tree)[0]
    options = {"url": url or None, "include_comments": False}
    doc = bare_extraction(tree, fast=True, favor_precision=True, **options)
    if doc is None or len(doc.text or "") < SHORT_TEXT:
        doc = bare_extraction(tree, favor_precision=True, **options) or doc
    size = len(doc.text or "") if doc is not None else 0
    if size < SHORT_TEXT:
        balanced = bare_extraction(tree, **options)
        if balanced is not None and len(balanced.text or "") > 3 * size:
            doc = balanced
    return None if doc is None else doc.body


def _blocks(tree: Any, url: str, titles: set[str]) -> list[Any]:
    """The elements to render, in order: trafilatura's blocks (swapped for the page element
    they came from when there is one), minus title and boilerplate, plus recovered blocks."""
    body = _trafilatura_body(tree, url)
    if body is None:
        return []
    kept: list[tuple[Any, str]] = []
    for child in _children(body):
        text = _text_of(child)
        if not text or _is_boilerplate(text):
            continue
        key = _key(text)
        if not (len(kept) < 2 and key in titles):
            kept.append((child, key))
    index = _index(tree, {key for _, key in kept})
    blocks: list[tuple[Any, Any]] = []  # (element to render, page element or None)
    for child, key in kept:
        source = index.get(key)
        blocks.append((source if source is not None else _tei_to_html(child), source))
    return _with_recovered(tree, blocks)


def _with_recovered(tree: Any, blocks: list[tuple[Any, Any]]) -> list[Any]:
    """Add headings, embedded posts and sibling article chunks trafilatura left out, in order."""
    rendered = [element for element, _ in blocks]
    sources = [source for _, source in blocks if source is not None]
    container = _container(sources)
    if container is None:
        return rendered
    keys = {_key(_text_of(element)) for element in rendered}
    scope = container  # sibling chunks are looked for up to two levels above the container
    for _ in range(2):
        scope = scope.getparent() if scope.getparent() is not None else scope
    order = {el: n for n, el in enumerate(scope.iter())}
    inside = [order[source] for source in sources if source in order]
    first, last = min(inside, default=0), max(inside, default=0)
    kept = set(sources)
    headings = [h for h in _headings(container, kept) if first < order[h] < last]
    extra = []
    for element in [*_EMBEDS(container), *_sibling_chunks(container), *headings]:
        text = _text_of(element)
        key = _key(text)
        if key and key not in keys and not _is_boilerplate(text):
            keys.add(key)
            extra.append(element)
    if not extra:
        return rendered
    positions, last = [], -1
    for _, source in blocks:
        last = max(last, order.get(source, last))
        positions.append(last)
    for element in sorted(extra, key=order.__getitem__, reverse=True):
        at = bisect.bisect_right(positions, order[element])
        rendered.insert(at, element)
        positions.insert(at, order[element])
    return rendered


def _container(sources: list[Any]) -> Any:
    """The innermost element holding 80% of the matched text, unless that is the whole page."""
    weights: dict[Any, int] = {}
    sizes = [len(_text_of(source)) for source in sources]
    for source, size in zip(sources, sizes, strict=True):
        for ancestor in source.iterancestors():
            weights[ancestor] = weights.get(ancestor, 0) + size
    total = sum(sizes)
    if not total:
        return None
    largest = sources[sizes.index(max(sizes))]
    for ancestor in largest.iterancestors():
        if weights[ancestor] >= 0.8 * total:
            return None if ancestor.tag in ("body", "html") else ancestor
    return None


def _headings(container: Any, kept: set[Any]) -> Iterator[Any]:
    """Section headings trafilatura dropped: in the article container, outside asides and
    figures, and followed by text that was kept (a widget's title is followed by the widget)."""
    for heading in container.iter("h2", "h3", "h4"):
        text = _text_of(heading)
        if not text or len(text) > 200 or _link_density(heading) > 0.5:
            continue
        ancestors = itertools.takewhile(lambda a: a is not container, heading.iterancestors())
        if not any(a.tag in _NOT_BODY for a in ancestors) and _leads_into(heading, kept):
            yield heading


def _leads_into(heading: Any, kept: set[Any]) -> bool:
    """The first text after ``heading`` (among its or its parent's siblings) was kept."""
    level = heading
    for _ in range(2):
        for sibling in level.itersiblings():
            if sibling.tag in _NOT_BODY or sibling.tag in _HEADING_TAGS:
                continue
            text = _text_of(sibling)
            if not text or _is_boilerplate(text) or _link_density(sibling) > 0.5:
                continue  # empty wrappers, ads, image credits between heading and text
            return sibling in kept or any(el in kept for el in sibling.iterdescendants())
        level = level.getparent()
        if level is None:
            break
    return False


def _sibling_chunks(container: Any) -> list[Any]:
    """Blocks of article text split into sibling containers of the same class (ads between).

    Siblings that look like articles of their own (an ``<h1>``, an ``<article>``) are skipped,
    so stacked "next story" blocks are not merged.
    """
    found: list[Any] = []
    level = container
    for _ in range(2):
        parent = level.getparent()
        css = level.get("class")
        if parent is None or level.tag in ("article", "body") or not css:
            break
        for sibling in parent:
            if sibling is level or sibling.tag != level.tag or sibling.get("class") != css:
                continue
            if sibling.find(".//h1") is not None or sibling.find(".//article") is not None:
                continue
            chunk = [el for el in _outer_blocks(sibling) if _link_density(el) < 0.5]
            if sum(len(_text_of(el)) for el in chunk) >= 200:
                found.extend(chunk)
        level = parent
    return found


def _outer_blocks(root: Any) -> Iterator[Any]:
    """Paragraph-level elements under ``root``, not descending into the ones found."""
    walker = etree.iterwalk(root, events=("start",))
    for _, el in walker:
        if el.tag in _CHUNK_TAGS:
            walker.skip_subtree()
            yield el
        elif el.tag in _NOT_BODY:
            walker.skip_subtree()


def _link_density(el: Any) -> float:
    text = len(_text_of(el)) or 1
    return sum(len(_text_of(a)) for a in el.iter("a")) / text


def _titles(meta: dict[str, str], ld: dict[str, Any], tree: Any) -> tuple[str, set[str]]:
    """The article's title, and the keys of every form of it (to drop it from the body).

    The visible ``<h1>`` wins when it agrees with a declared title (og:title, JSON-LD
    headline, ``<title>``), unless it only adds words to it ("Local News | …"); otherwise the
    first declared title is used, without a " - Site name" suffix.
    """
    h1s = [clean_line(h.text_content(), 300) for h in itertools.islice(tree.iter("h1"), 5)]
    head = tree.find(".//title")
    headline = ld.get("headline") if isinstance(ld.get("headline"), str) else ""
    declared = [meta.get("og:title"), meta.get("twitter:title"), headline]
    declared.append(head.text_content() if head is not None else "")
    declared = [_without_site(clean_line(t, 300), meta) for t in declared if t and t.strip()]
    title = ""
    for h1, name in itertools.product(filter(None, h1s), declared):
        h1_words, name_words = _words(h1), _words(name)
        common = len(h1_words & name_words)
        if common >= 0.9 * len(name_words) and len(h1_words) > len(name_words):
            title = name  # the h1 carries a section label or kicker
        elif common >= 0.75 * len(h1_words) and common >= 0.5 * len(name_words):
            title = h1
        if title:
            break
    title = title or _first(declared) or _first(h1s)
    return title, {_key(t) for t in [*h1s, *declared] if _key(t)}


def _words(text: str) -> set[str]:
    return set(_KEY.split(text.lower())) - {""}


def _without_site(title: str, meta: dict[str, str]) -> str:
    """``Headline - Site`` without the site name (known from og:site_name, or short)."""
    match = _SITE_SUFFIX.search(title)
    if not match:
        return title
    site, rest = match[1], title[: match.start()]
    short = len(site.split()) <= 3 and match[0].strip()[0] in "|-"
    known = short or _key(site) == _key(meta.get("og:site_name", ""))
    return rest if known and len(rest.split()) >= 2 else title


def extract_article(html: str | bytes, url: str = "") -> ArticleBody:
    """Extract an article page's title, author, date, Markdown body, text, headings and links."""
    html = decode_html(html[:MAX_PAGE_BYTES]) if isinstance(html, bytes) else html[:MAX_PAGE_BYTES]
    tree = _parse_page(html) if html.strip() else None
    if tree is None:
        return ArticleBody(url=url)
    meta, ld = _meta(tree), _json_ld(tree)
    page_url = url or safe_url(meta.get("og:url")) or ""
    base = base_href(tree, page_url)  # links resolve against <base href> when there is one
    title, title_keys = _titles(meta, ld, tree)
    author, published = _author(meta, ld, tree), _published(meta, ld, tree, url)
    feed_url = _feed_url(tree, base)
    # trafilatura deletes these anyway, but only after several passes over the whole tree
    etree.strip_elements(tree, *_NEVER_CONTENT, with_tail=False)
    writer = MarkdownWriter(base_url=base or None)
    for block in _blocks(tree, url, title_keys):
        writer.walk(block)
        writer.flush()
    rendered = writer.result()
    return ArticleBody(
        url=url,
        title=title,
        author=author,
        published=published,
        markdown=rendered.markdown,
        text=rendered.text,
        headings=rendered.headings,
        related=_related(html, page_url),
        feed_url=feed_url,
    )


def _related(html: str, base: str) -> tuple[RelatedLink, ...]:
    """Links found by :mod:`tui.core.related`, when that module is there."""
    try:
        from tui.core.related import find_related
    except ImportError:
        return ()
    return tuple(find_related(html, base))


def body_to_json(body: ArticleBody) -> dict[str, Any]:
    """The ``tvnews extract --json`` form of an extracted article."""
    return {
        "url": body.url,
        "title": body.title,
        "author": body.author,
        "published": body.published,
        "markdown": body.markdown,
        "text": body.text,
        "headings": list(body.headings),
        "related": [{"kind": r.kind, "label": r.label, "url": r.url} for r in body.related],
    }
