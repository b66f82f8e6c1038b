"""The page model and DOM heuristics behind :mod:`tui.core.related`.

:class:`Page` is a parsed page as a document-order token stream with navigation, menus,
footers, share/social/comment/ad widgets left out and the site header marked. The helpers
find the article body and region, the link a marker introduces, the links of the block a label
introduces and teaser cards. Work is bounded: input cut at :data:`MAX_HTML`, at most
:data:`MAX_ELEMENTS` elements walked, linear scans only (libxml2 caps nesting depth).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import lxml.html
from lxml import etree

from tui.core.sanitize import safe_url

#: Longest input looked at; the rest of a bigger page is ignored.
MAX_HTML = 3_000_000
#: Most elements walked; beyond this the page is treated as ending.
MAX_ELEMENTS = 100_000

Element = etree._Element


def wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


_DROP_TAGS = ("script", "style", "noscript", "template", "svg", "math", "iframe", "object")
_BLOCK_TAGS = wordset(
    "p div li ul ol dl dd dt td th tr table section article aside header footer main nav "
    "figure figcaption blockquote h1 h2 h3 h4 h5 h6 address caption form fieldset pre"
)
_SECTIONS = wordset("section aside article main body html nav footer")
_PAGE_PARTS = wordset("section main body html")
_NAV_TAGS = wordset("nav footer form dialog menu")
_NAV_ROLES = wordset("navigation contentinfo search menu menubar dialog")
#: Class/id words of navigation, menus, footers, share/social/comment and ad widgets.
_NAV_WORDS = wordset(
    "nav navbar navigation menu menus submenu megamenu hamburger footer breadcrumb breadcrumbs "
    "share sharing sharebar sharetools social socials comment comments disqus livefyre "
    "newsletter subscribe subscription signup login signin paywall cookie cookies consent "
    "ad ads advert adverts advertisement advertising sponsored sponsor outbrain taboola skip"
)
#: Inside an ``<article>`` a "footer" (``figure-footer``) holds credits, not site links.
_ARTICLE_FOOTER = wordset("footer")
_HEADER_WORDS = wordset("masthead topbar")
_NEVER_NAV = wordset("html body main article p a")
_WORD_SPLIT = re.compile(r"[^a-z0-9]+")

_PARSER = lxml.html.HTMLParser(
    remove_comments=True, remove_pis=True, no_network=True, recover=True, default_doctype=False
)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>", re.I)

# Token types of the document-order stream.
START, END, TEXT = 0, 1, 2


class Page:
    """A parsed page as a document-order token stream, navigation subtrees left out."""

    def __init__(self, root: Element, base_url: str) -> None:
        self.root = root
        self.base = base_href(root, base_url)
        self.page_key = url_key(base_url)
        self.tokens: list[tuple[int, Element, str]] = []
        self.span: dict[Element, tuple[int, int]] = {}
        self.in_header: set[Element] = set()
        self._urls: dict[str, str | None] = {}
        self._walk()

    def _walk(self) -> None:
        tokens, span, starts = self.tokens, self.span, {}
        limit = sum(_ptext(p) for p in self.root.iter("p")) / 2
        depth = {"header": 0, "article": 0, "main": 0}
        stack: list[str] = []
        walker = etree.iterwalk(self.root, events=("start", "end"))
        count = 0
        for event, el in walker:
            if not isinstance(el.tag, str):
                continue
            if event == "start":
                count += 1
                if count > MAX_ELEMENTS:
                    break
                kind = _kind(el, depth)
                # A class word on a wrapper holding most of the page's text is not a widget.
                if kind in ("nav", "header") and sum(_ptext(p) for p in el.iter("p")) > limit:
                    kind = ""
                stack.append(kind)
                if kind == "nav":
                    walker.skip_subtree()
                    starts[el] = -1
                    continue
                if kind:
                    depth[kind] += 1
                if depth["header"]:
                    self.in_header.add(el)
                starts[el] = len(tokens)
                tokens.append((START, el, ""))
                if el.text:
                    tokens.append((TEXT, el, el.text))
            else:
                start = starts.pop(el, -1)
                kind = stack.pop() if stack else ""
                if kind in depth:
                    depth[kind] -= 1
                if start >= 0:
                    span[el] = (start, len(tokens))
                    tokens.append((END, el, ""))
                parent = el.getparent()
                if el.tail and parent is not None:
                    tokens.append((TEXT, parent, el.tail))
        for el, start in starts.items():  # cut short by MAX_ELEMENTS
            if start >= 0:
                span[el] = (start, len(tokens))

    def url_of(self, a: Element) -> str | None:
        """The absolute http(s) URL of an anchor; None when fragment-only, same page, unsafe."""
        href = (a.get("href") or "").strip()
        if not href or href.startswith("#"):
            return None
        if href not in self._urls:
            url = safe_url(href, self.base)
            self._urls[href] = None if url is None or url_key(url) == self.page_key else url
        return self._urls[href]

    def scan(self, start: int, stop: int) -> Iterator[tuple[int, Element, str]]:
        """Tokens ``start`` to ``stop`` without copying the stream."""
        tokens = self.tokens
        for i in range(max(start, 0), min(stop, len(tokens))):
            yield tokens[i]

    def inside(self, idx: int, el: Element) -> bool:
        start, end = self.span.get(el, (1, 0))
        return start <= idx <= end

    def pos(self, el: Element) -> int:
        return self.span.get(el, (-1, -1))[0]

    def end_of(self, el: Element, height: int) -> int:
        """Token index where the ancestor ``height`` levels above ``el`` ends."""
        for _ in range(height):
            parent = el.getparent()
            if parent is None or parent not in self.span:
                break
            el = parent
        return self.span.get(el, (0, len(self.tokens)))[1]


def _kind(el: Element, depth: dict[str, int]) -> str:
    """``nav`` (skipped), ``header`` (site header), ``article``, ``main`` or ``""``."""
    tag = el.tag
    if tag in ("article", "main"):
        return tag
    in_article = depth["article"] > 0
    if tag in _NAV_TAGS:
        return "" if in_article and tag == "footer" else "nav"
    role = (el.get("role") or "").lower()
    if role in _NAV_ROLES:
        return "nav"
    words = _words(el)
    nav = words & _NAV_WORDS
    if tag not in _NEVER_NAV and nav and (not in_article or nav - _ARTICLE_FOOTER):
        return "nav"
    if tag == "header" and not in_article and not depth["main"]:
        return "header"
    return "header" if role == "banner" or words & _HEADER_WORDS else ""


# ---------------------------------------------------------------------------- small helpers


def parse_page(html: str) -> Element | None:
    """Parse a page, or a fragment (put under a ``<div data-fragment>``); None when empty."""
    if not html or not html.strip():
        return None
    html = _XML_DECL.sub("", html[:MAX_HTML], count=1)
    head = html[:2000].lower()
    try:
        if any(tag in head for tag in ("<html", "<body", "<head", "<!doctype")):
            root = lxml.html.document_fromstring(html, parser=_PARSER)
        else:
            root = lxml.html.fragment_fromstring(html, create_parent="div", parser=_PARSER)
            root.set("data-fragment", "")
    except (etree.ParserError, ValueError, TypeError):
        return None
    etree.strip_elements(root, *_DROP_TAGS, with_tail=False)
    return root


def base_href(root: Element, base_url: str) -> str:
    """The URL relative links of the page resolve against: its ``<base href>``, if any."""
    base = next(root.iter("base"), None)
    return (safe_url(base.get("href"), base_url) if base is not None else None) or base_url


def url_key(url: str) -> str:
    return url.split("#", 1)[0].rstrip("/")


def _words(el: Element) -> set[str]:
    """The words of an element's class and id (``mega-menu__item`` gives mega, menu, item)."""
    attrs = " ".join(v for v in (el.get("class"), el.get("id")) if v)
    return set(_WORD_SPLIT.split(attrs.lower())) if attrs else set()


