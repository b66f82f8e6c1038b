"""The command palette (Ctrl+P): every key's action, every view, every feed and section.

The same binding groups generate the help screen, so the two never disagree; both
show the keys in force after the ``[keys]`` table is applied.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.dom import DOMNode
from textual.markup import escape

from tui.core.sanitize import clean_line
from tui.screens.help import key_text

#: Bindings that have their own, clearer palette commands or make no sense there.
_NOT_IN_PALETTE = {"command_palette", "quit_now", "next_pane", "prev_pane", "focus_list"}


@dataclass(frozen=True, slots=True)
class BindingGroup:
    """Bindings of one place (the app, the reader screen, a pane) and the node that runs them."""

    where: str
    bindings: tuple[Binding, ...]
    node: DOMNode | None


def binding_groups(app: object) -> list[BindingGroup]:
    """Every binding of the app, the main screen, the sidebar and the panes."""
    from tui.screens.main import MainScreen
    from tui.widgets.article_list import ArticleList
    from tui.widgets.reading_pane import ReadingPane
    from tui.widgets.sidebar import Sidebar

    main = next((s for s in getattr(app, "screen_stack", ()) if isinstance(s, MainScreen)), None)

    def node(kind: type) -> DOMNode | None:
        if main is None:
            return None
        found = main.query(kind)
        return found.first() if found else None

    return [
        BindingGroup("Global", tuple(type(app).BINDINGS), app),  # type: ignore[arg-type]
        BindingGroup("Reader", tuple(MainScreen.BINDINGS), main),
        BindingGroup("Sidebar", tuple(Sidebar.BINDINGS), node(Sidebar)),
        BindingGroup("List", tuple(ArticleList.BINDINGS), node(ArticleList)),
        BindingGroup("Article", tuple(ReadingPane.BINDINGS), node(ReadingPane)),
    ]


def keys_in_force(binding: Binding, keymap: dict[str, str]) -> str:
    """The binding's keys after the ``[keys]`` table (binding id -> keys)."""
    return keymap.get(binding.id or "", binding.key)


def known_binding_ids(app: object) -> set[str]:
    """Ids that ``[keys]`` may name."""
    from tui.screens.dialogs import AddFeedDialog, ConfirmDialog
    from tui.screens.health import FeedHealthScreen
    from tui.screens.help import HelpScreen

    bindings = [b for group in binding_groups(app) for b in group.bindings]
    for screen in (HelpScreen, AddFeedDialog, ConfirmDialog, FeedHealthScreen):
        bindings += screen.BINDINGS  # type: ignore[arg-type]
    return {b.id for b in bindings if isinstance(b, Binding) and b.id}


@dataclass(frozen=True, slots=True)
class Command:
    """One palette entry."""

    name: str
    help: str
    run: Callable[[], object]


class TvnewsCommands(Provider):
    """Actions (with their keys), views, sections and feeds."""

    def commands(self) -> Iterator[Command]:
        """Everything the palette offers over the current screen."""
        from tui.screens.main import MainScreen

        app = self.app
        keymap: dict[str, str] = dict(getattr(getattr(app, "config", None), "keys", {}) or {})
        for group in binding_groups(app):
            if group.node is None:
                continue
            for binding in group.bindings:
                if (
                    not binding.description
                    or binding.id in _NOT_IN_PALETTE
                    or (binding.id or "").startswith("follow_")
                ):
                    continue
                keys = key_text(keys_in_force(binding, keymap))
                yield Command(
                    binding.description,
                    f"{keys} · {group.where}",
                    partial(app.call_later, app.run_action, binding.action, group.node),
                )
        main = next((s for s in app.screen_stack if isinstance(s, MainScreen)), None)
        if main is None:
            return
        feeds = main.store.feeds()
        for section in sorted({feed.section for feed in feeds if feed.section}, key=str.casefold):
            name = clean_line(section, 80)
            yield Command(
                f"Section: {name}", "show this section", partial(main.show_section, section)
            )
        for feed in feeds:
            name = clean_line(feed.display_name, 80)
            unread = f"{feed.unread} unread"
            yield Command(f"Feed: {name}", unread, partial(main.show_feed, feed.id))

    async def discover(self) -> Hits:
        for command in self.commands():
            yield DiscoveryHit(
                Content(command.name), command.run, text=command.name, help=escape(command.help)
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self.commands():
            score, offsets = matcher.fuzzy_search.match(matcher.query, command.name)
            if score > 0:
                yield Hit(
                    score,
                    _highlight(command.name, offsets, matcher.match_style),
                    command.run,
                    text=command.name,
                    help=escape(command.help),
                )


def _highlight(name: str, offsets: Sequence[int], style: object) -> Content:
    """The name as plain text (never markup: feed names are untrusted), matches marked."""
    content = Content(name)
    for offset in offsets:
        if not name[offset].isspace():
            content = content.stylize(style, offset, offset + 1)  # type: ignore[arg-type]
    return content
