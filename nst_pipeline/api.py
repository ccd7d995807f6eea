"""The Python API: what the CLI calls, and what a program imports."""

from __future__ import annotations

import os
from collections.abc import Sequence

import torch

from . import images
from .config import make_config
from .job import build_job
from .registry import Registry
from .stylize import OnStep, Stylizer


def stylize_tensor(content: torch.Tensor, styles: Sequence[str | os.PathLike], *, on_step: OnStep | None = None,
                   registry: Registry | None = None, **options) -> torch.Tensor:
    """Stylize a 1x3xHxW RGB tensor in [0, 1]; returns the stylized tensor (on the CPU)."""
    config = make_config(styles=tuple(styles), **options)
    stylizer = Stylizer(build_job(config, registry))
    return stylizer.stylize(content, on_step=on_step).cpu()


def stylize_image(content: str | os.PathLike, styles: Sequence[str | os.PathLike] | str | os.PathLike,
                  output: str | os.PathLike | None = None, *, on_step: OnStep | None = None,
                  registry: Registry | None = None, **options) -> torch.Tensor:
    """Stylize the image file ``content`` with one or more style images.

    Options are those of :class:`nst_pipeline.config.StyleConfig` (``size``, ``steps``,
    ``style_weight``, ``original_colors``, ...). Writes ``output`` atomically when given.
    """
    if isinstance(styles, (str, os.PathLike)):
        styles = [styles]
    if output is not None:
        images.check_output_path(output, [content, *styles])
    result = stylize_tensor(images.load_image(content), styles, on_step=on_step, registry=registry, **options)
    if output is not None:
        images.save_image(result, output)
    return result
