"""The main screen: article list, reading pane, related panel; it routes every message.

Workers do the blocking work (refresh, page fetches) with their own cache connection
and post messages back; only this screen changes widgets. Results carry the request
id they were for, and stale ones are dropped (latest request wins).
"""

from __future__ import annotations

import contextlib
import webbrowser
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.reactive import Reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import ProgressBar

from tui.config import Config
from tui.core.errors import StoreError, TvnewsError
from tui.core.history import History, Location
from tui.core.models import Article, ArticleRow, ListQuery, RelatedLink
from tui.core.sanitize import clean_line, safe_url
from tui.core.store import Store
from tui.core.timefmt import long_date
from tui.screens.garbage import CollectAfterFrames, start_collecting
from tui.screens.reader_features import FEATURE_BINDINGS, ReaderFeatures
from tui.screens.search import SEARCH_BINDINGS, SearchFeature
from tui.widgets.article_list import ArticleList
from tui.widgets.key_bar import KeyBar
from tui.widgets.quiet import Column, Row, SameLinesUntilDirty, TextLine, TitleBar
from tui.widgets.reading_pane import ReadingPane
from tui.widgets.related_panel import RelatedPanel
from tui.widgets.sidebar import Sidebar

if TYPE_CHECKING:  # imported when first used: the first screen does not need them
    from textual.timer import Timer

    from tui.core.pages import Section
    from tui.core.render import RenderedArticle


@dataclass(slots=True)
class StoreRows:
    """The list's row source: the cache and the current query.

    A page next to one already read is found from that page's first or last article,
    and a page nearer the end is counted from the end: counting ~100k rows from the top
    to reach the bottom of the list cost ~30 ms a page.
    """

    store: Store
    query: ListQuery
    total: int = 0
    edges: dict[int, tuple[int, int]] = field(default_factory=dict)
    """First and last article id of each page read since the last count, by offset."""

    def count(self) -> int:
        self.edges.clear()
        self.total = self.store.count(self.query)
        return self.total

    def rows(self, offset: int, limit: int) -> list[ArticleRow]:
        found = None
        if (edge := self.edges.get(offset - limit)) is not None:
            found = self.store.rows_next_to(self.query, edge[1], limit)
        elif (edge := self.edges.get(offset + limit)) is not None:
            found = self.store.rows_next_to(self.query, edge[0], limit, before=True)
        if found is None or (len(found) < limit and offset + len(found) < self.total):
            found = self.store.rows(self.query, offset, limit, total=self.total)
        if found:
            self.edges[offset] = (found[0].id, found[-1].id)
        return found


class RefreshProgress(Message):
    """One feed done in a background refresh."""

    def __init__(self, done: int, total: int, name: str, error: str) -> None:
        self.done, self.total, self.name, self.error = done, total, name, error
        super().__init__()


class RefreshDone(Message):
    """A background refresh finished."""

    def __init__(
        self, summary: object | None, error: str = "", *, prefetched: bool = False
    ) -> None:
        self.summary = summary
        self.error = error
        self.prefetched = prefetched
        """The refresh cached full articles too (a child process refresh does)."""
        super().__init__()


class PageReady(Message):
    """A fetched page or section is ready to show (for request ``request_id``)."""

    def __init__(
        self,
        request_id: int,
        url: str,
        article_id: int | None = None,
        section: Section | None = None,
    ) -> None:
        self.request_id = request_id
        self.url = url
        self.article_id = article_id
        self.section = section
        super().__init__()


class PageFailed(Message):
    """Fetching a page failed, or (``fetched``) saving it did; ``reason`` is shown in the
    reading pane."""

    def __init__(self, request_id: int, url: str, reason: str, *, fetched: bool = False) -> None:
        self.request_id, self.url, self.reason = request_id, url, reason
        self.fetched = fetched
        super().__init__()


