"""When each frame shows: presentation times carried from a video file to a video sink.

A phone records at a variable frame rate, and a video stream may start later than its
audio: "frame number / fps" is then wrong, the output drifts from its sound and the
audio gets cut to the wrong length. A video source keeps each frame's own time (seconds
on the container's clock, so that streams keep their offsets), and the video sink writes
every frame at that time and copies the audio of the same interval. Light module: no
PyAV, no numpy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class Timeline:
    """Presentation times of a video's frames, in display order, in seconds on the
    container's clock. First read from the packets (cheap, no decoding), so the frame
    count and the times of frames not decoded yet are known from the start; then each
    decoded frame corrects its own entry (a packet that decodes to no frame would
    otherwise shift every later time)."""

    def __init__(self, times: list[float], end: float) -> None:
        self.times, self.end = list(times), end

    def __len__(self) -> int:
        return len(self.times)

    def time(self, k: int) -> float:
        return self.times[k]

    def until(self, k: int) -> float:
        """When frame ``k`` stops showing: the next frame's time, or the end of the video."""
        return self.times[k + 1] if k + 1 < len(self.times) else self.end

    def decoded(self, k: int, t: float | None) -> None:
        if t is None:  # no timestamp on the frame: the packets' guess stands
            return
        if k < len(self.times):
            self.times[k] = t
        else:
            self.times.append(t)

    def finished(self, count: int) -> None:
        """Decoding reached the end after ``count`` frames (packets that held no frame are gone)."""
        del self.times[count:]


class FrameClock(Protocol):
    """What a video sink asks about the n-th frame it is given (seconds, source clock)."""

    def start(self, n: int) -> float: ...

    def stop(self, n: int) -> float: ...

    def from_first(self) -> bool:
        """The frames begin at the input's first frame (audio before it is kept)."""

    def to_last(self, written: int) -> bool:
        """After ``written`` frames no input frame is left (audio after it is kept)."""


class SelectedTimes:
    """The times of the frames a clip selects: the n-th written frame is input frame
    ``source_index(n)`` and shows until the next selected one (``--every N``: for N
    input frames), the last until the input's end; a run resumed or spread over workers
    writes the same frames in the same order, so it gets the same times."""

    def __init__(self, timeline: Timeline, source_index: Callable[[int], int]) -> None:
        self.timeline, self.source_index = timeline, source_index

    def start(self, n: int) -> float:
        return self.timeline.time(self.source_index(n))

    def stop(self, n: int) -> float:
        following = self.source_index(n + 1)
        return self.timeline.time(following) if following < len(self.timeline) else self.timeline.end

    def from_first(self) -> bool:
        return self.source_index(0) == 0

    def to_last(self, written: int) -> bool:
        return self.source_index(written) >= len(self.timeline)


class SteadyRate:
    """A constant frame rate from ``offset`` on (raw streams, image folders, ``--fps``):
    the audio, if any, is trimmed to exactly the frames' span."""

    def __init__(self, fps: float, offset: float = 0.0) -> None:
        self.fps, self.offset = fps, offset

    def start(self, n: int) -> float:
        return self.offset + n / self.fps

    def stop(self, n: int) -> float:
        return self.offset + (n + 1) / self.fps

    def from_first(self) -> bool:
        return False

    def to_last(self, written: int) -> bool:
        return False


def clip_clock(source, clip, fps: float | None) -> FrameClock | None:
    """The clock of a clip's output: the input's own frame times when it has them (a video
    file) and no ``--fps`` overrides them; else None (the sink's constant rate)."""
    timeline = getattr(source, "timeline", None)
    if timeline is None:
        return None
    if fps is not None:  # the user's rate, the audio taken from the first selected frame on
        first = clip.source_index(0)
        return SteadyRate(fps / clip.every, timeline.time(first) if first < len(timeline) else 0.0)
    return SelectedTimes(timeline, clip.source_index)
