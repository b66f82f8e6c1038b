"""An article as the reading pane shows it: Markdown with a header, and its related links."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tui.core.markdown import escape_markdown, html_to_markdown
from tui.core.models import Article, RelatedLink
from tui.core.sanitize import clean_line, safe_url
from tui.core.timefmt import long_date

_BASE = re.compile(r'^<base href="([^"]*)">')


@dataclass(frozen=True, slots=True)
class RenderedArticle:
    """Markdown for the reading pane and links for the related panel."""

    markdown: str
    related: tuple[RelatedLink, ...]
    headings: tuple[str, ...]
    is_full_text: bool
    """True when the body is the extracted page, not the feed's text."""


def split_base(html: str, default: str) -> tuple[str, str]:
    """Remove the ``<base href>`` that parse.py puts before content with its own base."""
    m = _BASE.match(html)
    if m:
        return html[m.end() :], safe_url(m.group(1)) or default
    return html, default


def header_markdown(
    title: str, feed_name: str, author: str, published: float | None, url: str
) -> str:
    """Title as a level-1 heading, then one line: feed · author · date, then the link."""
    lines = [f"# {escape_markdown(clean_line(title)) or '(untitled)'}", ""]
    meta = [clean_line(part, 120) for part in (feed_name, author, long_date(published)) if part]
    if meta:
        lines += [
            " · ".join(
                f"**{escape_markdown(part)}**" if i == 0 else escape_markdown(part)
                for i, part in enumerate(meta)
            ),
            "",
        ]
    link = safe_url(url)
    if link:
        lines += [f"<{link}>" if ")" in link else f"[{escape_markdown(link)}]({link})", ""]
    return "\n".join(lines)


def feed_body(article: Article) -> tuple[str, tuple[str, ...], str]:
    """Markdown, headings and the HTML it came from, for the feed's own text of an article."""
    html = article.content or article.summary
    html, base = split_base(html, article.url)
    markdown, headings = html_to_markdown(html, base or None)
    if article.content and article.summary:
        summary_html, _ = split_base(article.summary, article.url)
        summary_md, _ = html_to_markdown(summary_html, base or None)
        if len(summary_md) > len(markdown):
            markdown, html = summary_md, summary_html
    return markdown, headings, html


def render_article(article: Article) -> RenderedArticle:
    """The full text when cached, else the feed's content; related links found in either."""
    header = header_markdown(
        article.title, article.feed_name, article.author, article.published, article.url
    )
    markdown, headings, html = feed_body(article)
    if article.full_markdown and len(article.full_markdown) * 2 >= len(markdown):
        headings = tuple(
            line.lstrip("#").strip()
            for line in article.full_markdown.splitlines()
            if line.startswith(("## ", "### "))
        )
        return RenderedArticle(
            header + "\n---\n\n" + article.full_markdown, article.related, headings, True
        )
    from tui.core.related import find_related

    related = article.related
    if not related and html and article.url:
        related = tuple(find_related(html, article.url))
    body = markdown or "*This item has no text in the feed.*"
    return RenderedArticle(header + "\n---\n\n" + body, related, headings, False)


def needs_full_text(article: Article) -> bool:
    """True when the article's page (full text, NEXT/More-in links) is not cached yet."""
    return article.full_fetched is None and safe_url(article.url) is not None