class MainScreen(CollectAfterFrames, ReaderFeatures, SearchFeature, SameLinesUntilDirty, Screen):
    """List | reading pane over the related panel; status line and footer below."""

    background_only = True  # the panes cover it; see SameLinesUntilDirty

    #: Textual repaints the whole screen when the focus moves; the panes that change with
    #: it (border colour, cursor) repaint themselves, so only they are painted again.
    focused: Reactive[Widget | None] = Reactive(None, repaint=False)

    BINDINGS = [
        Binding("r", "refresh", "Refresh", id="refresh"),
        Binding("n", "next_unread", "Next unread", id="next_unread"),
        Binding("p", "previous_unread", "Prev unread", show=False, id="previous_unread"),
        Binding("space", "page_article", "Scroll / next unread", show=False, id="scroll_article"),
        Binding("m", "toggle_read", "Read/unread", id="toggle_read"),
        Binding("s", "toggle_star", "Star", id="toggle_star"),
        Binding("o", "open_browser", "Browser", id="open_browser"),
        Binding("backspace,b", "back", "Back", id="back"),
        Binding("shift+backspace,f", "forward", "Forward", show=False, id="forward"),
        Binding("escape", "focus_list", "List", show=False, id="focus_list"),
        Binding("plus", "add_section_feed", "Add section feed", show=False, id="add_section_feed"),
        *[
            Binding(str(n), f"follow({n})", f"Follow link {n}", show=False, id=f"follow_{n}")
            for n in range(1, 10)
        ],
        *FEATURE_BINDINGS,
        *SEARCH_BINDINGS,
    ]

    def __init__(self, config: Config, cache_path: Path, *, store: Store | None = None) -> None:
        super().__init__()
        self.config = config
        self.settings = config.settings
        self.cache_path = cache_path
        self.store = store or Store(cache_path)
        self.list_query = ListQuery(unread_only=not self.settings.show_read)
        self.history = History()
        self.sections: dict[str, Section] = {}
        self.request_id = 0
        self.pending: dict[str, int] = {}
        """URL -> request id of fetches in flight (Enter twice does not fetch twice)."""
        self.refreshing = False
        self.failing: list[tuple[str, str, str]] = []
        """(url, name, reason) of each feed whose last refresh failed."""
        self._unread_counted: tuple[ListQuery, int] | None = None
        self._renders: OrderedDict[tuple, RenderedArticle] = OrderedDict()
        self._prepare_timer: Timer | None = None
        self._progress_timer: Timer | None = None
        self._progress = (0, 0)
        self.init_features()

    # -- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield TitleBar(id="title-bar")
        with Row(id="panes"):
            yield Sidebar(id="sidebar")
            yield ArticleList(StoreRows(self.store, self.list_query), id="article-list")
            with Column(id="right"):
                yield ReadingPane(id="reading-pane")
                yield RelatedPanel(id="related-panel")
        with Row(id="status-bar"):
            yield TextLine(id="status-line")
            yield ProgressBar(id="refresh-progress", show_eta=False)
        yield KeyBar(id="key-bar")

    def on_resize(self, event: events.Resize) -> None:
        """Skip Textual's layout for the size the screen is laid out at already: the size
        the terminal driver reports at start (a second layout and repaint of every widget,
        ~55 ms just after the first frame, where the first keys land)."""
        if event.size == self._compositor.size:  # the size of its last layout (textual<9)
            event.prevent_default()

    def on_mount(self) -> None:
        self.title = "tvnews"
        article_list = self.query_one(ArticleList)
        article_list.border_title = "Articles"
        self.query_one(ReadingPane).border_title = "Article"
        article_list.reload(keep_cursor=False)
        article_list.focus()
        self.query_one("#refresh-progress").display = False
        self.query_one(RelatedPanel).show_links(())
        self.mount_features()
        # The list is the first frame. The imports for opening articles start on their
        # thread once it is written (ArticleList.Painted); the rest of the screen is
        # filled in a moment later.
        self.set_timer(FIRST_FRAME_SECONDS, self._after_first_frame)
        if self.settings.refresh_on_start and self.config.feeds:
            self.call_after_refresh(self.action_refresh, False)
        if self.settings.auto_refresh_minutes:
            self.set_interval(self.settings.auto_refresh_minutes * 60, self._auto_refresh)

    def _after_first_frame(self) -> None:
        """Failing feeds, counts and the sidebar; then, off the UI thread, imports for
        opening articles and the welcome text."""
        self.failing = [
            feed
            for feed in self.store.failing_feeds()
            if not feed[2].startswith("feed is not well-formed")
        ]
        self.update_status()
        self._update_sidebar()
        start_collecting()

    @on(ArticleList.Painted)
    def _list_painted(self) -> None:
        # Not from on_mount's call_after_refresh: that ran before the first frame was
        # made, and the imports (~55 ms, holding the interpreter) delayed it by ~10 ms.
        self._preload()

    @work(thread=True, group="preload")
    def _preload(self) -> None:
        """Import what opening an article needs, off the UI thread, right after the first
        frame (~0.2 s here, before a person's first key, mostly): the first article then
        opens as fast as the next ones (it took ~0.2 s when it imported them itself), and
        its page fetch does not import the HTTP stack while the next key is handled. The
        welcome text waits for the Markdown renderer (~85 ms to import)."""
        from tui.widgets.reading_pane import preload

        preload()
        with contextlib.suppress(RuntimeError):  # the app has quit meanwhile
            self.app.call_from_thread(self._welcome)
        import tui.core.pages
        import tui.core.related
        import tui.core.render  # noqa: F401

    def _welcome(self) -> None:
        """The welcome text, unless an article is open already."""
        if not self.is_mounted:
            return
        pane = self.query_one(ReadingPane)
        if self.history.current is None and not pane.markdown:
            pane.show(WELCOME)

    def on_unmount(self) -> None:
        from tui.core.refresh_process import stop_children

        stop_children()  # a refresh may be running: end it (what it committed stays)
        self.store.close()

    # -- the list ------------------------------------------------------------------------

    @property
    def article_list(self) -> ArticleList:
        return self.query_one(ArticleList)

    def update_status(self, extra: str = "", *, recount: bool = True) -> None:
        """Article counts, unread, failing feeds, last refresh.

        ``recount=False`` reuses the last unread count (adjusted by :meth:`_one_read`):
        counting scans every unread row (~25 ms at 100k), too slow to do per article. The
        list's count found them already, unless a row was marked since.
        """
        total = self.article_list.total
        unread: int | None = None
        if self.list_query.search:  # counting unread matches would search a second time
            parts = [f"{total:,} matching article{'s' * (total != 1)}"]
            self.show_search_state(total)
        else:
            query = replace(self.list_query, unread_only=True)
            counted = self._unread_counted
            if recount or counted is None or counted[0] != query:
                known = None
                if self.article_list.total_is_unmarked:  # the list's count found them too
                    known = self.store.unread_counted(query)
                unread = self.store.count(query) if known is None else known
            else:
                unread = counted[1]
            self._unread_counted = (query, unread)
            parts = [f"{total:,} article{'s' * (total != 1)}", f"{unread:,} unread"]
        if self.failing:
            parts.append(f"{len(self.failing)} feed{'s' * (len(self.failing) != 1)} failing")
        parts += self.status_parts()
        if extra:
            parts.append(extra)
        self.query_one("#status-line", TextLine).update(" · ".join(parts))
        if unread is not None:
            subtitle = f"{unread:,} unread"
            if self.article_list.border_subtitle != subtitle:  # setting it repaints the list
                self.article_list.border_subtitle = subtitle
        self.refresh_sidebar()

    @on(ArticleList.Selected)
    def _list_selected(self, event: ArticleList.Selected) -> None:
        self.open_article(event.article_id)
        self.query_one(ReadingPane).focus()

    # -- opening articles ---------------------------------------------------------------

    def open_article(self, article_id: int, *, record: bool = True) -> None:
        """Show a cached article; fetch its page in the background if not cached yet."""
        article = self.store.article(article_id)
        if article is None:
            self.notify("That article is no longer in the cache.", severity="warning")
            return
        if record:
            self.history.visit(Location("article", article_id, article.url, article.title))
        self.request_id += 1
        if (
            self.settings.mark_read_on_open
            and not article.read
            and self.saved(lambda: self.store.set_read([article_id], True), "Not marked read")
        ):
            if self.article_list.update_row(article_id, read=True):
                self._one_read()
            else:  # not a row of this list (a followed link): count again
                self.call_after_refresh(self.update_status)
        self._show_article(article_id)
        from tui.core.render import needs_full_text

        if needs_full_text(article):
            pane = self.query_one(ReadingPane)
            pane.set_notice(f"Fetching the full article from {article.url} …")
            if article.url not in self.pending:
                self.pending[article.url] = self.request_id
                # After the frame: the fetch's thread would hold the GIL while the
                # article is painted (up to 5 ms at a time).
                self.call_after_refresh(
                    self.fetch_full_text, self.request_id, article_id, article.url
                )

    def _one_read(self, change: int = -1) -> None:
        """An article of the list was marked read (``change`` -1: opened, or ``m``) or
        unread (+1): the unread count follows without counting again (~25 ms at 100k)."""
        if self._unread_counted is not None:
            query, unread = self._unread_counted
            self._unread_counted = (query, max(unread + change, 0))
        self.call_after_refresh(self.update_status, recount=False)

    def _show_article(self, article_id: int, notice: str = "") -> None:
        article = self.store.article(article_id)
        if article is None:
            return
        rendered = self._rendered(article)
        pane = self.query_one(ReadingPane)
        pane.show(rendered.markdown, notice=notice)
        self.show_lead_image(article)
        # A border title is parsed as markup unless it is Content: feed titles are not markup.
        pane.border_title = Content(clean_line(article.feed_name or "Article", 60))
        pane.border_subtitle = self._location_text()
        self.query_one(RelatedPanel).show_links(rendered.related)
        self.sub_title = clean_line(article.title, 120)
        if self._prepare_timer is not None:
            self._prepare_timer.stop()
        self._prepare_timer = self.set_timer(PREPARE_AFTER, self._prepare_next)

    def _rendered(self, article: Article) -> RenderedArticle:
        """``render_article``, remembered for the last few articles (opened or likely next)."""
        from tui.core.render import render_article

        key = (article.id, article.full_fetched, article.title)
        rendered = self._renders.get(key)
        if rendered is None:
            rendered = render_article(article)
            self._renders[key] = rendered
            while len(self._renders) > RENDERS_KEPT:
                self._renders.popitem(last=False)
        return rendered

    def _prepare_next(self) -> None:
        """While the reader reads: render the articles j+Enter and n would open next, so
        they open without that work."""
        self._prepare_timer = None
        article_list = self.article_list
        cursor = article_list.cursor
        candidates = [article_list.row(cursor + 1)]
        index = self.store.next_unread(self.list_query, cursor, 1, at=article_list.current_id)
        if index is not None:
            candidates.append(article_list.row(index))
        pane = self.query_one(ReadingPane)
        for row in {row.id: row for row in candidates if row is not None}.values():
            article = self.store.article(row.id)
            if article is not None:
                pane.prepare(self._rendered(article).markdown)

    def _location_text(self) -> str:
        back = "◀ b" if self.history.can_go_back else ""
        forward = "f ▶" if self.history.can_go_forward else ""
        where = (
            f"{self.history.index + 1}/{len(self.history.entries)}" if self.history.entries else ""
        )
        return " ".join(part for part in (back, where, forward) if part)

    @work(thread=True, group="pages")
    def fetch_full_text(self, request_id: int, article_id: int, url: str) -> None:
        """Worker: fetch and extract an article's page, cache it, and post the result."""
        from tui.core.pages import fetch_article_body

        try:
            body = fetch_article_body(url, settings=self.settings)
        except TvnewsError as error:
            self.post_message(PageFailed(request_id, url, str(error)))
            return
        try:
            store = Store(self.cache_path)
            try:
                store.save_full_text(article_id, body)
            finally:
                store.close()
        except TvnewsError as error:
            self.post_message(PageFailed(request_id, url, str(error), fetched=True))
        else:
            self.post_message(PageReady(request_id, url, article_id=article_id))

    @work(thread=True, group="pages")
    def fetch_page(self, request_id: int, link: RelatedLink) -> None:
        """Worker: fetch a followed link: an article page, or a section listing."""
        from tui.core.pages import fetch_article_body, open_section

        try:
            if link.kind == "more":
                section = open_section(link.url, self.settings)
                self.post_message(PageReady(request_id, link.url, section=section))
                return
            body = fetch_article_body(link.url, settings=self.settings)
        except TvnewsError as error:
            self.post_message(PageFailed(request_id, link.url, str(error)))
            return
        try:
            store = Store(self.cache_path)
            try:
                article = store.save_page(body if body.title else replace(body, title=link.label))
            finally:
                store.close()
        except TvnewsError as error:
            self.post_message(PageFailed(request_id, link.url, str(error), fetched=True))
        else:
            self.post_message(PageReady(request_id, link.url, article_id=article.id))

    def _is_current(self, request_id: int, url: str) -> bool:
        """Latest request wins: a result is shown only if it is for the latest request, or
        for the article on screen (re-opening it while its page loads keeps the fetch)."""
        current = self.history.current
        on_screen = current is not None and current.kind == "article" and current.url == url
        return request_id == self.request_id or on_screen

    @on(PageReady)
    def _page_ready(self, event: PageReady) -> None:
        self.pending.pop(event.url, None)
        if not self._is_current(event.request_id, event.url):
            return
        if event.section is not None:
            self.sections[event.section.url] = event.section
            self.history.visit(Location("section", None, event.section.url, event.section.title))
            self._show_section(event.section)
        elif event.article_id is not None:
            current = self.history.current
            if current and current.kind == "article" and current.article_id == event.article_id:
                self._show_article(event.article_id)
            else:
                self.open_article(event.article_id)

    @on(PageFailed)
    def _page_failed(self, event: PageFailed) -> None:
        self.pending.pop(event.url, None)
        if not self._is_current(event.request_id, event.url):
            return
        pane = self.query_one(ReadingPane)
        what = "Fetched {}, but could not save it" if event.fetched else "Could not fetch {}"
        pane.set_notice(f"{what.format(event.url)}: {event.reason}", error=True)

    # -- following links ----------------------------------------------------------------

    def follow(self, link: RelatedLink) -> None:
        """NEXT/related/inline open in place, More in opens the section, Source opens
        the browser."""
        url = safe_url(link.url)
        if url is None:
            self.notify("Only http(s) links are followed.", severity="warning")
            return
        link = replace(link, url=url)
        if link.kind == "source":
            self.open_in_browser(url)
            return
        if link.kind == "more" and url in self.sections:
            self.history.visit(Location("section", None, url, self.sections[url].title))
            self._show_section(self.sections[url])
            return
        if link.kind != "more":
            cached = self.store.article_by_url(url)
            if cached is not None and cached.full_fetched is not None:
                self.open_article(cached.id)
                return
        if url in self.pending:
            return
        self.request_id += 1
        self.pending[url] = self.request_id
        what = "section" if link.kind == "more" else "article"
        self.query_one(ReadingPane).set_notice(f"Opening {what} {url} …")
        self.call_after_refresh(self.fetch_page, self.request_id, link)  # after the notice

    def _show_section(self, section: Section) -> None:
        from tui.core.markdown import escape_markdown

        lines = [f"# {escape_markdown(clean_line(section.title))}", ""]
        if section.feed_url:
            lines += [
                f"Section feed: {escape_markdown(section.feed_url)} — press **+** to add it "
                "to your feeds",
                "",
            ]
        lines += [f"Section page: {escape_markdown(section.url)}", ""]
        lines += [
            f"{n}. [{escape_markdown(clean_line(item.label))}]({item.url})"
            for n, item in enumerate(section.items, 1)
        ]
        if not section.items:
            lines.append("*No articles found on this section page.*")
        pane = self.query_one(ReadingPane)
        pane.show("\n".join(lines))
        self.show_lead_image(None)
        pane.border_title = "Section"
        pane.border_subtitle = self._location_text()
        self.sub_title = clean_line(section.title, 120)
        self.query_one(RelatedPanel).show_links(section.items, title="In this section")
        self.request_id += 1

    def action_add_section_feed(self) -> None:
        """+: add the feed of the section on screen to feeds.toml."""
        from tui.screens.dialogs import FeedToAdd

        current = self.history.current
        section = self.sections.get(current.url) if current and current.kind == "section" else None
        if section is None or not section.feed_url:
            self.notify("Open a section that has a feed first (a More in link).", timeout=3)
            return
        self._feed_found(FeedToAdd(section.feed_url, clean_line(section.title, 80), ""))

    @on(RelatedPanel.Followed)
    def _related_followed(self, event: RelatedPanel.Followed) -> None:
        self.follow(event.link)

    @on(ReadingPane.LinkFollowed)
    def _text_link(self, event: ReadingPane.LinkFollowed) -> None:
        self.follow(RelatedLink("inline", event.url, event.url))

    def action_follow(self, number: int) -> None:
        if not self.query_one(RelatedPanel).follow(number):
            self.notify(f"No related link {number}.", severity="warning", timeout=2)

    def _go(self, location: Location | None) -> None:
        if location is None:
            self.notify("Nothing to go back to." if location is None else "", timeout=2)
            return
        if location.kind == "section" and location.url in self.sections:
            self._show_section(self.sections[location.url])
        elif location.article_id is not None:
            self.open_article(location.article_id, record=False)

    def action_back(self) -> None:
        self._go(self.history.back())

    def action_forward(self) -> None:
        self._go(self.history.forward())

    # -- keys on the current article -----------------------------------------------------

    def _target_row(self) -> ArticleRow | None:
        return self.article_list.current

    def saved(self, write: Callable[[], object], failed: str) -> bool:
        """Run ``write``, a change of the user's state; if the cache refuses it (locked,
        disk full), say so and return False: the screen shows only what was saved."""
        try:
            write()
        except StoreError as error:
            self.notify(f"{failed}: {error}", title="Not saved", severity="error", markup=False)
            return False
        return True

    def action_toggle_read(self) -> None:
        row = self._target_row()
        failed = "Not marked unread" if row and row.read else "Not marked read"
        if row is None or not self.saved(
            lambda: self.store.set_read([row.id], not row.read), failed
        ):
            return
        if self.article_list.update_row(row.id, read=not row.read):
            self._one_read(1 if row.read else -1)
        else:
            self.update_status()

    def action_toggle_star(self) -> None:
        row = self._target_row()
        if row is None or not self.saved(
            lambda: self.store.set_starred(row.id, not row.starred), "Not starred"
        ):
            return
        self.article_list.update_row(row.id, starred=not row.starred)
        self.notify("Starred." if not row.starred else "Unstarred.", timeout=2)

    def _unread(self, step: int) -> None:
        article_list = self.article_list
        index = self.store.next_unread(
            self.list_query, article_list.cursor, step, at=article_list.current_id
        )
        if index is None:
            self.notify("No more unread articles.", timeout=2)
            return
        article_list.move_to(index)
        row = article_list.row(index)
        if row is not None:
            self.open_article(row.id)

    def action_next_unread(self) -> None:
        self._unread(1)

    def action_previous_unread(self) -> None:
        self._unread(-1)

    def action_page_article(self) -> None:
        """Space: the article's next page; at its end, the next unread article (as in
        mutt and slrn: Space reads through everything)."""
        pane = self.query_one(ReadingPane)
        if pane.at_end():
            self._unread(1)
        else:
            pane.scroll_page_down(animate=False)

    def action_focus_list(self) -> None:
        """Esc: back to the list; in the list, Esc clears a search."""
        if self.article_list.has_focus and self.searching:
            self.clear_search()
            return
        self.article_list.focus()

    def action_open_browser(self) -> None:
        current = self.history.current
        url = current.url if current else ""
        if not url and (row := self._target_row()):
            article = self.store.article(row.id)
            url = article.url if article else ""
        if url:
            self.open_in_browser(url)

    def open_in_browser(self, url: str) -> None:
        """Open an http(s) URL in the user's browser (no shell involved)."""
        safe = safe_url(url)
        if safe is None:
            self.notify("Only http(s) links are opened.", severity="warning")
            return
        self._browser(safe)

    @work(thread=True, group="browser")
    def _browser(self, url: str) -> None:
        try:
            opened = webbrowser.open(url, new=2)
        except webbrowser.Error:
            opened = False
        if not opened:
            self.app.call_from_thread(
                self.notify, f"No browser found to open {url}", severity="warning", markup=False
            )

    # -- refresh --------------------------------------------------------------------------

    def _auto_refresh(self) -> None:
        self.action_refresh(False)

    def action_refresh(self, force: bool = True) -> None:
        if self.refreshing:
            self.notify("A refresh is already running.", timeout=2)
            return
        if not self.config.feeds:
            self.notify("No feeds configured: add some to feeds.toml.", severity="warning")
            return
        self.refreshing = True
        bar = self.query_one("#refresh-progress", ProgressBar)
        bar.update(total=len(self.config.feeds), progress=0)
        bar.display = True
        self.update_status()
        self.run_refresh(force)

    @work(thread=True, group="refresh", exclusive=True)
    def run_refresh(self, force: bool) -> None:
        """Worker: refresh every feed in a child process (feeds.toml on disk is the list),
        so fetching and parsing never slow the keys down; here only its progress is read."""
        from tui.core.models import FeedOutcome

        def progress(done: int, total: int, outcome: FeedOutcome) -> None:
            self.post_message(RefreshProgress(done, total, outcome.name, outcome.error))

        config_path = self.config.path
        try:
            if config_path is not None:
                from tui.core.refresh_process import refresh_in_child

                summary = refresh_in_child(
                    config_path, self.cache_path, force=force, on_progress=progress
                )
            else:  # a config that is not a file: refresh in this process
                from tui.core.refresh import refresh
                from tui.core.workers import start_helpers_in_ui

                start_helpers_in_ui()

                summary = refresh(
                    self.cache_path,
                    self.config.feeds,
                    self.settings,
                    force=force,
                    on_progress=progress,
                )
        except TvnewsError as error:
            self.post_message(RefreshDone(None, str(error)))
        else:
            self.post_message(RefreshDone(summary, prefetched=config_path is not None))

    @on(RefreshProgress)
    def _refresh_progress(self, event: RefreshProgress) -> None:
        """A feed is done: the bar shows it within PROGRESS_EVERY (one repaint for many
        feeds; a repaint per feed was 25 frames a second taken from the keys)."""
        self._progress = (event.done, event.total)
        if self._progress_timer is None:
            self._progress_timer = self.set_timer(PROGRESS_EVERY, self._show_progress)

    def _show_progress(self) -> None:
        self._progress_timer = None
        done, total = self._progress
        self.query_one("#refresh-progress", ProgressBar).update(total=total, progress=done)

    @on(RefreshDone)
    def _refresh_done(self, event: RefreshDone) -> None:
        self.refreshing = False
        if self._progress_timer is not None:
            self._progress_timer.stop()
            self._progress_timer = None
        self.query_one("#refresh-progress").display = False
        if event.summary is None:
            self.notify(f"Refresh failed: {event.error}", severity="error", markup=False)
            self.update_status()
            return
        summary = event.summary
        self.article_list.reload(keep_cursor=True)
        failures = summary.failures  # type: ignore[attr-defined]
        # Named as the sidebar names them (the refresh knows only feeds.toml's names).
        names = {feed.url: feed.display_name for feed in self.store.feeds()} if failures else {}
        self.failing = [(o.url, names.get(o.url, o.name), o.error) for o in failures]
        self.after_refresh(summary, prefetch=not event.prefetched)
        if self.failing:
            lines = [
                f"{clean_line(name, 40)}: {clean_line(reason, 100)}"
                for _url, name, reason in self.failing[:8]
            ]
            if len(self.failing) > 8:
                lines.append(f"… and {len(self.failing) - 8} more")
            self.notify(
                "\n".join(lines),
                title=f"{len(self.failing)} feed{'s' * (len(self.failing) != 1)} failed",
                severity="warning",
                timeout=10,
                markup=False,
            )


#: Rendered articles kept (the ones read last and the likely next ones).
RENDERS_KEPT = 16
#: Quiet time after an article opens before the likely next ones are rendered.
PREPARE_AFTER = 0.05
#: Longest wait before the refresh bar shows a feed done (feeds done meanwhile share it).
PROGRESS_EVERY = 0.25
#: How long after start the parts below the list are filled in.
FIRST_FRAME_SECONDS = 0.3


WELCOME = """# tvnews

Pick an article in the list and press **Enter** to read it.

| Key | Action |
|---|---|
| j / k | move in the list |
| Enter | open the article |
| Tab | next pane |
| Space | scroll the article |
| 1–9 | follow a related link (NEXT, More in, Source) |
| b / f | back / forward |
| n / p | next / previous unread |
| r | refresh all feeds |
| ? | every key |
| q | back, then quit |
"""

__all__ = ["MainScreen", "long_date"]
