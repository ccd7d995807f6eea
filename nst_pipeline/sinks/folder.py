"""A folder of numbered PNGs: frame_000001.png, frame_000002.png, ..."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from ..errors import OutputError
from ..images import atomic_write
from .base import FrameSink

PATTERN = "frame_{:06d}.png"


class FolderSink(FrameSink):
    name = "folder"

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = Path(folder)

    def _write(self, frame: np.ndarray) -> None:
        if self.frames == 0:
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise OutputError(f"cannot create output folder {self.folder}: {exc}") from None
        path = self.folder / PATTERN.format(self.frames + 1)
        atomic_write(path, lambda tmp: Image.fromarray(frame).save(tmp, format="PNG"))
