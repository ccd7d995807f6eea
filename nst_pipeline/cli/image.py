"""``nst image``: stylize one picture."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .. import images
from ..job import build_job
from ..sources.base import frame_to_tensor, open_source
from ..stylize import Stylizer
from . import common as c
from .app import app


@app.command("image")
def image_command(
    content: Annotated[Path, typer.Argument(help="Content image.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the result (.png, .jpg, ...).")],
    style: c.Styles = None,
    style_blend: c.StyleBlend = None,
    size: c.Size = 512,
    steps: c.Steps = 150,
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
    init: c.Init = "content",
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
    save_every: Annotated[int, typer.Option("--save-every", help="Also write OUT-stepNNNN.png every N steps (0: off).")] = 0,
    log_json: c.LogJson = None,
    quiet: c.Quiet = False,
) -> None:
    """Stylize CONTENT with one or more --style images and write the result to -o."""
    if not style:
        raise typer.BadParameter("at least one --style image is required", param_hint="--style")
    out = images.check_output_path(output, [content, *style])
    config = c.config_from(locals())
    with open_source(str(content), kind="image") as source:
        frame = frame_to_tensor(next(iter(source)))
    job = build_job(config)
    stylizer = Stylizer(job)
    log = c.StepLog(log_json)
    snapshots = Snapshots(out, save_every)
    try:
        with c.step_progress(quiet) as progress:
            bar = c.StepBar(progress)

            def on_step(report):
                bar(report)
                log(report)
                snapshots(report)

            result = stylizer.stylize(frame, on_step=on_step)
    finally:
        log.close()
    images.save_image(result, out)
    if not quiet:
        c.console.print(f"wrote {out} ({result.shape[-1]}x{result.shape[-2]})")


class Snapshots:
    """Writes the image being optimized every N steps (``--save-every``)."""

    def __init__(self, out: Path, every: int) -> None:
        self.out, self.every = out, every

    def __call__(self, report) -> None:
        if not self.every or report.step % self.every or report.image is None:
            return
        name = f"{self.out.stem}-L{report.level + 1}-step{report.step:04d}{self.out.suffix}"
        images.save_image(report.image, self.out.with_name(name))
