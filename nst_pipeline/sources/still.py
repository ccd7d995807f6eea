"""A still image as a one-frame source."""

from __future__ import annotations

from pathlib import Path

from .. import images
from .base import FrameSource

STILL_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm", ".gif"}


class StillImageSource(FrameSource):
    name = "image"
    frame_count = 1

    def __init__(self, path: str) -> None:
        self.path = Path(path)
        self._frame = images.load_array(self.path)  # fail now, with a clear message

    def __iter__(self):
        yield self._frame


def probe_still(location: str) -> bool:
    return Path(location).suffix.lower() in STILL_SUFFIXES and Path(location).is_file()
