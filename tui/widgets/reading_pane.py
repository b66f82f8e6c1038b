"""The reading pane: an article (or a section listing) rendered from Markdown.

One Line-API widget, not a widget per paragraph: the Markdown is rendered once per width
into lines (Rich's Markdown renderer; feed text is never read as markup), so showing
another article repaints the pane without changing the screen's layout. A notice line
(fetching, failed, offline) sits above the text, inside the same lines.
"""

from __future__ import annotations

from collections import OrderedDict
from functools import cache
from typing import TYPE_CHECKING, ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.core.sanitize import clean_text, safe_url
from tui.widgets.quiet import KeptScrollBars, StyledOncePerPaint, set_virtual_size

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderableType

#: Rendered articles kept (the one shown, the last ones, the likely next ones).
BODIES_KEPT = 8
#: An article longer than this (characters of Markdown) is set a part at a time: the
#: first part before it is shown, each of the rest after a frame (setting it whole held
#: the first frame 50 ms for 54 KB, 120 ms for 109 KB; now 9-18 ms up to 219 KB).
PART_CHARS = 6000

#: Rich styles of the Markdown elements, taken from these component classes.
_THEMED = {
    "markdown.h1": "reading-pane--h1",
    "markdown.h2": "reading-pane--h2",
    "markdown.h3": "reading-pane--h3",
    "markdown.h4": "reading-pane--h4",
    "markdown.link": "reading-pane--link",
    "markdown.link_url": "reading-pane--link",
    "markdown.block_quote": "reading-pane--quote",
    "markdown.hr": "reading-pane--rule",
}


