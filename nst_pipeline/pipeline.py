"""The one run loop: frames from a source, made by a producer, into a sink, in order.

:func:`run` owns everything around the frames for every run, one worker or many: the
frames a stopped job finished are replayed from the work folder, every new frame is
saved there before the sink gets it (so a killed job can be resumed), each is reported
through ``on_frame``, and a stopped run says where its frames are kept. What makes the
frames is a *producer*: :class:`LocalFrames` stylizes them in this process
(:func:`stylize_frames`), :class:`nst_pipeline.scale.driver.RayFrames` on Ray workers.

A shot's first frame gets the full budget (``first_steps``, with the pyramid). Each
later frame is warm-started from the previous result (warped by optical flow computed
on the original frames, when the method or ``--init prev-warped`` asks for it), and the
method may steady it further (the ``temporal`` loss term, a blend). ``nst image`` is
the same run over a one-frame source.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from . import images
from .config import ClipConfig
from .errors import InputError, Interrupted, NSTError, PluginError
from .frames import to_u8
from .methods.base import FrameFacts, FrameTask, Method
from .reports import FrameReport
from .sinks.base import FrameSink
from .sources.base import FrameSource
from .video.workdir import WorkDir


OnFrame = Callable[[FrameReport], None]
#: the frame :attr:`FrameTask.reference` is, for every frame of a shot (the work folder records it)
SHOT_REFERENCE = "the first frame of each shot"
Made = Iterator[tuple[np.ndarray, FrameReport]]


@dataclass(frozen=True)
class Resume:
    """Where a run picks up: the first ``at`` selected frames are finished in ``workdir``."""

    at: int = 0
    workdir: WorkDir | None = None

    def result(self, index: int) -> np.ndarray:
        return self.workdir.load_frame(index)


class FrameProducer(Protocol):
    """Makes the stylized frames of a run, in order.

    Called with every selected frame of the input (from the first: a producer that
    cuts segments must see them all), where the run resumes, and the frame total
    when known; yields ``(8-bit result, report)`` for frames ``resume.at`` onwards."""

    def __call__(self, frames: Iterator[np.ndarray], resume: Resume, total: int | None) -> Made: ...


class LocalFrames:
    """The in-process producer: this process's method, one frame after another."""

    def __init__(self, method: Method, clip: ClipConfig, cuts: Collection[int] = frozenset(),
                 on_step: Callable | None = None) -> None:
        self.method, self.clip, self.cuts, self.on_step = method, clip, cuts, on_step

    def __call__(self, frames: Iterator[np.ndarray], resume: Resume, total: int | None) -> Made:
        previous, reference = _skip_finished(frames, resume, self.cuts)
        return stylize_frames(self.method, frames, self.clip, first_index=resume.at, previous=previous,
                              reference=reference, cuts=self.cuts, total=total, on_step=self.on_step)


def _skip_finished(frames: Iterator[np.ndarray], resume: Resume, cuts: Collection[int]):
    """Pass the frames a stopped job finished: (original, stored result) of the last one, and
    the first frame of its shot (the reference the resumed frames of that shot are anchored to)."""
    last = reference = None
    for index in range(resume.at):
        frame = next(frames, None)
        if frame is None:
            return None, None
        if index == 0 or index in cuts:
            reference = frame
        last = (frame, index)
    return (None, None) if last is None else ((last[0], resume.result(last[1])), reference)


def needs_guide(method: Method, clip: ClipConfig) -> bool:
    return method.wants_guide or clip.warm_start == "prev-warped"


def first_start(clip: ClipConfig) -> str | np.ndarray:
    """Where the clip's first frame starts: "content", "noise" or the ``--first-init`` image.

    Only that frame: every other cold start (a shot after a cut, a Ray chunk, a frame the
    flow finds no past for) starts from its content. An init image is a picture of the first
    frame, wrong for another shot; and a chunk must not start from what a one-worker run
    never used mid-shot."""
    if clip.first_init in ("content", "noise"):
        return clip.first_init
    return images.load_array(clip.first_init, role="init image")


def stylize_frames(method: Method, frames: Iterable[np.ndarray], clip: ClipConfig, *, first_index: int = 0,
                   previous: tuple[np.ndarray, np.ndarray] | None = None, reference: np.ndarray | None = None,
                   cuts: Collection[int] = frozenset(), total: int | None = None,
                   on_step: Callable | None = None) -> Made:
    """Stylize ``frames`` (already selected, in order) one after another; yield each
    8-bit result with its report. ``previous`` = (original, result) of the frame before
    ``first_index`` when continuing a clip, ``reference`` the first frame of the shot
    ``first_index`` is in when that shot began before it (a resume, a Ray chunk); frame
    indices in ``cuts`` start a new shot."""
    warm = _Warm(needs_guide(method, clip))
    opening = first_start(clip) if first_index == 0 else "content"
    for index, frame in enumerate(frames, start=first_index):
        began = time.perf_counter()
        shot_start = previous is None or index in cuts
        if reference is None or index in cuts:
            reference = frame   # only the cuts found by the detector: known to a resume and a chunk too
        guide = None if shot_start else warm.guide(previous, frame)
        task = _task(index, frame, clip, opening if index == 0 else "content", shot_start, previous, guide,
                     reference)
        # the stored 8-bit frame is what the next frame starts from: a resumed job then
        # continues from exactly the state an uninterrupted one would have
        result = to_u8(method.stylize(task, on_step))
        facts = _facts(method)
        yield result, FrameReport(index, clip.source_index(index), total, time.perf_counter() - began,
                                  loss=facts.loss, terms=facts.terms, steps=facts.steps, first=task.first,
                                  trusted=None if guide is None else guide.trusted, stop=facts.stop)
        previous = (frame, result)


