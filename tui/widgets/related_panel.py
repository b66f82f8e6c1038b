"""The related-links panel: the links an article offers its reader, numbered."""

from __future__ import annotations

from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from tui.core.models import RELATED_KINDS, RelatedLink
from tui.core.sanitize import clean_line

KIND_LABELS = {
    "next": "NEXT",
    "more": "MORE",
    "source": "SOURCE",
    "related": "RELATED",
    "inline": "LINK",
}


class RelatedPanel(OptionList):
    """``1 NEXT  Things We Want In Jessica Jones Season 2``; Enter or 1–9 follows."""

    class Followed(Message):
        """The reader chose a link."""

        def __init__(self, link: RelatedLink) -> None:
            self.link = link
            super().__init__()

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.links: tuple[RelatedLink, ...] = ()
        self.border_title = "Related"

    def show_links(self, links: tuple[RelatedLink, ...], title: str = "Related") -> None:
        """Replace the list, grouped NEXT, MORE, SOURCE, RELATED, LINK (page order within a kind).

        Feed text is shown as plain text, never as markup.
        """
        rank = {kind: n for n, kind in enumerate(RELATED_KINDS)}
        links = tuple(sorted(links, key=lambda link: rank.get(link.kind, len(rank))))
        self.links = links
        self.clear_options()
        self.add_options([self._option(number, link) for number, link in enumerate(links, 1)])
        self.border_title = f"{title} ({len(links)})" if links else title
        self.display = True

    def _option(self, number: int, link: RelatedLink) -> Option:
        kind = KIND_LABELS.get(link.kind, clean_line(link.kind, 10).upper())
        prompt = Content.assemble(
            (f"{number:>2} " if number <= 9 else "   ", "bold"),
            (f"{kind:<8}", "bold $accent"),
            clean_line(link.label, 300) or clean_line(link.url, 300),
        )
        return Option(prompt)

    def follow(self, number: int) -> bool:
        """Follow link ``number`` (1-based); False when there is no such link."""
        if 1 <= number <= len(self.links):
            self.post_message(self.Followed(self.links[number - 1]))
            return True
        return False

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.follow(event.option_index + 1)
