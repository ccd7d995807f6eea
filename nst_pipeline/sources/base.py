"""Frame sources: anything that yields RGB frames in order.

A still image is a one-frame source, so ``nst image`` and ``nst video`` share one run
path (:func:`nst_pipeline.pipeline.run`). Sources are found by name or by probing
through :meth:`nst_pipeline.registry.Registry.open_source`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..video.timeline import Timeline


class FrameSource:
    """Yields frames as HxWx3 RGB numpy arrays (uint8, or float32 in [0, 1]).

    ``fps`` is None for stills; ``frame_count`` None when unknown (streams);
    ``audio_from`` names a file whose audio track a video sink may copy.
    """

    name = "source"
    fps: float | None = None
    frame_count: int | None = None
    audio_from: Path | None = None
    #: (width, height) when known before reading (video files, raw streams)
    frame_size: tuple[int, int] | None = None
    #: each frame's presentation time (video files): a video sink writes the frames at them
    timeline: Timeline | None = None

    def __iter__(self) -> Iterator[np.ndarray]:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
