"""The Python API: the same runs the CLI makes, with keyword options named like its flags.

``stylize_image(content, styles, output, size=384, steps=200, init="noise", ...)`` takes
``nst image``'s options; ``stylize_video(input, styles, output, first_steps=..., steps=...,
max_frames=..., ...)`` takes ``nst video``'s. Both go through :func:`nst_pipeline.pipeline.run`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from .config import split_options

PathLike = str | os.PathLike
Styles = Sequence[PathLike] | PathLike


def _styles(styles: Styles) -> list[PathLike]:
    return [styles] if isinstance(styles, (str, os.PathLike)) else list(styles)


def _registry(registry):
    from .registry import get_registry

    return registry or get_registry()


def stylize_tensor(content, styles: Styles, *, on_step: Callable | None = None, registry=None, **options):
    """Stylize a 1x3xHxW RGB tensor in [0, 1]; returns the stylized 1x3xHxW tensor (on the CPU)."""
    from . import images
    from .clips import Listeners, stylize_frame

    config, clip = split_options({**options, "styles": _styles(styles)}, "image")
    result = stylize_frame(images.tensor_to_frame(content), config, clip, registry=_registry(registry),
                           listen=Listeners(on_step=on_step))
    return images.frame_to_tensor(result)


def stylize_image(content: PathLike, styles: Styles, output: PathLike | None = None, *,
                  on_step: Callable | None = None, on_plan: Callable | None = None, registry=None, **options):
    """Stylize the image file ``content`` with one or more style images.

    Options are ``nst image``'s, by their long names (``size``, ``steps``, ``levels``,
    ``style_weight``, ``original_colors``, ``method``, ...). Writes ``output`` atomically
    when given. Returns the result as a 1x3xHxW tensor in [0, 1] (the written pixels).
    ``on_plan`` hears the run's :class:`~nst_pipeline.methods.build.Plan` (level sizes, step caps) first.
    """
    from . import images
    from .clips import Listeners, stylize_still

    config, clip = split_options({**options, "styles": _styles(styles)}, "image")
    outcome = stylize_still(content, output, config, clip, registry=_registry(registry),
                            listen=Listeners(on_plan, on_step))
    return images.frame_to_tensor(outcome.result)


def stylize_video(input: PathLike, styles: Styles, output: PathLike, *, on_step: Callable | None = None,
                  on_frame: Callable | None = None, registry=None, frame_size: str | None = None,
                  fps: float | None = None, work_dir: PathLike | None = None, resume: bool = False,
                  keep_work: bool = False, on_plan: Callable | None = None, **options) -> int:
    """Stylize a clip (video file, image folder or glob) into ``output`` (a video file, or a
    folder for numbered PNGs). Options are ``nst video``'s by their long names (``size``,
    ``first_steps``, ``steps``, ``levels``, ``init``, ``first_init``, ``temporal_weight``,
    ``start``, ``every``, ``max_frames``, ``workers``, ...). Returns the number of frames written.
    ``on_step`` hears every optimizer step, ``on_frame`` every finished frame, with Ray workers too."""
    from .clips import Listeners, stylize_clip

    config, clip = split_options({**options, "styles": _styles(styles)}, "video")
    outcome = stylize_clip(str(input), str(output), config, clip, registry=_registry(registry),
                           frame_size=frame_size, fps=fps, work_dir=Path(work_dir) if work_dir else None,
                           resume=resume, keep_work=keep_work, listen=Listeners(on_plan, on_step, on_frame))
    return outcome.frames
