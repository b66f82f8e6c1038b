"""Generate realistic RSS 2.0 feeds for the benchmarks, deterministically.

Each item looks like a news site's: title, link, guid, pubDate, dc:creator, categories,
a plain-text description and a ``content:encoded`` HTML body with paragraphs, emphasis
and links; about 1.8 KB per item, so a 50-item feed is ~92 KB. Words follow a Zipf-like
distribution over a fixed vocabulary, so full-text search sees common and rare terms.

A *generation* number shifts the items: generation 2 of a feed has entirely new items
(new GUIDs and text), which is how the bench makes a refresh do real work while the
app already holds 100k articles.
"""

from __future__ import annotations

import random
from email.utils import formatdate
from html import escape
from itertools import accumulate

COMMON = (  # noqa: SIM905
    "the of and to in a is that for it as was with be by on not he this are or his from at "
    "which but have an they you were her she there been one all we their has would when if "
    "so no will more out up into do any your what can about new season show series episode "
    "film star cast fans finale premiere netflix network drama comedy news report week year "
    "director writer studio streaming trailer review interview story character first last "
    "television ratings renewed cancelled returns spinoff reboot producer actor actress"
).split()
SYLLABLES = (  # noqa: SIM905
    "ka lo mi ra ven tor sel ban dri phe qua lin mor zet cal vin ost pra lum ger "
    "nix tal bor shen dev hap kri sor wel yan fum tre gol pix bre non sta vel jor"
).split()
VOCABULARY_SIZE = 6000
ITEM_BYTES = 1780
"""Target size of one ``<item>`` (50 items ≈ 92 KB)."""
EPOCH = 1_760_000_000
"""Newest item date of generation 1 (a fixed time, so runs repeat exactly)."""


def _vocabulary() -> tuple[list[str], list[float]]:
    rng = random.Random(7)
    words = list(COMMON)
    seen = set(words)
    while len(words) < VOCABULARY_SIZE:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    weights = [1.0 / (rank + 8) for rank in range(len(words))]
    return words, list(accumulate(weights))


WORDS, CUMULATIVE = _vocabulary()


def _words(rng: random.Random, count: int) -> list[str]:
    return rng.choices(WORDS, cum_weights=CUMULATIVE, k=count)


def _sentence(rng: random.Random, count: int) -> str:
    words = _words(rng, count)
    return " ".join(words).capitalize() + "."


def _paragraph(rng: random.Random, base: str, budget: int) -> str:
    parts: list[str] = []
    size = 0
    while size < budget:
        sentence = escape(_sentence(rng, rng.randint(8, 18)))
        roll = rng.random()
        if roll < 0.15:
            word = escape(rng.choice(WORDS))
            sentence = sentence.replace(f" {word} ", f" <em>{word}</em> ", 1)
        elif roll < 0.3:
            slug = "-".join(_words(rng, 3))
            sentence += f' <a href="{base}/story/{slug}">{escape(" ".join(_words(rng, 3)))}</a>.'
        parts.append(sentence)
        size += len(sentence) + 1
    return "<p>" + " ".join(parts) + "</p>"


def item_xml(base: str, feed: int, number: int, generation: int = 1) -> str:
    """One ``<item>``; ``number`` 0 is the newest."""
    rng = random.Random(f"{feed}/{number}/{generation}")
    title = " ".join(_words(rng, rng.randint(6, 11))).capitalize()
    slug = f"g{generation}-f{feed}-i{number}"
    link = f"{base}/articles/{slug}"
    published = EPOCH + (generation - 1) * 86400 - number * 1800 - feed * 7
    author = " ".join(w.capitalize() for w in _words(rng, 2))
    summary = escape(_sentence(rng, rng.randint(25, 40)))
    head = (
        f"<item><title>{escape(title)}</title><link>{link}</link>"
        f'<guid isPermaLink="true">{link}</guid>'
        f"<pubDate>{formatdate(published, usegmt=True)}</pubDate>"
        f"<dc:creator>{escape(author)}</dc:creator>"
        f"<category>{escape(rng.choice(WORDS[:60]))}</category>"
        f"<description>{summary}</description><content:encoded><![CDATA["
    )
    tail = "]]></content:encoded></item>\n"
    budget = ITEM_BYTES - len(head) - len(tail)
    paragraphs: list[str] = []
    used = 0
    while used < budget - 40:
        paragraph = _paragraph(rng, base, min(rng.randint(250, 450), budget - used - 7))
        paragraphs.append(paragraph)
        used += len(paragraph)
    return head + "".join(paragraphs) + tail


def feed_xml(base: str, feed: int, items: int, generation: int = 1) -> bytes:
    """A whole RSS 2.0 document with ``items`` items."""
    site = f"{base}/site/{feed}"
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">\n'
        f"<channel><title>Bench Feed {feed}: {' '.join(_words(random.Random(feed), 3))}</title>"
        f"<link>{site}</link><description>Generated feed {feed} for tvnews benchmarks"
        f"</description><language>en-us</language>"
        f"<lastBuildDate>{formatdate(EPOCH + (generation - 1) * 86400, usegmt=True)}"
        "</lastBuildDate>\n"
    )
    body = "".join(item_xml(site, feed, n, generation) for n in range(items))
    return (head + body + "</channel></rss>\n").encode()


if __name__ == "__main__":
    document = feed_xml("http://127.0.0.1:8000", 1, 50)
    print(f"{len(document)} bytes for 50 items")
