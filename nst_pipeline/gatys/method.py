"""The built-in ``gatys`` method: optimize the image itself against backbone features
(Gatys, Ecker & Bethge 2015), coarse-to-fine on a shot's first frame, warm-started after."""

from __future__ import annotations

import numpy as np
import torch

from .. import images
from ..methods.base import FrameFacts, FrameTask, Method, MethodContext
from ..reports import StepReport
from .job import build_job
from .precision import configure_cuda
from .stylize import Stylizer, pyramid_sizes


def seed_everything(seed: int | None, device: torch.device) -> None:
    """Process-wide settings for a run, set once when it starts: ``--seed`` seeds torch and
    asks cuDNN for repeatable algorithms; without it cuDNN may pick the fastest."""
    configure_cuda(device, deterministic=seed is not None)
    if seed is not None:
        torch.manual_seed(seed)


class GatysMethod(Method):
    name = "gatys"

    def __init__(self, ctx: MethodContext) -> None:
        self.job = build_job(ctx.config, ctx.registry, video=ctx.video)
        seed_everything(ctx.config.seed, self.job.device)
        self.stylizer = Stylizer(self.job)
        # --original-colors matches the styles' luminance to the shot's reference frame
        self.uses_reference = ctx.config.original_colors
        self.precision = self.job.precision
        # flow only when an active term reads the warped previous frame (the temporal one)
        self.wants_guide = any(t.weight > 0 and t.term.wants_previous for t in self.job.objective.terms)
        self._last: StepReport | None = None

    def output_size(self, hw: tuple[int, int]) -> tuple[int, int]:
        return self.stylizer.content_size(hw)

    def level_sizes(self, hw: tuple[int, int]) -> list[tuple[int, int]]:
        return pyramid_sizes(self.output_size(hw), self.job.config.levels)

    def stylize(self, task: FrameTask, on_step=None) -> np.ndarray:
        self._last = None
        self.stylizer.last = None

        def report(r: StepReport) -> None:
            self._last = r
            if on_step is not None:
                on_step(r)

        start = task.start if isinstance(task.start, str) else images.frame_to_tensor(task.start)
        previous = None
        if task.guide is not None and self.wants_guide:
            confidence = torch.from_numpy(np.ascontiguousarray(task.guide.confidence, dtype=np.float32))[None, None]
            previous = (images.frame_to_tensor(task.guide.warped), confidence)
        reference = images.frame_to_tensor(task.shot_reference) if self.uses_reference else None
        out = self.stylizer.stylize(images.frame_to_tensor(task.content), start=start, steps=task.steps,
                                    pyramid=task.first, frame=task.index, previous=previous, reference=reference,
                                    on_step=report)
        return images.tensor_to_frame(out)

    def last_record(self) -> FrameFacts:
        """Steps and stop reason of the frame's last level; the loss of the picture written."""
        r, made = self._last, self.stylizer.last
        if made is None:
            return FrameFacts()
        return FrameFacts(r.step if r is not None else 0, made.loss, dict(made.terms), r.stop if r else None)
