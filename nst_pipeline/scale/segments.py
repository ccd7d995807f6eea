"""Split a clip into segments that workers can stylize independently.

A segment is a run of consecutive selected frames that one worker stylizes in order
(warm start, temporal loss). Segments end at scene cuts, found by PySceneDetect's
content detector (HSV + edge change between neighbouring frames), and a long shot is
cut into chunks of at most ``segment_frames`` that overlap by ``overlap`` frames: the
later chunk starts cold a few frames early, and the driver cross-fades the shared
frames (see :mod:`.crossfade`) so the seam does not jump. Across a scene cut nothing
is shared or blended: the first frame of a shot gets the first-frame budget, as
frame 1 does.

Segmentation streams: frames are fed one at a time and a segment is handed out as
soon as it is closed, so the driver never holds the whole clip in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass

import numpy as np

from ..video.cuts import CutDetector


@dataclass(frozen=True)
class Segment:
    """Frames ``start .. stop-1`` (indices among the selected frames)."""

    index: int
    start: int
    stop: int
    #: frames at the start that the previous segment also stylized (0 after a cut)
    overlap: int = 0
    #: the first frame of its shot: the reference the segment's frames are anchored to
    shot: int = 0

    def __len__(self) -> int:
        return self.stop - self.start

    @property
    def shot_start(self) -> bool:
        """Begins a shot: the frame before it belongs to another shot (or there is none)."""
        return self.start == self.shot

    def as_dict(self) -> dict:
        return asdict(self)


def check_chunking(segment_frames: int, overlap: int) -> None:
    """The options' own check (:class:`~nst_pipeline.config.ClipConfig`) comes first; this
    guards the API below against chunks that would never advance, or that three chunks share
    (the stitcher cross-fades two)."""
    if segment_frames < 2 or not 0 <= 2 * overlap <= segment_frames:
        raise ValueError(f"chunks of {segment_frames} frames cannot overlap by {overlap}")


def plan_segments(total: int, cuts: Iterable[int], segment_frames: int, overlap: int) -> list[Segment]:
    """The segments of ``total`` frames with shots starting at ``cuts`` (pure bookkeeping)."""
    check_chunking(segment_frames, overlap)
    bounds = sorted({0, total, *(c for c in cuts if 0 < c < total)})
    segments: list[Segment] = []
    for shot_start, shot_stop in zip(bounds, bounds[1:]):
        for start, stop, shared in _chunks(shot_start, shot_stop, segment_frames, overlap):
            segments.append(Segment(len(segments), start, stop, shared, shot_start))
    return segments


def _chunks(start: int, stop: int, size: int, overlap: int) -> Iterator[tuple[int, int, int]]:
    first = start
    while True:
        end = min(first + size, stop)
        yield first, end, (0 if first == start else overlap)
        if end == stop:
            return
        first = end - overlap


class Segmenter:
    """Feed frames in order; get each segment with its frames as soon as it is closed.

    Gives the same segments as :func:`plan_segments` with the cuts the detector finds.
    """

    def __init__(self, segment_frames: int, overlap: int, detector: CutDetector | None = None) -> None:
        check_chunking(segment_frames, overlap)
        self.size, self.overlap = segment_frames, overlap
        self.detector = detector or CutDetector()
        self.cuts: list[int] = []
        self._buffer: list[np.ndarray] = []
        self._start = self._shared = self._count = self._index = self._shot = 0

    def feed(self, frame: np.ndarray) -> list[tuple[Segment, list[np.ndarray]]]:
        out = []
        index, self._count = self._count, self._count + 1
        if self.detector.feed(frame) and index > 0:
            self.cuts.append(index)
            out += self._close(keep=0)
            self._shot = index
        self._buffer.append(frame)
        if len(self._buffer) == self.size:
            out += self._close(keep=self.overlap)
        return out

    def finish(self) -> list[tuple[Segment, list[np.ndarray]]]:
        return self._close(keep=0)

    def split(self, frames: Iterable[np.ndarray]) -> Iterator[tuple[Segment, list[np.ndarray]]]:
        for frame in frames:
            yield from self.feed(frame)
        yield from self.finish()

    def _close(self, keep: int) -> list[tuple[Segment, list[np.ndarray]]]:
        if len(self._buffer) <= self._shared:
            # only frames the previous chunk already made (the shot ended on a chunk boundary)
            self._start, self._buffer, self._shared = self._start + len(self._buffer), [], 0
            return []
        stop = self._start + len(self._buffer)
        closed = (Segment(self._index, self._start, stop, self._shared, self._shot), self._buffer)
        self._index += 1
        self._buffer = self._buffer[len(self._buffer) - keep:] if keep else []
        self._start, self._shared = stop - keep, keep
        return [closed]
