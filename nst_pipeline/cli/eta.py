"""Whole-job progress and ETA from the core's step and frame reports (pure bookkeeping, no drawing).

A level's cost grows with its pixel count, so work is counted in pixel-steps: the
measured seconds per pixel-step (of the current level once it has two steps, else of
all levels so far) turn the remaining step caps of every level (and,
for video, every frame) into an ETA. Step counts are caps: a level that stops early
(convergence, time budget) drops its unused steps from the total as soon as the
next level or frame starts. Later video frames carry costs the steps don't show
(optical flow, the temporal term), so once one is measured, its seconds are used
for the remaining frames instead of the first frame's pixel speed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..reports import FrameReport, StepReport


@dataclass(frozen=True)
class Plan:
    """What the job will do, known before it starts.

    ``first``: (height, width, step cap) per pyramid level of a shot's first frame (or the
    image); ``later``: the same for every later video frame; ``frames``: frames in the job
    (1 for an image, None when a stream does not say).
    """

    first: tuple[tuple[int, int, int], ...]
    later: tuple[tuple[int, int, int], ...] = ()
    frames: int | None = 1

    @property
    def total_steps(self) -> int | None:
        if self.frames is None:
            return None
        later = sum(c for _, _, c in self.later) * max(0, self.frames - 1)
        return sum(c for _, _, c in self.first) + later


@dataclass
class _Kind:
    """Measured cost of one kind of frame (first or later)."""

    seconds: float = 0.0       # in finished levels
    work: float = 0.0          # pixel-steps in finished levels
    frame_seconds: list[float] = field(default_factory=list)


class Tally:
    """Feeds on StepReports and FrameReports; answers step N/TOTAL, speed and ETA for the whole job."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.kinds = {True: _Kind(), False: _Kind()}
        self.finished_steps = 0          # steps in finished levels
        self.frames_done = 0
        self.level = None                # (frame, level) of the current level
        self.report = None               # the latest StepReport
        self.first = True                # is the current frame a shot's first frame
        self.frame = 0
        self.closed_level = None         # last finished level of the current frame (None: none yet)

    # -- feeding ---------------------------------------------------------------
    def step(self, r: StepReport) -> bool:
        """Take one StepReport; True when it starts a new level (the previous one is then over)."""
        key = (r.frame, r.level)
        new = key != self.level
        if new:
            self.end_level()
            if r.frame != self.frame or self.closed_level is None:
                self.frame, self.first = r.frame, r.first
                self.closed_level = None
            self.level = key
        self.report = r
        return new

    def frame_done(self, fr: FrameReport) -> None:
        """Take one FrameReport (a finished or resumed frame)."""
        self.end_level()
        if not fr.resumed:
            self.first = fr.first  # the core knows which frames got the first-frame treatment
            self.kinds[self.first].frame_seconds.append(fr.seconds)
        self.frames_done = max(self.frames_done, fr.index + 1)
        self.first, self.frame, self.closed_level = False, fr.index + 1, None

    def end_level(self) -> None:
        """The current level is over, at its cap or before (convergence, time budget)."""
        r, self.report, self.level = self.report, None, None
        if r is None:
            return
        self.closed_level = r.level
        kind = self.kinds[self.first]
        kind.seconds += r.seconds
        kind.work += r.step * r.size[0] * r.size[1]
        self.finished_steps += r.step

    # -- answers ---------------------------------------------------------------
    @property
    def done_steps(self) -> int:
        return self.finished_steps + (self.report.step if self.report else 0)

    def _plan_levels(self, first: bool) -> tuple[tuple[int, int, int], ...]:
        return self.plan.first if first else (self.plan.later or self.plan.first)

    def _remaining(self) -> tuple[list[tuple[int, int, int]], int | None]:
        """Levels (h, w, cap) left in the current frame, the current level first, and whole frames after it.
        Between frames, the "current" frame is the next one, not yet started."""
        r = self.report
        if r is not None:
            levels = [(r.size[0], r.size[1], r.steps), *self._plan_levels(self.first)[r.level + 1:]]
            following = self.frame + 1
        elif self.closed_level is not None:  # between two levels of a frame
            levels, following = list(self._plan_levels(self.first)[self.closed_level + 1:]), self.frame + 1
        elif self.plan.frames is not None and self.frames_done >= self.plan.frames:
            return [], 0
        else:
            levels, following = list(self._plan_levels(self.first)), self.frames_done + 1
        after = None if self.plan.frames is None else max(0, self.plan.frames - following)
        return levels, after

    @property
    def total_steps(self) -> int | None:
        levels, after = self._remaining()
        if after is None:
            return None
        later = sum(c for _, _, c in self._plan_levels(False))
        return self.finished_steps + sum(c for _, _, c in levels) + after * later

    def seconds_per_work(self, first: bool | None = None) -> float | None:
        """Measured seconds per pixel-step for a kind of frame (falls back to the other kind)."""
        first = self.first if first is None else first
        r = self.report
        if r is not None and self.first == first and r.step >= 2 and r.seconds > 0:
            # the current level's own speed: larger levels run more pixels per second than
            # small ones (fixed costs weigh less), so the latest level predicts the rest best
            return r.seconds / (r.step * r.size[0] * r.size[1])
        for kind_first in (first, not first):
            kind, r = self.kinds[kind_first], self.report
            seconds, work = kind.seconds, kind.work
            if r is not None and self.first == kind_first:
                seconds, work = seconds + r.seconds, work + r.step * r.size[0] * r.size[1]
            if work > 0 and seconds > 0:
                return seconds / work
        return None

    def eta(self) -> float | None:
        """Seconds left for the whole job, or None while nothing is measured (or the length is unknown)."""
        speed = self.seconds_per_work()
        levels, after = self._remaining()
        if after is None:
            return None
        if speed is None:  # no steps to measure (a one-pass method): whole frames at their measured cost
            cost = self._frame_seconds()
            return None if cost is None else (after + (self.report is None and bool(levels))) * cost
        if self.report is None and self.closed_level is None:  # between frames: whole frames at their cost
            return (len(levels) > 0) * self._later_frame_seconds() + after * self._later_frame_seconds()
        done = self.report.step if self.report is not None else 0
        current = 0.0
        for i, (h, w, cap) in enumerate(levels):
            current += max(0, cap - (done if i == 0 else 0)) * h * w * speed
        return current + after * self._later_frame_seconds()

    def _frame_seconds(self) -> float | None:
        measured = self.kinds[False].frame_seconds or self.kinds[True].frame_seconds
        return sum(measured) / len(measured) if measured else None

    def _later_frame_seconds(self) -> float:
        measured = self.kinds[False].frame_seconds
        if measured:
            return sum(measured) / len(measured)
        speed = self.seconds_per_work(False) or 0.0
        return sum(cap * h * w for h, w, cap in self._plan_levels(False)) * speed


def rate(r) -> float | None:
    """Steps per second in the level of StepReport ``r``."""
    return r.step / r.seconds if r is not None and r.seconds > 0 else None
