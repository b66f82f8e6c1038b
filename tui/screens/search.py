"""Full-text search on the main screen: ``/`` opens the bar, Enter lists the matches.

Matches replace the list (newest first, within the current view) and the words found
are highlighted in titles; Esc clears the search and brings the view back.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from textual.binding import Binding
from textual.content import Content

from tui.core.errors import StoreError
from tui.core.sanitize import clean_line
from tui.core.search import search_terms
from tui.screens.reader_features import empty_text
from tui.widgets.search_bar import SearchBar

if TYPE_CHECKING:
    from tui.screens.main import MainScreen

#: A priority binding: the app runs it (mounting and focusing the bar) before it hands
#: on the next key, so words typed right after ``/`` land in the bar, not on the list.
SEARCH_BINDINGS = [Binding("slash", "search", "Search", show=False, id="search", priority=True)]


class SearchFeature:
    """Mixin for :class:`~tui.screens.main.MainScreen`."""

    _search_bar: SearchBar | None = None

    @property
    def search_bar(self: MainScreen) -> SearchBar | None:
        """The bar, once ``/`` has been pressed (it is not part of the first screen)."""
        return self._search_bar

    def check_action(self: MainScreen, action: str, parameters: tuple[object, ...]) -> bool | None:
        """In the search bar, ``/`` and ``a`` (priority keys) are characters to type."""
        bar = self.search_bar
        if action in ("search", "add_feed") and bar is not None and self.focused is bar.input:
            return False
        return super().check_action(action, parameters)  # type: ignore[safe-super]

    @property
    def searching(self: MainScreen) -> bool:
        """True while the list shows search results."""
        return bool(self.list_query.search)

    async def action_search(self: MainScreen) -> None:
        """/: open the search bar (with the current search, to edit it)."""
        bar = self.search_bar
        if bar is None:
            bar = self._search_bar = SearchBar(id="search-bar")
            await self.mount(bar, after=self.query_one("#title-bar"))
        bar.open(self.list_query.search)

    def on_search_bar_submitted(self: MainScreen, event: SearchBar.Submitted) -> None:
        event.stop()
        if not search_terms(event.text):
            self.clear_search()
            return
        self.run_search(event.text)
        self.set_focus(self.article_list)  # at once (focus() waits for a later turn)

    def on_search_bar_cleared(self: MainScreen, event: SearchBar.Cleared) -> None:
        event.stop()
        self.clear_search()

    def run_search(self: MainScreen, text: str) -> None:
        """List the articles of the current view that match ``text``."""
        self.list_query = replace(self.list_query, search=text)
        try:
            self.apply_view()
        except StoreError as error:
            self.notify(str(error), title="Search failed", severity="error", markup=False)
            self.clear_search()

    def show_search_state(self: MainScreen, matches: int) -> None:
        """Title, highlight and count of the search shown (again after a reload)."""
        text = self.list_query.search
        article_list = self.article_list
        article_list.highlight_terms = search_terms(text)
        # Content, not str: a border title string is parsed as markup, and this is typed text.
        article_list.border_title = Content(f"Search: {clean_line(text, 40)}")
        article_list.empty_text = empty_text(self.list_query)
        article_list.border_subtitle = f"{matches:,} match{'es' * (matches != 1)}"
        article_list.refresh()
        if self.search_bar is not None:
            self.search_bar.show_count(matches)

    def clear_search(self: MainScreen) -> None:
        """Back to the view as it was before searching; close the bar."""
        if self.search_bar is not None:
            self.search_bar.close()
        article_list = self.article_list
        article_list.highlight_terms = []
        if self.searching:
            self.list_query = replace(self.list_query, search="")
            self.apply_view()
        article_list.focus()
