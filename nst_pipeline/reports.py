"""The records the core reports through its callbacks; the CLI, logs and the work folder read them.

:class:`StepReport` after every objective evaluation of an optimizing method,
:class:`FrameReport` once per finished frame. Both are plain, torch-free dataclasses, so
whoever listens (progress bars, ``--log-json``, a Ray driver) can import them cheaply.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class StepReport:
    """What the core says after every objective evaluation; only the CLI draws it."""

    frame: int
    level: int
    levels: int
    step: int          # 1-based within this level
    steps: int         # steps in this level
    size: tuple[int, int]
    loss: float
    terms: dict[str, float]
    lr: float
    seconds: float     # since this level started
    #: the image being optimized (a live reference, not a copy: read it, don't keep it)
    image: torch.Tensor | None = field(default=None, repr=False, compare=False)
    #: on the level's last report: why it stopped, "converged" | "cap" | "budget" (gatys/stopping.py)
    stop: str | None = None
    #: the frame gets a shot's first-frame treatment (the pyramid, ``first_steps``)
    first: bool = False


@dataclass(frozen=True)
class FrameReport:
    """Said once per finished frame; the manifest and ``--log-json`` store :meth:`record`."""

    index: int                 # 0-based among the selected frames
    source_index: int          # frame number in the input
    total: int | None
    seconds: float             # spent on this frame
    loss: float | None = None
    terms: dict[str, float] = field(default_factory=dict)
    steps: int = 0
    trusted: float | None = None   # share of pixels where the flow warp was trusted
    first: bool = False            # got the first-frame treatment (clip start or scene cut)
    stop: str | None = None        # why the last level stopped (converged / cap / budget), when known
    resumed: bool = False          # read back from the work folder, not computed

    def record(self) -> dict:
        data = dataclasses.asdict(self)
        data["frame"], data["source_frame"] = data.pop("index"), data.pop("source_index")
        data["seconds"] = round(self.seconds, 4)
        del data["total"]
        return data
