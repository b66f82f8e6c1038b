"""The bottom line: the keys of the focused pane, repainted in place when focus moves.

Textual's ``Footer`` builds a widget per key and lays the whole screen out again each
time the focus moves (~150 ms per Tab with 100k articles listed). This bar draws the same
keys as one line of text; a click on a key presses it.
"""

from __future__ import annotations

from typing import NamedTuple

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.screen import Screen
from textual.strip import Strip
from textual.widget import Widget

from tui.widgets.quiet import SameLinesUntilDirty


class ShownKey(NamedTuple):
    """One key on the bar."""

    key: str
    display: str
    description: str
    enabled: bool


class KeyBar(SameLinesUntilDirty, Widget):
    """The keys the focused widget and its screen offer (bindings with ``show=True``)."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"key-bar--key", "key-bar--description"}
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom; height: 1; width: 1fr;
        background: $footer-background;
        color: $footer-foreground;
    }
    KeyBar > .key-bar--key {
        color: $footer-key-foreground; background: $footer-key-background; text-style: bold;
    }
    KeyBar > .key-bar--description {
        color: $footer-description-foreground; background: $footer-description-background;
    }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._keys: tuple[ShownKey, ...] = ()
        self._palette: ShownKey | None = None
        self._hovered = ""

    @property
    def keys(self) -> tuple[ShownKey, ...]:
        """The keys shown, left to right (the command palette key last, on the right)."""
        return self._keys + ((self._palette,) if self._palette else ())

    @property
    def hovered(self) -> str:
        """The key under the mouse pointer, shown highlighted (empty: none)."""
        return self._hovered

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._bindings_changed(self.screen)

    def _bindings_changed(self, screen: Screen) -> None:
        if screen is not self.screen:
            return
        app = self.app
        shown: list[ShownKey] = []
        seen_actions: set[str] = set()
        palette: ShownKey | None = None
        for _node, binding, enabled, _tooltip in screen.active_bindings.values():
            key = ShownKey(binding.key, app.get_key_display(binding), binding.description, enabled)
            if binding.key == app.COMMAND_PALETTE_BINDING:
                palette = key if app.ENABLE_COMMAND_PALETTE else None
                continue
            if binding.show and binding.action not in seen_actions:
                seen_actions.add(binding.action)
                shown.append(key)
        if (tuple(shown), palette) != (self._keys, self._palette):
            self._keys, self._palette = tuple(shown), palette
            self.refresh()

    def render_line(self, y: int) -> Strip:
        """The keys as one strip of segments (as a Rich ``Text`` the line cost ~2 ms,
        on every focus move)."""
        width = self.size.width
        base = self.rich_style
        if y:
            return Strip.blank(width, base)
        key_style = base + self.get_component_rich_style("key-bar--key", partial=True)
        text_style = base + self.get_component_rich_style("key-bar--description", partial=True)
        segments: list[Segment] = []
        for shown in self._keys:
            segments += self._key_segments(shown, key_style, text_style, self._hovered)
        used = sum(cell_len(segment.text) for segment in segments)
        if self._palette is not None:
            palette = self._key_segments(self._palette, key_style, text_style, self._hovered)
            gap = width - used - sum(cell_len(segment.text) for segment in palette)
            if gap >= 1:
                segments += [Segment(" " * gap, base), *palette]
                used = width
        if used < width:
            segments.append(Segment(" " * (width - used), base))
        return Strip(segments).crop(0, width)

    @staticmethod
    def _key_segments(
        shown: ShownKey, key_style: Style, text_style: Style, hovered: str
    ) -> list[Segment]:
        extra = Style(dim=not shown.enabled, reverse=shown.key == hovered)
        extra += Style.from_meta({"key": shown.key})
        segments = [Segment(f" {shown.display} ", key_style + extra)]
        if shown.description:
            segments.append(Segment(f"{shown.description} ", text_style + extra))
        return segments

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self._hover(event.style.meta.get("key", ""))

    def on_leave(self, event: events.Leave) -> None:
        self._hover("")

    def _hover(self, key: str) -> None:
        if key != self._hovered:
            self._hovered = key
            self.refresh()

    def on_click(self, event: events.Click) -> None:
        key = event.style.meta.get("key")
        if not key:
            return
        event.stop()
        shown = next((k for k in self.keys if k.key == key), None)
        if shown is not None and not shown.enabled:
            self.app.bell()
        else:
            self.app.simulate_key(key)
