"""The bottom line: the keys of the focused pane, repainted in place when focus moves.

Textual's ``Footer`` builds a widget per key and lays the whole screen out again each
time the focus moves (~150 ms per Tab with 100k articles listed). This bar draws the same
keys as one line of text; a click on a key presses it.
"""

from __future__ import annotations

from typing import NamedTuple

from rich.style import Style
from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget


class ShownKey(NamedTuple):
    """One key on the bar."""

    key: str
    display: str
    description: str
    enabled: bool


class KeyBar(Widget):
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

    def render(self) -> Text:
        key_style = self.get_component_rich_style("key-bar--key", partial=True)
        text_style = self.get_component_rich_style("key-bar--description", partial=True)
        line = Text(no_wrap=True, overflow="crop", end="")
        for shown in self._keys:
            line.append_text(self._key_text(shown, key_style, text_style, self._hovered))
        if self._palette is not None:
            palette = self._key_text(self._palette, key_style, text_style, self._hovered)
            gap = self.size.width - line.cell_len - palette.cell_len
            if gap >= 1:
                line.append(" " * gap)
                line.append_text(palette)
        return line

    @staticmethod
    def _key_text(shown: ShownKey, key_style: Style, text_style: Style, hovered: str) -> Text:
        extra = Style(dim=not shown.enabled, reverse=shown.key == hovered)
        extra += Style.from_meta({"key": shown.key})
        text = Text(end="")
        text.append(f" {shown.display} ", key_style + extra)
        text.append(f"{shown.description} " if shown.description else "", text_style + extra)
        return text

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
