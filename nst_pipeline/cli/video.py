"""``nst video``: stylize a clip (video file, image folder or raw stdin) frame by frame, steadily."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated, Optional

import typer

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from ..builtins.video import TEMPORAL_WEIGHT
from ..errors import ConfigError, Interrupted, NSTError, OutputError
from ..job import build_job
from ..sinks import check_sink, open_sink
from ..sources.base import open_source
from ..sources.stream import StreamOptions
from ..stylize import Stylizer
from ..video.pipeline import FrameLoop, VideoSettings
from ..video.workdir import WorkDir, describe_input
from . import common as c
from .app import app

#: with no --size, frames keep their own size up to this long side
AUTO_SIZE_CAP = 512


@app.command("video")
def video_command(
    input: Annotated[str, typer.Argument(help="Video file, image folder or glob, or '-' for raw RGB24 on stdin.")],
    output: Annotated[str, typer.Option("--output", "-o", help="Video file (.mp4, .mkv, ...), a folder for numbered PNGs, or '-' for raw RGB24 on stdout.")],
    style: c.Styles = None,
    style_blend: c.StyleBlend = None,
    size: Annotated[Optional[int], typer.Option("--size", help=f"Long side of the output in px (default: the input's, at most {AUTO_SIZE_CAP}).")] = None,
    first_steps: Annotated[int, typer.Option("--first-steps", help="Optimizer steps per pyramid level for the first frame (like nst image --steps).")] = 150,
    steps: Annotated[int, typer.Option("--steps", help="Optimizer steps for each later frame (warm-started from the previous one).")] = 40,
    levels: c.Levels = None,
    optimizer: c.Optimizer = "lbfgs",
    lr: c.LR = None,
    lr_decay_every: c.LRDecayEvery = 0,
    lr_decay: c.LRDecay = 0.5,
    content_weight: c.ContentWeight = None,
    style_weight: c.StyleWeight = None,
    tv_weight: c.TVWeight = None,
    loss: c.Loss = None,
    loss_option: c.LossOption = None,
    init: Annotated[str, typer.Option("--init", help="Warm start of later frames: prev-warped, prev or content.")] = "prev-warped",
    first_init: Annotated[str, typer.Option("--first-init", help="Start of the first frame: content, noise, or an image path.")] = "content",
    temporal_weight: Annotated[float, typer.Option("--temporal-weight", help="Weight of the temporal loss (0: off).")] = TEMPORAL_WEIGHT,
    seed: c.Seed = None,
    backbone: c.Backbone = "vgg19",
    backbone_option: c.BackboneOption = None,
    pooling: c.Pooling = None,
    weights: c.Weights = None,
    device: c.Device = "auto",
    original_colors: c.OriginalColors = False,
    style_scale: c.StyleScale = 1.0,
    targets: c.Targets = "torch",
    onnx_model: c.OnnxModel = None,
    frame_size: Annotated[Optional[str], typer.Option("--frame-size", help="WIDTHxHEIGHT of raw frames on stdin.")] = None,
    fps: Annotated[Optional[float], typer.Option("--fps", help="Frame rate of the input (stdin, folders; overrides a video's).")] = None,
    max_frames: Annotated[Optional[int], typer.Option("--max-frames", help="Stylize at most this many frames.")] = None,
    start: Annotated[int, typer.Option("--start", help="Skip this many input frames first.")] = 0,
    every: Annotated[int, typer.Option("--every", help="Take every N-th input frame (output fps drops N-fold).")] = 1,
    work_dir: Annotated[Optional[Path], typer.Option("--work-dir", help="Folder for finished frames and the manifest (default: OUTPUT.nst-work).")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue a stopped job from its work folder.")] = False,
    keep_work: Annotated[bool, typer.Option("--keep-work", help="Keep the work folder after success.")] = False,
    save_every: Annotated[int, typer.Option("--save-every", help="Also save the frame being optimized every N steps into WORK/snapshots (0: off).")] = 0,
    log_json: c.LogJson = None,
    quiet: c.Quiet = False,
) -> None:
    """Stylize the frames of INPUT with --style images; later frames follow the first through optical flow."""
    if not style:
        raise typer.BadParameter("at least one --style image is required", param_hint="--style")
    if frame_size is not None and input != "-":
        raise ConfigError("--frame-size is for raw frames on stdin (input '-') only")
    if output == "-" and not c.stdout_is_data(output):
        raise OutputError("-o - writes raw RGB24 frames to stdout, which is a terminal here; pipe it into a program")
    if output == "-" and resume and work_dir is None:
        raise ConfigError("--resume with -o - needs the --work-dir of the stopped job")
    kind = check_sink(output, [input, *map(str, style)])
    video = VideoSettings(first_steps, steps, init, temporal_weight, start, every, max_frames).check()
    source = _open_input(input, frame_size, fps)
    with source:
        size = size or min(AUTO_SIZE_CAP, max(getattr(source, "frame_size", None) or (AUTO_SIZE_CAP,)))
        config = c.config_from(locals(), steps=first_steps, init=first_init)
        job = build_job(config, extra_terms=[("temporal", temporal_weight)])
        weights_used = {t.name: t.weight for t in job.objective.terms}
        # --loss temporal:W wins over --temporal-weight, like any --loss
        video = VideoSettings(**{**video.__dict__, "temporal_weight": weights_used.get("temporal", 0.0)})
        settings = {"config": config.model_dump(mode="json"), "terms": weights_used,
                    **describe_input(input), **video.resume_key()}
        work = _work_dir(output, work_dir, settings, resume)
        in_fps = fps or source.fps
        sink = open_sink(output, fps=in_fps / every if in_fps else None, audio_from=source.audio_from,
                         audio_start=start / source.fps if source.fps else 0.0)
        total = video.total(source.frame_count)
        done = _run(FrameLoop(Stylizer(job), video, work), source, sink, total, work, output, kind,
                    log_json, quiet, save_every)
    for note in sink.notes:
        c.console.print(f"warning: {note}")
    if keep_work and output != "-":
        c.console.print(f"work folder kept: {work.path}")
    else:
        work.remove()
    if not quiet:
        c.console.print(f"wrote {output if output != '-' else 'stdout'} ({done} frames)")


def _open_input(location: str, frame_size: str | None, fps: float | None):
    if location == "-":
        return open_source("-", kind="stdin", options=StreamOptions(frame_size=frame_size, fps=fps))
    return open_source(location)


def _work_dir(output: str, given: Path | None, settings: dict, resume: bool) -> WorkDir:
    if given is None and output == "-":
        given = Path(tempfile.mkdtemp(prefix="nst-video-"))  # frames already went out: nothing to resume into
    elif given is None:
        out = Path(output)
        given = out.with_name(out.name + ".nst-work")
    return WorkDir.open(given, settings, resume)


def _run(loop, source, sink, total, work, output, kind, log_json, quiet, save_every) -> int:
    log = c.StepLog(log_json)
    snapshots = _Snapshots(work.path / "snapshots", save_every)
    kept = "" if output == "-" else f"; finished frames are kept in {work.path}: rerun the same command with --resume to continue"
    try:
        with FrameProgress(quiet, total) as progress:
            def on_step(report):
                progress.step(report)
                log(report)
                snapshots(report)

            def on_frame(report):
                progress.frame(report)
                if log.file is not None:
                    log.file.write(json.dumps({"event": "frame", **_frame_record(report)}) + "\n")
                    log.file.flush()

            with sink:
                return loop.run(source, sink, total, on_step, on_frame)
    except KeyboardInterrupt:
        raise Interrupted(f"interrupted after {loop.done} finished frames{kept if loop.done else ''}") from None
    except NSTError as exc:
        if loop.done and kind != "stdout":
            raise type(exc)(f"{exc} ({loop.done} frames were finished{kept})") from None
        raise
    finally:
        log.close()


def _frame_record(r) -> dict:
    return {"frame": r.index, "source_frame": r.source_index, "loss": r.loss, "terms": r.terms,
            "steps": r.steps, "trusted": r.trusted, "seconds": round(r.seconds, 4), "resumed": r.resumed}


class _Snapshots:
    def __init__(self, folder: Path, every: int) -> None:
        self.folder, self.every = folder, every

    def __call__(self, r) -> None:
        if not self.every or r.step % self.every or r.image is None:
            return
        from .. import images

        self.folder.mkdir(exist_ok=True)
        images.save_image(r.image, self.folder / f"frame{r.frame:06d}-L{r.level + 1}-step{r.step:04d}.png")


class FrameProgress:
    """A frames bar (done/total, frames/s, ETA) over a bar for the steps of the current frame."""

    def __init__(self, quiet: bool, total: int | None) -> None:
        self.progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[info]}"), console=c.console, disable=quiet)
        self.total, self.computed, self.busy = total, 0, 0.0
        self.steps_task = self._level = None

    def __enter__(self) -> "FrameProgress":
        self.progress.__enter__()
        self.frames_task = self.progress.add_task("frames", total=self.total, info="")
        return self

    def __exit__(self, *exc) -> None:
        self.progress.__exit__(*exc)

    def step(self, r) -> None:
        if (r.frame, r.level) != self._level:
            self._drop_steps()
            label = f"  frame {r.frame + 1} level {r.level + 1}/{r.levels} {r.size[1]}x{r.size[0]}"
            self.steps_task, self._level = self.progress.add_task(label, total=r.steps, info=""), (r.frame, r.level)
        self.progress.update(self.steps_task, completed=r.step, info=c.format_terms(r.terms))

    def frame(self, r) -> None:
        self._drop_steps()
        if not r.resumed:  # frames read back from the work folder say nothing about speed
            self.computed, self.busy = self.computed + 1, self.busy + r.seconds
        info = "resumed" if r.resumed else ""
        if self.computed:
            rate = self.computed / max(self.busy, 1e-9)
            info = f"{rate:.3g} frames/s" + (f" ({1 / rate:.3g} s/frame)" if rate < 1 else "")
            if self.total:
                info += f"  ETA {_clock((self.total - r.index - 1) / rate)}"
        self.progress.update(self.frames_task, completed=r.index + 1, info=info)

    def _drop_steps(self) -> None:
        if self.steps_task is not None:
            self.progress.remove_task(self.steps_task)
            self.steps_task = self._level = None


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
