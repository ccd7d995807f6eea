"""nst_pipeline plugin: the ``animated`` frame source (animated GIF, WebP and PNG).

Without it the built-in ``video`` source (FFmpeg) reads animated GIF and PNG for ``nst video``,
but not animated WebP, which FFmpeg does not decode. Frames come out fully composited (GIF
disposal, partial frames and transparency handled by Pillow; transparent pixels shown on
white), all of one size, at the average rate of the file's delays.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from nst_pipeline.plugin import (FrameSource, FrameSourceSpec, InputError, NSTError, PluginOptions, hookimpl,
                                 open_image)

__version__ = "0.1.0"

SUFFIXES = {".gif", ".webp", ".png", ".apng"}
#: what browsers do with a GIF frame delay of 0 or 10 ms: show it for 100 ms
MIN_DELAY_MS = 20
DEFAULT_DELAY_MS = 100


class AnimatedOptions(PluginOptions):
    #: stop after this many frames (default: all)
    max_frames: int | None = None
    #: override the frame rate the file's delays imply
    fps: float | None = None


def frame_count(path: Path) -> int:
    """Frames in an animated image; 1 for a still, 0 when it cannot be read (or is too large:
    the still-image source then says why)."""
    try:
        with open_image(path) as im:
            return int(getattr(im, "n_frames", 1))
    except Exception:  # a probe declines, it never raises
        return 0


def probe_animated(location: str) -> bool:
    path = Path(location)
    return path.suffix.lower() in SUFFIXES and path.is_file() and frame_count(path) > 1


def to_rgb(im: Image.Image) -> np.ndarray:
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        im = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
    return np.asarray(im.convert("RGB"), dtype=np.uint8).copy()


class AnimatedImageSource(FrameSource):
    name = "animated"

    def __init__(self, location: str, options: AnimatedOptions | None = None) -> None:
        options = options or AnimatedOptions()
        self.path = Path(location)
        self._image = None
        try:
            with open_image(self.path) as im:  # the pixel limit, checked from the header
                self.frame_size = im.size
            self._image = Image.open(self.path)
            total = int(getattr(self._image, "n_frames", 1))
            self.delays_ms = self._delays(total)
        except NSTError:
            self.close()
            raise
        except (OSError, UnidentifiedImageError, ValueError, SyntaxError, EOFError) as exc:
            self.close()
            raise InputError(f"cannot read animated image {self.path}: {exc}") from None
        self.frame_count = total if options.max_frames is None else max(0, min(total, options.max_frames))
        self.fps = options.fps or 1000.0 / (sum(self.delays_ms) / len(self.delays_ms))

    def _delays(self, total: int) -> list[int]:
        delays = []
        for i in range(total):
            self._image.seek(i)
            self._image.load()  # WebP fills in "duration" only once the frame is decoded
            delay = int(self._image.info.get("duration") or 0)
            delays.append(delay if delay >= MIN_DELAY_MS else DEFAULT_DELAY_MS)
        self._image.seek(0)
        return delays

    def __iter__(self) -> Iterator[np.ndarray]:
        if self._image is None:
            raise InputError(f"{self.path} is closed")
        for i in range(self.frame_count):
            try:
                self._image.seek(i)
                yield to_rgb(self._image)
            except (OSError, EOFError, ValueError) as exc:
                raise InputError(f"{self.path}: frame {i + 1} is unreadable ({exc})") from None

    def close(self) -> None:
        if self._image is not None:
            self._image.close()
            self._image = None


@hookimpl
def nst_frame_sources():
    return [
        FrameSourceSpec("animated", lambda location, options: AnimatedImageSource(location, options), probe_animated,
                        "animated GIF / WebP / PNG, every frame composited (Pillow)", AnimatedOptions, priority=15),
    ]
