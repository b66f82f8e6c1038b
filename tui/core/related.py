"""Find the links an article page offers its reader, on the raw page.

Extractors drop ``NEXT: …``, ``More in TV News``, ``Source: A via B`` and teaser cards as
boilerplate, so they are looked for here, on the page's own HTML (or a feed item's fragment):

* ``next``: the link a ``NEXT:`` / ``Read Next`` / ``Up Next`` / ``What to Read Next`` marker
  introduces (marker inside the ``<a>``, just before it, or as the label of a card);
* ``more``: a ``More in <section>`` link, or the section link right after such a label;
* ``source``: the links on a ``Source: A via B`` line, ``Image Source: X``, ``(Via CNN)``;
* ``related``: ``Related: …`` links, ``Related Stories`` blocks, teaser cards after the body;
* ``inline``: other links in the article's own paragraphs.

Site navigation, menus, footers, share/social/comment widgets are skipped. Work is bounded:
the input is cut at :data:`MAX_HTML` characters, libxml2 caps nesting depth, and every scan
is linear in the number of elements.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import lxml.html
from lxml import etree

from tui.core.models import RELATED_KINDS, RelatedLink
from tui.core.sanitize import clean_line, safe_url

__all__ = ["find_feed_links", "find_related", "find_section_links"]

#: Longest input looked at; the rest of a bigger page is ignored.
MAX_HTML = 3_000_000
#: Most elements walked; beyond this the page is treated as ending.
MAX_ELEMENTS = 100_000
#: Most links returned.
MAX_LINKS = 200

_PRIORITY = {kind: n for n, kind in enumerate(RELATED_KINDS)}
_DROP_TAGS = ("script", "style", "noscript", "template", "svg", "math", "iframe", "object")
_BLOCK_TAGS = frozenset(
    "p div li ul ol dl dd dt td th tr table section article aside header footer main nav "
    "figure figcaption blockquote h1 h2 h3 h4 h5 h6 address caption form fieldset pre".split()
)
_SECTIONS = frozenset("section aside article main body html nav footer".split())
_PAGE_PARTS = frozenset("section article main body html".split())
_HEADINGS = frozenset("h1 h2 h3 h4 h5 h6".split())
_INLINE_CONTAINERS = frozenset("p li blockquote dd h2 h3 h4 h5 h6".split())
_NAV_TAGS = frozenset(("nav", "footer", "form", "dialog", "menu"))
_NAV_ROLES = frozenset(("navigation", "contentinfo", "search", "menu", "menubar", "dialog"))
#: Class/id words marking navigation, menus, footers, share/social/comment and ad widgets.
_NAV_WORDS = frozenset(
    """nav navbar navigation menu menus submenu megamenu hamburger footer breadcrumb breadcrumbs
    share sharing sharebar sharetools social socials comment comments disqus livefyre
    newsletter subscribe subscription signup login signin paywall cookie cookies consent
    ad ads advert adverts advertisement advertising sponsored sponsor outbrain taboola
    skip skiplink""".split()
)
_HEADER_WORDS = frozenset(("masthead", "topbar"))
_NEVER_NAV = frozenset(("html", "body", "main", "article", "p", "a"))
_ARTICLE_FOOTER = frozenset(("footer",))
_WORD_SPLIT = re.compile(r"[^a-z0-9]+")

_NEXT_RE = re.compile(
    r"^(?P<m>(?:what to read next|read this next|read next|up next|next up|coming up next"
    r"|next story|next article|next)\b)\s*(?P<sep>[:>»›|•\-–—]*)\s*(?P<rest>.*)$",
    re.I | re.S,
)
_MORE_RE = re.compile(
    r"^(?:see |read |view |show |find )?more (?:stories |news |articles |coverage )?"
    r"(?:in|from) (?P<sec>\S.{0,60}?)\s*[.…»›>→:]*$",
    re.I | re.S,
)
_RELATED_INLINE_RE = re.compile(
    r"^(?P<m>(?:related(?: (?:story|stories|article|articles|coverage|content|reading|link|"
    r"links|news|posts?|video|videos|photos|gallery))?|see also|read more|also read|read also"
    r"|also see|more on [^:]{1,40}))"
    r"\s*:\s*(?P<rest>.*)$",
    re.I | re.S,
)
_RELATED_HEAD_RE = re.compile(
    r"^(?:read |see )?(?:other |more )?related(?: (?:stories|articles|coverage|content|posts|"
    r"reading|links|news|videos|items))?(?: (?:about|on|to) .{0,40})?\s*:?$"
    r"|^(?:see also|more on this (?:story|topic)|you might also like|you may also like)\s*:?$",
    re.I | re.S,
)
_SOURCE_RE = re.compile(
    r"(?:^|(?<=[\s(\[/|•·–—-]))(?P<m>(?:(?:image|photo|video|picture|chart|data|story|"
    r"article|original|news) )?sources?\s*:)\s*(?P<rest>.*)$",
    re.I | re.S,
)
_VIA_BEFORE_RE = re.compile(r"(?:^|[(\[/|•·–—-])\s*via\s*:?\s*$", re.I)
_MARKER_HINT = ("next", "more", "source", "related", "see also", "read", "via")

_SLUG_SEP = re.compile(r"[-_]")
_DIGITS = re.compile(r"\d{5,}")
_YEAR = re.compile(r"(?:19|20)\d\d")
_MEDIA_FILE = re.compile(r"\.(?:jpe?g|png|gif|webp|svg|mp[34]|pdf|zip)$", re.I)
_NOT_ARTICLE_SEGMENTS = frozenset(
    """tag tags author authors category categories topic topics profile profiles user users
    search login signin signup register subscribe newsletter newsletters about contact privacy
    terms cookies feed rss page video videos gallery photos""".split()
)

_PARSER = lxml.html.HTMLParser(
    remove_comments=True, remove_pis=True, no_network=True, recover=True, default_doctype=False
)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>", re.I)

# Token types of the document-order stream.
_START, _END, _TEXT = 0, 1, 2


@dataclass(slots=True)
class _Cand:
    pos: int
    kind: str
    label: str
    quality: int
    """2: the link's own text, 1: a fallback (alt, aria-label, title, marker)."""
    url: str


