"""``nst eval temporal``: how steady a stylized clip is (warping error, Lai et al. 2018)."""

from __future__ import annotations

import itertools
import json
from typing import Annotated, Optional

import typer

from ..errors import InputError


def temporal_command(
    original: Annotated[str, typer.Argument(help="The original clip (video file, image folder or glob).")],
    stylized: Annotated[str, typer.Argument(help="The stylized clip, frame for frame (video file, folder or glob).")],
    start: Annotated[int, typer.Option("--start", help="The stylized clip began at this original frame (nst video --start).")] = 0,
    every: Annotated[int, typer.Option("--every", help="The stylized clip took every N-th original frame (nst video --every).")] = 1,
    max_frames: Annotated[Optional[int], typer.Option("--max-frames", help="Compare at most this many frames.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")] = False,
) -> None:
    """Mean warping error of STYLIZED against the motion of ORIGINAL (lower is steadier).

    Flow is computed on the original frames (resized to the stylized size); stylized
    frame t-1 is warped to t and the squared RGB error (frames in [0, 1], summed over
    channels) is averaged over pixels the forward-backward check marks as visible.
    """
    if "-" in (original, stylized):
        raise InputError("nst eval temporal reads files or folders, not stdin")
    if start < 0 or every < 1 or (max_frames is not None and max_frames < 2):
        raise typer.BadParameter("use --start >= 0, --every >= 1 and --max-frames >= 2")
    from ..registry import get_registry
    from ..video.metric import warping_error  # cv2: only when measuring

    registry = get_registry()
    with registry.open_source(original, role="original clip") as orig, \
            registry.open_source(stylized, role="stylized clip") as styl:
        picked = itertools.islice(orig, start, None, every)
        frames = itertools.islice(styl, max_frames) if max_frames else styl
        result = warping_error(picked, frames)
    if as_json:
        typer.echo(json.dumps({"original": original, "stylized": stylized, **result.as_dict()}))
        return
    typer.echo(f"warping error {result.mean:.6g} over {result.pairs} frame pairs at {result.size[0]}x{result.size[1]}")
