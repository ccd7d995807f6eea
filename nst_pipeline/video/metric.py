"""Warping error: how much a stylized video flickers (Lai et al., ECCV 2018).

For each pair (t-1, t): optical flow on the *original* frames, the stylized frame
t-1 warped to t, and the squared RGB distance to stylized frame t (summed over the
three channels, frames in [0, 1]) averaged over the pixels the forward-backward check
marks as non-occluded. The clip's score is the mean over pairs. The flow and mask
are the same code the temporal loss uses, so a per-frame baseline and a steadied
run are measured with one yardstick.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field

import numpy as np

from ..errors import InputError
from ..frames import to_float
from .flow import FlowEstimator, frame_pair, resize_frame


@dataclass(frozen=True)
class WarpingError:
    mean: float
    pairs: int
    per_pair: list[float] = field(default_factory=list)
    size: tuple[int, int] = (0, 0)  # (width, height) the error was measured at

    def as_dict(self) -> dict:
        return {"warping_error": self.mean, **asdict(self)}


def pair_error(stylized_prev: np.ndarray, stylized: np.ndarray, pair) -> float:
    warped = pair.warp_previous(stylized_prev)
    sq = np.sum((stylized - warped) ** 2, axis=2)
    valid = pair.mask.sum()
    if valid == 0:  # everything occluded: fall back to all pixels rather than divide by 0
        return float(sq.mean())
    return float((sq * pair.mask).sum() / valid)


def warping_error(original: Iterable[np.ndarray], stylized: Iterable[np.ndarray],
                  on_pair: Callable[[int, float], None] | None = None) -> WarpingError:
    """Mean warping error of ``stylized`` against the motion of ``original`` (frame by frame).

    The original frames are resized to the stylized size before the flow is computed.
    """
    estimator = FlowEstimator()
    errors: list[float] = []
    prev_orig = prev_styl = None
    size = (0, 0)
    originals = iter(original)
    for index, styl in enumerate(stylized):
        try:
            orig = next(originals)
        except StopIteration:
            raise InputError(f"the stylized clip has more frames than the original ({index}+ vs {index})") from None
        styl = to_float(styl)
        orig = resize_frame(to_float(orig), styl.shape[:2])
        size = (styl.shape[1], styl.shape[0])
        if prev_styl is not None:
            if prev_styl.shape != styl.shape:
                raise InputError(f"stylized frame {index} is {size[0]}x{size[1]}, the one before it "
                                 f"{prev_styl.shape[1]}x{prev_styl.shape[0]}: frames must keep one size")
            errors.append(pair_error(prev_styl, styl, frame_pair(estimator, prev_orig, orig)))
            if on_pair is not None:
                on_pair(index, errors[-1])
        prev_orig, prev_styl = orig, styl
    if not errors:
        raise InputError("the warping error needs at least two frames")
    return WarpingError(float(np.mean(errors)), len(errors), errors, size)
