"""``--save-every N``: the image being optimized, written every N steps (one writer for both commands)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


class Snapshots:
    def __init__(self, every: int, name: Callable[[object], Path] | None) -> None:
        self.every, self.name = every, name
        self.written = 0
        self.last: Path | None = None  # where the latest one went (the closing line names its folder)

    def __call__(self, r) -> None:
        if not self.every or self.name is None or r.step % self.every or r.image is None:
            return
        from .. import images

        path = self.name(r)
        path.parent.mkdir(parents=True, exist_ok=True)
        images.save_image(r.image, path)
        self.written, self.last = self.written + 1, path


def beside(out: Path) -> Callable[[object], Path]:
    """``OUT-L1-step0020.png`` next to the picture ``nst image`` writes."""
    return lambda r: out.with_name(f"{out.stem}-L{r.level + 1}-step{r.step:04d}{out.suffix}")


def in_folder(folder: Path) -> Callable[[object], Path]:
    """``frame000003-L1-step0020.png`` in a video job's snapshot folder (``OUTPUT-snapshots``)."""
    return lambda r: folder / f"frame{r.frame:06d}-L{r.level + 1}-step{r.step:04d}.png"
