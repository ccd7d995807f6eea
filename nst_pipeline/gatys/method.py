"""The built-in ``gatys`` method: optimize the image itself against backbone features
(Gatys, Ecker & Bethge 2015), coarse-to-fine on a shot's first frame, warm-started after."""

from __future__ import annotations

import numpy as np
import torch

from .. import images
from ..methods.base import FrameFacts, FrameTask, Method, MethodContext
from .job import build_job
from ..reports import StepReport
from .stylize import Stylizer, pyramid_sizes


def seed_everything(seed: int | None, device: torch.device) -> None:
    """Process-wide determinism for ``--seed``: set once when a run starts."""
    if seed is None:
        return
    torch.manual_seed(seed)
    if device.type == "cuda":
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False


class GatysMethod(Method):
    name = "gatys"

    def __init__(self, ctx: MethodContext) -> None:
        self.job = build_job(ctx.config, ctx.registry, video=ctx.video)
        seed_everything(ctx.config.seed, self.job.device)
        self.stylizer = Stylizer(self.job)
        # flow only when an active term reads the warped previous frame (the temporal one)
        self.wants_guide = any(t.weight > 0 and t.term.wants_previous for t in self.job.objective.terms)
        self._last: StepReport | None = None

    def output_size(self, hw: tuple[int, int]) -> tuple[int, int]:
        return self.stylizer.content_size(hw)

    def level_sizes(self, hw: tuple[int, int]) -> list[tuple[int, int]]:
        return pyramid_sizes(self.output_size(hw), self.job.config.levels)

    def stylize(self, task: FrameTask, on_step=None) -> np.ndarray:
        self._last = None

        def report(r: StepReport) -> None:
            self._last = r
            if on_step is not None:
                on_step(r)

        start = task.start if isinstance(task.start, str) else images.frame_to_tensor(task.start)
        previous = None
        if task.guide is not None and self.wants_guide:
            confidence = torch.from_numpy(np.ascontiguousarray(task.guide.confidence, dtype=np.float32))[None, None]
            previous = (images.frame_to_tensor(task.guide.warped), confidence)
        out = self.stylizer.stylize(images.frame_to_tensor(task.content), start=start, steps=task.steps,
                                    pyramid=task.first, frame=task.index, previous=previous, on_step=report)
        return images.tensor_to_frame(out)

    def last_record(self) -> FrameFacts:
        r = self._last
        if r is None:
            return FrameFacts()
        return FrameFacts(r.step, r.loss, dict(r.terms), r.stop)
