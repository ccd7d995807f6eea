"""What a method is: a content frame (and what the previous frame offers) in, a stylized frame out.

The run loop (:mod:`nst_pipeline.pipeline`) owns everything around it: frame order,
optical flow, warm starts, the work folder and the sink. A method only decides how
one frame is made, so ``gatys`` (optimization) and ``fast`` (one forward pass) share
sources, sinks, resume and video steadiness.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Guide:
    """What the previous frame offers the current one, at the output size."""

    previous: np.ndarray      # HxWx3 float32 in [0, 1]: the previous result
    warped: np.ndarray        # HxWx3 float32: the previous result warped to this frame by optical flow
    confidence: np.ndarray    # HxW float32 in [0, 1]: 1 where that warp is trusted, 0 where occluded or new

    @property
    def trusted(self) -> float:
        return float(self.confidence.mean())


@dataclass(frozen=True)
class FrameTask:
    index: int                    # 0-based among the selected frames
    content: np.ndarray           # HxWx3 RGB, uint8 or float32 in [0, 1], at the input's size
    first: bool                   # first frame of a shot (frame 0, or after a cut): the full treatment
    steps: int                    # step cap (per pyramid level when ``first``)
    start: str | np.ndarray       # "content", "noise", or an HxWx3 float32 start image (any size)
    guide: Guide | None = None    # None for a first frame, or when neither method nor warm start asked for flow


@dataclass(frozen=True)
class MethodContext:
    """What a method factory gets: the per-frame config, its own options, the registry."""

    config: Any                   # nst_pipeline.config.StyleConfig
    options: Any                  # the method's PluginOptions
    registry: Any                 # nst_pipeline.registry.Registry
    video: bool = False           # True when frames follow each other (video-only loss terms apply)
    frame_hw: tuple[int, int] | None = None  # the input frames' (height, width) when known before
    #                                          the run: a method may prepare for it (plan sessions)


class Method:
    """Stylizes one frame after another, keeping what a clip can reuse (style targets, sessions)."""

    name = "method"
    #: ask the run loop for a :class:`Guide` on later frames (flow costs time: only when used)
    wants_guide = False

    def output_size(self, hw: tuple[int, int]) -> tuple[int, int]:
        """(height, width) of the result for an input frame of size ``hw``."""
        raise NotImplementedError

    def level_sizes(self, hw: tuple[int, int]) -> list[tuple[int, int]]:
        """(height, width) of each scale a first frame goes through, coarsest first."""
        return [self.output_size(hw)]

    def stylize(self, task: FrameTask, on_step: Callable | None = None) -> np.ndarray:
        """The stylized frame: HxWx3 float32 in [0, 1] at :meth:`output_size`."""
        raise NotImplementedError

    def last_record(self) -> dict:
        """Facts about the frame just made for logs and the manifest (steps, loss, terms, stop)."""
        return {}

    def close(self) -> None:
        pass