class _Page:
    """A parsed page as a document-order token stream, with navigation subtrees left out."""

    def __init__(self, root: etree._Element, base_url: str) -> None:
        self.root = root
        self.base = _base_href(root, base_url)
        self.page_key = _url_key(base_url)
        self.tokens: list[tuple[int, etree._Element, str]] = []
        self.span: dict[etree._Element, tuple[int, int]] = {}
        self.in_header: set[etree._Element] = set()
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
                kind = self._kind(el, depth)
                # A class word on a wrapper holding most of the page's text is not a widget.
                if kind and kind != "article" and _subtree_ptext(el) > limit:
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
                tokens.append((_START, el, ""))
                if el.text:
                    tokens.append((_TEXT, el, el.text))
            else:
                start = starts.pop(el, -1)
                kind = stack.pop() if stack else ""
                if kind in depth:
                    depth[kind] -= 1
                if start >= 0:
                    span[el] = (start, len(tokens))
                    tokens.append((_END, el, ""))
                parent = el.getparent()
                if el.tail and parent is not None:
                    tokens.append((_TEXT, parent, el.tail))
        end = len(tokens)
        for el, start in starts.items():
            if start >= 0:
                span[el] = (start, end)

    @staticmethod
    def _kind(el: etree._Element, depth: dict[str, int]) -> str:
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
        if tag not in _NEVER_NAV and words & _NAV_WORDS:
            if not in_article or words & _NAV_WORDS - _ARTICLE_FOOTER:
                return "nav"
        if tag == "header" and not in_article and not depth["main"]:
            return "header"
        if role == "banner" or words & _HEADER_WORDS:
            return "header"
        return ""

    def url_of(self, a: etree._Element) -> str | None:
        """The absolute http(s) URL of an anchor, or None (fragment-only, same page, unsafe)."""
        href = (a.get("href") or "").strip()
        if not href or href.startswith("#"):
            return None
        if href not in self._urls:
            url = safe_url(href, self.base)
            self._urls[href] = None if url is None or _url_key(url) == self.page_key else url
        return self._urls[href]

    def inside(self, idx: int, el: etree._Element | None) -> bool:
        """True when token ``idx`` lies within ``el``."""
        if el is None or el not in self.span:
            return False
        start, end = self.span[el]
        return start <= idx <= end

    def end_of(self, el: etree._Element, height: int) -> int:
        """Token index where the ancestor ``height`` levels above ``el`` ends."""
        anc = el
        for _ in range(height):
            parent = anc.getparent()
            if parent is None or parent not in self.span:
                break
            anc = parent
        return self.span.get(anc, (0, len(self.tokens)))[1]


