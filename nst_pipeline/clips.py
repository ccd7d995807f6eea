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
from .methods.build import build_method, input_size, make_plan, resolve_size
from .pipeline import run
from .registry import Registry


@dataclass
class Outcome:
    frames: int
    notes: list[str]               # for the user (e.g. "audio not copied: ..."); the CLI prints them
    work_kept: Path | None = None
    result: np.ndarray | None = None


def stylize_still(content: str | Path, output: str | Path | None, config: StyleConfig, clip: ClipConfig, *,
                  registry: Registry, on_step: Callable | None = None, on_plan: Callable | None = None) -> Outcome:
    """``nst image``: one frame through the same run, written atomically to ``output``."""
    from .sinks.image import ImageFileSink, MemorySink

    out = images.check_output_path(output, [content, *config.styles]) if output is not None else None
    source = registry.open_source(str(content), kind="image", role="content image")
    with source:
        frame = next(iter(source))
        hw = frame.shape[:2]
        config = resolve_size(config, (hw[1], hw[0]), still=True, exact=False)
        method = build_method(config, registry, video=False, frame_hw=tuple(hw))
        if on_plan is not None:
            on_plan(make_plan(method, config, clip, (hw[1], hw[0]), 1))
        sink = ImageFileSink(out) if out is not None else MemorySink()
        run(source, sink, method, clip.model_copy(update={"start": 0, "every": 1, "max_frames": 1}), on_step=on_step)
    result = sink.last if out is not None else sink.kept[-1]
    return Outcome(1, sink.notes, None, result)


def stylize_clip(input: str, output: str, config: StyleConfig, clip: ClipConfig, *, registry: Registry,
                 frame_size: str | None = None, fps: float | None = None, work_dir: Path | None = None,
                 resume: bool = False, keep_work: bool = False, cuts: Collection[int] = frozenset(),
                 on_step: Callable | None = None, on_frame: Callable | None = None,
                 on_plan: Callable | None = None) -> Outcome:
    """``nst video``: a video file, image folder or raw stdin ('-') into a video file,
    a folder of PNGs or raw stdout ('-'), resumable through a work folder."""
    from .sinks import check_sink, open_sink
    from .video.workdir import describe_input

    if frame_size is not None and input != "-":
        raise ConfigError("--frame-size is for raw frames on stdin (input '-') only")
    if output == "-" and resume and work_dir is None:
        raise ConfigError("--resume with -o - needs the --work-dir of the stopped job")
    kind = check_sink(output, [input, *map(str, config.styles)])
    if kind == "folder":
        from .outputs import check_frame_folder

        check_frame_folder(output, resume)
    source = open_input(registry, input, frame_size, fps)
    with source:
        size = input_size(source)
        config = resolve_size(config, size, still=False, exact=kind == "stdout")
        method = build_method(config, registry, video=True, frame_hw=(size[1], size[0]) if size else None)
        total = clip.total(source.frame_count)
        if on_plan is not None:
            on_plan(make_plan(method, config, clip, size, total))
        settings = {"config": config.model_dump(mode="json"), "clip": clip.resume_key(), **describe_input(input)}
        work = open_workdir(output, work_dir, settings, resume)
        in_fps = fps or source.fps
        sink = open_sink(output, fps=in_fps / clip.every if in_fps else None, audio_from=source.audio_from,
                         audio_start=clip.start / source.fps if source.fps else 0.0)
        try:
            done = _run_clip(source, sink, method, config, clip, work, cuts, on_step, on_frame)
        except BaseException:
            # nothing to resume from a throw-away folder, nor from a job that finished no frame
            if not work.resumable or (work.created and work.done() == 0):
                work.remove()
            raise
    kept = keep_work and work.resumable
    if not kept:
        work.remove()
    return Outcome(done, sink.notes, work.path if kept else None)


def _run_clip(source, sink, method, config, clip, work, cuts, on_step, on_frame) -> int:
    """In this process, finding scene cuts as frames stream past; or segments on Ray workers."""
    from .scale.driver import ScaleOptions

    scale = ScaleOptions(clip.workers, clip.ray_address, clip.segment_frames, clip.overlap).check()
    if scale.on_ray:
        from .scale.driver import run_scaled

        method.close()  # built here only to check every option before a cluster starts
        return run_scaled(source, sink, config, clip, scale, workdir=work, on_frame=on_frame)
    if not cuts:
        from .video.cuts import LiveCuts, WatchedSource

        cuts = LiveCuts(clip)
        source = WatchedSource(source, cuts)
    return run(source, sink, method, clip, workdir=work, cuts=cuts, on_step=on_step, on_frame=on_frame)


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
        out = Path(output)
        given = out.with_name(out.name + ".nst-work")
    if given.exists() and not given.is_dir():
        raise OutputError(f"work folder {given} exists and is not a folder")
    work = WorkDir.open(given, settings, resume)
    work.resumable = not throwaway
    return work
