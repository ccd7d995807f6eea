"""Frames as numpy arrays: HxWx3 RGB, uint8 or float32 in [0, 1].

The only uint8 <-> float conversions in the package (no torch here, so the fast path,
flow and metrics use them without importing it; tensors are in :mod:`images`).
"""

from __future__ import annotations

import numpy as np


def to_float(frame: np.ndarray) -> np.ndarray:
    """A frame as float32 in [0, 1] (uint8 is divided by 255; floats are kept)."""
    if frame.dtype == np.uint8:
        return frame.astype(np.float32) / 255.0
    return frame.astype(np.float32, copy=False)


def to_u8(frame: np.ndarray) -> np.ndarray:
    """Quantize a frame for flow, the work folder and sinks (round to nearest)."""
    if frame.dtype == np.uint8:
        return frame
    return (np.clip(frame, 0, 1) * 255.0 + 0.5).astype(np.uint8)