# ---------------------------------------------------------------------------- parsing helpers


def _parse(html: str) -> etree._Element | None:
    """Parse a page or a fragment (then under a ``<div data-fragment>``); None when empty."""
    if not html or not html.strip():
        return None
    html = _XML_DECL.sub("", html[:MAX_HTML], count=1)
    head = html[:2000].lower()
    try:
        if "<html" in head or "<body" in head or "<!doctype" in head or "<head" in head:
            root = lxml.html.document_fromstring(html, parser=_PARSER)
        else:
            root = lxml.html.fragment_fromstring(html, create_parent="div", parser=_PARSER)
            root.set("data-fragment", "")
    except (etree.ParserError, ValueError, TypeError):
        return None
    etree.strip_elements(root, *_DROP_TAGS, with_tail=False)
    return root


def _base_href(root: etree._Element, base_url: str) -> str:
    for el in root.iter("base"):
        href = safe_url(el.get("href"), base_url)
        if href:
            return href
        break
    return base_url


def _url_key(url: str) -> str:
    return url.split("#", 1)[0].rstrip("/")


def _words(el: etree._Element) -> set[str]:
    attrs = " ".join(v for v in (el.get("class"), el.get("id")) if v)
    return set(_WORD_SPLIT.split(attrs.lower())) if attrs else set()


def _ptext(p: etree._Element) -> int:
    """Length of a paragraph's text, 0 for short ones (captions, labels)."""
    n = len(p.text_content().strip())
    return n if n >= 25 else 0


def _subtree_ptext(el: etree._Element) -> int:
    return sum(_ptext(p) for p in el.iter("p"))


def _text(el: etree._Element) -> str:
    return clean_line(el.text_content())


def _fallback_label(a: etree._Element) -> str:
    """img alt, aria-label or title of a link without text."""
    for img in a.iter("img"):
        alt = clean_line(img.get("alt"))
        if alt:
            return alt
    return clean_line(a.get("aria-label") or a.get("title"))


def _label(a: etree._Element) -> tuple[str, int]:
    text = _text(a)
    if text:
        return text, 2
    return _fallback_label(a), 1


def _same_site(url: str, base: str) -> bool:
    def host(u: str) -> str:
        h = urlsplit(u).hostname or ""
        return h[4:] if h.startswith("www.") else h

    return host(url) == host(base)


