"""The article's lead picture, shown inline only where the terminal can show pictures.

Uses the optional ``textual-image`` package (``pip install 'tvnews[images]'``) with the
Kitty graphics protocol or Sixel. Without it, or on other terminals, the widget stays
hidden and the article text keeps its ``[Image: caption]`` line.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Static

from tui.core.sanitize import clean_line

if TYPE_CHECKING:  # lxml is not needed for the first screen
    from tui.core.images import LeadImage

#: The textual-image widget class to draw pictures with (None: pictures are off).
PICTURE_WIDGET: type[Widget] | None = None


def enable_pictures() -> bool:
    """Turn pictures on if textual-image is installed and the terminal speaks Kitty or Sixel.

    Call before the app starts: textual-image asks the terminal what it supports.
    """
    global PICTURE_WIDGET
    try:
        from textual_image.renderable import Image as Detected
        from textual_image.renderable import SixelImage, TGPImage
        from textual_image.widget import Image
    except Exception:  # not installed, or the terminal query failed
        return False
    if Detected in (TGPImage, SixelImage):
        PICTURE_WIDGET = Image
    return PICTURE_WIDGET is not None


class LeadPicture(Vertical):
    """A picture and its caption above the article text."""

    DEFAULT_CSS = """
    LeadPicture { height: auto; display: none; margin-bottom: 1; }
    LeadPicture > .picture { height: 14; width: auto; max-width: 100%; }
    LeadPicture > #lead-caption { color: $text-muted; text-style: italic; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.image: LeadImage | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="lead-caption", markup=False)

    def expect(self, image: LeadImage | None) -> bool:
        """Forget the last picture; True when ``image`` should be fetched and shown."""
        if PICTURE_WIDGET is None:
            image = None
        if image is not None and self.image is not None and image.url == self.image.url:
            return False  # the same article again (its full text arrived): keep the picture
        self.image = image
        for old in self.query(".picture"):
            old.remove()
        self.display = False
        return self.image is not None

    def show_picture(self, url: str, data: bytes) -> None:
        """Draw the fetched picture, if it is still the one expected."""
        if PICTURE_WIDGET is None or self.image is None or self.image.url != url:
            return
        try:
            from PIL import Image as PILImage

            picture = PILImage.open(io.BytesIO(data))
            picture.load()
        except Exception:  # not a picture Pillow can read: the caption in the text stays
            return
        self.mount(PICTURE_WIDGET(picture, classes="picture"), before="#lead-caption")
        self.query_one("#lead-caption", Static).update(clean_line(self.image.caption, 300))
        self.display = True
