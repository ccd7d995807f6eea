"""``nst image``: stylize one picture (a one-frame clip through the same run as ``nst video``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from . import common as c
from .options import schema_options


@schema_options("image")
def image_command(
    content: Annotated[Path, typer.Argument(help="Content image.", metavar="CONTENT", show_default=False)],
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Where to write the result (.png, .jpg, ...; default: CONTENT-stylized in the current folder).", metavar="PATH", show_default=False)] = None,
    save_every: Annotated[int, typer.Option("--save-every", help="Also write OUT-L<level>-stepNNNN.png every N steps (0: off).", metavar="INT")] = 0,
    log_json: c.LogJson = None,
    progress: c.ProgressMode = "auto",
    quiet: c.Quiet = False,
    *,
    options: dict,
) -> None:
    """Stylize CONTENT with one or more --style images and write the result to -o (CONTENT-stylized.png by default)."""
    # before the heavy imports (torch): a mistyped path is reported in a fraction of a second
    c.fail_if_missing(content, "content image")
    c.styles_or_default(options, quiet)
    output = output if output is not None else c.default_output(content, video=False)
    for style in options.get("styles") or ():
        c.fail_if_missing(Path(style), "style image")
    from ..clips import Listeners, stylize_still
    from ..config import split_options
    from ..registry import get_registry
    from .progress import reporter
    from .snapshots import Snapshots, beside

    config, clip = split_options(options, "image")
    log = c.StepLog(log_json, [content, output, *config.styles])
    snapshots = Snapshots(save_every, beside(output))
    try:
        with reporter(progress, quiet, video=False) as shown:
            def on_plan(plan):
                shown.plan(plan)
                log.plan(plan)

            def on_step(report):
                shown.step(report)
                log.step(report)
                snapshots(report)

            outcome = stylize_still(content, output, config, clip, registry=get_registry(),
                                    listen=Listeners(on_plan, on_step))
    finally:
        log.close()
    if not quiet:
        h, w = outcome.result.shape[:2]
        c.console.print(f"wrote {output} ({w}x{h})")
