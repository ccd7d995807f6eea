"""Raw RGB24 frames on stdout (``-o -``), for ``| ffmpeg -f rawvideo -pix_fmt rgb24 ...``."""

from __future__ import annotations

import sys
from typing import BinaryIO

import numpy as np

from .base import FrameSink


class RawStreamSink(FrameSink):
    name = "stdout"

    def __init__(self, stream: BinaryIO | None = None) -> None:
        super().__init__()
        self.stream = stream if stream is not None else sys.stdout.buffer
        self.size: tuple[int, int] | None = None

    def _write(self, frame: np.ndarray) -> None:
        size = (frame.shape[1], frame.shape[0])
        if self.size is None:
            self.size = size
        elif size != self.size:  # a raw stream has no headers: one size for the whole clip
            raise ValueError(f"raw stream frames must keep one size: {size} after {self.size}")
        self.stream.write(frame.tobytes())
        self.stream.flush()

    def close(self) -> None:
        self.stream.flush()
