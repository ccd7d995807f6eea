"""A still image as a one-frame source."""

from __future__ import annotations

from pathlib import Path

from .. import images
from .base import FrameSource

STILL_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm", ".gif"}


class ArraySource(FrameSource):
    """A picture already in memory (HxWx3 uint8, or float32 in [0, 1]) as a one-frame source."""

    name = "array"
    frame_count = 1

    def __init__(self, frame) -> None:
        self._frame = frame
        self.frame_size = (frame.shape[1], frame.shape[0])

    def __iter__(self):
        yield self._frame


class StillImageSource(FrameSource):
    name = "image"
    frame_count = 1

    def __init__(self, path: str) -> None:
        self.path = Path(path)
        self._frame = images.load_array(self.path)  # fail now, with a clear message
        self.frame_size = (self._frame.shape[1], self._frame.shape[0])

    def __iter__(self):
        yield self._frame


def probe_still(location: str) -> bool:
    return Path(location).suffix.lower() in STILL_SUFFIXES and Path(location).is_file()
