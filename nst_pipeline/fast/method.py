"""The ``fast`` method: one forward pass per frame (Ghiasi et al. 2017), steadied on video by
blending in the previous result warped by optical flow where the flow is trusted."""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError
from ..methods.base import FrameFacts, FrameTask, Method, MethodContext
from . import engine as eng
from .mixing import blend_embeddings, keep_colors, steady, temporal_alpha, with_strength
from .models import resolve


class FastMethod(Method):
    name = "fast"
    #: one forward pass: the optimization's options (steps, weights, losses, backbone, pyramid,
    #: init, optimizer) mean nothing here; the run loop's frame selection and workers still apply.
    #: --seed keeps its promise (the pass is deterministic); --temporal-weight is refused below
    honours = frozenset({"styles", "style_blend", "size", "method", "method_options", "original_colors",
                         "weights", "device", "seed", "temporal_weight", "start", "every", "max_frames",
                         "workers", "ray_address", "segment_frames", "overlap"})

    def __init__(self, ctx: MethodContext) -> None:
        config, options = ctx.config, ctx.options
        self.size = config.size
        self.style_size = options.style_size
        self.strength = options.strength
        self.original_colors = config.original_colors
        if config.temporal_weight is not None:  # one meaning per option: that one is a loss weight
            raise ConfigError("--temporal-weight is the gatys temporal loss weight; the fast method's flow blend "
                              f"is --method-option blend=W (0: off, default {type(options).model_fields['blend'].default})")
        self.blend = options.blend
        self.wants_guide = bool(ctx.video) and self.blend > 0
        frame_hw = self.output_size(ctx.frame_hw) if ctx.frame_hw else None
        self.engine = eng.Engine(resolve(config.weights), device=config.device, style_side=self.style_size,
                                 frame_hw=frame_hw)
        # the paintings' embedding is the same for every frame: computed once per run
        paintings = [eng.load_rgb(path) for path in config.styles]
        self.style = blend_embeddings([self.engine.embed(p, self.style_size) for p in paintings], config.style_blend)
        # (reference frame, its embedding): strength < 1 pulls toward the shot's own look
        self._own: tuple[np.ndarray, np.ndarray] | None = None
        self.uses_reference = self.strength < 1.0

    def output_size(self, hw: tuple[int, int]) -> tuple[int, int]:
        return eng.fit_long_side(hw, self.size)

    def embedding_for(self, reference: np.ndarray) -> np.ndarray:
        """The painting's embedding, pulled toward the content's own by ``strength`` < 1. The
        content's is that of the shot's ``reference`` frame (its first), taken once per shot: per
        frame it would add flicker, and taken on the first frame this process saw, a resumed
        run or a Ray chunk painted with another one."""
        if self.strength >= 1.0:
            return self.style
        if self._own is None or not (self._own[0] is reference or np.array_equal(self._own[0], reference)):
            small = eng.resize(reference, self.output_size(reference.shape[:2]))   # as the frame is painted
            self._own = (reference, self.engine.embed(small, self.style_size))
        return with_strength(self.style, self._own[1], self.strength)

    def stylize(self, task: FrameTask, on_step=None) -> np.ndarray:
        content = eng.resize(task.content, self.output_size(task.content.shape[:2]))
        out = self.engine.paint(content, self.embedding_for(task.shot_reference))
        if self.original_colors:
            out = keep_colors(out, content)
        guide = task.guide
        if guide is not None and self.blend > 0:
            out = steady(out, eng.as_float(guide.warped), temporal_alpha(self.blend, guide.confidence))
        return out

    def last_record(self) -> FrameFacts:
        return FrameFacts(steps=1)

    def close(self) -> None:
        self.engine = None