def _looks_like_article(url: str) -> bool:
    """A story URL: a long slug, a long number or a ``.html`` page, not a tag/author page."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if not segments or any(s.lower() in _NOT_ARTICLE_SEGMENTS for s in segments[:-1]):
        return False
    if segments[-1].lower() in _NOT_ARTICLE_SEGMENTS or _MEDIA_FILE.search(segments[-1]):
        return False
    for n, seg in enumerate(segments):
        if len(_SLUG_SEP.split(seg)) >= 4 or _DIGITS.search(seg):
            return True
        if _YEAR.fullmatch(seg) and len(segments) > n + 1 and "-" in segments[-1]:
            return True
    return segments[-1].lower().endswith((".html", ".htm", ".shtml")) or "articlelink=" in (
        parts.query
    )


def _looks_like_section(url: str) -> bool:
    segments = [s for s in urlsplit(url).path.split("/") if s]
    return len(segments) <= 3 and not _looks_like_article(url)


# ---------------------------------------------------------------------------- content area


def _body_container(page: _Page) -> tuple[etree._Element, set[etree._Element]]:
    """The element holding most paragraph text (a small readability-style density score).

    Also returns the paragraphs: ``<p>`` and text-only ``<div>`` elements.
    """
    scores: dict[etree._Element, float] = {}
    paras: set[etree._Element] = set()
    for kind, el, _ in page.tokens:
        if kind != _START or el.tag not in ("p", "div") or el in page.in_header:
            continue
        if el.tag == "div" and not _is_text_div(el):
            continue
        n = _ptext(el)
        if not n:
            continue
        paras.add(el)
        parent = el.getparent()
        if parent is None:
            continue
        scores[parent] = scores.get(parent, 0.0) + n
        grand = parent.getparent()
        if grand is not None:
            scores[grand] = scores.get(grand, 0.0) + n / 2
    if not scores:
        return page.root, paras
    return max(scores, key=scores.__getitem__), paras


def _is_text_div(el: etree._Element) -> bool:
    """A ``<div>`` used as a paragraph: no block children and text of its own."""
    own = len((el.text or "").strip())
    for child in el:
        if child.tag in _BLOCK_TAGS:
            return False
        own += len((child.tail or "").strip())
    return own >= 20


def _article_region(body: etree._Element) -> etree._Element:
    """The ``<article>`` (or articleBody) around the body, else the body itself."""
    for el in body.iterancestors():
        if el.tag == "article" or "articlebody" in (el.get("itemprop") or "").lower():
            return el
    return body


# ---------------------------------------------------------------------------- markers


def _enclosing_a(el: etree._Element, stop: int = 6) -> etree._Element | None:
    n = 0
    while el is not None and n < stop:
        if el.tag == "a":
            return el
        el = el.getparent()
        n += 1
    return None


def _block_of(el: etree._Element) -> etree._Element:
    while el is not None and el.tag not in _BLOCK_TAGS:
        parent = el.getparent()
        if parent is None:
            break
        el = parent
    return el


def _link_after(page: _Page, k: int, stop: int, budget: int = 150) -> etree._Element | None:
    """First usable link after token ``k`` and before ``stop``, within ``budget`` chars of text."""
    seen = 0
    for kind, el, text in page.tokens[k + 1 : stop]:
        if kind == _TEXT:
            seen += len(text.strip())
            if seen > budget:
                return None
        elif kind == _START and el.tag == "a" and page.url_of(el):
            return el
    return None


def _links_in_line(page: _Page, k: int, block: etree._Element) -> list[etree._Element]:
    """Links after token ``k`` up to the end of ``block`` or the next ``<br>`` (a source line)."""
    stop = page.span.get(block, (0, len(page.tokens)))[1]
    found: list[etree._Element] = []
    seen = 0
    for kind, el, text in page.tokens[k + 1 : stop]:
        if kind == _TEXT:
            seen += len(text.strip())
            if seen > 200:
                break
        elif kind == _START and el.tag == "br":
            break
        elif kind == _START and el.tag in _BLOCK_TAGS and found:
            break
        elif kind == _START and el.tag == "a" and page.url_of(el):
            found.append(el)
            if len(found) >= 4:
                break
    return found


def _block_links(
    label: etree._Element, keep: Callable[[etree._Element], bool], wrappers_only: bool = True
) -> list[etree._Element]:
    """Links of the run of like siblings (cards, list, link paragraphs) after a label.

    Climbs from the label until a level has following siblings with links, through label
    wrappers only (``<h3><span>More From</span></h3>``, ``<p><b>Related:</b></p>``) unless
    ``wrappers_only`` is false, never out of a section, aside or article. The run stops at
    prose or at an element of another kind than its first one.
    """
    inner = [a for a in label.iter("a") if keep(a)] if label.tag != "a" else []
    size = len(_squash(label.text_content()))
    el = label
    for _ in range(4):
        links: list[etree._Element] = inner
        first = None
        for sib in el.itersiblings():
            if not isinstance(sib.tag, str):
                continue
            anchors = [a for a in sib.iter("a") if keep(a)]
            text = _squash(sib.text_content())
            if not anchors and (not text or first is None and len(text) < 100):
                continue
            if not anchors or (first is not None and sib.tag != first):
                break
            first = sib.tag
            if not _link_block(sib, anchors, text):
                break
            links.extend(anchors)
            if len(links) >= 60:
                break
        if links or el.tag in _SECTIONS:
            return links
        inner = []
        parent = el.getparent()
        if parent is None or parent.tag in _SECTIONS:
            break
        if wrappers_only and len(_squash(parent.text_content())) > size + 30:
            break
        el = parent
    return []


def _link_block(el: etree._Element, anchors: list[etree._Element], text: str) -> bool:
    """Mostly links: a card, a list of links, a paragraph that is one link."""
    linked = sum(len(_squash(a.text_content())) for a in anchors)
    return linked >= 0.5 * len(text) or len(text) - linked <= 300


def _squash(text: str) -> str:
    return " ".join(text.split())


def _is_card(a: etree._Element, url: str, page: _Page) -> bool:
    """The link sits in a small block with an image, about one story: a teaser card."""
    block = a.getparent()
    for _ in range(3):
        if block is None or block.tag in _PAGE_PARTS or len(_squash(block.text_content())) > 400:
            return False
        if block.find(".//img") is not None:
            return {page.url_of(x) for x in block.iter("a")} - {None} == {url}
        block = block.getparent()
    return False


def _strip_marker(a: etree._Element, regex: re.Pattern[str], marker: str) -> str:
    """The link's text without its marker (``NEXT: Title`` or ``Title Next Article``)."""
    text = _text(a)
    m = regex.match(text)
    if m:
        return clean_line(m.group("rest"))
    return text.replace(marker, " ", 1).strip(" :>»›|•-–—")


