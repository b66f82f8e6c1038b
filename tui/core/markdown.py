"""Untrusted HTML turned into Markdown for the reading pane, plus plain text and headings.

The walk is iterative (``lxml.etree.iterwalk``), so deeply nested input cannot exhaust the
Python stack; libxml2 itself stops nesting at a fixed depth. Every piece of feed text is
sanitized and Markdown-escaped, so it can only ever render as literal text; the only
Markdown structure in the output is what this module writes itself.
"""

from __future__ import annotations

import html as htmllib
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import lxml.etree as etree
import lxml.html

from tui.core.sanitize import clean_line, clean_text, safe_url, whole_number


def _words(names: str) -> frozenset[str]:
    return frozenset(names.split())


#: Subtrees that are never shown.
SKIP_TAGS = _words(
    "script style iframe form nav noscript template svg math object embed button input "
    "select textarea canvas video audio source track head title meta link frame frameset "
    "applet map dialog"
)
#: Elements that start and end a paragraph of their own.
BLOCK_TAGS = _words(
    "p div section article header footer main aside address center details summary "
    "fieldset legend dl dt dd figure figcaption caption table thead tbody tfoot tr body "
    "html hgroup ul ol menu dir"
)
HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
#: Nested lists/quotes deeper than this are flattened (keeps prefixes short).
MAX_NESTING = 8

_TAG_LIKE = re.compile(r"<[A-Za-z!/?]")
_WS = re.compile(r"[ \t\n\r\f\v\u00a0\u2028\u2029]+")
_SPACES = re.compile(r" {2,}")
#: Markdown punctuation, plus what would let the widget's linkify turn text into a link
#: (the dot of ``example.com``, the ``@`` of an address, ``://``).
_ESCAPE = re.compile(r"[\\`*_\[\]<>&|~#]|(?<=\w)[.@](?=\w)|:(?=/)|(?<=/)/")
_LINE_START = re.compile(r"^([-+=])|^(\d{1,9})([.)])")
_BACKTICKS = re.compile(r"`+")
_URL_UNSAFE = str.maketrans({"(": "%28", ")": "%29", "<": "%3C", ">": "%3E", "\\": "%5C"})
# Tag patterns for the fallback below; ``[^<>]`` keeps them linear on a run of "<"s.
_BLOCK_TAG = re.compile(r"</?(?:p|div|br|li|h[1-6]|tr|blockquote|ul|ol|table|pre)\b[^<>]*>", re.I)
_SCRIPT_TAG = re.compile(r"(<(?:script|style)\b[^<>]*>|</(?:script|style)\s*>)", re.I)
_ANY_TAG = re.compile(r"<[^<>]*>")
_CELL = " \\| "
_TOO_DEEP = etree.ErrorTypes.ERR_RESOURCE_LIMIT
_local = threading.local()


def escape_markdown(text: str) -> str:
    """Backslash-escape characters that could start Markdown structure inside a line."""
    return _ESCAPE.sub(r"\\\g<0>", text)


def _escape_line_start(line: str) -> str:
    """Escape list, setext and ordered-list markers that only matter at the start of a line."""
    return _LINE_START.sub(lambda m: "\\" + m[1] if m[1] else m[2] + "\\" + m[3], line, count=1)


def _fence(text: str) -> str:
    """A backtick fence longer than any run of backticks in ``text``."""
    longest = max((len(m) for m in _BACKTICKS.findall(text)), default=0)
    return "`" * max(3, longest + 1)


def _parser() -> lxml.html.HTMLParser:
    """One parser per thread (lxml parsers must not be shared between threads)."""
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = lxml.html.HTMLParser(
            no_network=True, remove_comments=True, remove_pis=True, default_doctype=False
        )
        _local.parser = parser
    return parser


def parse_fragment(html: str) -> lxml.html.HtmlElement | None:
    """Parse an HTML fragment into a ``<div>`` root, or None when nothing can be parsed."""
    try:
        return lxml.html.fragment_fromstring(html, create_parent="div", parser=_parser())
    except (etree.ParserError, ValueError):
        return None


@dataclass(slots=True)
class _Container:
    """A list item or quote: the prefix of its first line and of the lines after it."""

    first: str
    rest: str
    is_item: bool
    tight: bool = False
    """A list item that may follow the previous block without a blank line."""
    used: bool = False


