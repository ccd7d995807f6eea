"""Frame sources: anything that yields RGB frames in order.

A still image is a one-frame source, so ``nst image`` and ``nst video`` share one path.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

from ..errors import InputError
from ..registry import Registry, get_registry


class FrameSource:
    """Yields frames as HxWx3 RGB numpy arrays (uint8, or float32 in [0, 1]).

    ``fps`` is None for stills; ``frame_count`` None when unknown (streams);
    ``audio_from`` names a file whose audio track a video sink may copy.
    """

    name = "source"
    fps: float | None = None
    frame_count: int | None = None
    audio_from: Path | None = None

    def __iter__(self) -> Iterator[np.ndarray]:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def frame_to_tensor(frame: np.ndarray) -> torch.Tensor:
    if frame.ndim != 3 or frame.shape[2] != 3:
        raise InputError(f"a frame must be HxWx3 RGB, got shape {frame.shape}")
    arr = frame.astype(np.float32) / 255.0 if frame.dtype == np.uint8 else frame.astype(np.float32)
    return torch.from_numpy(np.ascontiguousarray(arr)).permute(2, 0, 1).unsqueeze(0).contiguous()


def open_source(location: str, registry: Registry | None = None, kind: str | None = None, options=None) -> FrameSource:
    """Open ``location`` with the named source kind, or the first registered one that accepts it."""
    registry = registry or get_registry()
    if kind is not None:
        spec = registry.source(kind)
        return spec.factory(location, options if options is not None else spec.options())
    for spec in sorted(registry.specs("source"), key=lambda s: -s.priority):
        try:
            accepts = spec.probe(location)
        except Exception:
            accepts = False  # a probe that crashes just declines
        if accepts:
            return spec.factory(location, options if options is not None else spec.options())
    if location != "-" and not Path(location).exists():
        raise InputError(f"file not found: {location}")
    raise InputError(f"no frame source can read {location!r}")