def _label_from_twin(page: _Page, a: etree._Element, url: str, k: int) -> str:
    """Text of another link to the same URL close after token ``k`` (a card's title)."""
    for kind, el, _ in page.tokens[k + 1 : k + 80]:
        if kind == _START and el.tag == "a" and el is not a and page.url_of(el) == url:
            text = _text(el)
            if text and not _NEXT_RE.match(text):
                return text
    return ""


class _Finder:
    def __init__(self, page: _Page) -> None:
        self.page = page
        self.cands: list[_Cand] = []
        self.body, self.paras = _body_container(page)
        fragment = page.root.get("data-fragment") is not None
        self.region = page.root if fragment else _article_region(self.body)
        self.heads: set[etree._Element] = set()

    def add(self, pos: int, kind: str, a: etree._Element, label: str = "", q: int = 0) -> None:
        url = self.page.url_of(a)
        if url is None:
            return
        if not label:
            label, q = _label(a)
        self.cands.append(_Cand(pos, kind, label, q, url))

    def pos_of(self, a: etree._Element) -> int:
        return self.page.span.get(a, (0, 0))[0]

    def run(self) -> list[RelatedLink]:
        tokens = self.page.tokens
        for k, (kind, el, text) in enumerate(tokens):
            if kind == _TEXT:
                low = text.lower()
                if any(h in low for h in _MARKER_HINT):
                    self.marker(k, el, text)
            elif kind == _START and el.tag == "a":
                self.anchor_attrs(k, el)
        self.teasers()
        self.inline()
        return _merge(self.cands)

    # -- markers in text

    def marker(self, k: int, owner: etree._Element, text: str) -> None:
        stripped = clean_line(text)
        if not stripped or self.classify(k, owner, stripped):
            return
        # A heading split over elements: <h3><span>More From</span> <span>Recode</span></h3>.
        head = owner if owner.tag in _HEADINGS else owner.getparent()
        if head is not None and head.tag in _HEADINGS and head not in self.heads:
            self.heads.add(head)
            full = clean_line(head.text_content())
            if full != stripped and len(full) <= 80:
                self.classify(k, owner, full)

    def classify(self, k: int, owner: etree._Element, text: str) -> bool:
        """Act on a marker in ``text``; False when it holds none."""
        if len(text) <= 300 and (m := _NEXT_RE.match(text)):
            bare = m.group("m").lower() == "next" and ":" not in m.group("sep")
            if not bare and (not m.group("rest") or m.group("sep")):
                self.next_marker(k, owner)
                return True
        if len(text) <= 80 and _MORE_RE.match(text):
            self.more_marker(k, owner)
            return True
        if len(text) <= 300 and (m := _RELATED_INLINE_RE.match(text)):
            self.related_inline(k, owner, bool(m.group("rest")))
            return True
        if len(text) <= 80 and _RELATED_HEAD_RE.match(text):
            if _enclosing_a(owner) is None:
                self.related_block(k, owner)
            return True
        if "source" in text.lower() and self.page.inside(k, self.region):
            m = _SOURCE_RE.search(text)
            if m and len(m.group("rest")) <= 150:
                self.source_marker(k, owner, m)
                return True
        return False

    def next_marker(self, k: int, owner: etree._Element) -> None:
        a = _enclosing_a(owner)
        if a is not None:
            url = self.page.url_of(a)
            if url is None:
                return
            label = _strip_marker(a, _NEXT_RE, clean_line(owner.text))
            q = 2
            if not label or _NEXT_RE.fullmatch(label):
                label = _fallback_label(a) or _label_from_twin(self.page, a, url, k)
                q = 1
            self.add(self.pos_of(a), "next", a, label or _text(a), q)
            return
        a = _link_after(self.page, k, self.page.end_of(owner, 3))
        if a is not None:
            self.add(self.pos_of(a), "next", a)

    def more_marker(self, k: int, owner: etree._Element) -> None:
        a = _enclosing_a(owner)
        if a is not None:
            self.add(self.pos_of(a), "more", a, _text(a), 2)
            return
        a = _link_after(self.page, k, self.page.end_of(owner, 3), budget=60)
        if a is not None and _looks_like_section(self.page.url_of(a) or ""):
            self.add(self.pos_of(a), "more", a)
        else:
            self.related_block(k, owner)

    def related_inline(self, k: int, owner: etree._Element, rest: bool) -> None:
        a = _enclosing_a(owner)
        if a is not None:
            label = _strip_marker(a, _RELATED_INLINE_RE, clean_line(owner.text))
            self.add(self.pos_of(a), "related", a, label, 2 if label else 0)
            return
        a = _link_after(self.page, k, self.page.end_of(owner, 1), budget=0 if rest else 40)
        if a is not None:
            self.add(self.pos_of(a), "related", a)
        elif not rest:
            self.related_block(k, owner)

    def related_block(self, k: int, owner: etree._Element) -> None:
        """Story links in the block a ``Related Stories`` / ``More in X`` label introduces."""
        count = 0
        span = self.page.span
        for a in _block_links(owner, lambda a: a in span and span[a][0] > k):
            url = self.page.url_of(a)
            if url and _looks_like_article(url) and not _MORE_RE.match(_text(a)):
                self.add(self.pos_of(a), "related", a)
                count += 1
                if count >= 25:
                    break

    def source_marker(self, k: int, owner: etree._Element, m: re.Match[str]) -> None:
        a = _enclosing_a(owner)
        if a is not None:
            rest = clean_line(m.group("rest"))
            if rest and len(rest) <= 40:
                self.add(self.pos_of(a), "source", a, rest, 2)
            return
        for a in _links_in_line(self.page, k, _block_of(owner)):
            self.add(self.pos_of(a), "source", a)

    # -- markers on the anchor itself

    def anchor_attrs(self, k: int, a: etree._Element) -> None:
        text = _text(a)
        label = text or clean_line(a.get("aria-label") or a.get("title"))
        if len(label) <= 80 and _MORE_RE.match(label):
            self.add(k, "more", a, label, 2 if text else 1)
            return
        if not self.page.inside(k, self.region):
            return
        prev = self.page.tokens[k - 1] if k else None
        if prev and prev[0] == _TEXT and _VIA_BEFORE_RE.search(prev[2][-40:]):
            self.add(k, "source", a)

    # -- structure

    def teasers(self) -> None:
        """Story cards in the article outside its paragraphs (``That '70s Show Theory: …``).

        Cards inside the body (a title link next to an image link to the same story), and
        the story links of the run of link blocks right after the body.
        """
        page, region, body = self.page, self.region, self.body
        if region not in page.span or body not in page.span:
            return
        start, stop = page.span[body]
        inside = [el for kind, el, _ in page.tokens[start:stop] if kind == _START and el.tag == "a"]
        after = _block_links(
            body, lambda a: page.inside(page.span.get(a, (-1,))[0], region), wrappers_only=False
        )
        count = 0
        for a in (*inside, *after):
            url = page.url_of(a)
            if not url or a in page.in_header or not _looks_like_article(url):
                continue
            if not _same_site(url, page.base) or self.in_paragraph(a, region):
                continue
            label, q = _label(a)
            if len(label.split()) < 3 or self.in_rail(a, region):
                continue
            if a in inside and (q < 2 or not _is_card(a, url, page)):
                continue
            self.add(self.pos_of(a), "related", a, label, q)
            count += 1
            if count >= 12:
                break

    def inline(self) -> None:
        page, body = self.page, self.body
        if body not in page.span:
            return
        start, stop = page.span[body]
        for kind, el, _ in page.tokens[start:stop]:
            if kind == _START and el.tag == "a" and el not in page.in_header:
                if self.in_paragraph(el, body):
                    self.add(self.pos_of(el), "inline", el)

    def in_rail(self, a: etree._Element, stop: etree._Element) -> bool:
        """Inside an ``<aside>`` listing several stories (a rail, not a one-story inset)."""
        for el in a.iterancestors():
            if el is stop:
                return False
            if el.tag == "aside":
                urls = {self.page.url_of(x) for x in el.iter("a")} - {None}
                return len(urls) > 2
        return False

    def in_paragraph(self, a: etree._Element, stop: etree._Element) -> bool:
        for el in a.iterancestors():
            if el.tag in _INLINE_CONTAINERS or el in self.paras:
                return True
            if el is stop:
                return False
        return False


