"""``nst demo``: stylize the bundled sample image and clip (through the Python API)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def demo_command(
    out_dir: Annotated[Path, typer.Option("--out-dir", "-o", help="Folder for the demo results.", metavar="PATH")] = Path("demo-output"),
    size: Annotated[int, typer.Option("--size", help="Long side of the demo picture.", metavar="INT")] = 512,
    device: Annotated[str, typer.Option("--device", help="auto, cpu or cuda.", metavar="TEXT")] = "auto",
) -> None:
    """Stylize the bundled sample photo with a bundled painting, and a short clip."""
    from ..api import stylize_image, stylize_video
    from .common import console, reporter

    out_dir.mkdir(parents=True, exist_ok=True)
    style = SAMPLES / "style" / "starry_night.jpg"
    picture = out_dir / "bbb_starry_night.png"
    with reporter("auto", False, video=False) as shown:
        stylize_image(SAMPLES / "content" / "bbb_frame.jpg", style, picture, size=size, steps=60, device=device,
                      seed=0, on_step=shown.step, on_plan=shown.plan)
    console.print(f"wrote {picture}")
    # 24 frames of Big Buck Bunny (CC BY 3.0, Blender Foundation); small and few steps so it
    # ends in minutes on a laptop CPU; resume picks up an interrupted demo
    clip = out_dir / "bbb_clip_starry_night.mp4"
    with reporter("auto", False, video=True) as shown:
        frames = stylize_video(SAMPLES / "video" / "bbb_clip.mp4", style, clip, size=128, first_steps=40, steps=8,
                               device=device, seed=0, resume=True, on_step=shown.step, on_frame=shown.frame,
                               on_plan=shown.plan)
    console.print(f"wrote {clip} ({frames} frames)")
