"""Options shared by ``nst image`` and ``nst video``, and the progress display."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from ..optimize import StepReport

# stdout may carry frames (raw video mode): everything human goes to stderr
console = Console(stderr=True)

Styles = Annotated[list[Path], typer.Option("--style", "-s", help="Style image; repeat for several styles.")]
StyleBlend = Annotated[Optional[list[float]], typer.Option("--style-blend", help="Blend weight per --style (repeat, same order).")]
Size = Annotated[int, typer.Option("--size", help="Long side of the output in px.")]
Steps = Annotated[int, typer.Option("--steps", help="Optimizer steps per pyramid level.")]
Levels = Annotated[Optional[int], typer.Option("--levels", help="Pyramid levels, coarse to fine (default: auto; 1 = off).")]
Optimizer = Annotated[str, typer.Option("--optimizer", help="lbfgs, adam, adamax, adadelta or sgd.")]
LR = Annotated[Optional[float], typer.Option("--lr", help="Learning rate (default depends on the optimizer).")]
LRDecayEvery = Annotated[int, typer.Option("--lr-decay-every", help="Multiply the learning rate by --lr-decay every N steps (0: off).")]
LRDecay = Annotated[float, typer.Option("--lr-decay", help="Step-decay factor.")]
ContentWeight = Annotated[Optional[float], typer.Option("--content-weight", help="Weight of the content term (default 1).")]
StyleWeight = Annotated[Optional[float], typer.Option("--style-weight", help="Weight of the style term.")]
TVWeight = Annotated[Optional[float], typer.Option("--tv-weight", help="Weight of total variation.")]
Loss = Annotated[Optional[list[str]], typer.Option("--loss", help="Add or reweight a loss term: NAME or NAME:WEIGHT (weight 0 turns it off).")]
LossOption = Annotated[Optional[list[str]], typer.Option("--loss-option", help="Loss option NAME.key=value, e.g. style.layers=relu1_1,relu2_1.")]
Init = Annotated[str, typer.Option("--init", help="Start from: content, noise, or an image path.")]
Seed = Annotated[Optional[int], typer.Option("--seed", help="Seed for identical output on rerun (same device).")]
Backbone = Annotated[str, typer.Option("--backbone", help="Feature extractor (see `nst plugins list`).")]
BackboneOption = Annotated[Optional[list[str]], typer.Option("--backbone-option", help="Backbone option key=value.")]
Pooling = Annotated[Optional[str], typer.Option("--pooling", help="max or avg.")]
Weights = Annotated[Optional[Path], typer.Option("--weights", help="Local weights file for the backbone.")]
Device = Annotated[str, typer.Option("--device", help="auto, cpu or cuda.")]
OriginalColors = Annotated[bool, typer.Option("--original-colors", help="Keep the content's colors; transfer style to luminance only.")]
StyleScale = Annotated[float, typer.Option("--style-scale", help="Style image size relative to the content.")]
LogJson = Annotated[Optional[Path], typer.Option("--log-json", help="Write per-step losses (JSON lines) to this file.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]


def style_kwargs(*, style, style_blend, size, steps, levels, optimizer, lr, lr_decay_every, lr_decay,
                 content_weight, style_weight, tv_weight, loss, loss_option, init, seed, backbone,
                 backbone_option, pooling, weights, device, original_colors, style_scale,
                 targets="torch", onnx_model=None) -> dict:
    """CLI values -> keyword arguments of :class:`~nst_pipeline.config.StyleConfig`."""
    return dict(
        styles=tuple(style or ()), style_blend=tuple(style_blend) if style_blend else None, size=size,
        steps=steps, levels=levels, optimizer=optimizer, lr=lr, lr_decay_every=lr_decay_every,
        lr_decay=lr_decay, content_weight=content_weight, style_weight=style_weight, tv_weight=tv_weight,
        losses=tuple(loss or ()), loss_options=tuple(loss_option or ()), init=init, seed=seed,
        backbone=backbone, backbone_options=tuple(backbone_option or ()), pooling=pooling, weights=weights,
        device=device, original_colors=original_colors, style_scale=style_scale,
        targets=targets, onnx_model=onnx_model,
    )


def config_from(values: dict, **overrides):
    """Build the job config from a command's parameters (``locals()``), so every command that
    takes the shared options maps them the same way; ``overrides`` rename command-specific ones."""
    import inspect

    from ..config import make_config

    names = inspect.signature(style_kwargs).parameters
    kwargs = {n: values[n] for n in names if n in values}
    kwargs.update(overrides)
    return make_config(**style_kwargs(**kwargs))


class StepLog:
    """Per-step losses as JSON lines, written as the job runs (a killed job keeps its log)."""

    def __init__(self, path: Path | None) -> None:
        self.file = open(path, "w", encoding="utf-8") if path else None

    def __call__(self, r: StepReport, **extra) -> None:
        if self.file is None:
            return
        record = {"frame": r.frame, "level": r.level, "step": r.step, "size": list(r.size),
                  "loss": r.loss, "terms": r.terms, "lr": r.lr, "seconds": round(r.seconds, 4), **extra}
        self.file.write(json.dumps(record) + "\n")
        self.file.flush()

    def close(self) -> None:
        if self.file:
            self.file.close()


def step_progress(quiet: bool) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[losses]}"),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        disable=quiet,
        transient=False,
    )


def format_terms(terms: dict[str, float]) -> str:
    return " ".join(f"{k}={v:.3g}" for k, v in terms.items())


class StepBar:
    """Draws one bar per pyramid level from the core's StepReports."""

    def __init__(self, progress: Progress, label: str = "") -> None:
        self.progress = progress
        self.label = label
        self.task = None
        self._level = None

    def __call__(self, r: StepReport) -> None:
        key = (r.frame, r.level)
        if key != self._level:
            desc = f"{self.label}level {r.level + 1}/{r.levels} {r.size[1]}x{r.size[0]}"
            self.task = self.progress.add_task(desc, total=r.steps, losses="", rate="")
            self._level = key
        rate = r.step / r.seconds if r.seconds > 0 else 0.0
        self.progress.update(self.task, completed=r.step, losses=format_terms(r.terms), rate=f"{rate:.2f} steps/s")


def fail_if_missing(path: Path, what: str) -> None:
    if not path.exists():
        from ..errors import InputError

        raise InputError(f"{what} not found: {path}")


def stdout_is_data(output: str) -> bool:
    return output == "-" and not sys.stdout.isatty()


# --targets / --onnx-model (issue 4): forward-only targets through an exported model
Targets = Annotated[str, typer.Option("--targets", help="Who computes the targets: torch, onnx (onnxruntime), or auto (the faster here, measured once).")]
OnnxModel = Annotated[Optional[Path], typer.Option("--onnx-model", help="Exported model for --targets onnx/auto (default: export once into the cache).")]