@dataclass(slots=True)
class _Mark:
    """Where an inline wrapper (link, emphasis, code) started in the current paragraph."""

    kind: str
    start: int
    generation: int
    url: str | None = None


@dataclass(slots=True)
class Rendered:
    """What a conversion produced."""

    markdown: str
    text: str
    headings: tuple[str, ...]


@dataclass(slots=True)
class MarkdownWriter:
    """Walks an element tree once and writes Markdown, plain text and the heading list."""

    base_url: str | None = None
    images_in_text: bool = False
    """Put ``[Image: alt]`` placeholders in the plain text too (they are always in Markdown)."""
    lines: list[str] = field(default_factory=list)
    text_blocks: list[str] = field(default_factory=list)
    headings: list[str] = field(default_factory=list)
    _md: list[str] = field(default_factory=list)
    _plain: list[str] = field(default_factory=list)
    _containers: list[_Container] = field(default_factory=list)
    _lists: list[list[int]] = field(default_factory=list)
    _actions: list[tuple[Callable[..., None], object] | None] = field(default_factory=list)
    _generation: int = 0
    _depth: dict[str, int] = field(default_factory=dict)
    _captioned: int = 0
    _has_text: bool = False
    """Text was written since the last paragraph break."""
    _open_cell: bool = False
    """A table-cell separator was written and no text after it yet."""

    # ----- output -------------------------------------------------------------------------

    def _emit(self, lines: list[str], plain: str, *, escape: bool = True) -> None:
        """Write one block under the current list items and quotes."""
        if not lines:
            return
        tight = any(c.tight and not c.used for c in self._containers)
        if self.lines and not tight:
            self.lines.append("".join(c.rest for c in self._containers if c.used).rstrip())
        for line in lines:
            prefix = "".join(c.rest if c.used else c.first for c in self._containers)
            for container in self._containers:
                container.used = True
            self.lines.append(prefix + (_escape_line_start(line) if escape else line))
        if plain:
            if tight and self.text_blocks:
                self.text_blocks[-1] += "\n" + plain
            else:
                self.text_blocks.append(plain)

    def _take(self) -> tuple[str, str]:
        """Return and reset the pending inline Markdown and plain text."""
        if self._open_cell:  # a cell separator with no cell text after it
            for parts, cell in ((self._md, _CELL), (self._plain, " | ")):
                del parts[len(parts) - 1 - parts[::-1].index(cell)]
        md, plain = "".join(self._md), "".join(self._plain)
        self._md, self._plain = [], []
        self._generation += 1
        self._has_text = self._open_cell = False
        return md, plain

    def flush(self) -> None:
        """End the current paragraph; ``<br>`` line breaks become Markdown hard breaks."""
        if not self._md:
            return
        md, plain = self._take()
        md_lines = [_SPACES.sub(" ", s).strip() for s in md.split("\n")]
        md_lines = [s for s in md_lines if s]
        if not md_lines:
            return
        md_lines = [s + "\\" for s in md_lines[:-1]] + md_lines[-1:]
        plain_lines = (_SPACES.sub(" ", s).strip() for s in plain.split("\n"))
        self._emit(md_lines, "\n".join(s for s in plain_lines if s))

    def result(self) -> Rendered:
        """Finish and return the Markdown, plain text and headings."""
        self.flush()
        return Rendered(
            "\n".join(self.lines).strip("\n"), "\n\n".join(self.text_blocks), tuple(self.headings)
        )

    # ----- inline -------------------------------------------------------------------------

    def text(self, raw: str | None) -> None:
        """Append text: whitespace collapsed, sanitized, escaped unless inside code."""
        if not raw:
            return
        text = _WS.sub(" ", clean_text(raw))
        if text != " ":
            self._has_text, self._open_cell = True, False
        self._plain.append(text)
        self._md.append(text if self._depth.get("code") else escape_markdown(text))

    def line_break(self) -> None:
        self._md.append("\n")
        self._plain.append("\n")

    def image(self, alt: str | None) -> None:
        """An image becomes its alt text, unless its figure has a caption."""
        label = clean_line(alt, 200)
        if not label or self._captioned:
            return
        placeholder = f"[Image: {label}]"
        self._has_text, self._open_cell = True, False
        star = "" if self._depth.get("em") or self._depth.get("code") else "*"
        self._md.append(f" {star}{escape_markdown(placeholder)}{star} ")
        if self.images_in_text:
            self._plain.append(f" {placeholder} ")

    def _open(self, kind: str, url: str | None = None) -> _Mark:
        self._depth[kind] = self._depth.get(kind, 0) + 1
        return _Mark(kind, len(self._md), self._generation, url)

    def _close(self, mark: _Mark) -> None:
        """Wrap what was written since ``mark`` as a link, emphasis or code span."""
        depth = self._depth[mark.kind] = self._depth[mark.kind] - 1
        if depth or mark.generation != self._generation:
            return  # nested in the same kind, or a block boundary cut the span
        if mark.kind != "code" and self._depth.get("code"):
            return
        inner = "".join(self._md[mark.start :])
        core = inner.strip()
        if not core or "\n" in core:
            return
        lead = " " if inner[:1].isspace() else ""
        trail = " " if inner[-1:].isspace() else ""
        if mark.kind == "link":
            if not mark.url:
                return
            core = f"[{core}]({mark.url.translate(_URL_UNSAFE)})"
        elif mark.kind == "code":
            ticks = "`" * (max((len(m) for m in _BACKTICKS.findall(core)), default=0) + 1)
            pad = " " if core[0] == "`" or core[-1] == "`" else ""
            core = f"{ticks}{pad}{core}{pad}{ticks}"
        else:
            star = "**" if mark.kind == "strong" else "*"
            core = f"{star}{core}{star}"
        self._md[mark.start :] = [lead + core + trail]

    # ----- blocks -------------------------------------------------------------------------

    def _push(self, container: _Container) -> bool:
        if len(self._containers) >= MAX_NESTING:
            return False
        self._containers.append(container)
        return True

    def _pop(self, pushed: bool) -> None:
        self.flush()
        if pushed:
            self._containers.pop()

    def heading(self, level: int) -> None:
        """End a heading element: write ``## text`` and remember its text."""
        md, plain = self._take()
        md = _SPACES.sub(" ", md.replace("\n", " ")).strip()
        title = clean_line(plain)
        if md and title:
            self._emit(["#" * level + " " + md], title, escape=False)
            self.headings.append(title)

    def preformatted(self, raw: str) -> None:
        """A ``<pre>`` block as a fenced code block."""
        self.flush()
        code = clean_text(raw).expandtabs(4).strip("\n")
        if code.strip():
            fence = _fence(code)
            self._emit([fence, *code.split("\n"), fence], code, escape=False)

    def rule(self) -> None:
        self.flush()
        self._emit(["---"], "", escape=False)

    def _caption_end(self, mark: _Mark) -> None:
        self._close(mark)
        self.flush()

    # ----- the walk -----------------------------------------------------------------------

    def start(self, el: etree._Element, tag: str) -> bool:
        """Handle an opening tag; return False to skip the element's subtree."""
        action: tuple[Callable[..., None], object] | None = None
        if tag in SKIP_TAGS:
            self._actions.append(None)
            return False
        if tag == "pre":
            self.preformatted("".join(el.itertext()))
            self._actions.append(None)
            return False
        if tag in HEADINGS:
            self.flush()
            action = (self.heading, HEADINGS[tag])
        elif tag == "a":
            url = safe_url(el.get("href"), self.base_url)
            action = (self._close, self._open("link", None if self._depth.get("link") else url))
        elif tag in ("strong", "b"):
            action = (self._close, self._open("strong"))
        elif tag in ("em", "i", "cite", "dfn"):
            action = (self._close, self._open("em"))
        elif tag in ("code", "kbd", "samp", "tt"):
            action = (self._close, self._open("code"))
        elif tag == "br":
            self.line_break()
        elif tag == "img":
            self.image(el.get("alt") or el.get("title"))
        elif tag == "hr":
            self.rule()
        elif tag in ("ul", "ol", "menu", "dir"):
            self.flush()
            first = el.get("start", "1") if tag == "ol" else ""
            number = whole_number(first, 8)
            number = 1 if number is None else number
            self._lists.append([number if tag == "ol" else -1, 0])
            action = (self._end_list, None)
        elif tag == "li":
            self.flush()
            counter = self._lists[-1] if self._lists else [-1, 0]
            marker = "- " if counter[0] < 0 else f"{counter[0]}. "
            parent = self._containers[-1] if self._containers else None
            tight = counter[1] > 0 or (
                parent is not None and parent.is_item and parent.used and marker in ("- ", "1. ")
            )
            counter[0] += counter[0] >= 0
            counter[1] += 1
            item = _Container(marker, " " * len(marker), True, tight)
            action = (self._pop, self._push(item))
        elif tag == "blockquote":
            self.flush()
            action = (self._pop, self._push(_Container("> ", "> ", False)))
        elif tag == "figure":
            self.flush()
            captioned = el.find(".//figcaption") is not None
            self._captioned += captioned
            action = (self._figure_end, captioned)
        elif tag == "figcaption":
            self.flush()
            action = (self._caption_end, self._open("em"))
        elif tag in ("td", "th"):
            if self._has_text and not self._open_cell:
                self._md.append(_CELL)  # removed again if no text follows (see _take)
                self._plain.append(" | ")
                self._open_cell = True
        elif tag in BLOCK_TAGS:
            self.flush()
            action = (self._block_end, None)
        self._actions.append(action)
        return True

    def end(self) -> None:
        """Handle the closing tag matching the latest unclosed :meth:`start`."""
        action = self._actions.pop()
        if action is not None:
            action[0](action[1])

    def _block_end(self, _: object) -> None:
        self.flush()

    def _end_list(self, _: object) -> None:
        self.flush()
        self._lists.pop()

    def _figure_end(self, captioned: object) -> None:
        self.flush()
        self._captioned -= bool(captioned)

    def walk(self, root: etree._Element) -> None:
        """Convert ``root`` and everything under it (the root's tail is not included)."""
        walker = etree.iterwalk(root, events=("start", "end"))
        for event, el in walker:
            tag = el.tag
            if not isinstance(tag, str):  # comments, processing instructions, entities
                if event == "start":
                    walker.skip_subtree()
                else:
                    self.text(el.tail)
                continue
            if event == "start":
                if not self.start(el, tag.lower()):
                    walker.skip_subtree()
                else:
                    self.text(el.text)
            else:
                self.end()
                if el is not root:
                    self.text(el.tail)


