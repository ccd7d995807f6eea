"""Frame sinks: where stylized frames go, one HxWx3 uint8 RGB array at a time.

A sink opens lazily on its first frame (the size is known then), ``close()``
finishes the output and ``abort()`` discards whatever is partial: a video file
never appears half-written under its final name.
"""

from __future__ import annotations

import numpy as np


class FrameSink:
    name = "sink"
    #: short messages for the user (e.g. "audio not copied: ..."); the CLI prints them
    notes: list[str]

    def __init__(self) -> None:
        self.notes = []
        self.frames = 0

    def write(self, frame: np.ndarray) -> None:
        if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
            raise ValueError(f"a sink takes HxWx3 uint8 frames, got {frame.dtype} {frame.shape}")
        self._write(np.ascontiguousarray(frame))
        self.frames += 1

    def _write(self, frame: np.ndarray) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
