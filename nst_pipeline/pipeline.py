"""The one run path: frames from a source, through a method, into a sink, in order.

A shot's first frame gets the full budget (``first_steps``, with the pyramid). Each
later frame is warm-started from the previous result (warped by optical flow computed
on the original frames, when the method or ``--init prev-warped`` asks for it), and the
method may steady it further (the ``temporal`` loss term, a blend). Every finished frame
goes to the work folder before the sink, so a killed job can be resumed; ``nst image``
is the same run over a one-frame source.
"""

from __future__ import annotations

import dataclasses
import time
from contextlib import contextmanager
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from . import images
from .config import ClipConfig
from .errors import InputError, Interrupted, NSTError
from .methods.base import FrameTask, Method
from .sinks.base import FrameSink
from .sources.base import FrameSource
from .video.workdir import WorkDir


@dataclass(frozen=True)
class FrameReport:
    """Said once per finished frame; the manifest and ``--log-json`` store :meth:`record`."""

    index: int                 # 0-based among the selected frames
    source_index: int          # frame number in the input
    total: int | None
    seconds: float             # spent on this frame
    loss: float | None = None
    terms: dict[str, float] = field(default_factory=dict)
    steps: int = 0
    trusted: float | None = None   # share of pixels where the flow warp was trusted
    first: bool = False            # got the first-frame treatment (clip start or scene cut)
    stop: str | None = None        # why the last level stopped (converged / cap / budget), when known
    resumed: bool = False          # read back from the work folder, not computed

    def record(self) -> dict:
        data = dataclasses.asdict(self)
        data["frame"], data["source_frame"] = data.pop("index"), data.pop("source_index")
        data["seconds"] = round(self.seconds, 4)
        del data["total"]
        return data


OnFrame = Callable[[FrameReport], None]


def needs_guide(method: Method, clip: ClipConfig) -> bool:
    return method.wants_guide or clip.warm_start == "prev-warped"


def first_start(clip: ClipConfig) -> str | np.ndarray:
    """Where a shot's first frame starts: "content", "noise" or the ``--first-init`` image."""
    if clip.first_init in ("content", "noise"):
        return clip.first_init
    return images.load_array(clip.first_init, role="init image")


def stylize_frames(method: Method, frames: Iterable[np.ndarray], clip: ClipConfig, *, first_index: int = 0,
                   previous: tuple[np.ndarray, np.ndarray] | None = None, cuts: Collection[int] = frozenset(),
                   total: int | None = None, on_step: Callable | None = None) -> Iterator[tuple[np.ndarray, FrameReport]]:
    """Stylize ``frames`` (already selected, in order) one after another; yield each
    8-bit result with its report. ``previous`` = (original, result) of the frame before
    ``first_index`` when continuing a clip; frame indices in ``cuts`` start a new shot."""
    flow = None  # optical flow (OpenCV) is set up on the first later frame: a still never needs it
    opening = first_start(clip)
    for index, frame in enumerate(frames, start=first_index):
        began = time.perf_counter()
        first = previous is None or index in cuts
        guide = None
        if not first:
            from .video.warm import is_cut, later_steps, make_guide, start_from

            if flow is None and needs_guide(method, clip):
                from .video.flow import FlowEstimator

                flow = FlowEstimator()
        if not first and flow is not None:
            guide = make_guide(flow, previous[0], frame, previous[1])
            first = is_cut(guide)  # almost nothing to carry over: a cut nobody told us about
        if first:
            task = FrameTask(index, frame, True, clip.first_steps, opening)
        else:
            steps = later_steps(clip.steps, clip.first_steps, guide)
            task = FrameTask(index, frame, False, steps, start_from(clip.warm_start, guide, previous[1]), guide)
        # the stored 8-bit frame is what the next frame starts from: a resumed job then
        # continues from exactly the state an uninterrupted one would have
        result = images.frame_to_u8(method.stylize(task, on_step))
        facts = method.last_record()
        report = FrameReport(index, clip.source_index(index), total, time.perf_counter() - began,
                             facts.get("loss"), facts.get("terms", {}), facts.get("steps", 0),
                             None if guide is None else guide.trusted, first, facts.get("stop"))
        yield result, report
        previous = (frame, result)


def run(source: FrameSource, sink: FrameSink, method: Method, clip: ClipConfig, *, workdir: WorkDir | None = None,
        cuts: Collection[int] = frozenset(), on_step: Callable | None = None, on_frame: OnFrame | None = None) -> int:
    """Stylize the frames ``clip`` selects from ``source`` into ``sink``, resuming from
    ``workdir`` when it holds finished frames; return how many frames were written."""
    total = clip.total(source.frame_count)
    progress = _Written(workdir)
    with finished_frames_said(progress):
        with sink:
            selected = iter(clip.select(source))
            previous = _replay(selected, sink, clip, workdir, total, progress, on_frame)
            for result, report in stylize_frames(method, selected, clip, first_index=progress.done, previous=previous,
                                                 cuts=cuts, total=total, on_step=on_step):
                if workdir is not None:
                    workdir.save_frame(report.index, result, report.record())
                sink.write(result)
                progress.done += 1
                if on_frame is not None:
                    on_frame(report)
            if progress.done == 0:
                raise InputError(_nothing_selected(clip, source))
    return progress.done


@contextmanager
def finished_frames_said(progress):
    """Ctrl-C and user errors say how many frames were finished and where they are kept
    (``progress`` has ``done`` and ``kept()``); shared by the in-process and the Ray runs."""
    try:
        yield
    except KeyboardInterrupt:
        raise Interrupted(f"interrupted after {progress.done} finished frames{progress.kept()}") from None
    except NSTError as exc:
        if progress.done and progress.kept():
            raise type(exc)(f"{exc} ({progress.done} frames were finished{progress.kept()})") from None
        raise


class _Written:
    def __init__(self, workdir: WorkDir | None) -> None:
        self.done, self.workdir = 0, workdir

    def kept(self) -> str:
        if self.workdir is None or not self.workdir.resumable:
            return ""
        return f"; finished frames are kept in {self.workdir.path}: rerun the same command with --resume to continue"


def _replay(selected: Iterator[np.ndarray], sink: FrameSink, clip: ClipConfig, workdir: WorkDir | None,
            total: int | None, progress: _Written, on_frame: OnFrame | None):
    """Send the frames a stopped job finished to the sink again; return the last (original, result)."""
    previous = None
    for index in range(workdir.done() if workdir is not None else 0):
        frame = next(selected, None)
        if frame is None:
            break
        result = workdir.load_frame(index)
        sink.write(result)
        progress.done += 1
        if on_frame is not None:
            on_frame(FrameReport(index, clip.source_index(index), total, 0.0, resumed=True))
        previous = (frame, result)
    return previous


def _nothing_selected(clip: ClipConfig, source: FrameSource) -> str:
    if source.frame_count is not None and clip.start >= source.frame_count:
        return (f"--start {clip.start} is past the end of the input: it has {source.frame_count} frames "
                f"(0 to {source.frame_count - 1})")
    return "the input has no frames to stylize" + (f" after --start {clip.start}" if clip.start else "")
