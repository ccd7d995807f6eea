"""Whole jobs, for the CLI and the Python API alike: open the input, pick the size,
build the method, open the sink and the work folder, then :func:`pipeline.run`.

``stylize_still`` is the same run over a one-frame source into an image file.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import images
from .config import ClipConfig, StyleConfig
from .errors import ConfigError, OutputError
from .methods.base import Method
from .methods.build import Plan, build_method, input_size, make_plan, resolve_size
from .pipeline import FrameProducer, LocalFrames, run
from .reports import FrameReport, StepReport
from .registry import Registry


@dataclass(frozen=True)
class Listeners:
    """Who hears a run: its plan (before the first frame), every optimizer step
    (:class:`~nst_pipeline.reports.StepReport`) and every finished frame
    (:class:`~nst_pipeline.reports.FrameReport`)."""

    on_plan: Callable[[Plan], None] | None = None
    on_step: Callable[[StepReport], None] | None = None
    on_frame: Callable[[FrameReport], None] | None = None
    #: every N-th step report must carry the image being optimized (``--save-every``): Ray
    #: workers send it only then; 0 = never needed. In this process every report has it.
    step_images: int = 0

    def plan(self, plan: Plan) -> None:
        if self.on_plan is not None:
            self.on_plan(plan)


@dataclass
class Outcome:
    frames: int
    notes: list[str]               # for the user (e.g. "audio not copied: ..."); the CLI prints them
    work_kept: Path | None = None
    result: np.ndarray | None = None


def stylize_still(content: str | Path, output: str | Path | None, config: StyleConfig, clip: ClipConfig, *,
                  registry: Registry, listen: Listeners = Listeners()) -> Outcome:
    """``nst image``: one frame through the same run, written atomically to ``output``."""
    from .sinks.image import ImageFileSink, MemorySink

    out = images.check_output_path(output, [content, *config.styles]) if output is not None else None
    sink = ImageFileSink(out) if out is not None else MemorySink()
    with registry.open_source(str(content), kind="image", role="content image") as source:
        _run_still(source, sink, config, clip, registry, listen)
    result = sink.last if out is not None else sink.kept[-1]
    return Outcome(1, sink.notes, None, result)


def stylize_frame(frame: np.ndarray, config: StyleConfig, clip: ClipConfig, *, registry: Registry,
                  listen: Listeners = Listeners()) -> np.ndarray:
    """A picture in memory (HxWx3) through the same run; the 8-bit result."""
    from .sinks.image import MemorySink
    from .sources.still import ArraySource

    sink = MemorySink()
    _run_still(ArraySource(frame), sink, config, clip, registry, listen)
    return sink.kept[-1]


def _run_still(source, sink, config: StyleConfig, clip: ClipConfig, registry: Registry, listen: Listeners) -> None:
    size = input_size(source)
    config = resolve_size(config, size, still=True, exact=False)
    with build_method(config, registry, video=False, frame_hw=(size[1], size[0]), clip=clip) as method:
        listen.plan(make_plan(method, config, clip, size, 1))
        one = clip.model_copy(update={"start": 0, "every": 1, "max_frames": 1})
        run(source, sink, one, LocalFrames(method, one, on_step=listen.on_step))


def stylize_clip(input: str, output: str, config: StyleConfig, clip: ClipConfig, *, registry: Registry,
                 frame_size: str | None = None, fps: float | None = None, work_dir: Path | None = None,
                 resume: bool = False, keep_work: bool = False, cuts: Collection[int] = frozenset(),
                 listen: Listeners = Listeners()) -> Outcome:
    """``nst video``: a video file, image folder or raw stdin ('-') into a video file,
    a folder of PNGs or raw stdout ('-'), resumable through a work folder."""
    from .sinks import check_sink, open_sink
    from .video.timeline import clip_clock

    if frame_size is not None and input != "-":
        raise ConfigError("--frame-size is for raw frames on stdin (input '-') only")
    if output == "-" and resume and work_dir is None:
        raise ConfigError("--resume with -o - needs the --work-dir of the stopped job")
    kind = check_sink(output, [input, *map(str, config.styles)])
    if kind == "folder":
        from .outputs import check_frame_folder

        check_frame_folder(output, resume)
    with open_input(registry, input, frame_size, fps) as source:
        size = input_size(source)
        config = resolve_size(config, size, still=False, exact=kind == "stdout")
        with build_method(config, registry, video=True, frame_hw=(size[1], size[0]) if size else None,
                          clip=clip) as method:
            listen.plan(make_plan(method, config, clip, size, clip.total(source.frame_count)))
            settings = resume_settings(config, clip, method, input)
            work = open_workdir(output, work_dir, settings, resume)
            in_fps = fps or source.fps
            sink = open_sink(output, fps=in_fps / clip.every if in_fps else None, audio_from=source.audio_from,
                             clock=clip_clock(source, clip, fps))  # each frame at its own time, audio in step
            try:
                source, produce = _producer(source, method, config, clip, cuts, listen)
                done = run(source, sink, clip, produce, workdir=work, on_frame=listen.on_frame)
            except BaseException:
                # nothing to resume from a throw-away folder, nor from a job that finished no frame
                if not work.resumable or (work.created and work.done() == 0):
                    work.remove()
                raise
    kept = keep_work and work.resumable
    if not kept:
        work.remove()
    return Outcome(done, sink.notes, work.path if kept else None)


#: how the frames of a shot are made, said in the work folder: one warm chain in this process, or
#: chunks started cold on Ray workers and cross-faded. A resume that switched would jump where it
#: picked up (the two make different frames), so it is refused; any number of Ray workers cut the
#: same segments and anchor them the same way, so that count may change
RUNS_ON = {False: "1 (in this process)", True: "2 or more, or --ray-address (Ray segments)"}


def resume_settings(config: StyleConfig, clip: ClipConfig, method: Method, input: str) -> dict:
    """What a --resume must match: the options, the input, how frames are made and, when the
    method uses it, which frame anchors a shot (a work folder made otherwise is refused)."""
    from .pipeline import SHOT_REFERENCE
    from .video.workdir import describe_input

    settings = {"config": config.model_dump(mode="json"), "clip": clip.resume_key(), **describe_input(input),
                "--workers": RUNS_ON[clip.on_ray]}
    if method.uses_reference:
        settings["reference"] = SHOT_REFERENCE
    return settings


def _producer(source, method: Method, config: StyleConfig, clip: ClipConfig, cuts: Collection[int],
              listen: Listeners) -> tuple[object, FrameProducer]:
    """This process's method, finding scene cuts as frames stream past; or segments on Ray workers."""
    if clip.on_ray:
        from .scale.driver import RayFrames

        method.close()  # built here only to check every option (and plan) before a cluster starts
        return source, RayFrames(config, clip, fps=source.fps, on_step=listen.on_step, step_images=listen.step_images)
    if not cuts:
        from .video.cuts import LiveCuts, WatchedSource

        cuts = LiveCuts(clip)
        source = WatchedSource(source, cuts)
    return source, LocalFrames(method, clip, cuts, on_step=listen.on_step)


def open_input(registry: Registry, location: str, frame_size: str | None, fps: float | None):
    if location == "-":
        from .sources.stream import StreamOptions

        return registry.open_source("-", kind="stdin", options=StreamOptions(frame_size=frame_size, fps=fps))
    return registry.open_source(location, role="video input")


def open_workdir(output: str, given: Path | None, settings: dict, resume: bool):
    from .video.workdir import WorkDir

    throwaway = given is None and output == "-"
    if throwaway:
        given = Path(tempfile.mkdtemp(prefix="nst-video-"))
    elif given is None:
        from .outputs import work_folder_for

        given = work_folder_for(output)
    if given.exists() and not given.is_dir():
        raise OutputError(f"work folder {given} exists and is not a folder")
    work = WorkDir.open(given, settings, resume)
    work.resumable = not throwaway
    return work
