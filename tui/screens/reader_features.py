"""What a daily reader expects, mixed into the main screen: views and the sidebar, adding and
removing feeds, mark all read with undo, show/hide read, sort, copy, save, feed health.

The main screen keeps the routing; this module keeps the features, so each stays short.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from typing import TYPE_CHECKING

from textual import work
from textual.binding import Binding
from textual.content import Content
from textual.message import Message

import tui.widgets.lead_image as lead_image_module
from tui.core.errors import TvnewsError
from tui.core.models import Article, FeedState, ListQuery
from tui.core.sanitize import clean_line
from tui.core.store import Store
from tui.widgets.lead_image import LeadPicture
from tui.widgets.reading_pane import ReadingPane
from tui.widgets.sidebar import (
    ALL,
    STARRED,
    UNREAD,
    Sidebar,
    SidebarCounts,
    SidebarRow,
    View,
    sidebar_rows,
)

if TYPE_CHECKING:
    from textual.timer import Timer

    from tui.screens.dialogs import FeedToAdd
    from tui.screens.main import MainScreen

FEATURE_BINDINGS = [
    # A priority binding, like / : the app opens the dialog before it hands on the next
    # key, so a URL typed or pasted right after ``a`` lands in the dialog.
    Binding("a", "add_feed", "Add feed", show=False, id="add_feed", priority=True),
    Binding("D", "remove_feed", "Remove feed", show=False, id="remove_feed"),
    Binding("A", "mark_all_read", "All read", id="mark_all_read"),
    Binding("u", "undo", "Undo", show=False, id="undo"),
    Binding("h", "toggle_show_read", "Show/hide read", show=False, id="toggle_show_read"),
    Binding("O", "toggle_sort", "Sort date/feed", show=False, id="toggle_sort"),
    Binding("U", "show_view('unread')", "Unread view", show=False, id="view_unread"),
    Binding("S", "show_view('starred')", "Starred view", show=False, id="view_starred"),
    Binding("V", "show_view('all')", "All articles view", show=False, id="view_all"),
    Binding("y", "copy_url", "Copy URL", show=False, id="copy_url"),
    Binding("w", "save_markdown", "Save as Markdown", show=False, id="save_markdown"),
    Binding("E", "feed_health", "Feed health", show=False, id="feed_health"),
    Binding("backslash", "toggle_sidebar", "Show/hide sidebar", show=False, id="toggle_sidebar"),
    Binding("T", "app.change_theme", "Theme", show=False, id="change_theme"),
]

_FIXED_VIEWS = {"all": ALL, "unread": UNREAD, "starred": STARRED}
#: Terminals narrower than this start with the sidebar hidden (\\ shows it).
NARROW = 140
#: Seconds the sidebar waits before re-counting (many marks in a row count once).
SIDEBAR_DELAY = 0.15


#: Marking more articles than this (mark all read, its undo) is saved by a worker, in
#: batches: 98,821 articles took 3.2 s in one go on the UI thread (SQLite rewrites each
#: whole row), and the app answered no key meanwhile.
MARK_IN_BACKGROUND = 2000


class MarksSaved(Message):
    """A worker has marked many articles read or unread (or stopped part way)."""

    def __init__(self, saved: list[int], unsaved: list[int], read: bool, error: str) -> None:
        self.saved, self.unsaved, self.read, self.error = saved, unsaved, read, error
        super().__init__()


class ReaderFeatures:
    """Mixin for :class:`~tui.screens.main.MainScreen` (it provides store, list, status…)."""

    def init_features(self: MainScreen) -> None:
        """State of the features; call from ``__init__``."""
        self.view: View = ALL
        self.show_read = self.settings.show_read
        self.sort = "date"
        self.undo_marks: list[list[int]] = []
        self.marking = False
        """A worker is saving a big mark all read (or its undo)."""
        self._quit_after_marks = False
        self.last_refresh: float | None = None
        self._sidebar_timer: Timer | None = None
        self._sidebar_counting = 0
        """Sidebar counts asked for so far; only the latest is shown."""
        # The cache follows the feed list the app was given (names, sections, active).
        self.store.sync_feeds((f.url, f.name, f.section) for f in self.config.feeds)

    def mount_features(self: MainScreen) -> None:
        """Apply settings to widgets; call from ``on_mount``. The sidebar is filled after
        the first frame (:meth:`_update_sidebar`): counting 500 feeds and drawing them
        took ~90 ms at 100k articles, and the articles come first."""
        pane = self.query_one("#reading-pane", ReadingPane)
        pane.set_reading_width(self.settings.reading_width)
        self.last_refresh = self.store.last_fetched()
        self.article_list.border_title = "Articles"
        self._show_sidebar(self.app.size.width >= NARROW)
        self.query_one("#right").mount(LeadPicture(id="lead-picture"), before=pane)
        self.set_interval(60, self.update_status)

    # -- views ----------------------------------------------------------------------------

    def view_query(self: MainScreen, view: View) -> ListQuery:
        """The list query of ``view`` under the show-read and sort choices (search is kept)."""
        return ListQuery(
            feed_id=view.feed_id if view.kind == "feed" else None,
            section=view.section if view.kind == "section" else None,
            unread_only=view.kind == "unread" or (not self.show_read and view.kind != "starred"),
            starred_only=view.kind == "starred",
            search=self.list_query.search,
            sort=self.sort,
        )

    def apply_view(
        self: MainScreen, view: View | None = None, *, keep_cursor: bool = False
    ) -> None:
        """Show ``view`` (or the current one again with new show-read/sort choices)."""
        from tui.screens.main import StoreRows

        if view is not None:
            self.view = view
        self.list_query = self.view_query(self.view)
        self.article_list.empty_text = empty_text(self.list_query)
        self.article_list.set_source(
            StoreRows(self.store, self.list_query), keep_cursor=keep_cursor
        )
        title = "Articles" if self.view is ALL else clean_line(self.view.title, 60)
        flags = [
            flag
            for flag, on in (
                ("unread only", not self.show_read and self.view.kind not in ("unread", "starred")),
                ("by feed", self.sort == "feed"),
            )
            if on
        ]
        # Content, not str: a border title string is parsed as markup, feed names are not markup.
        self.article_list.border_title = Content(
            title + (f" ({', '.join(flags)})" if flags else "")
        )
        self.update_status()

    def on_sidebar_view_chosen(self: MainScreen, event: Sidebar.ViewChosen) -> None:
        event.stop()
        self.apply_view(event.view)
        self.article_list.focus()

    def action_show_view(self: MainScreen, kind: str) -> None:
        """U, S, V: the unread, starred and all-articles views."""
        self.apply_view(_FIXED_VIEWS.get(kind, ALL))

    def show_feed(self: MainScreen, feed_id: int) -> None:
        """The view of one feed."""
        feed = next((f for f in self.store.feeds() if f.id == feed_id), None)
        if feed is not None:
            self.apply_view(View("feed", feed_id=feed.id, title=clean_line(feed.display_name, 80)))

    def show_section(self: MainScreen, section: str) -> None:
        """The view of one section."""
        self.apply_view(View("section", section=section, title=clean_line(section, 80)))

    def action_toggle_show_read(self: MainScreen) -> None:
        self.show_read = not self.show_read
        self.apply_view(keep_cursor=True)
        self.notify(
            "Showing read articles." if self.show_read else "Hiding read articles.", timeout=2
        )

    def action_toggle_sort(self: MainScreen) -> None:
        self.sort = "feed" if self.sort == "date" else "date"
        self.apply_view()
        self.notify("Sorted by feed." if self.sort == "feed" else "Sorted by date.", timeout=2)

    def action_toggle_sidebar(self: MainScreen) -> None:
        self._show_sidebar(not self.query_one(Sidebar).display)

    def _show_sidebar(self: MainScreen, show: bool) -> None:
        sidebar = self.query_one(Sidebar)
        if not show and sidebar.has_focus:
            self.article_list.focus()
        shown = show and not sidebar.display
        sidebar.display = show
        self.query_one("#panes").set_class(show, "-with-sidebar")
        if shown:
            self._update_sidebar()

    # -- sidebar and status ---------------------------------------------------------------

    def refresh_sidebar(self: MainScreen) -> None:
        """Re-count the sidebar soon (debounced)."""
        if self._sidebar_timer is None and self.is_mounted:
            self._sidebar_timer = self.set_timer(SIDEBAR_DELAY, self._update_sidebar)

    def _update_sidebar(self: MainScreen) -> None:
        """Count the feeds now, on a worker thread, and show them when counted.

        Counting 500 feeds' articles takes ~35 ms at 100k: on the UI thread a key typed
        meanwhile (the next ``n``) waited for it, after every article opened.
        """
        if self._sidebar_timer is not None:
            self._sidebar_timer.stop()
            self._sidebar_timer = None
        if not self.query_one(Sidebar).display:  # hidden: counted when it is shown
            return
        self._sidebar_counting += 1
        self._count_sidebar(self._sidebar_counting)

    @work(thread=True, group="sidebar")
    def _count_sidebar(self: MainScreen, counting: int) -> None:
        """Worker: the feeds with their counts, from a connection of its own."""
        try:
            store = Store(self.store.path, readonly=True)
            try:
                feeds = store.feeds()
                counts = SidebarCounts(
                    unread=sum(feed.unread for feed in feeds),
                    starred=store.count(ListQuery(starred_only=True)),
                )
            finally:
                store.close()
        except (TvnewsError, sqlite3.Error):
            return  # the cache is busy or gone: the counts stay until the next update
        rows = sidebar_rows(feeds, counts)
        with contextlib.suppress(RuntimeError):  # the app has quit meanwhile
            self.app.call_from_thread(self._show_sidebar_rows, counting, rows)

    def _show_sidebar_rows(self: MainScreen, counting: int, rows: list[SidebarRow]) -> None:
        """Show counted rows, unless a later count is on its way."""
        if counting == self._sidebar_counting and self.is_mounted:
            self.query_one(Sidebar).show_rows(rows, self.view)

    def status_parts(self: MainScreen) -> list[str]:
        """Extra parts of the status line: a refresh running, or when feeds were last
        fetched."""
        from tui.core.timefmt import age

        if self.refreshing:
            return ["refreshing…"]
        if not self.last_refresh:
            return ["not refreshed yet"]
        ago = age(self.last_refresh)
        return ["refreshed just now" if ago in ("", "now") else f"refreshed {ago} ago"]

    def after_refresh(self: MainScreen, summary: object, *, prefetch: bool = True) -> None:
        """A refresh finished: note the time, tell about new articles, prefetch pages
        (unless the refresh did)."""
        self.last_refresh = time.time()
        new = getattr(summary, "new", 0)
        if new:
            by_feed = sorted(
                ((o.new, clean_line(o.name, 30)) for o in summary.outcomes if o.new),  # type: ignore[attr-defined]
                reverse=True,
            )
            detail = ", ".join(f"{name} {count}" for count, name in by_feed[:4])
            more = f" and {len(by_feed) - 4} more feeds" if len(by_feed) > 4 else ""
            self.notify(
                f"{detail}{more}",
                title=f"{new} new article{'s' * (new != 1)}",
                timeout=6,
                markup=False,
            )
        self.update_status()
        if prefetch and self.settings.prefetch_full_articles:
            self.prefetch_pages()

    @work(thread=True, group="prefetch", exclusive=True)
    def prefetch_pages(self: MainScreen) -> None:
        """Worker: cache the full text of recent articles (setting prefetch_full_articles)."""
        from tui.core.prefetch import prefetch_after_refresh

        _saved, stopped = prefetch_after_refresh(self.cache_path, self.settings)
        if stopped:
            self.app.call_from_thread(
                self.notify, f"Prefetch stopped: {stopped}", severity="warning", markup=False
            )

    # -- the lead picture ---------------------------------------------------------------

    def show_lead_image(self: MainScreen, article: Article | None) -> None:
        """Show the article's lead picture where the terminal can (see widgets/lead_image)."""
        if lead_image_module.PICTURE_WIDGET is None:  # pictures are off: nothing to do
            return
        from tui.core.images import lead_image
        from tui.core.render import split_base

        pictures = self.query(LeadPicture)
        if not pictures:
            return
        image = None
        if article is not None:
            html, base = split_base(article.content or article.summary, article.url)
            image = lead_image(html, base)
        if pictures.first().expect(image) and image is not None:
            self.fetch_picture(image.url)

    @work(thread=True, group="picture", exclusive=True)
    def fetch_picture(self: MainScreen, url: str) -> None:
        """Worker: fetch the picture (an image, of bounded size) and hand it to the widget."""
        from tui.core.images import MAX_IMAGE_BYTES
        from tui.core.pages import fetch

        try:
            response = fetch(url, self.settings, accept="image/*")
        except TvnewsError:
            return
        if response.content_type.startswith("image/") and len(response.body) <= MAX_IMAGE_BYTES:
            picture = self.query_one(LeadPicture)
            self.app.call_from_thread(picture.show_picture, url, response.body)

    # -- marks ----------------------------------------------------------------------------

    def action_mark_all_read(self: MainScreen) -> None:
        """A: mark every unread article of the current view read (u undoes)."""
        if self._still_marking():
            return
        ids = self.store.unread_ids(self.list_query, MARK_IN_BACKGROUND + 1)
        if not ids:
            self.notify("Nothing unread here.", timeout=2)
            return
        if len(ids) > MARK_IN_BACKGROUND:  # the worker reads them all (98,821: ~0.1 s)
            self._mark_in_background(self.list_query, read=True)
            return
        if not self.saved(lambda: self.store.set_read(ids, True), "Not marked read"):
            return
        self.undo_marks.append(ids)
        self.article_list.reload(keep_cursor=True)
        self.update_status()
        self.notify(
            f"Marked {len(ids):,} article{'s' * (len(ids) != 1)} read. Press u to undo.", timeout=4
        )

    def action_undo(self: MainScreen) -> None:
        """u: make the articles of the last mark-all-read unread again."""
        if self._still_marking():
            return
        if not self.undo_marks:
            self.notify("Nothing to undo.", timeout=2)
            return
        ids = self.undo_marks[-1]
        if len(ids) > MARK_IN_BACKGROUND:
            self.undo_marks.pop()
            self._mark_in_background(ids, read=False)
            return
        if not self.saved(lambda: self.store.set_read(ids, False), "Not undone"):
            return
        self.undo_marks.pop()
        self.article_list.reload(keep_cursor=True)
        self.update_status()
        self.notify(f"{len(ids):,} article{'s' * (len(ids) != 1)} unread again.", timeout=2)

    def _still_marking(self: MainScreen) -> bool:
        """A big mark is being saved: say so (one at a time keeps undo in order)."""
        if self.marking:
            self.notify("Still marking the last articles; try again in a moment.", timeout=2)
        return self.marking

    def _mark_in_background(self: MainScreen, what: list[int] | ListQuery, *, read: bool) -> None:
        """Mark many articles by a worker, ``what``: their ids, or a list whose unread
        articles to mark read; the keys work meanwhile (see MARK_IN_BACKGROUND)."""
        self.marking = True
        self.article_list.total_is_unmarked = False
        many = f"{len(what):,} articles" if isinstance(what, list) else "every unread article here"
        self.notify(f"Marking {many} {'read' if read else 'unread'}…", timeout=3)
        self.save_marks(what, read)

    def quit_after_marks(self: MainScreen) -> bool:
        """q while a big mark is being saved: quit once it is, and say so (Python would
        wait for the worker's thread at exit anyway, silently). False if none is."""
        if self.marking and not self._quit_after_marks:
            self.notify("Saving the marks first; tvnews quits when they are saved…")
            self._quit_after_marks = True
        return self.marking

    @work(thread=True, group="marks")
    def save_marks(self: MainScreen, what: list[int] | ListQuery, read: bool) -> None:
        """Worker: mark articles read or unread on its own connection, in batches."""
        saved, error, ids = 0, "", what if isinstance(what, list) else []
        try:
            store = Store(self.cache_path)
            try:
                if isinstance(what, ListQuery):
                    ids = store.unread_ids(what)
                for done in store.set_read_in_batches(ids, read):
                    saved = done  # what a failure part way leaves saved
            finally:
                store.close()
        except TvnewsError as failure:
            error = str(failure)
        self.post_message(MarksSaved(ids[:saved], ids[saved:], read, error))

    def on_marks_saved(self: MainScreen, event: MarksSaved) -> None:
        self.marking = False
        # What is still read after a stopped undo stays undoable; a stopped mark all read
        # can be undone for what it did.
        kept = event.saved if event.read else event.unsaved
        if kept:
            self.undo_marks.append(kept)
        self.article_list.reload(keep_cursor=True)
        self.update_status()
        count, state = len(event.saved), "read" if event.read else "unread"
        if event.error:
            done = f"{count:,} of {count + len(event.unsaved):,} marked {state}. " if count else ""
            self.notify(
                f"{done}Not marked {state}: {event.error}",
                title="Not saved",
                severity="error",
                markup=False,
            )
        elif event.read:
            self.notify(f"Marked {count:,} articles read. Press u to undo.", timeout=4)
        else:
            self.notify(f"{count:,} articles unread again.", timeout=2)
        if self._quit_after_marks:
            self.app.exit()

    # -- the current article: copy, save ---------------------------------------------------

    def current_article(self: MainScreen) -> Article | None:
        """The article in the reading pane, else the one under the list cursor."""
        current = self.history.current
        if current is not None and current.kind == "article" and current.article_id is not None:
            return self.store.article(current.article_id)
        row = self.article_list.current
        return self.store.article(row.id) if row else None

    def current_url(self: MainScreen) -> str:
        """The URL of what is shown (article or section), else of the highlighted row."""
        current = self.history.current
        if current is not None and current.url:
            return current.url
        article = self.current_article()
        return article.url if article else ""

    def action_copy_url(self: MainScreen) -> None:
        """y: copy the URL to the clipboard (OSC 52; works over SSH in most terminals)."""
        from tui.core.sanitize import safe_url

        url = safe_url(self.current_url())
        if not url:
            self.notify("No link to copy.", severity="warning", timeout=2)
            return
        self.app.copy_to_clipboard(url)
        self.notify(url, title="Copied", timeout=3, markup=False)

    def action_save_markdown(self: MainScreen) -> None:
        """w: write the article as a Markdown file into save_dir."""
        from tui.core.article_file import default_save_dir, save_markdown

        article = self.current_article()
        if article is None:
            self.notify("No article to save.", severity="warning", timeout=2)
            return
        try:
            path = save_markdown(article, default_save_dir(self.settings.save_dir))
        except TvnewsError as error:
            self.notify(str(error), title="Not saved", severity="error", markup=False)
            return
        self.notify(str(path), title="Saved", timeout=4, markup=False)

    # -- feeds: add, remove, health --------------------------------------------------------

    def _config_path(self: MainScreen):  # Path | None
        path = self.config.path
        if path is None:
            self.notify("This feed list has no file to edit.", severity="warning")
        return path

    async def action_add_feed(self: MainScreen) -> None:
        """a: ask for a feed or site URL; the feed is found, added to feeds.toml and fetched."""
        if self._config_path() is None:
            return
        section = self.view.section if self.view.kind == "section" else ""
        known = frozenset(feed.url for feed in self.config.feeds)
        from tui.screens.dialogs import AddFeedDialog

        dialog = AddFeedDialog(self.settings, section or "", known)
        await self.app.push_screen(dialog, self._feed_found)
        dialog.focus_url()  # before the app passes on the next key

    def _feed_found(self: MainScreen, found: FeedToAdd | None) -> None:
        from tui.core.feedlist import NewFeed, add_feeds

        path = self._config_path()
        if found is None or path is None:
            return
        try:
            config, added = add_feeds(path, [NewFeed(found.url, found.name, found.section)])
        except TvnewsError as error:
            self.notify(str(error), title="Feed not added", severity="error", markup=False)
            return
        if not added:
            self.notify(f"Already in your feeds: {found.url}", severity="warning", markup=False)
            return
        self.use_config(config)
        self.notify(f"{found.name or found.url}", title="Feed added", timeout=4, markup=False)
        if not self.refreshing:
            self.action_refresh(False)

    def use_config(self: MainScreen, config: object) -> None:
        """Switch to an edited feed list: cache feeds, sidebar and later refreshes follow it."""
        self.config = config  # type: ignore[assignment]
        self.app.config = config  # type: ignore[attr-defined]
        self.store.sync_feeds((f.url, f.name, f.section) for f in self.config.feeds)
        self._update_sidebar()
        self.apply_view(keep_cursor=True)

    def _target_feed(self: MainScreen) -> FeedState | None:
        """The sidebar's highlighted feed when it has focus, the view's, or the row's feed."""
        sidebar = self.query_one(Sidebar)
        feed_id = None
        if sidebar.has_focus and (view := sidebar.highlighted_view) and view.kind == "feed":
            feed_id = view.feed_id
        elif self.view.kind == "feed":
            feed_id = self.view.feed_id
        elif (row := self.article_list.current) and (article := self.store.article(row.id)):
            feed_id = article.feed_id
        return next((feed for feed in self.store.feeds() if feed.id == feed_id), None)

    def action_remove_feed(self: MainScreen) -> None:
        """D: remove the selected feed from feeds.toml (after asking)."""
        feed = self._target_feed()
        if feed is None or self._config_path() is None:
            self.notify("Pick a feed in the sidebar first.", severity="warning", timeout=3)
            return
        question = f"Remove the feed {clean_line(feed.display_name, 80)}?"
        detail = (
            f"{feed.url}\nIts articles leave the list; starred ones stay in the cache. "
            "Your other feeds.toml content stays as it is."
        )
        from tui.screens.dialogs import ConfirmDialog

        self.app.push_screen(
            ConfirmDialog(question, detail), lambda yes: self._remove_confirmed(feed, yes)
        )

    def _remove_confirmed(self: MainScreen, feed: FeedState, yes: bool | None) -> None:
        from tui.core.feedlist import remove_feed

        path = self._config_path()
        if not yes or path is None:
            return
        try:
            config = remove_feed(path, feed.url)
        except TvnewsError as error:
            self.notify(str(error), title="Feed not removed", severity="error", markup=False)
            return
        if self.view.kind == "feed" and self.view.feed_id == feed.id:
            self.view = ALL
        self.failing = [failure for failure in self.failing if failure[0] != feed.url]
        self.use_config(config)
        self.notify(
            clean_line(feed.display_name, 80), title="Feed removed", timeout=4, markup=False
        )

    def action_feed_health(self: MainScreen) -> None:
        """E: every feed with its status; Enter on one shows its articles."""
        from tui.core.schedule import next_fetch
        from tui.screens.health import FeedHealthScreen

        configured = {feed.url: feed for feed in self.config.feeds}
        settings, now = self.settings, time.time()

        def next_of(feed: FeedState) -> str:
            config = configured.get(feed.url)
            return next_fetch(config, settings, feed, now) if config else ""

        self.app.push_screen(FeedHealthScreen(self.store.feeds(), next_of), self._health_closed)

    def _health_closed(self: MainScreen, feed_id: int | None) -> None:
        if feed_id is not None:
            self.show_feed(feed_id)
            self.article_list.focus()

    def failing_feeds(self: MainScreen) -> list[FeedState]:
        """Feeds whose last refresh failed (not-well-formed warnings are not failures)."""
        from tui.screens.health import feed_status

        return [feed for feed in self.store.feeds() if feed_status(feed) == "failing"]


__all__ = ["FEATURE_BINDINGS", "ReaderFeatures"]


def empty_text(query: ListQuery) -> str:
    """What an empty list says: why this view has nothing, and what to press."""
    if query.search:
        return "No articles match. Esc clears the search."
    if query.starred_only:
        return "Nothing starred yet. Press s on an article to star it."
    here = " here" if query.feed_id is not None or query.section is not None else ""
    if query.unread_only:
        return f"No unread articles{here}. Press r to refresh."
    return f"No articles{here} yet. Press r to refresh."
