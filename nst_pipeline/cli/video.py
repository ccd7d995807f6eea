"""``nst video``: stylize a clip (video file, image folder or raw stdin) frame by frame, steadily."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from . import common as c
from .options import schema_options


@schema_options("video")
def video_command(
    input: Annotated[str, typer.Argument(help="Video file, image folder or glob, or '-' for raw RGB24 on stdin.", metavar="INPUT", show_default=False)],
    output: Annotated[Optional[str], typer.Option("--output", "-o", help="Video file (.mp4, .mkv, ...), a folder for numbered PNGs, or '-' for raw RGB24 on stdout (default: INPUT-stylized.mp4 in the current folder).", metavar="PATH", show_default=False)] = None,
    frame_size: Annotated[Optional[str], typer.Option("--frame-size", help="WIDTHxHEIGHT of raw frames on stdin.", metavar="WxH")] = None,
    fps: Annotated[Optional[float], typer.Option("--fps", help="Frame rate of the input (stdin, folders; overrides a video's).", metavar="FLOAT")] = None,
    work_dir: Annotated[Optional[Path], typer.Option("--work-dir", help="Folder for finished frames and the manifest (default: OUTPUT.nst-work).", metavar="PATH")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue a stopped job from its work folder.")] = False,
    keep_work: Annotated[bool, typer.Option("--keep-work", help="Keep the work folder after success.")] = False,
    save_every: Annotated[int, typer.Option("--save-every", help="Also save the frame being optimized every N steps into OUTPUT-snapshots/, beside the output (0: off; kept after the job).", metavar="INT")] = 0,
    log_json: c.LogJson = None,
    progress: c.ProgressMode = "auto",
    quiet: c.Quiet = False,
    *,
    options: dict,
) -> None:
    """Stylize the frames of INPUT with --style images; later frames follow the first through optical flow."""
    c.styles_or_default(options, quiet)
    output = output if output is not None else str(c.default_output(input, video=True))
    for style in options.get("styles") or ():  # before the heavy imports: a mistyped path fails fast
        c.fail_if_missing(Path(style), "style image")
    from ..clips import Listeners, stylize_clip
    from ..config import split_options
    from ..errors import OutputError
    from ..registry import get_registry
    from .progress import reporter
    from .snapshots import Snapshots, in_folder

    if output == "-" and not c.stdout_is_data(output):
        raise OutputError("-o - writes raw RGB24 frames to stdout, which is a terminal here; pipe it into a program")
    config, clip = split_options(options, "video")
    if work_dir is not None:  # before any work: it is deleted when the job ends
        from ..outputs import check_work_folder

        check_work_folder(work_dir)
    log = c.StepLog(log_json, [input, output, *config.styles])
    where = snapshot_folder(input, output, work_dir, resume, config) if save_every else None
    snapshots = Snapshots(save_every, in_folder(where) if where is not None else None)
    try:
        with reporter(progress, quiet, video=True) as shown:
            def on_plan(plan):
                shown.plan(plan)
                log.plan(plan)
                if output == "-" and config.size is not None and plan.output_size and plan.output_size != plan.input_size:
                    w, h = plan.output_size  # the next program must read frames of this size
                    c.console.print(f"note: frames on stdout are {w}x{h} (--size {config.size}), not the input's "
                                    f"{plan.input_size[0]}x{plan.input_size[1]}")

            def on_step(report):
                shown.step(report)
                log.step(report)
                snapshots(report)

            def on_frame(report):
                shown.frame(report)
                log.frame(report)

            listen = Listeners(on_plan, on_step, on_frame, step_images=save_every)
            outcome = stylize_clip(input, output, config, clip, registry=get_registry(), frame_size=frame_size, fps=fps,
                                   work_dir=work_dir, resume=resume, keep_work=keep_work, listen=listen)
    except BaseException:
        _say_snapshots(snapshots)  # kept when the job fails too
        raise
    finally:
        log.close()
    for note in outcome.notes:
        c.console.print(f"warning: {note}")
    if outcome.work_kept is not None:
        c.console.print(f"work folder kept: {outcome.work_kept}")
    if not quiet:
        c.console.print(f"wrote {output if output != '-' else 'stdout'} ({outcome.frames} frames)")
    _say_snapshots(snapshots)


def snapshot_folder(input: str, output: str, work_dir: Path | None, resume: bool, config) -> Path:
    """``--save-every``'s folder beside the output, checked before any work like the other outputs."""
    from ..outputs import check_snapshot_folder, snapshot_folder_for, work_folder_for
    from ..sinks import sink_kind

    folder = snapshot_folder_for(output, work_dir)
    frames = Path(output) if sink_kind(output) == "folder" else None
    avoid = [("work folder", work_dir or work_folder_for(output)), ("output folder", frames)]
    return check_snapshot_folder(folder, inputs=[input, *config.styles], resume=resume, avoid=avoid)


def _say_snapshots(snapshots) -> None:
    if snapshots.written:  # even with -q, like "work folder kept": files beside -o deserve a word
        c.console.print(f"snapshots in {snapshots.last.parent} ({snapshots.written} images)")
