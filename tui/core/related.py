"""Find the links an article page (or a feed item's HTML fragment) offers its reader.

Extractors drop these as boilerplate, so they are looked for in the raw HTML: ``next``
(``NEXT:``, ``Read Next``, ``Up Next``…), ``more`` (``More in TV News``), ``source``
(``Source: A via B``, ``(Via CNN)``), ``related`` (``Related:``, ``Related Stories`` blocks,
teaser cards) and ``inline`` (other links in the article's paragraphs). Navigation, headers,
footers, share/social/comment/ad widgets are skipped. Work is bounded: input cut at
:data:`MAX_HTML`, at most :data:`MAX_ELEMENTS` elements and :data:`MAX_MARKERS` markers,
linear scans only (libxml2 caps nesting depth).

This module holds the flow (which marker means which link, merging) and the public API; the
page model and DOM heuristics are in :mod:`tui.core.related_dom`, the marker patterns, link
labels and story-URL rules in :mod:`tui.core.related_markers`.
"""

from __future__ import annotations

from dataclasses import dataclass

from tui.core.models import RELATED_KINDS, RelatedLink
from tui.core.related_dom import MAX_ELEMENTS as MAX_ELEMENTS  # limits stay importable here
from tui.core.related_dom import MAX_HTML as MAX_HTML
from tui.core.related_dom import (
    START,
    TEXT,
    Element,
    Page,
    article_region,
    base_href,
    block_links,
    block_of,
    body_container,
    enclosing_a,
    is_card,
    link_after,
    links_after,
    parse_page,
    url_key,
    wordset,
)
from tui.core.related_markers import (
    MARKER_HINTS,
    MORE_RE,
    NEXT_RE,
    RELATED_HEAD_RE,
    RELATED_INLINE_RE,
    SOURCE_RE,
    VIA_BEFORE_RE,
    fallback_label,
    label_of,
    looks_like_story,
    same_site,
    strip_marker,
    text_of,
)
from tui.core.sanitize import clean_line, safe_url

__all__ = ["find_feed_links", "find_related", "find_section_links"]

#: Most marker-looking texts examined per page.
MAX_MARKERS = 300
#: Most links returned.
MAX_LINKS = 200

_PRIORITY = {kind: n for n, kind in enumerate(RELATED_KINDS)}
_HEADINGS = wordset("h1 h2 h3 h4 h5 h6")
_INLINE_CONTAINERS = wordset("p li blockquote dd h2 h3 h4 h5 h6")
_FEED_TYPES = wordset(
    "application/rss+xml application/atom+xml application/feed+json application/json"
)


@dataclass(slots=True)
class _Cand:
    pos: int
    kind: str
    label: str
    quality: int
    """2: the link's own text, 1: a fallback (alt, aria-label, title)."""
    url: str


def _title_of_twin(page: Page, a: Element, url: str, k: int) -> str:
    """Text of another link to the same URL just after token ``k`` (a card's title)."""
    for kind, el, _ in page.scan(k + 1, k + 80):
        if kind == START and el.tag == "a" and el is not a and page.url_of(el) == url:
            text = text_of(el)
            if text and not NEXT_RE.match(text):
                return text
    return ""