def _ptext(p: Element) -> int:
    """Length of a paragraph's text; 0 for short ones (captions, labels)."""
    n = len(p.text_content().strip())
    return n if n >= 25 else 0


def _child(el: Element, n: int) -> Element | None:
    """The ``n``-th child, found without counting all children (``len`` walks them all)."""
    try:
        return el[n]
    except IndexError:
        return None


def _text_len(el: Element, cap: int) -> int:
    """Length of the element's text without whitespace, counting no further than ``cap``."""
    n = 0
    for piece in el.itertext():
        n += len(piece) - piece.count(" ") - piece.count("\n") - piece.count("\t")
        if n >= cap:
            return cap
    return n


def enclosing_a(el: Element | None, levels: int = 6) -> Element | None:
    for _ in range(levels):
        if el is None or el.tag == "a":
            return el
        el = el.getparent()
    return None


def block_of(el: Element) -> Element:
    while el.tag not in _BLOCK_TAGS and (parent := el.getparent()) is not None:
        el = parent
    return el


# ---------------------------------------------------------------------------- content area


def body_container(page: Page) -> tuple[Element, set[Element]]:
    """The element holding most paragraph text (a small readability-style density score).

    Also returns the paragraphs: ``<p>`` and ``<div>`` elements used as paragraphs.
    """
    scores: dict[Element, float] = {}
    paras: set[Element] = set()
    for kind, el, _ in page.tokens:
        if kind != START or el.tag not in ("p", "div") or el in page.in_header:
            continue
        if (el.tag == "div" and not _is_text_div(el)) or not (n := _ptext(el)):
            continue
        paras.add(el)
        parent = el.getparent()
        if parent is not None:
            scores[parent] = scores.get(parent, 0.0) + n
            if (grand := parent.getparent()) is not None:
                scores[grand] = scores.get(grand, 0.0) + n / 2
    body = max(scores, key=scores.__getitem__) if scores else page.root
    return body, paras


