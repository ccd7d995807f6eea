"""``nst video --workers N``: segments on Ray workers, their frames stitched back in order.

:class:`RayFrames` is a frame producer for :func:`nst_pipeline.pipeline.run`, like the
in-process one: the run loop still replays, saves, writes and reports every frame. The
producer reads the selected frames once, cuts them into segments as they stream past
(scene cuts, then chunks), and gives each segment to a free worker of an ``ActorPool``;
it reads further only when a worker is free, so it holds a few segments at a time, not
the clip. Segments come back in any order; the producer yields their frames strictly in
order, cross-fading the overlaps. The workers' step reports come back through a Ray
queue and are said in frame order (:class:`.steps.StepRelay`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields

import numpy as np

from ..config import ClipConfig, StyleConfig
from ..errors import NSTError
from ..pipeline import Made, Resume
from ..reports import FrameReport
from ..video.cuts import CutDetector
from .crossfade import Stitched, Stitcher
from .segments import Segment, Segmenter
from .steps import StepRelay
from .store import SegmentStore

#: how long the driver waits for a finished segment before it passes on the step reports that came in
POLL_SECONDS = 0.2


@dataclass(frozen=True)
class SegmentFrameReport(FrameReport):
    segment: int | None = None     # index of the segment that made the frame
    worker: str | None = None      # id of the Ray actor that ran it
    seam: float | None = None      # weight of the next chunk where the frame was cross-faded


class RayFrames:
    """The Ray producer: ``config`` and ``clip`` are built into a method once per worker."""

    def __init__(self, config: StyleConfig, clip: ClipConfig, *, fps: float | None = None,
                 registry_factory: Callable | None = None, on_step: Callable | None = None, step_images: int = 0,
                 on_segment: Callable | None = None) -> None:
        self.config, self.clip, self.fps = config, clip, fps or 24.0
        self.registry_factory, self.on_step, self.step_images = registry_factory, on_step, step_images
        self.on_segment = on_segment

    def __call__(self, frames: Iterator[np.ndarray], resume: Resume, total: int | None) -> Made:
        from .executor import cluster, start_workers

        with cluster(self.clip.workers, self.clip.ray_address) as info:
            relay = StepRelay(self.on_step)
            pool = start_workers(info, self.config, self.clip, self.registry_factory, relay.queue, self.step_images)
            split = Segmenter(self.clip.segment_frames, self.clip.overlap, CutDetector(fps=self.fps))
            plan = _Stitching(resume, total, self.clip)
            yield from self._schedule(pool, with_references(split.split(frames)), plan, relay)

    def _schedule(self, pool, segments, plan: "_Stitching", relay: StepRelay) -> Made:
        """Keep every worker busy while segments remain; hand out frames as they become final."""
        from .executor import submit

        exhausted = False
        while True:
            while not exhausted and pool.has_free():
                item = next(segments, None)
                if item is None:
                    exhausted = True
                    plan.stitch.end()
                elif plan.needs(item[0]):
                    submit(pool, *item)
                    relay.submitted(item[0].index)
                    self._said(item[0], "submitted")
            yield from plan.ready()
            if pool.has_next():
                index, frames, reports = _next_result(pool, relay)
                plan.returned(index, frames, reports)
                self._said(plan.stitch.planned[index], "done")
            elif exhausted:
                return

    def _said(self, segment: Segment, what: str) -> None:
        if self.on_segment is not None:
            self.on_segment(segment, what)


def with_references(segments: Iterator[tuple[Segment, list]]) -> Iterator[tuple[Segment, list, np.ndarray]]:
    """Each segment with its frames and the first frame of its shot, the reference a worker
    anchors the segment to (as one worker anchors the whole shot), whatever ran before it there.
    Segments a resume skips pass here too: a later chunk of their shot needs the frame."""
    reference = None
    for segment, frames in segments:
        if segment.shot_start:
            reference = frames[0]
        yield segment, frames, reference


def _next_result(pool, relay: StepRelay):
    """The next finished segment, passing on step reports while waiting; a user error
    raised on a worker comes out as itself."""
    while True:
        try:
            index, frames, reports = pool.get_next_unordered(timeout=POLL_SECONDS)
        except TimeoutError:
            relay.drain()
            continue
        except Exception as exc:
            cause = exc
            while isinstance(getattr(cause, "cause", None), BaseException):
                cause = cause.cause   # Ray wraps: ActorDiedError -> RayTaskError -> the worker's exception
            if isinstance(cause, NSTError):
                raise cause from None
            raise
        relay.finished(index)   # its steps were all queued before it returned
        return index, frames, reports


class _Stitching:
    """Which segments run and which frames are final, in order (the driver's bookkeeping)."""

    def __init__(self, resume: Resume, total: int | None, clip: ClipConfig) -> None:
        self.written, self.total, self.clip = resume.at, total, clip
        self.store = SegmentStore(resume.workdir.path) if resume.workdir is not None else None
        self.stitch = Stitcher(clip.overlap, first_frame=resume.at)
        self.reports: dict[int, list] = {}

    def needs(self, segment: Segment) -> bool:
        """Plan ``segment``; True when a worker must run it (not written, not kept from before)."""
        self.stitch.plan(segment)
        if self.store is not None:
            self.store.planned(segment)
        if segment.stop <= self.written:
            return False
        kept = self.store.load(segment) if self.store is not None else None
        if kept is None:
            return True
        frames, records = kept
        self.stitch.add(segment.index, frames, records)
        self.reports[segment.index] = [None] * len(frames)   # made by an earlier run
        return False

    def returned(self, index: int, frames: list, reports: list) -> None:
        segment = self.stitch.planned[index]
        records = [{**r.record(), "segment": index, "worker": w} for r, w in reports]
        if self.store is not None:
            self.store.save(segment, frames, records)
        self.stitch.add(index, frames, records)
        self.reports[index] = reports

    def ready(self) -> Made:
        for out in self.stitch.ready():
            yield out.frame, self._report(out)
            self._forget(out.index)

    def _report(self, out: Stitched) -> SegmentFrameReport:
        made = self.reports[out.segment][out.index - self.stitch.planned[out.segment].start]
        where = dict(segment=out.segment, seam=out.seam, total=self.total)
        if made is None:   # kept from a stopped run: what its worker said is in the record
            return SegmentFrameReport(out.index, self.clip.source_index(out.index), seconds=0.0, resumed=True,
                                      worker=out.record.get("worker"), **where)
        report, worker = made
        said = {f.name: getattr(report, f.name) for f in fields(FrameReport) if f.name != "total"}
        return SegmentFrameReport(**said, worker=worker, **where)

    def _forget(self, index: int) -> None:
        for segment in list(self.stitch.planned.values()):
            if segment.stop == index + 1:
                if self.store is not None:
                    self.store.written(segment)
                self.reports.pop(segment.index, None)