def _facts(method: Method) -> FrameFacts:
    facts = method.last_record()
    if not isinstance(facts, FrameFacts):  # a third-party method: one line, not a traceback later
        raise PluginError(f"method {method.name!r}: last_record() must return a FrameFacts, got {type(facts).__name__}")
    return facts


class _Warm:
    """What a later frame gets from the previous one (a :class:`~.methods.base.Guide`), when
    the method or the warm start asks for it; optical flow (OpenCV) is set up on the first
    later frame, so a still never loads it."""

    def __init__(self, needed: bool) -> None:
        self.needed, self._flow = needed, None

    def guide(self, previous: tuple[np.ndarray, np.ndarray], frame: np.ndarray):
        if not self.needed:
            return None
        from .video.warm import make_guide

        if self._flow is None:
            from .video.flow import FlowEstimator

            self._flow = FlowEstimator()
        return make_guide(self._flow, previous[0], frame, previous[1])


def _task(index: int, frame: np.ndarray, clip: ClipConfig, opening, shot_start: bool, previous, guide,
          reference: np.ndarray) -> FrameTask:
    """A shot's first frame (also one whose flow trusts almost nothing: a cut nobody told us
    about) gets the full budget from ``opening``; a later one its warm start and guide."""
    full = FrameTask(index, frame, True, clip.first_steps, opening, reference=reference)
    if shot_start:
        return full
    from .video.warm import is_cut, later_steps, start_from  # OpenCV: only once a frame follows another

    if guide is not None and is_cut(guide):
        return full
    steps = later_steps(clip.steps, clip.first_steps, guide)
    return FrameTask(index, frame, False, steps, start_from(clip.warm_start, guide, previous[1]), guide, reference)


def run(source: FrameSource, sink: FrameSink, clip: ClipConfig, produce: FrameProducer, *,
        workdir: WorkDir | None = None, on_frame: OnFrame | None = None) -> int:
    """Write the frames ``clip`` selects from ``source``, as ``produce`` makes them, into
    ``sink``, resuming from ``workdir`` when it holds finished frames; return how many
    frames were written."""
    total = clip.total(source.frame_count)
    written = _Written(workdir)
    resume = Resume(workdir.done() if workdir is not None else 0, workdir)
    with finished_frames_said(written), sink:
        frames = _replayed(clip.select(source), resume, sink, clip, total, written, on_frame)
        with closing(produce(frames, resume, total)) as made:
            for result, report in made:
                if workdir is not None:
                    workdir.save_frame(report.index, result, report.record())
                sink.write(result)
                written.done += 1
                if on_frame is not None:
                    on_frame(report)
        if written.done == 0:
            raise InputError(_nothing_selected(clip, source))
    return written.done


@contextmanager
def finished_frames_said(written: "_Written"):
    """Ctrl-C and user errors say how many frames were finished and where they are kept."""
    try:
        yield
    except KeyboardInterrupt:
        raise Interrupted(f"interrupted after {written.done} finished frames{written.kept()}") from None
    except NSTError as exc:
        if written.done and written.kept():
            raise type(exc)(f"{exc} ({written.done} frames were finished{written.kept()})") from None
        raise


class _Written:
    def __init__(self, workdir: WorkDir | None) -> None:
        self.done, self.workdir = 0, workdir

    def kept(self) -> str:
        if self.workdir is None or not self.workdir.resumable:
            return ""
        return f"; finished frames are kept in {self.workdir.path}: rerun the same command with --resume to continue"


def _replayed(frames: Iterable[np.ndarray], resume: Resume, sink: FrameSink, clip: ClipConfig,
              total: int | None, written: _Written, on_frame: OnFrame | None) -> Iterator[np.ndarray]:
    """The selected frames, in order; as each of the first ``resume.at`` passes, the result
    the stopped job stored for it goes to the sink again (before anything new can)."""
    for index, frame in enumerate(frames):
        if index < resume.at:
            sink.write(resume.result(index))
            written.done += 1
            if on_frame is not None:
                on_frame(FrameReport(index, clip.source_index(index), total, 0.0, resumed=True))
        yield frame


def _nothing_selected(clip: ClipConfig, source: FrameSource) -> str:
    if source.frame_count is not None and clip.start >= source.frame_count:
        return (f"--start {clip.start} is past the end of the input: it has {source.frame_count} frames "
                f"(0 to {source.frame_count - 1})")
    return "the input has no frames to stylize" + (f" after --start {clip.start}" if clip.start else "")