def _is_text_div(el: Element) -> bool:
    """A ``<div>`` used as a paragraph: no block children and text of its own."""
    own = len((el.text or "").strip())
    for child in el:
        if child.tag in _BLOCK_TAGS:
            return False
        own += len((child.tail or "").strip())
    return own >= 20


def article_region(body: Element) -> Element:
    """The ``<article>`` (or articleBody) around the body, else the body itself."""
    for el in body.iterancestors():
        if el.tag == "article" or "articlebody" in (el.get("itemprop") or "").lower():
            return el
    return body


# ---------------------------------------------------------------------------- link finding


def links_after(
    page: Page, k: int, stop: int, budget: int = 150, most: int = 1, line: bool = False
) -> list[Element]:
    """Up to ``most`` links after token ``k``, before ``stop``, within ``budget`` chars of text.

    With ``most=1`` the first link is taken even if unusable (``javascript:``, ``#top``): it is
    the one the marker introduces. With ``line``, stop at a ``<br>`` or a new block once a link
    is found (a source line).
    """
    found: list[Element] = []
    seen = 0
    for kind, el, text in page.scan(k + 1, stop):
        if kind == TEXT:
            seen += len(text.strip())
            if seen > budget:
                break
        elif kind != START:
            continue
        elif line and (el.tag == "br" or (el.tag in _BLOCK_TAGS and found)):
            break
        elif el.tag == "a" and el.get("href") is not None:
            if page.url_of(el):
                found.append(el)
            if len(found) >= most or most == 1:  # the one link a marker introduces
                break
    return found


def link_after(page: Page, k: int, stop: int, budget: int = 150) -> Element | None:
    found = links_after(page, k, stop, budget)
    return found[0] if found else None


def block_links(label: Element, keep: Callable[[Element], bool], wrappers: bool = True) -> list:
    """Links of the run of like siblings (cards, a list, link paragraphs) after a label.

    Climbs from the label until a level has following siblings with links, through label
    wrappers only (``<h3><span>More From</span></h3>``, ``<p><b>Related:</b></p>``) unless
    ``wrappers`` is false, never out of a section, aside or article. The run stops at prose
    or at an element of another kind than its first one.
    """
    links = [a for a in label.iter("a") if keep(a)] if label.tag != "a" else []
    size = _text_len(label, 200)
    el = label
    for _ in range(4):
        first = None
        for n, sib in enumerate(el.itersiblings()):
            if n >= 60 or len(links) >= 60:
                break
            if not isinstance(sib.tag, str):
                continue
            text = _text_len(sib, 3000)
            anchors = [a for a in sib.iter("a") if keep(a)] if text < 3000 else []
            if not anchors and (not text or (first is None and text < 100)):
                continue
            if not anchors or (first is not None and sib.tag != first):
                break
            linked = sum(_text_len(a, 3000) for a in anchors)
            if linked < 0.5 * text and text - linked > 300:
                break  # prose, not cards or a list of links
            first = sib.tag
            links.extend(anchors)
        parent = el.getparent()
        if links or el.tag in _SECTIONS or parent is None or parent.tag in _SECTIONS:
            return links
        if wrappers and _text_len(parent, size + 31) > size + 30:
            return links
        el = parent
    return links


def is_card(a: Element, url: str, page: Page) -> bool:
    """The link sits in a small block with an image, about one story: a teaser card."""
    block = a.getparent()
    for _ in range(3):
        if block is None or block.tag in _PAGE_PARTS or _child(block, 12) is not None:
            return False
        if _text_len(block, 400) >= 400:
            return False
        if block.find(".//img") is not None:
            return {page.url_of(x) for x in block.iter("a")} - {None} == {url}
        block = block.getparent()
    return False