class ReadingPane(StyledOncePerPaint, KeptScrollBars, ScrollView, can_focus=True):
    """Scrollable article text; links clicked in it are passed up, never opened directly."""

    BINDINGS = [
        Binding("j,down", "scroll_down", "Scroll down", show=False, id="reader.down"),
        Binding("k,up", "scroll_up", "Scroll up", show=False, id="reader.up"),
        Binding("g,home", "scroll_home", "Top", show=False, id="reader.top"),
        Binding("G,end", "scroll_end", "Bottom", show=False, id="reader.bottom"),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "reading-pane--notice",
        "reading-pane--error",
        *_THEMED.values(),
    }

    class LinkFollowed(Message):
        """A link in the article text was clicked (already checked to be http(s))."""

        def __init__(self, url: str) -> None:
            self.url = url
            super().__init__()

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.notice = ""
        """The note shown above the article now (empty: none)."""
        self.notice_is_error = False
        self.reading_width = 0
        """Widest the text is set (0: the pane's width)."""
        self._source = ""
        self._lines: list[Strip] = []
        self._rendered_width = -1
        self._relayout_due = False
        self._theme_rendered: str | None = None
        self._rich_theme: object | None = None
        self._pane_width = 0
        self._notice_key: tuple = ()
        self._notice_lines: list[Strip] = []
        self._bodies: OrderedDict[tuple, list[Strip]] = OrderedDict()
        self._unset: dict[tuple, list[str]] = {}
        """The parts of a kept body not set yet, by its key."""
        self._strips: dict[tuple, Strip] = {}
        """Lines as painted (pane width, pane style), for the lines shown so far."""

    # -- content --------------------------------------------------------------------------

    def show(self, markdown: str, *, notice: str = "") -> None:
        """Replace the content and scroll to the top."""
        self._source = markdown
        self.notice = clean_text(notice)
        self.notice_is_error = False
        self.scroll_to(y=0, animate=False, immediate=True)
        self._relayout()

    def set_notice(self, notice: str, *, error: bool = False) -> None:
        """A note above the article: fetching, failed (with the reason), offline."""
        self.notice = clean_text(notice)
        self.notice_is_error = error
        self._relayout()

    @property
    def markdown(self) -> str:
        """The Markdown shown now."""
        return self._source

    @property
    def headings(self) -> list[str]:
        """The text of the headings as they are rendered (h1–h6, in order)."""
        from markdown_it import MarkdownIt

        tokens = MarkdownIt().enable("table").parse(self._source)
        return [
            tokens[n + 1].content.strip()
            for n, token in enumerate(tokens)
            if token.type == "heading_open" and n + 1 < len(tokens)
        ]

    @property
    def rendered_text(self) -> list[str]:
        """The lines of the whole text as rendered, as plain text."""
        self._set_every_part()
        return [strip.text for strip in self._lines]

    def at_end(self) -> bool:
        """Whether the last line is in view (laid out first if a new text waits for it, so
        a key pressed right after an open sees the new text's length)."""
        self._set_every_part()
        return self.scroll_y >= self.max_scroll_y

    def action_scroll_end(self) -> None:
        """Scroll to the end of the whole text (set first, if parts of it wait)."""
        self._set_every_part()
        super().action_scroll_end()

    @property
    def text_width(self) -> int:
        """The width the text is set in now."""
        width = self.scrollable_content_region.width
        return min(width, self.reading_width) if self.reading_width else width

    def set_reading_width(self, width: int) -> None:
        """Set the text no wider than ``width`` cells (0: as wide as the pane)."""
        self.reading_width = max(width, 0)
        self._relayout()

    # -- layout and rendering -------------------------------------------------------------

    def _relayout(self) -> None:
        """Render the lines again, once, before the next frame (content or width changed)."""
        self._rendered_width = -1
        if not self._relayout_due:
            self._relayout_due = True
            self.call_later(self._render_now)

    def _render_now(self) -> None:
        self._relayout_due = False
        width = self.text_width
        if width <= 0:
            return
        self._pane_width = self.scrollable_content_region.width
        notice_key = (self.notice, self.notice_is_error, width)
        if notice_key != self._notice_key:
            self._notice_key, self._notice_lines = notice_key, self._render_notice(width)
        body = self._body(self._source, width)
        self._lines = [*self._notice_lines, *body] or [Strip.blank(width)]
        self._strips.clear()
        self._rendered_width = width
        set_virtual_size(self, Size(width, len(self._lines)))
        self.refresh()
        if self._unset.get(self._key()):
            self.call_after_refresh(self._set_next_part)

    def _key(self) -> tuple:
        """The key of the body shown now among the kept ones."""
        return (self._source, self._rendered_width, self._theme_rendered)

    def _set_next_part(self) -> bool:
        """Set the next part of the text shown (after a frame: keys come first); False
        when there was none."""
        key = self._key()
        parts = self._unset.get(key)
        if not parts or self._relayout_due:
            return False
        lines = _trim(self._render_body(parts.pop(0), key[1]), trailing=bool(parts))
        if lines:
            lines.insert(0, Strip([]))  # the blank line between two blocks
        self._bodies[key].extend(lines)
        self._lines.extend(lines)
        if not parts:
            del self._unset[key]
        set_virtual_size(self, Size(key[1], len(self._lines)))
        self.refresh()
        if parts:
            self.call_after_refresh(self._set_next_part)
        return True

    def _set_every_part(self) -> None:
        """Set the whole text now (a key needs its length or its end)."""
        if self._relayout_due:
            self._render_now()
        while self._set_next_part():
            pass

    def on_resize(self, event: events.Resize) -> None:
        self._relayout()

    def on_mount(self) -> None:
        self._relayout()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        theme = self.app.theme if self.is_attached else None
        if theme != self._theme_rendered:  # colours are part of the lines
            self._theme_rendered = theme
            self._rich_theme = None
            self._bodies.clear()
            self._unset.clear()
            if self.is_mounted:
                self._relayout()

    def _render_notice(self, width: int) -> list[Strip]:
        if not self.notice:
            return []
        console = self.app.console
        options = _options(console, width)
        style = self.get_component_rich_style(
            "reading-pane--error" if self.notice_is_error else "reading-pane--notice"
        )
        lines = console.render_lines(Text(self.notice, style=style), options, pad=False)
        return [Strip(line) for line in lines] + [Strip([])]

    def prepare(self, markdown: str) -> None:
        """Render ``markdown`` now, while nothing else is happening, so that showing it
        later costs no rendering (the last few are kept)."""
        if self._rendered_width > 0:
            self._body(markdown, self._rendered_width)

    def _body(self, source: str, width: int) -> list[Strip]:
        """The article's lines at ``width`` (from the kept ones when possible)."""
        key = (source, width, self._theme_rendered)
        lines = self._bodies.get(key)
        if lines is None:
            parts = _parts(source) if len(source) > PART_CHARS else [source]
            lines = self._render_body(parts[0], width)
            self._bodies[key] = lines
            if len(parts) > 1:
                self._unset[key] = parts[1:]
                _trim(lines, leading=False)
            while len(self._bodies) > BODIES_KEPT:
                self._unset.pop(self._bodies.popitem(last=False)[0], None)
        return lines

    def _render_body(self, source: str, width: int) -> list[Strip]:
        if not source:
            return []
        console = self.app.console
        options = _options(console, width)
        with console.use_theme(self._theme(), inherit=True):
            lines = console.render_lines(_markdown(source), options, pad=False)
        # Rich gives a segment per word; joined runs make every later step cheaper.
        return [
            Strip(Segment.simplify(_unlink(line)), Segment.get_line_length(line)) for line in lines
        ]

    def _theme(self):  # -> rich.theme.Theme, imported lazily
        if self._rich_theme is None:
            from rich.theme import Theme

            styles = {name: self.get_component_rich_style(cls) for name, cls in _THEMED.items()}
            self._rich_theme = Theme(styles)
        return self._rich_theme

    def render_line(self, y: int) -> Strip:
        if self._rendered_width < 0:
            self._render_now()
        index = int(self.scroll_offset.y) + y
        width, style = self._pane_width, self.paint_style
        if not 0 <= index < len(self._lines):
            return Strip.blank(width, style)
        key = (index, width, style)
        strip = self._strips.get(key)
        if strip is None:
            line = self._lines[index]
            strip = line.extend_cell_length(width).crop(0, width).apply_style(style)
            self._strips[key] = strip
        return strip

    # -- links ----------------------------------------------------------------------------

    def on_click(self, event: events.Click) -> None:
        href = event.style.meta.get("href") if event.style else None
        if href:
            event.stop()
            self.follow_link(href)

    def follow_link(self, href: str) -> None:
        """A link in the text was chosen: pass it up if it is http(s), else say why not."""
        url = safe_url(href)
        if url:
            self.post_message(self.LinkFollowed(url))
        else:
            self.notify("Only http(s) links are followed.", severity="warning")


