"""One still image file, written atomically: the sink of ``nst image``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from ..images import WRITABLE_SUFFIXES, atomic_write
from .base import FrameSink


class ImageFileSink(FrameSink):
    name = "image"

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = Path(path)
        self.last: np.ndarray | None = None

    def _write(self, frame: np.ndarray) -> None:
        if self.frames:
            raise ValueError("an image sink takes one frame")
        fmt = WRITABLE_SUFFIXES.get(self.path.suffix.lower(), "PNG")
        kwargs = {"quality": 95} if fmt in ("JPEG", "WEBP") else {}
        atomic_write(self.path, lambda tmp: Image.fromarray(frame).save(tmp, format=fmt, **kwargs))
        self.last = frame


class MemorySink(FrameSink):
    """Keeps the frames (the Python API's return value)."""

    name = "memory"

    def __init__(self) -> None:
        super().__init__()
        self.kept: list[np.ndarray] = []

    def _write(self, frame: np.ndarray) -> None:
        self.kept.append(frame)
