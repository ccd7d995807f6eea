"""A still image as a one-frame source."""

from __future__ import annotations

from pathlib import Path

from .. import images
from ..decoding import open_image
from .base import FrameSource

STILL_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm", ".gif"}
#: formats that may hold several frames: a clip, not a still, when they do
ANIMATED_SUFFIXES = {".gif", ".png", ".apng", ".webp"}


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


def is_animated(path: Path) -> bool:
    """Several frames (read from the headers: Pillow stops at the second frame)? A file
    that cannot be read counts as a still, so the still source says what is wrong."""
    try:
        with open_image(path) as img:
            return bool(getattr(img, "is_animated", False))
    except Exception:  # a probe declines, it never raises
        return False


def probe_still(location: str) -> bool:
    """A still image file; an animated GIF/PNG/WebP is a clip for a frame source instead (the
    ``video`` source, or a plugin's), so ``nst video anim.gif`` gets every frame. ``nst
    image`` asks for this source by name and still takes the first frame of one."""
    path = Path(location)
    suffix = path.suffix.lower()
    return suffix in STILL_SUFFIXES and path.is_file() and not (suffix in ANIMATED_SUFFIXES and is_animated(path))
