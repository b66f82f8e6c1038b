"""What the text and URLs of links say, for :mod:`tui.core.related`.

The marker patterns (``NEXT:``, ``Read Next``, ``More in X``, ``Related:``, ``Related
Stories``, ``Source:``, ``via``), the label of a link (its text, else an image's alt, its
aria-label or title) and the shape of a story URL (a long slug, a long number, a dated path).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

from tui.core.related_dom import Element, wordset
from tui.core.sanitize import clean_line

NEXT_RE = re.compile(
    r"^(?P<m>(?:what to read next|read this next|read next|up next|next up|coming up next"
    r"|next story|next article|next)\b)\s*(?P<sep>[:>»›|•\-–—]*)\s*(?P<rest>.*)$",
    re.I | re.S,
)
MORE_RE = re.compile(
    r"^(?:see |read |view |show |find )?more (?:stories |news |articles |coverage )?"
    r"(?:in|from) \S.{0,60}?\s*[.…»›>→:]*$",
    re.I | re.S,
)
RELATED_INLINE_RE = re.compile(
    r"^(?:related(?: (?:story|stories|article|articles|coverage|content|reading|link|links|news"
    r"|posts?|videos?|photos|gallery))?|see also|read more|also read|read also|also see"
    r"|more on [^:]{1,40})\s*:\s*(?P<rest>.*)$",
    re.I | re.S,
)
RELATED_HEAD_RE = re.compile(
    r"^(?:read |see )?(?:other |more )?related(?: (?:stories|articles|coverage|content|posts"
    r"|reading|links|news|videos|items))?(?: (?:about|on|to) .{0,40})?\s*:?$"
    r"|^(?:see also|more on this (?:story|topic)|you might also like|you may also like)\s*:?$",
    re.I | re.S,
)
SOURCE_RE = re.compile(
    r"(?:^|(?<=[\s(\[/|•·–—-]))(?:(?:image|photo|video|picture|chart|data|story|article"
    r"|original|news) )?sources?\s*:\s*(?P<rest>.*)$",
    re.I | re.S,
)
VIA_BEFORE_RE = re.compile(r"(?:^|[(\[/|•·–—-])\s*via\s*:?\s*$", re.I)
MARKER_HINTS = ("next", "more", "source", "related", "see also", "read", "via")

_SLUG_SEP = re.compile(r"[-_]")
_DIGITS = re.compile(r"\d{5,}")
_YEAR = re.compile(r"(?:19|20)\d\d")
_MEDIA_FILE = re.compile(r"\.(?:jpe?g|png|gif|webp|svg|mp[34]|pdf|zip)$", re.I)
_NOT_STORY = wordset(
    "tag tags author authors category categories topic topics profile profiles user users "
    "search login signin signup register subscribe newsletter newsletters about contact "
    "privacy terms cookies feed rss page video videos gallery photos"
)


# ---------------------------------------------------------------------------- labels


def text_of(el: Element) -> str:
    return clean_line(el.text_content())


def fallback_label(a: Element) -> str:
    """img alt, aria-label or title of a link without text."""
    for img in a.iter("img"):
        if alt := clean_line(img.get("alt")):
            return alt
    return clean_line(a.get("aria-label") or a.get("title"))


def label_of(a: Element) -> tuple[str, int]:
    text = text_of(a)
    return (text, 2) if text else (fallback_label(a), 1)


def strip_marker(a: Element, regex: re.Pattern[str], marker: str) -> str:
    """The link's text without its marker (``NEXT: Title`` or ``Title Next Article``)."""
    text = text_of(a)
    if m := regex.match(text):
        return clean_line(m.group("rest"))
    return text.replace(marker, " ", 1).strip(" :>»›|•-–—")


# ---------------------------------------------------------------------------- story URLs


def same_site(url: str, base: str) -> bool:
    def host(u: str) -> str:
        h = urlsplit(u).hostname or ""
        return h.removeprefix("www.")

    return host(url) == host(base)


def looks_like_story(url: str, redirect: bool = True) -> bool:
    """A story URL: a long slug, a long number, a dated path or ``.html``; no tag/author page."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if not segments or any(s.lower() in _NOT_STORY for s in segments):
        return False
    if _MEDIA_FILE.search(segments[-1]):
        return False
    for n, seg in enumerate(segments):
        if len(_SLUG_SEP.split(seg)) >= 4 or _DIGITS.search(seg):
            return True
        if _YEAR.fullmatch(seg) and len(segments) > n + 1 and "-" in segments[-1]:
            return True
    if segments[-1].lower().endswith((".html", ".htm", ".shtml")):
        return True
    # A tracking redirect carrying the story's URL: /rec/click.cfm?u=https://site/story-slug
    return redirect and any(
        value.startswith(("http://", "https://")) and looks_like_story(value, redirect=False)
        for _, value in parse_qsl(parts.query[:2000])
    )