def _strip_tags(html: str) -> str:
    """Fallback for markup the parser gave up on: block tags become paragraph breaks,
    scripts and styles go, other tags are dropped."""
    kept, in_script = [], False
    for n, part in enumerate(_SCRIPT_TAG.split(html)):
        if n % 2:  # a script/style tag
            in_script = not part.startswith("</")
        elif not in_script:
            kept.append(part)
    return _ANY_TAG.sub("", _BLOCK_TAG.sub("\n\n", " ".join(kept)))


def _plain_text_markdown(text: str) -> Rendered:
    """Text without tags: blank lines separate paragraphs, single newlines are spaces."""
    writer = MarkdownWriter()
    for para in re.split(r"\n[ \t]*\n", clean_text(htmllib.unescape(text))):
        writer.text(para)
        writer.flush()
    return writer.result()


def render_html(html: str, base_url: str | None = None) -> Rendered:
    """Convert an untrusted HTML fragment; see :func:`html_to_markdown`."""
    if not html or not html.strip():
        return Rendered("", "", ())
    if not _TAG_LIKE.search(html):
        return _plain_text_markdown(html)
    html = clean_text(html)
    root = parse_fragment(html)
    if root is None:
        return _plain_text_markdown(_strip_tags(html))
    if any(e.type == _TOO_DEEP for e in _parser().error_log):
        # libxml2 stops at its depth limit and drops the rest: keep the text instead.
        return _plain_text_markdown(_strip_tags(html))
    writer = MarkdownWriter(base_url=base_url)
    writer.walk(root)
    return writer.result()


def html_to_markdown(html: str, base_url: str | None = None) -> tuple[str, tuple[str, ...]]:
    """Convert an untrusted HTML fragment (or plain text) to Markdown and its heading texts.

    Links are kept only when :func:`~tui.core.sanitize.safe_url` accepts them (made
    absolute against ``base_url``); images become ``*[Image: alt]*``; all text is
    sanitized and escaped so that it cannot form Markdown structure.
    """
    rendered = render_html(html, base_url)
    return rendered.markdown, rendered.headings
