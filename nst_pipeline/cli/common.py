"""What the commands share: the console (stderr), the JSON step log, small option types."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Literal, Optional

import typer


class StderrConsole:
    """Where the commands' messages go: stderr (stdout may carry frames in raw video mode, or
    tables people grep). rich's console (colors, the live bar) is made on first need; until
    then, and whenever stderr is a pipe or a log, a message is written as it is: importing rich
    is about 5% of a one-second ``nst image --method fast``."""

    def __init__(self) -> None:
        self._rich = None

    @property
    def rich(self):
        if self._rich is None:
            from rich.console import Console

            self._rich = Console(stderr=True)
        return self._rich

    @property
    def is_terminal(self) -> bool:
        return self._rich.is_terminal if self._rich is not None else sys.stderr.isatty()

    @property
    def is_dumb_terminal(self) -> bool:
        return self.rich.is_dumb_terminal if self.is_terminal else False

    @property
    def width(self) -> int:
        return self.rich.width

    def print(self, text: str, *, markup: bool = False, highlight: bool = False, soft_wrap: bool = True) -> None:
        """One message (``text`` is never read as rich markup: file names may hold brackets)."""
        if self._rich is None and not self.is_terminal:
            print(text, file=sys.stderr, flush=True)
        else:
            self.rich.print(text, markup=markup, highlight=highlight, soft_wrap=soft_wrap)


console = StderrConsole()

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
#: --style when none is given (the painting of the demo and of most Gatys papers' figures)
DEFAULT_STYLE = SAMPLES / "style" / "starry_night.jpg"
#: image suffixes kept for a default output name (others become .png)
KEPT_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")


def styles_or_default(options: dict, quiet: bool) -> None:
    """No --style: the bundled Starry Night, said on stderr (a run never picks a style silently)."""
    if not options.get("styles"):
        options["styles"] = [DEFAULT_STYLE]
        if not quiet:
            console.print(f"note: no --style given, using the bundled {DEFAULT_STYLE.name}")


def default_output(input: str | Path, video: bool) -> Path:
    """No -o: ``<input name>-stylized`` in the current folder (a file of the input's kind; the
    input itself is never the target, as its name differs)."""
    from ..errors import OutputError

    if str(input) == "-":
        raise OutputError("frames from stdin need -o (a video file, a folder, or '-' for stdout)")
    path = Path(input)
    pictures = path.is_dir() or any(ch in str(input) for ch in "*?[")  # a folder or glob of pictures
    stem = (path.parent.name if pictures and not path.is_dir() else path.stem) or "frames"
    if video:
        suffix = "" if pictures else ".mp4"  # pictures in: a folder of numbered PNGs out
    else:
        suffix = path.suffix.lower() if path.suffix.lower() in KEPT_SUFFIXES else ".png"
    return Path(f"{stem}-stylized{suffix}")

LogJson = Annotated[Optional[Path], typer.Option("--log-json", help="Write per-step losses (JSON lines) to this file.", metavar="PATH")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress and no closing message (errors still print).")]
#: --progress values (cli/progress.py reads them from here)
ProgressModes = Literal["auto", "bar", "plain", "none"]
ProgressMode = Annotated[ProgressModes, typer.Option(
    "--progress", help="auto: a live bar on a terminal, plain lines (at most one per 10 s, and at each level "
    "and frame end) in logs and pipes; or force bar, plain or none.")]


Styles = Annotated[Optional[list[Path]], typer.Option("--style", "-s", help="Style image; repeat for several styles.", metavar="PATH")]
StyleBlend = Annotated[Optional[list[float]], typer.Option("--style-blend", help="Blend weight per --style (repeat, same order).", metavar="FLOAT")]
BackboneOption = Annotated[Optional[list[str]], typer.Option("--backbone-option", help="Backbone option key=value.", metavar="TEXT")]
Pooling = Annotated[Optional[str], typer.Option("--pooling", help="max or avg.", metavar="max|avg")]
Weights = Annotated[Optional[Path], typer.Option("--weights", help="Local weights file for the backbone.", metavar="PATH")]


class StepLog:
    """Per-step losses and per-frame records as JSON lines, written as the job runs
    (a killed job keeps its log)."""

    def __init__(self, path: Path | None, inputs=()) -> None:
        from ..outputs import check_file_target

        # checked now, opened on the first record: a job refused before its first step leaves no log
        self.path = check_file_target(path, "--log-json", inputs) if path else None
        self.file = None
        self._plan: dict | None = None

    def plan(self, plan) -> None:
        """The run's plan as the log's first record (written with the first step: a job refused
        before its first step leaves no log)."""
        self._plan = {"event": "plan", "method": plan.method, "precision": plan.precision, "frames": plan.frames,
                      "output_size": list(plan.output_size) if plan.output_size else None}

    def step(self, r, **extra) -> None:
        self._write({"frame": r.frame, "level": r.level, "step": r.step, "size": list(r.size), "loss": r.loss,
                     "terms": r.terms, "lr": r.lr, "seconds": round(r.seconds, 4),
                     **({"stop": r.stop} if r.stop else {}), **extra})  # level's last step

    def frame(self, report) -> None:
        self._write({"event": "frame", **report.record()})

    def _write(self, record: dict) -> None:
        if self.path is not None and self.file is None:
            from ..errors import OutputError

            try:
                self.file = open(self.path, "w", encoding="utf-8")
            except OSError as exc:
                raise OutputError(f"cannot write --log-json {self.path}: {exc.strerror or exc}") from None
            if self._plan is not None:
                self.file.write(json.dumps(self._plan) + "\n")
        if self.file is not None:
            self.file.write(json.dumps(record) + "\n")
            self.file.flush()

    def close(self) -> None:
        if self.file:
            self.file.close()


def fail_if_missing(path: Path, what: str) -> None:
    if not path.exists():
        from ..errors import InputError

        raise InputError(f"{what} not found: {path}")


def stdout_is_data(output: str) -> bool:
    return output == "-" and not sys.stdout.isatty()