def _options(console: Console, width: int) -> ConsoleOptions:
    """Render ``width`` cells wide, with Unicode rules and boxes (Textual's console has no
    real file, so Rich would fall back to ASCII)."""
    options = console.options.update(width=width, height=None, highlight=False)
    options = options.copy()
    options.encoding = "utf-8"
    return options


def _markdown(source: str) -> RenderableType:
    """Rich's Markdown renderer (markdown-it), with every heading set flush left."""
    return _markdown_class()(source, hyperlinks=True, inline_code_theme="ansi_dark")


@cache
def _markdown_class() -> type:
    """Rich's Markdown with h1 not centred (imported when the first article opens)."""
    from rich.markdown import Heading, HorizontalRule, Markdown
    from rich.rule import Rule

    class LeftHeading(Heading):
        LEVEL_ALIGN: ClassVar = dict.fromkeys(("h1", "h2", "h3", "h4", "h5", "h6"), "left")

    class LineRule(HorizontalRule):
        def __rich_console__(self, console, options):
            yield Rule(style=console.get_style("markdown.hr", default="none"))
            yield Text()

    class ArticleMarkdown(Markdown):
        elements: ClassVar = {**Markdown.elements, "heading_open": LeftHeading, "hr": LineRule}

    return ArticleMarkdown


def _parts(source: str) -> list[str]:
    """``source`` cut between top-level blocks into parts of about :data:`PART_CHARS`
    (set one by one, they give the lines the whole gives, with one blank line between)."""
    from itertools import accumulate

    from markdown_it import MarkdownIt

    # Block structure only, read as Rich's Markdown reads it.
    reader = MarkdownIt().enable("strikethrough").enable("table").disable("inline")
    starts = [t.map[0] for t in reader.parse(source) if t.level == 0 and t.map and t.nesting >= 0]
    lines = source.splitlines(keepends=True)
    offsets = [0, *accumulate(len(line) for line in lines)]
    parts: list[str] = []
    begin = 0
    for start in starts[1:]:
        if offsets[start] - offsets[begin] >= PART_CHARS:
            parts.append("".join(lines[begin:start]))
            begin = start
    parts.append("".join(lines[begin:]))
    return parts


def _trim(lines: list[Strip], *, leading: bool = True, trailing: bool = True) -> list[Strip]:
    """``lines`` without empty lines at the start and the end (where asked); in place. (A
    line of spaces is kept: a code block's padding, say.)"""
    while trailing and lines and not lines[-1].text:
        lines.pop()
    blank = 0
    while leading and blank < len(lines) and not lines[blank].text:
        blank += 1
    del lines[:blank]
    return lines


def preload() -> None:
    """Import the Markdown renderer now (from a thread after the first screen): the
    first article then opens as fast as the others."""
    _markdown_class()


def _unlink(line: list[Segment]) -> list[Segment]:
    """Links become a click target (``href`` in the style's meta), not terminal hyperlinks."""
    out = []
    for text, style, control in line:
        if style is not None and style.link:
            style = style.update_link(None) + Style.from_meta({"href": style.link})
        out.append(Segment(text, style, control))
    return out
