"""Frames as numpy arrays: HxWx3 RGB, uint8 or float32 in [0, 1].

The only uint8 <-> float conversions in the package, and the one YIQ colour matrix (no torch
here, so the fast path, flow and metrics use them without importing it; tensors are in
:mod:`images`, and :mod:`color` builds its tensor from this matrix).
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


#: RGB -> YIQ (NTSC): luminance Y, chroma I and Q; --original-colors keeps the content's I, Q
RGB_TO_YIQ = np.array([
    [0.299, 0.587, 0.114],
    [0.595716, -0.274453, -0.321263],
    [0.211456, -0.522591, 0.311135],
], dtype=np.float32)
YIQ_TO_RGB = np.linalg.inv(RGB_TO_YIQ).astype(np.float32)


def rgb_to_yiq(frame: np.ndarray) -> np.ndarray:
    return frame @ RGB_TO_YIQ.T


def yiq_to_rgb(frame: np.ndarray) -> np.ndarray:
    return frame @ YIQ_TO_RGB.T
