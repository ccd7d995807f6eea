"""Warm starts: what a later frame gets from the previous one (Ruder et al. 2016).

Optical flow is computed on the original frames at the output size; the previous
result is warped along it. Two masks come out of the pair (see :mod:`.flow`):

- ``confidence`` (the temporal term's mask): the forward-backward check, the warp's
  out-of-frame test and brightness constancy all agree; elsewhere the term is off.
- ``fresh``: pixels with no predecessor at all (they left the frame, or they look
  unlike their flow-warped predecessor: content that entered or was uncovered). There
  the warped picture shows whatever was there before, so the start image takes the
  current content frame instead and the optimizer paints them like a per-frame run.
  ``fresh`` lies inside the untrusted area, so init and loss never disagree about a pixel.

Where only the flow check doubts the warp (motion boundaries, a textureless object
whose flow DIS smooths), the warped previous result still looks right and stays the
start: restarting those pixels from content would make every moving edge flicker.

A frame whose trusted share falls below :data:`CUT_TRUSTED` is a scene cut: it gets a
shot's first-frame treatment (full ``first_steps`` budget, pyramid).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..methods.base import Guide
from .flow import FlowEstimator, frame_pair, resize_frame

#: below this trusted share a frame starts a new shot. Measured with this module's
#: masks: real cuts (carphone <-> bigbuckbunny, both ways) trust at most 0.2% of the
#: pixels; consecutive bigbuckbunny frames (fast motion, 256 px) at least 78%.
CUT_TRUSTED = 0.25


@dataclass(frozen=True)
class WarmGuide(Guide):
    fresh: np.ndarray  # HxW float32: 1 where the pixel has no predecessor (start from content)

    @property
    def fresh_share(self) -> float:
        return float(self.fresh.mean())


def make_guide(flow: FlowEstimator, prev_orig: np.ndarray, orig: np.ndarray, prev_result: np.ndarray) -> WarmGuide:
    """``prev_result`` is the stored 8-bit previous output: a resumed job then continues
    from exactly the state an uninterrupted one would have.

    ``warped`` is the previous result carried to this frame, with the current content
    frame showing through where a pixel is fresh (the temporal term ignores those pixels)."""
    hw = prev_result.shape[:2]
    previous = prev_result.astype(np.float32) / 255.0
    current = resize_frame(orig, hw)
    pair = frame_pair(flow, resize_frame(prev_orig, hw), current)
    fresh = pair.fresh[..., None]
    content = current.astype(np.float32) / 255.0 if current.dtype == np.uint8 else current.astype(np.float32)
    warped = pair.warp_previous(previous) * (1.0 - fresh) + content * fresh
    return WarmGuide(previous, warped.astype(np.float32), pair.trust, pair.fresh)


def is_cut(guide: Guide) -> bool:
    """A new shot: almost nothing of the previous frame can be carried over."""
    return guide.trusted < CUT_TRUSTED


def later_steps(steps: int, first_steps: int, guide: Guide | None) -> int:
    """Step cap of a later frame: the fresh share of its pixels starts from content and
    gets its share of the gap to the first-frame budget (a frame that is all new gets
    ``first_steps``, one that is all carried over ``steps``)."""
    share = getattr(guide, "fresh_share", 0.0) if guide is not None else 0.0
    return steps + max(0, round((first_steps - steps) * share))


def start_from(mode: str, guide: Guide | None, prev_result: np.ndarray) -> str | np.ndarray:
    """The start image of a later frame for ``--init`` ``mode``."""
    if mode == "content":
        return "content"
    if mode == "prev":
        return prev_result.astype(np.float32) / 255.0
    if guide is None:
        raise ValueError("prev-warped needs a guide")
    return guide.warped
