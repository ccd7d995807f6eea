"""``nst video --workers N``: the driver that cuts segments, hands them to Ray, writes in order.

The driver reads the selected frames once, cuts them into segments as they stream
past (scene cuts, then chunks), and gives each segment to a free worker of an
``ActorPool``; it reads further only when a worker is free, so it holds a few
segments at a time, not the clip. Segments come back in any order; the driver alone
writes the work folder and the sink, strictly in order, cross-fading the overlaps,
so resume and atomic output work as in a plain run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import ConfigError, InputError, NSTError
from ..pipeline import FrameReport, finished_frames_said
from .crossfade import Stitched, Stitcher
from .segments import OVERLAP, SEGMENT_FRAMES, CutDetector, Segment, Segmenter, check_chunking
from .store import SegmentStore


@dataclass(frozen=True)
class ScaleOptions:
    workers: int = 2
    ray_address: str | None = None
    segment_frames: int = SEGMENT_FRAMES
    overlap: int = OVERLAP

    def check(self) -> "ScaleOptions":
        if self.workers < 1:
            raise ConfigError("--workers must be >= 1")
        check_chunking(self.segment_frames, self.overlap)
        return self

    @property
    def on_ray(self) -> bool:
        """One worker and no cluster address: the plain in-process run (Ray is not imported)."""
        return self.workers > 1 or bool(self.ray_address)

    def resume_key(self) -> dict:
        """What a --resume must keep (the worker count may change)."""
        return {"segment_frames": self.segment_frames, "overlap": self.overlap}


@dataclass(frozen=True)
class SegmentFrameReport(FrameReport):
    segment: int | None = None     # index of the segment that made the frame
    worker: str | None = None      # id of the Ray actor that ran it
    seam: float | None = None      # weight of the next chunk where the frame was cross-faded


def run_scaled(source, sink, config, clip, scale: ScaleOptions, *, workdir=None, registry_factory=None,
               on_frame: Callable | None = None, on_segment: Callable | None = None) -> int:
    """Stylize the frames ``clip`` selects from ``source`` on Ray workers into ``sink``."""
    from .executor import cluster, start_workers, submit

    scale.check()
    total = clip.total(source.frame_count)
    job = _Job(sink, clip, workdir, total, scale.overlap, on_frame)
    with finished_frames_said(job):
        with sink, cluster(scale.workers, scale.ray_address) as info:
            job.replay()
            pool = start_workers(info, config, clip, registry_factory)
            split = Segmenter(scale.segment_frames, scale.overlap, CutDetector(fps=source.fps or 24.0))
            segments, exhausted = split.split(clip.select(source)), False
            while True:
                while not exhausted and pool.has_free():
                    item = next(segments, None)
                    if item is None:
                        exhausted = True
                        job.stitch.end()
                    elif job.needs(item[0]):
                        submit(pool, *item)
                        if on_segment is not None:
                            on_segment(item[0], "submitted")
                job.write_ready()
                if not pool.has_next():
                    if exhausted:
                        break
                    continue
                index, frames, reports = _next_result(pool)
                job.returned(index, frames, reports)
                if on_segment is not None:
                    on_segment(job.stitch.planned[index], "done")
            job.write_ready()
            if job.done == 0:
                raise InputError("the input has no frames to stylize")
    return job.done


def _next_result(pool):
    """The next finished segment; a user error raised on a worker comes out as itself."""
    try:
        return pool.get_next_unordered()
    except Exception as exc:
        cause = exc
        while isinstance(getattr(cause, "cause", None), BaseException):
            cause = cause.cause   # Ray wraps: ActorDiedError -> RayTaskError -> the worker's exception
        if isinstance(cause, NSTError):
            raise cause from None
        raise


class _Job:
    """The driver's bookkeeping: which segments run, what is written, in order."""

    def __init__(self, sink, clip, workdir, total, overlap, on_frame) -> None:
        self.sink, self.clip, self.workdir, self.total, self.on_frame = sink, clip, workdir, total, on_frame
        self.written = workdir.done() if workdir is not None else 0
        self.store = SegmentStore(workdir.path) if workdir is not None else None
        self.stitch = Stitcher(overlap, first_frame=self.written)
        self.reports: dict[int, list] = {}
        self.done = 0

    def replay(self) -> None:
        """Frames a stopped job finished go to the sink again, first."""
        for index in range(self.written):
            self.sink.write(self.workdir.load_frame(index))
            self.done += 1
            if self.on_frame is not None:
                self.on_frame(SegmentFrameReport(index, self.clip.source_index(index), self.total, 0.0, resumed=True))

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

    def write_ready(self) -> None:
        for out in self.stitch.ready():
            record = {**out.record, "seam": out.seam}
            if self.workdir is not None:
                self.workdir.save_frame(out.index, out.frame, record)
            self.sink.write(out.frame)
            self.done += 1
            if self.on_frame is not None:
                self.on_frame(self._report(out))
            self._forget(out.index)

    def _report(self, out: Stitched) -> SegmentFrameReport:
        made = self.reports[out.segment][out.index - self.stitch.planned[out.segment].start]
        if made is None:   # kept from a stopped run: what its worker said is in the record
            return SegmentFrameReport(out.index, self.clip.source_index(out.index), self.total, 0.0, resumed=True,
                                      segment=out.segment, worker=out.record.get("worker"), seam=out.seam)
        report, worker = made
        fields = {f.name: getattr(report, f.name) for f in dataclasses.fields(FrameReport)}
        return SegmentFrameReport(**fields, segment=out.segment, worker=worker, seam=out.seam)

    def _forget(self, index: int) -> None:
        for segment in list(self.stitch.planned.values()):
            if segment.stop == index + 1:
                if self.store is not None:
                    self.store.written(segment)
                self.reports.pop(segment.index, None)

    def kept(self) -> str:
        if self.workdir is None or not getattr(self.workdir, "resumable", True):
            return ""
        return f"; finished frames are kept in {self.workdir.path}: rerun the same command with --resume to continue"
