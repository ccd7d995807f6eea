"""Contact sheet: pictures side by side at one height, a few lines of text under each.

Pillow only. Each picture gets a column of at least :data:`MIN_COLUMN` px (so its text stays
readable under a narrow portrait) and :data:`LINES` lines of text; a line too long for its
column is cut with "...". The size of a sheet is known from the pictures alone
(:func:`layout`), so a test can check it without rendering text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw, ImageFont

MARGIN = 8
MIN_COLUMN = 200
LINES = 4
FONT_SIZE = 14
LINE_HEIGHT = 18
TEXT_PAD = 6
INK, ALERT, PAPER = (20, 20, 20), (200, 0, 0), (255, 255, 255)


@dataclass(frozen=True)
class Tile:
    image: np.ndarray                      # HxWx3 uint8 RGB
    lines: Sequence[str]                   # at most LINES; more are dropped
    alert: frozenset[int] = field(default_factory=frozenset)  # indexes of lines drawn in red
    box: tuple[int, int, int, int] | None = None  # a region to outline in red, in the image's pixels


def scaled_width(size: tuple[int, int], height: int) -> int:
    """Width of a ``(width, height)`` picture scaled to ``height``."""
    w, h = size
    return max(1, round(w * height / h))


def layout(sizes: Sequence[tuple[int, int]], height: int) -> tuple[tuple[int, int], list[int]]:
    """``((sheet width, sheet height), column x positions)`` for pictures of ``(width, height)``
    ``sizes`` shown ``height`` px tall."""
    xs, x = [], MARGIN
    for size in sizes:
        xs.append(x)
        x += max(scaled_width(size, height), MIN_COLUMN) + MARGIN
    return (x, MARGIN + height + TEXT_PAD + LINES * LINE_HEIGHT + MARGIN), xs


def font(size: int = FONT_SIZE) -> ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)  # Pillow's scalable default (FreeType)
    except (TypeError, OSError, ImportError):  # no FreeType: the small bitmap font
        return ImageFont.load_default()


def _fit(draw: ImageDraw.ImageDraw, text: str, width: int, face) -> str:
    if draw.textlength(text, font=face) <= width:
        return text
    while text and draw.textlength(text + "...", font=face) > width:
        text = text[:-1]
    return text + "..."


def compose(tiles: Sequence[Tile], height: int = 256) -> Image.Image:
    """The sheet of ``tiles`` in order, each picture ``height`` px tall, centred in its column."""
    (width, total), xs = layout([(t.image.shape[1], t.image.shape[0]) for t in tiles], height)
    sheet = Image.new("RGB", (width, total), PAPER)
    draw = ImageDraw.Draw(sheet)
    face = font()
    for tile, x in zip(tiles, xs, strict=True):
        src = Image.fromarray(tile.image)
        w = scaled_width(src.size, height)
        column = max(w, MIN_COLUMN)
        left = x + (column - w) // 2
        sheet.paste(src.resize((w, height), Image.LANCZOS), (left, MARGIN))
        if tile.box is not None:
            k = height / src.size[1]
            x0, y0, x1, y1 = (round(v * k) for v in tile.box)
            draw.rectangle((left + x0, MARGIN + y0, left + x1 - 1, MARGIN + y1 - 1), outline=ALERT, width=2)
        y = MARGIN + height + TEXT_PAD
        for i, line in enumerate(list(tile.lines)[:LINES]):
            draw.text((x, y + i * LINE_HEIGHT), _fit(draw, line, column, face), fill=ALERT if i in tile.alert else INK,
                      font=face)
    return sheet
