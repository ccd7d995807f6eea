"""Warm starts: what a later frame gets from the previous one (Ruder et al. 2016).

Optical flow is computed on the original frames at the output size; the previous
result is warped along it, and the forward-backward check says where that warp can
be trusted. The start image of a later frame follows ``--init``.
"""

from __future__ import annotations

import numpy as np

from ..methods.base import Guide
from .flow import FlowEstimator, frame_pair, resize_frame


def make_guide(flow: FlowEstimator, prev_orig: np.ndarray, orig: np.ndarray, prev_result: np.ndarray) -> Guide:
    """``prev_result`` is the stored 8-bit previous output: a resumed job then continues
    from exactly the state an uninterrupted one would have."""
    hw = prev_result.shape[:2]
    previous = prev_result.astype(np.float32) / 255.0
    pair = frame_pair(flow, resize_frame(prev_orig, hw), resize_frame(orig, hw))
    return Guide(previous, pair.warp_previous(previous), pair.mask)


def start_from(mode: str, guide: Guide | None, prev_result: np.ndarray) -> str | np.ndarray:
    """The start image of a later frame for ``--init`` ``mode``."""
    if mode == "content":
        return "content"
    if mode == "prev":
        return prev_result.astype(np.float32) / 255.0
    if guide is None:
        raise ValueError("prev-warped needs a guide")
    return guide.warped
