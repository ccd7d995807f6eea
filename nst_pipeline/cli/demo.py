"""``nst demo``: stylize the bundled sample image (and clip, when video mode is present)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import app

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


@app.command("demo")
def demo_command(
    out_dir: Annotated[Path, typer.Option("--out-dir", "-o", help="Folder for the demo results.")] = Path("demo-output"),
    size: Annotated[int, typer.Option("--size", help="Long side of the demo picture.")] = 512,
    device: Annotated[str, typer.Option("--device")] = "auto",
) -> None:
    """Stylize the bundled sample photo with a bundled painting (and a short clip)."""
    from .app import main

    out_dir.mkdir(parents=True, exist_ok=True)
    content = SAMPLES / "content" / "bbb_frame.jpg"
    style = SAMPLES / "style" / "starry_night.jpg"
    rc = main(["image", str(content), "--style", str(style), "-o", str(out_dir / "bbb_starry_night.png"),
               "--size", str(size), "--steps", "60", "--device", device, "--seed", "0"])
    if rc:
        raise typer.Exit(rc)
    clip = SAMPLES / "video" / "bbb_clip.mp4"  # 24 frames of Big Buck Bunny (CC BY 3.0, Blender Foundation)
    if clip.exists():
        # small and few steps so it ends in minutes on a laptop CPU; --resume picks up an interrupted demo
        rc = main(["video", str(clip), "--style", str(style), "-o", str(out_dir / "bbb_clip_starry_night.mp4"),
                   "--size", "128", "--first-steps", "40", "--steps", "8", "--device", device, "--seed", "0",
                   "--resume"])
        if rc:
            raise typer.Exit(rc)
