"""``nst demo``: stylize the bundled sample image and clip (through the Python API)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .common import DEFAULT_STYLE, SAMPLES, console

PHOTO = SAMPLES / "content" / "bbb_frame.jpg"
#: 24 frames of Big Buck Bunny (CC BY 3.0, Blender Foundation)
CLIP = SAMPLES / "video" / "bbb_clip.mp4"
#: the picture's budget (its size is --size)
PICTURE_RUN = {"steps": 60, "seed": 0}
#: the clip small and with few steps, so that it ends in minutes on a laptop CPU; resume picks
#: up an interrupted demo
CLIP_RUN = {"size": 128, "first_steps": 40, "steps": 8, "seed": 0, "resume": True}


def demo_command(
    out_dir: Annotated[Path, typer.Option("--out-dir", "-o", help="Folder for the demo results.", metavar="PATH")] = Path("demo-output"),
    size: Annotated[int, typer.Option("--size", help="Long side of the demo picture.", metavar="INT")] = 512,
    device: Annotated[str, typer.Option("--device", help="auto, cpu or cuda.", metavar="TEXT")] = "auto",
) -> None:
    """Stylize the bundled sample photo with a bundled painting, and a short clip."""
    run_demo(out_dir, size=size, device=device)


def run_demo(out_dir: Path, *, size: int, device: str, picture: dict | None = None, clip: dict | None = None,
             registry=None) -> tuple[Path, Path, int]:
    """Both demo runs into ``out_dir``: ``(picture, clip, frames written)``. ``picture`` and
    ``clip`` override the runs' options (tests: a tiny backbone, a tiny budget)."""
    from ..api import stylize_image, stylize_video
    from .progress import reporter

    out_dir.mkdir(parents=True, exist_ok=True)
    picture_out = out_dir / "bbb_starry_night.png"
    with reporter("auto", False, video=False) as shown:
        stylize_image(PHOTO, DEFAULT_STYLE, picture_out, on_step=shown.step, on_plan=shown.plan, registry=registry,
                      **{**PICTURE_RUN, "size": size, "device": device, **(picture or {})})
    console.print(f"wrote {picture_out}")
    clip_out = out_dir / "bbb_clip_starry_night.mp4"
    with reporter("auto", False, video=True) as shown:
        frames = stylize_video(CLIP, DEFAULT_STYLE, clip_out, on_step=shown.step, on_frame=shown.frame,
                               on_plan=shown.plan, registry=registry, **{**CLIP_RUN, "device": device, **(clip or {})})
    console.print(f"wrote {clip_out} ({frames} frames)")
    return picture_out, clip_out, frames
