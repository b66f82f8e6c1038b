"""Back/forward history of what the reading pane shows, like a browser's."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Location:
    """Something the reading pane can show."""

    kind: str
    """``article`` (a cached article by id) or ``section`` (a section page by URL)."""
    article_id: int | None = None
    url: str = ""
    title: str = ""


@dataclass(slots=True)
class History:
    """A list of locations and the index of the current one."""

    entries: list[Location] = field(default_factory=list)
    index: int = -1
    limit: int = 200

    @property
    def current(self) -> Location | None:
        """Where the reader is, or None before anything was opened."""
        return self.entries[self.index] if self.entries else None

    def visit(self, location: Location) -> None:
        """Go to ``location``: forward entries are dropped, a repeat of the current is ignored."""
        if self.current == location:
            return
        del self.entries[self.index + 1 :]
        self.entries.append(location)
        if len(self.entries) > self.limit:
            del self.entries[0]
        self.index = len(self.entries) - 1

    def back(self) -> Location | None:
        """Step back; None when there is nothing behind."""
        if self.index <= 0:
            return None
        self.index -= 1
        return self.current

    def forward(self) -> Location | None:
        """Step forward; None when there is nothing ahead."""
        if self.index >= len(self.entries) - 1:
            return None
        self.index += 1
        return self.current

    @property
    def can_go_back(self) -> bool:
        """True when :meth:`back` would move."""
        return self.index > 0

    @property
    def can_go_forward(self) -> bool:
        """True when :meth:`forward` would move."""
        return self.index < len(self.entries) - 1