class _Finder:
    """Collects candidate links of one page; :func:`_merge` makes the final list."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.cands: list[_Cand] = []
        self.body, self.paras = body_container(page)
        fragment = page.root.get("data-fragment") is not None
        self.region = page.root if fragment else article_region(self.body)
        self.heads: set[Element] = set()
        self.rails: dict[Element, bool] = {}

    def add(self, kind: str, a: Element, label: str = "", quality: int = 2) -> None:
        url = self.page.url_of(a)
        if url is not None:
            if not label:
                label, quality = label_of(a)
            self.cands.append(_Cand(self.page.pos(a), kind, label, quality, url))

    def run(self) -> list[RelatedLink]:
        markers = 0
        for k, (kind, el, text) in enumerate(self.page.tokens):
            if kind == TEXT and markers < MAX_MARKERS:
                low = text.lower()
                if any(hint in low for hint in MARKER_HINTS):
                    markers += 1
                    self.marker(k, el, text)
            elif kind == START and el.tag == "a":
                self.anchor(k, el)
        self.teasers()
        self.inline()
        return _merge(self.cands)

    # -- markers in text

    def marker(self, k: int, owner: Element, text: str) -> None:
        line = clean_line(text)
        if not line or self.classify(k, owner, line):
            return
        # A heading split over elements: <h3><span>More From</span> <span>Recode</span></h3>.
        head = owner if owner.tag in _HEADINGS else owner.getparent()
        if head is not None and head.tag in _HEADINGS and head not in self.heads:
            self.heads.add(head)
            full = text_of(head)
            if full != line and len(full) <= 80:
                self.classify(k, owner, full)

    def classify(self, k: int, owner: Element, text: str) -> bool:
        """Act on a marker at the start of ``text``; False when there is none."""
        if len(text) <= 300 and (m := NEXT_RE.match(text)):
            bare = m.group("m").lower() == "next" and ":" not in m.group("sep")
            if not bare and (not m.group("rest") or m.group("sep")):
                self.next_marker(k, owner, text)
                return True
        if len(text) <= 80 and MORE_RE.match(text):
            self.more_marker(k, owner, text)
            return True
        if len(text) <= 300 and (m := RELATED_INLINE_RE.match(text)):
            self.related_inline(k, owner, text, bool(m.group("rest")))
            return True
        if len(text) <= 80 and RELATED_HEAD_RE.match(text):
            if enclosing_a(owner) is None:
                self.related_block(k, owner)
            return True
        if "source" in text.lower() and self.page.inside(k, self.region):
            m = SOURCE_RE.search(text)
            if m and len(m.group("rest")) <= 150:
                self.source_marker(k, owner, m.group("rest"))
                return True
        return False

    def next_marker(self, k: int, owner: Element, text: str) -> None:
        """``NEXT: <a>Title</a>``, ``<a>NEXT: Title</a>``, ``Read Next`` over a card."""
        a = enclosing_a(owner)
        if a is None:
            if (a := link_after(self.page, k, self.page.end_of(owner, 3))) is not None:
                self.add("next", a)
            return
        if (url := self.page.url_of(a)) is None:
            return
        label, quality = strip_marker(a, NEXT_RE, text), 2
        if not label or NEXT_RE.fullmatch(label):  # "Read Next" is all the link says
            label = fallback_label(a) or _title_of_twin(self.page, a, url, k) or text_of(a)
            quality = 1
        self.add("next", a, label, quality)

    def more_marker(self, k: int, owner: Element, text: str) -> None:
        """``More in TV News``: the link itself, the section link after it, else its cards."""
        a = enclosing_a(owner)
        if a is None:
            a = link_after(self.page, k, self.page.end_of(owner, 3), budget=60)
            if a is None or looks_like_story(self.page.url_of(a) or ""):
                self.related_block(k, owner)
                return
        self.add("more", a, text)

    def related_inline(self, k: int, owner: Element, text: str, rest: bool) -> None:
        a = enclosing_a(owner)
        if a is not None:
            self.add("related", a, strip_marker(a, RELATED_INLINE_RE, text))
        elif (
            a := link_after(self.page, k, self.page.end_of(owner, 1), 0 if rest else 40)
        ) is not None:
            self.add("related", a)
        elif not rest:
            self.related_block(k, owner)

    def related_block(self, k: int, owner: Element) -> None:
        """Story links in the block a ``Related Stories`` / ``More in X`` label introduces."""
        span, count = self.page.span, 0
        for a in block_links(owner, lambda a: span.get(a, (-1,))[0] > k):
            url = self.page.url_of(a)
            if url and looks_like_story(url) and not MORE_RE.match(text_of(a)):
                self.add("related", a)
                count += 1
                if count >= 25:
                    break

    def source_marker(self, k: int, owner: Element, rest: str) -> None:
        a = enclosing_a(owner)
        if a is None:
            stop = self.page.span.get(block_of(owner), (0, 0))[1]
            for a in links_after(self.page, k, stop, budget=200, most=4, line=True):
                self.add("source", a)
        elif 0 < len(rest := clean_line(rest)) <= 40:  # <a>Source: Riivka</a>, not a headline
            self.add("source", a, rest)

    def anchor(self, k: int, a: Element) -> None:
        """Markers on the link itself: ``<a>More in <b>TV News</b></a>``, ``(via <a>CNN</a>)``."""
        text = text_of(a)
        label = text or clean_line(a.get("aria-label") or a.get("title"))
        if len(label) <= 80 and MORE_RE.match(label):
            self.add("more", a, label, 2 if text else 1)
        elif self.page.inside(k, self.region):
            kind, _, before = self.page.tokens[k - 1] if k else (START, a, "")
            if kind == TEXT and VIA_BEFORE_RE.search(before[-40:]):
                self.add("source", a)

    # -- structure

    def teasers(self) -> None:
        """Story cards in the article outside its paragraphs (``That '70s Show Theory: …``).

        Cards inside the body (a title link in a small block with an image), and the story
        links of the run of link blocks right after the body.
        """
        page, region, body = self.page, self.region, self.body
        if region not in page.span or body not in page.span:
            return
        inside = [el for kind, el, _ in page.scan(*page.span[body]) if kind == START]
        inside = [el for el in inside if el.tag == "a"][: MAX_LINKS * 2]
        in_body = set(inside)
        after = block_links(body, lambda a: page.inside(page.pos(a), region), wrappers=False)
        count = 0
        for a in (*inside, *after):
            if a in page.in_header or self.in_paragraph(a, region):
                continue
            url = page.url_of(a)
            if not url or not looks_like_story(url) or not same_site(url, page.base):
                continue
            label, quality = label_of(a)
            if len(label.split()) < 3 or self.in_rail(a, region):
                continue
            if a in in_body and (quality < 2 or not is_card(a, url, page)):
                continue
            self.add("related", a, label, quality)
            count += 1
            if count >= 12:
                break

    def inline(self) -> None:
        page, body = self.page, self.body
        count = 0
        for kind, el, _ in page.scan(*page.span.get(body, (0, -1))):
            if kind != START or el.tag != "a" or el in page.in_header:
                continue
            if self.in_paragraph(el, body):
                self.add("inline", el)
                count += 1
                if count >= MAX_LINKS:
                    break

    def in_rail(self, a: Element, stop: Element) -> bool:
        """Inside an ``<aside>`` listing several stories (a rail, not a one-story inset)."""
        for el in a.iterancestors():
            if el is stop:
                return False
            if el.tag == "aside":
                if el not in self.rails:
                    urls = {self.page.url_of(x) for x in el.iter("a")} - {None}
                    self.rails[el] = len(urls) > 2
                return self.rails[el]
        return False

    def in_paragraph(self, a: Element, stop: Element) -> bool:
        for el in a.iterancestors():
            if el.tag in _INLINE_CONTAINERS or el in self.paras:
                return True
            if el is stop:
                return False
        return False


def _merge(cands: list[_Cand]) -> list[RelatedLink]:
    """One link per URL: the most specific kind wins, the best label is kept; page order."""
    best: dict[str, _Cand] = {}
    for c in cands:
        old = best.setdefault(url_key(c.url), c) if c.label else c
        if old is c:
            continue
        winner, other = (c, old) if _PRIORITY[c.kind] < _PRIORITY[old.kind] else (old, c)
        if other.kind == winner.kind and other.quality > winner.quality:
            winner = _Cand(winner.pos, winner.kind, other.label, other.quality, winner.url)
        best[url_key(c.url)] = winner
    ordered = sorted(best.values(), key=lambda c: c.pos)[:MAX_LINKS]
    return [RelatedLink(c.kind, c.label, c.url) for c in ordered]


# ---------------------------------------------------------------------------- public API


def find_related(html: str, base_url: str) -> list[RelatedLink]:
    """Links a page (or a feed item's content fragment) offers its reader, in page order."""
    root = parse_page(html)
    if root is None:
        return []
    return _Finder(Page(root, base_url)).run()


def find_section_links(html: str, base_url: str) -> list[RelatedLink]:
    """Story links listed on a section page (kind ``related``), in page order, deduplicated.

    Links in navigation, the site header, footers and asides are left out.
    """
    root = parse_page(html)
    if root is None:
        return []
    page = Page(root, base_url)
    cands: list[_Cand] = []
    for k, (kind, el, _) in enumerate(page.tokens):
        if kind != START or el.tag != "a" or el in page.in_header:
            continue
        url = page.url_of(el)
        if not url or not looks_like_story(url) or not same_site(url, page.base):
            continue
        if any(p.tag == "aside" for p in el.iterancestors()):
            continue
        label, quality = label_of(el)
        if label and (quality == 1 or len(label.split()) >= 2):
            cands.append(_Cand(k, "related", label, quality, url))
            if len(cands) >= MAX_LINKS * 2:
                break
    return _merge(cands)


def find_feed_links(html: str, base_url: str) -> list[str]:
    """``<link rel="alternate">`` feed URLs (RSS, Atom, JSON Feed), absolute http(s), deduped."""
    root = parse_page(html)
    if root is None:
        return []
    base = base_href(root, base_url)
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
