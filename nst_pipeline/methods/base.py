"""What a method is: a content frame (and what the previous frame offers) in, a stylized frame out.

The run loop (:mod:`nst_pipeline.pipeline`) owns everything around it: frame order,
optical flow, warm starts, the work folder and the sink. A method only decides how
one frame is made, so ``gatys`` (optimization) and ``fast`` (one forward pass) share
sources, sinks, resume and video steadiness.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

import numpy as np

if TYPE_CHECKING:  # for the annotations only: a method module may load these itself
    from ..config import StyleConfig
    from ..registry import Registry
    from ..specs import PluginOptions


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
    #: the content of the first frame of this frame's shot (the clip's first frame, or the one after
    #: a scene cut), the same on every frame of the shot however a run got there (a resume, a Ray
    #: chunk): what a method matches per shot rather than per frame. None: this frame's own content
    reference: np.ndarray | None = None

    @property
    def shot_reference(self) -> np.ndarray:
        return self.content if self.reference is None else self.reference


@dataclass(frozen=True)
class MethodContext:
    """What a method factory gets: the per-frame config, its own options, the registry."""

    config: StyleConfig
    options: PluginOptions        # the method's own options model, filled from --method-option
    registry: Registry
    video: bool = False           # True when frames follow each other (video-only loss terms apply)
    frame_hw: tuple[int, int] | None = None  # the input frames' (height, width) when known before
    #                                          the run: a method may prepare for it (plan sessions)


@dataclass(frozen=True)
class FrameFacts:
    """What a method says about the frame it just made, for logs and the manifest."""

    steps: int = 0                 # optimizer steps (a one-pass method: 1)
    loss: float | None = None      # the last evaluated loss, when there is one
    terms: dict[str, float] = field(default_factory=dict)   # that loss by term
    stop: str | None = None        # why the last level stopped: converged | cap | budget


class Method:
    """Stylizes one frame after another, keeping what a clip can reuse (style targets, sessions).

    A method is a context manager: leaving the ``with`` block calls :meth:`close`."""

    name = "method"
    #: ask the run loop for a :class:`Guide` on later frames (flow costs time: only when used)
    wants_guide = False
    #: the frames depend on :attr:`FrameTask.reference` (which frame anchors a shot): the work
    #: folder then records the run loop's choice, and --resume refuses one made with another
    uses_reference = False
    #: the arithmetic the method runs in ("fp32", "bf16"), said in the plan; None: not told
    precision: str | None = None
    #: the StyleConfig/ClipConfig fields this method uses; None = all of them. A field set
    #: to a non-default value outside it gets a one-line warning (methods/build.py)
    honours: ClassVar[frozenset[str] | None] = None

    def output_size(self, hw: tuple[int, int]) -> tuple[int, int]:
        """(height, width) of the result for an input frame of size ``hw``."""
        raise NotImplementedError

    def level_sizes(self, hw: tuple[int, int]) -> list[tuple[int, int]]:
        """(height, width) of each scale a first frame goes through, coarsest first."""
        return [self.output_size(hw)]

    def stylize(self, task: FrameTask, on_step: Callable | None = None) -> np.ndarray:
        """The stylized frame: HxWx3 float32 in [0, 1] at :meth:`output_size`."""
        raise NotImplementedError

    def last_record(self) -> FrameFacts:
        """Facts about the frame just made (steps, loss, terms, stop)."""
        return FrameFacts()

    def close(self) -> None:
        """Let go of what the method holds (models, sessions, device memory)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
