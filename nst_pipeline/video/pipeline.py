"""The frame loop: stylize a clip in order, each frame warm-started from the last.

Frame 1 gets the full budget (``first_steps``, with the pyramid). Each later frame
starts from the previous stylized frame warped by optical flow computed on the
original frames, and the ``temporal`` loss term pulls it towards that warp where the
forward-backward check trusts the flow (Ruder et al. 2016). Every finished frame
goes to the work folder before the sink, so a killed job can be resumed.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np
import torch

from .. import images
from ..errors import ConfigError
from ..losses.temporal import CONFIDENCE, PREV_WARPED
from ..optimize import StepReport
from ..sinks.base import FrameSink
from ..sources.base import frame_to_tensor
from ..stylize import OnStep, Stylizer
from .flow import FlowEstimator, frame_pair, resize_frame
from .workdir import WorkDir

INIT_MODES = ("prev-warped", "prev", "content")


@dataclass(frozen=True)
class VideoSettings:
    first_steps: int = 150
    steps: int = 40
    init: str = "prev-warped"
    temporal_weight: float = 0.0
    start: int = 0
    every: int = 1
    max_frames: int | None = None

    def check(self) -> "VideoSettings":
        if self.init not in INIT_MODES:
            raise ConfigError(f"--init {self.init!r}: use one of {', '.join(INIT_MODES)}")
        if self.first_steps < 0 or self.steps < 0:
            raise ConfigError("--first-steps and --steps must be >= 0")
        if self.temporal_weight < 0:
            raise ConfigError("--temporal-weight must be >= 0")
        if self.start < 0 or self.every < 1 or (self.max_frames is not None and self.max_frames < 1):
            raise ConfigError("use --start >= 0, --every >= 1 and --max-frames >= 1")
        return self

    def select(self, frames: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
        stop = None if self.max_frames is None else self.start + self.max_frames * self.every
        return itertools.islice(frames, self.start, stop, self.every)

    def total(self, frame_count: int | None) -> int | None:
        if frame_count is None:
            return self.max_frames
        n = len(range(self.start, frame_count, self.every))
        return n if self.max_frames is None else min(n, self.max_frames)

    def resume_key(self) -> dict:
        """What must not change between a job and its --resume (--max-frames may grow)."""
        return {k: getattr(self, k) for k in ("first_steps", "steps", "init", "temporal_weight", "start", "every")}


@dataclass(frozen=True)
class FrameReport:
    """Said once per finished frame; only the CLI draws it."""

    index: int                 # 0-based among the selected frames
    source_index: int          # frame number in the input
    total: int | None
    seconds: float             # spent on this frame
    loss: float | None = None
    terms: dict[str, float] = field(default_factory=dict)
    steps: int = 0
    trusted: float | None = None   # share of pixels where the flow warp was trusted
    resumed: bool = False          # read back from the work folder, not computed


class FrameLoop:
    def __init__(self, stylizer: Stylizer, settings: VideoSettings, workdir: WorkDir | None = None) -> None:
        self.stylizer = stylizer
        self.settings = settings.check()
        self.workdir = workdir
        self.flow = FlowEstimator()
        self.done = 0

    def run(self, frames: Iterable[np.ndarray], sink: FrameSink, total: int | None = None,
            on_step: OnStep | None = None, on_frame: Callable[[FrameReport], None] | None = None) -> int:
        """Stylize the selected ``frames`` into ``sink``; return how many frames were written."""
        s = self.settings
        resumable = self.workdir.done() if self.workdir is not None else 0
        prev_orig = prev_result = None
        for index, frame in enumerate(s.select(frames)):
            source_index = s.start + index * s.every
            orig = _as_u8(frame)
            start = time.perf_counter()
            if index < resumable:
                result, record = self.workdir.load_frame(index), {"resumed": True}
            else:
                result, record = self._stylize(index, orig, prev_orig, prev_result, on_step)
                record.update(frame=index, source_frame=source_index, seconds=round(time.perf_counter() - start, 4))
                if self.workdir is not None:
                    self.workdir.save_frame(index, result, record)
            sink.write(result)
            self.done = index + 1
            if on_frame is not None:
                on_frame(FrameReport(index, source_index, total, time.perf_counter() - start, record.get("loss"),
                                     record.get("terms", {}), record.get("steps", 0), record.get("trusted"),
                                     index < resumable))
            prev_orig, prev_result = orig, result
        return self.done

    def _stylize(self, index, orig, prev_orig, prev_result, on_step) -> tuple[np.ndarray, dict]:
        s = self.settings
        # contiguous: L-BFGS views the gradient flat, and the optimizer clones this layout
        content = frame_to_tensor(orig).contiguous()
        last: list[StepReport] = []

        def report(r: StepReport) -> None:
            last[:] = [r]
            if on_step is not None:
                on_step(r)

        if prev_result is None:  # first frame: full budget, coarse-to-fine
            out = self.stylizer.stylize(content, frame=index, steps=s.first_steps, pyramid=True, on_step=report)
            trusted = None
        else:
            init, extras, trusted = self._warm_start(orig, prev_orig, prev_result)
            out = self.stylizer.stylize(content, frame=index, init=init, steps=s.steps, pyramid=False,
                                        extras=extras, on_step=report)
        # the stored 8-bit frame is what the next frame starts from: a resumed job then
        # continues from exactly the state an uninterrupted one would have
        result = images.to_array(out)
        record = {"steps": last[0].step if last else 0, "trusted": trusted}
        if last:
            record.update(loss=last[0].loss, terms=last[0].terms)
        return result, record

    def _warm_start(self, orig, prev_orig, prev_result):
        s = self.settings
        hw = prev_result.shape[:2]
        previous = prev_result.astype(np.float32) / 255.0
        if s.init != "prev-warped" and s.temporal_weight == 0:
            return (_tensor(previous) if s.init == "prev" else None), {}, None
        pair = frame_pair(self.flow, resize_frame(prev_orig, hw), resize_frame(orig, hw))
        warped = _tensor(pair.warp_previous(previous))
        init = {"prev-warped": warped, "prev": _tensor(previous), "content": None}[s.init]
        extras = {}
        if s.temporal_weight > 0:
            extras = {PREV_WARPED: warped, CONFIDENCE: torch.from_numpy(pair.mask)[None, None]}
        return init, extras, float(pair.mask.mean())


def _tensor(arr: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(arr, dtype=np.float32)).permute(2, 0, 1).unsqueeze(0).contiguous()


def _as_u8(frame: np.ndarray) -> np.ndarray:
    if frame.dtype == np.uint8:
        return frame
    return (np.clip(frame, 0, 1) * 255.0 + 0.5).astype(np.uint8)
