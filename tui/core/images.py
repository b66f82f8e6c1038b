"""An article's lead image: the first real picture of its feed HTML, with its caption."""

from __future__ import annotations

from dataclasses import dataclass

import lxml.html
from lxml import etree

from tui.core.sanitize import clean_line, safe_url, whole_number

#: Largest image body fetched for inline display.
MAX_IMAGE_BYTES = 5_000_000


@dataclass(frozen=True, slots=True)
class LeadImage:
    """Where the picture is and what it shows."""

    url: str
    caption: str


def _tiny(img: etree._Element) -> bool:
    """Tracking pixels and spacers declare a width or height of a few pixels."""
    for name in ("width", "height"):
        value = whole_number((img.get(name) or "").strip().rstrip("px"), 30)
        if value is not None and value <= 4:
            return True
    return False


def _source(img: etree._Element) -> str:
    src = img.get("src") or img.get("data-src") or ""
    if not src and (srcset := img.get("srcset")):
        src = srcset.split(",")[0].split()[0] if srcset.split() else ""
    return src


def lead_image(html: str, base_url: str) -> LeadImage | None:
    """The first http(s) image that is not a tracking pixel, else None."""
    if not html or "<img" not in html.lower():
        return None
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return None
    for img in root.iter("img"):
        url = safe_url(_source(img), base_url or None)
        if url is None or _tiny(img):
            continue
        figure = next((el for el in img.iterancestors("figure")), None)
        caption_el = figure.find(".//figcaption") if figure is not None else None
        caption = caption_el.text_content() if caption_el is not None else ""
        caption = clean_line(caption or img.get("alt") or img.get("title") or "", 300)
        return LeadImage(url, caption)
    return None