def _merge(cands: list[_Cand]) -> list[RelatedLink]:
    """One link per URL: the most specific kind wins, the best label is kept, page order."""
    best: dict[str, _Cand] = {}
    for c in cands:
        if not c.label:
            continue
        key = _url_key(c.url)
        old = best.get(key)
        if old is None:
            best[key] = c
            continue
        winner = c if _PRIORITY[c.kind] < _PRIORITY[old.kind] else old
        other = old if winner is c else c
        if other.quality > winner.quality and winner.kind == other.kind:
            winner = _Cand(winner.pos, winner.kind, other.label, other.quality, winner.url)
        best[key] = winner
    ordered = sorted(best.values(), key=lambda c: c.pos)[:MAX_LINKS]
    return [RelatedLink(c.kind, c.label, c.url) for c in ordered]


# ---------------------------------------------------------------------------- public API


def find_related(html: str, base_url: str) -> list[RelatedLink]:
    """Links the page (or feed-content fragment) offers its reader, in page order."""
    root = _parse(html)
    if root is None:
        return []
    return _Finder(_Page(root, base_url)).run()


def find_section_links(html: str, base_url: str) -> list[RelatedLink]:
    """Story links listed on a section page (kind ``related``), nav/header/footer left out."""
    root = _parse(html)
    if root is None:
        return []
    page = _Page(root, base_url)
    cands: list[_Cand] = []
    for k, (kind, el, _) in enumerate(page.tokens):
        if kind != _START or el.tag != "a" or el in page.in_header:
            continue
        if any(p.tag == "aside" for p in el.iterancestors()):
            continue
        url = page.url_of(el)
        if not url or not _looks_like_article(url) or not _same_site(url, page.base):
            continue
        label, q = _label(el)
        if label and (q == 1 or len(label.split()) >= 2):
            cands.append(_Cand(k, "related", label, q, url))
    return _merge(cands)


_FEED_TYPES = frozenset(
    ("application/rss+xml", "application/atom+xml", "application/feed+json", "application/json")
)


def find_feed_links(html: str, base_url: str) -> list[str]:
    """``<link rel="alternate">`` feed URLs (RSS, Atom, JSON Feed), absolute http(s), deduped."""
    root = _parse(html)
    if root is None:
        return []
    base = _base_href(root, base_url)
    found: list[str] = []
    for el in root.iter("link"):
        rel = (el.get("rel") or "").lower().split()
        kind = (el.get("type") or "").lower().split(";")[0].strip()
        if "alternate" not in rel or kind not in _FEED_TYPES:
            continue
        if kind == "application/json" and "feed" not in (el.get("title") or "").lower():
            continue
        url = safe_url(el.get("href"), base)
        if url and url not in found:
            found.append(url)
    return found
