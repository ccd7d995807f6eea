"""Stylize frames by optimization: coarse-to-fine pyramid, style targets cached for a whole clip."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import torch

from .. import color, images
from ..errors import InputError
from ..losses.base import Targets
from . import optimize, stopping
from .job import Job
from ..reports import StepReport

#: auto pyramid: halve the long side while it stays at least this many px (80 rather than 160:
#: at 320 px, three levels reached content 0.526 / style 0.0259 where two reached 0.546 / 0.0273
#: in the same time, the 80 px level costing a tenth of the top one per step; docs/benchmarks.md)
PYRAMID_MIN_SIDE = 80
PYRAMID_MAX_LEVELS = 3
#: start a finer level from the coarser result plus the content's detail (see ``upsampled``):
#: measured at 320 px, 3 levels, full budget: content 0.514 / style 0.0258 against 0.526 / 0.0259
LEVEL_DETAIL = True

OnStep = Callable[[StepReport], None]


def pyramid_sizes(hw: tuple[int, int], levels: int | None) -> list[tuple[int, int]]:
    """Level sizes, coarsest first, each about half the next (long side)."""
    h, w = hw
    long_side = max(h, w)
    if levels is None:
        levels = 1
        while levels < PYRAMID_MAX_LEVELS and long_side / 2 ** levels >= PYRAMID_MIN_SIDE:
            levels += 1
    sizes = [images.fit_long_side(hw, max(1, round(long_side / 2 ** k))) for k in range(levels - 1, 0, -1)]
    return sizes + [(h, w)]


def upsampled(image: torch.Tensor, content: torch.Tensor, size: tuple[int, int], detail: bool) -> torch.Tensor:
    """A coarser level's result brought to the next level's ``size``. With ``detail``, the band
    the coarser level could not hold is taken from the content (the content at ``size`` minus the
    same content through the coarser size and back): the content's own fine detail is the best
    start for it, and the fine level then spends its steps on style, not on redrawing edges."""
    if tuple(image.shape[-2:]) == tuple(size):
        return image
    up = images.resize(image, size)
    if not detail:
        return up
    fine = images.resize(content, size)
    return (up + fine - images.resize(images.resize(fine, tuple(image.shape[-2:])), size)).clamp(0, 1)


def noise_start(size: tuple[int, int], seed: int | None, frame: int) -> torch.Tensor:
    """Uniform noise, reproducible per (seed, frame) whatever ran before."""
    gen = torch.Generator(device="cpu")
    gen.manual_seed((seed or 0) * 1000003 + frame)
    return torch.rand((1, 3, *size), generator=gen)


@dataclass(frozen=True)
class _Level:
    """Which level of which frame a step belongs to (what its reports say)."""

    frame: int
    level: int
    levels: int
    size: tuple[int, int]
    first: bool        # a shot's first frame (the pyramid)


class Stylizer:
    """Stylizes one frame after another with the same job (backbone, terms, styles).

    Every call says where it starts (``start``): there is no fallback through the
    config, so a first frame's ``noise`` or init image never leaks into later frames.
    """

    def __init__(self, job: Job) -> None:
        self.job = job
        self.config = job.config
        self._style_cache: dict[tuple[int, int], dict] = {}
        #: the finest level's result of the frame just made, with the loss it was judged by
        self.last: optimize.Optimized | None = None
        self._styles: list[torch.Tensor] | None = None
        self._styles_for: torch.Tensor | None = None   # the reference frame they were matched to

    def content_size(self, hw: tuple[int, int]) -> tuple[int, int]:
        return images.fit_long_side(hw, self.config.size)

    def _check_size(self, sizes: list[tuple[int, int]]) -> None:
        need = self.job.backbone.min_side(self.job.objective.layers)
        smallest = min(min(s) for s in sizes)
        if smallest < need:
            raise InputError(
                f"image is too small: its short side becomes {smallest} px at the coarsest scale, "
                f"but layer {self.job.objective.layers[-1]} needs at least {need} px. "
                "Use a larger --size, fewer --levels, or shallower layers"
            )

    def _prepared_styles(self, reference: torch.Tensor | None, content: torch.Tensor) -> list[torch.Tensor]:
        """The style images. With --original-colors, grey ones with the luminance of the shot's
        ``reference`` frame (None: ``content`` itself): one frame per shot, never "the first this
        process stylized", so a resumed run or a Ray chunk gets the targets an uninterrupted
        run had. Made again, with the level cache, only when the reference changes."""
        if not self.config.original_colors:
            return self.job.styles
        if reference is None:
            reference = content
        else:   # at its --size, as the content is
            reference = reference.to(self.job.device)
            reference = images.resize(reference, self.content_size(tuple(reference.shape[-2:])))
        if self._styles_for is None or not torch.equal(self._styles_for, reference):
            self._styles = [color.match_luminance(s, reference) for s in self.job.styles]
            self._styles_for = reference
            self._style_cache.clear()
        return self._styles

    def _targets(self, content: torch.Tensor, size: tuple[int, int], previous, styles) -> Targets:
        level = self._style_cache.get(size)
        if level is None:  # once per level size (and reference): resized styles + their features
            style_long = max(8, round(max(size) * self.config.style_scale))
            scaled = [images.resize(s, images.fit_long_side(tuple(s.shape[-2:]), style_long)) for s in styles]
            level = self._style_cache[size] = {"images": scaled, "features": [{} for _ in scaled]}
        warped, confidence = previous if previous is not None else (None, None)
        return Targets(self.job.encoder, images.resize(content, size), level["images"],
                       self.config.style_blend or (), previous_warped=warped, previous_confidence=confidence,
                       style_cache=level["features"])

    def _start(self, start: str | torch.Tensor, content: torch.Tensor, size, frame: int) -> torch.Tensor:
        if isinstance(start, torch.Tensor):
            return images.resize(start.to(content), size)
        if start == "noise":
            return noise_start(size, self.config.seed, frame).to(content)
        if start == "content":
            return images.resize(content, size)
        raise ValueError(f"start must be 'content', 'noise' or a tensor, got {start!r}")

    def stylize(
        self,
        content: torch.Tensor,
        *,
        start: str | torch.Tensor = "content",
        steps: int,
        pyramid: bool = True,
        frame: int = 0,
        previous: tuple[torch.Tensor, torch.Tensor] | None = None,
        reference: torch.Tensor | None = None,
        on_step: OnStep | None = None,
    ) -> torch.Tensor:
        """Stylize ``content`` (1x3xHxW in [0, 1], any size: resized to ``--size``).

        ``start``: "content", "noise" or an image tensor (resized to the first level);
        ``previous``: (warped previous result, confidence) for the temporal term;
        ``reference``: the first frame of the shot (``--original-colors`` matches the styles to it).
        """
        content = content.to(self.job.device)
        size = self.content_size(tuple(content.shape[-2:]))
        content = images.resize(content, size)
        sizes = pyramid_sizes(size, self.config.levels) if pyramid else [size]
        self._check_size(sizes)
        # --tol / --time-budget: the budget covers the whole frame, targets included
        budget = stopping.Budget.for_levels(self.config.tol, self.config.time_budget, sizes, steps)
        image = self._start(start, content, sizes[0], frame)
        if previous is not None:
            previous = tuple(t.to(self.job.device) for t in previous)
        detail = LEVEL_DETAIL and isinstance(start, str) and start == "content"
        styles = self._prepared_styles(reference, content)
        for level, level_size in enumerate(sizes):
            image = upsampled(image, content, level_size, detail)
            targets = self._targets(content, level_size, previous, styles)
            self.job.objective.prepare(targets)
            stopper = budget.stopper(level, steps)
            where = _Level(frame, level, len(sizes), level_size, pyramid)
            self.last = self._run_level(image, steps, where, on_step, stopper)
            image = self.last.image
        if self.config.original_colors:
            image = color.keep_colors(image, content)
        return image

    def _run_level(self, image, steps: int, where: "_Level", on_step, stopper) -> optimize.Optimized:
        start = time.perf_counter()

        def report(step, loss, parts, lr, current):
            if on_step is not None:  # the stopper has decided about this step already
                on_step(StepReport(where.frame, where.level, where.levels, step, steps, where.size, loss, parts, lr,
                                   time.perf_counter() - start, current, stopper.reason, where.first))

        return optimize.run(image, self.job.objective, steps, self.job.schedule, report, stopper)
