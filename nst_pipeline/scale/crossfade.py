"""Put the segments' frames back into one clip, cross-fading the overlaps.

Two chunks of one shot share ``K`` frames: the earlier chunk reaches them warm, the
later one starts there cold. Over the shared frames the output ramps linearly from
the earlier chunk to the later one, weight ``(i + 1) / (K + 1)`` on the later chunk
for the ``i``-th shared frame, so neither end of the ramp is a jump and the last
shared frame already leans on the chunk that carries on. Both chunks stylized the
same input frame, so their results are registered pixel for pixel: warping them "to
the same frame" is the identity and no flow is needed. Across a scene cut segments
share no frame, so nothing is blended there.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .segments import Segment


def ramp(overlap: int) -> np.ndarray:
    """Weights of the later chunk over ``overlap`` shared frames, strictly between 0 and 1."""
    return np.arange(1, overlap + 1, dtype=np.float64) / (overlap + 1)


def blend(earlier: np.ndarray, later: np.ndarray, weight: float) -> np.ndarray:
    """``(1 - weight) * earlier + weight * later``, in the frames' dtype (uint8 is rounded)."""
    if earlier.shape != later.shape:
        raise ValueError(f"cannot blend frames of shapes {earlier.shape} and {later.shape}")
    mixed = (1.0 - weight) * earlier.astype(np.float32) + weight * later.astype(np.float32)
    if earlier.dtype == np.uint8:
        return np.clip(mixed + 0.5, 0, 255).astype(np.uint8)
    return mixed.astype(earlier.dtype)


@dataclass(frozen=True)
class Stitched:
    """One output frame, final."""

    index: int
    frame: np.ndarray
    segment: int            # the segment whose frame it is (the earlier one in an overlap)
    record: dict            # what that segment's worker said about the frame
    seam: float | None = None   # weight of the later chunk when cross-faded


class Stitcher:
    """Collects segment results in any order; hands out final frames in order.

    ``plan`` each segment when it is cut (in order), ``add`` its frames when a worker
    returns them, ``end`` when no segment follows. A frame is final once every segment
    that covers it is back; the last ``overlap`` frames of a segment wait until the
    next segment is planned (it may share them) or the clip ends.
    """

    def __init__(self, overlap: int, first_frame: int = 0) -> None:
        self.overlap = overlap
        self.next_frame = first_frame
        self.planned: dict[int, Segment] = {}
        self.results: dict[int, tuple[list[np.ndarray], list[dict]]] = {}
        self.ended = False
        self._owner = 0

    def plan(self, segment: Segment) -> None:
        self.planned[segment.index] = segment

    def add(self, index: int, frames: list[np.ndarray], records: list[dict]) -> None:
        segment = self.planned[index]
        if len(frames) != len(segment) or len(records) != len(segment):
            raise ValueError(f"segment {index} should have {len(segment)} frames, got {len(frames)}")
        self.results[index] = (frames, records)

    def end(self) -> None:
        self.ended = True

    def ready(self) -> Iterator[Stitched]:
        while (out := self._next()) is not None:
            yield out
            self.next_frame += 1
            self._forget_finished()

    def pending(self) -> int:
        """Frames held back (returned by a worker, not yet final)."""
        return sum(len(f) for f, _ in self.results.values())

    def _next(self) -> Stitched | None:
        t = self.next_frame
        while self._owner in self.planned and self.planned[self._owner].stop <= t:
            self._owner += 1
        owner = self.planned.get(self._owner)
        if owner is None or owner.start > t or owner.index not in self.results:
            return None
        later = self.planned.get(owner.index + 1)
        if later is None and not self.ended and t >= owner.stop - self.overlap:
            return None  # the next chunk, not cut yet, may share this frame
        frames, records = self.results[owner.index]
        frame, record = frames[t - owner.start], records[t - owner.start]
        if later is None or later.overlap == 0 or t < later.start:
            return Stitched(t, frame, owner.index, record)
        if later.index not in self.results:
            return None
        weight = float(ramp(later.overlap)[t - later.start])
        return Stitched(t, blend(frame, self.results[later.index][0][t - later.start], weight),
                        owner.index, record, weight)

    def _forget_finished(self) -> None:
        for index in [i for i in self.results if self.planned[i].stop <= self.next_frame]:
            del self.results[index]
