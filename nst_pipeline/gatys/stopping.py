"""When a level stops: the loss has converged, the step cap, or the time budget.

A level (one pyramid level of an image, or a warm-started video frame) stops after
the step where the loss's relative improvement over the last ``window`` steps fell
below ``tol`` ("converged"), where it reached its step cap ("cap"), or where the
next step would end past its deadline ("budget"). An image's or a frame's time
budget is spread over its pyramid levels in proportion to their work (pixels x
steps); time a level leaves unused goes to the levels after it.

The improvement is measured on the running minimum of the loss, so one noisy step
(L-BFGS without a line search, Adam) neither stops a level early nor keeps it alive.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from ..errors import ConfigError

Clock = Callable[[], float]

CONVERGED, CAP, BUDGET = "converged", "cap", "budget"
#: steps over which the relative improvement is measured (chosen in scripts/bench_stopping.py)
WINDOW = 5


class Stopper:
    """Watches one level's losses and says after each step whether to stop, and why.

    ``deadline`` is a time on ``clock``; a step is not begun when the last one says it
    would end past the deadline, so a level overshoots by at most one step's change in
    duration (and always takes its first step).
    """

    def __init__(self, cap: int, *, tol: float = 0.0, window: int = WINDOW,
                 deadline: float | None = None, clock: Clock = time.perf_counter) -> None:
        if cap < 0 or window < 1 or not tol >= 0:
            raise ConfigError(f"stopping needs steps >= 0, window >= 1 and tol >= 0 (got {cap}, {window}, {tol})")
        self.cap, self.tol, self.window, self.deadline, self.clock = cap, tol, window, deadline, clock
        self.reason: str | None = None   # set on the step that ends the level
        self.steps = 0                   # steps taken
        self.best = float("inf")         # lowest loss seen
        self._lowest: list[float] = []   # running minimum after each step
        self._last = clock()

    @property
    def active(self) -> bool:
        """Whether this level may stop before its cap (then it returns its best iterate)."""
        return self.tol > 0 or self.deadline is not None

    def update(self, step: int, loss: float) -> str | None:
        """Record step ``step`` (1-based) with the loss it evaluated; return why to stop, or None."""
        now = self.clock()
        took, self._last = now - self._last, now
        self.steps = step
        self.best = min(self.best, loss)
        self._lowest.append(self.best)
        if self.converged():
            self.reason = CONVERGED
        elif step >= self.cap:
            self.reason = CAP
        elif self.deadline is not None and now + took > self.deadline:
            self.reason = BUDGET
        return self.reason

    def converged(self) -> bool:
        if self.tol <= 0 or len(self._lowest) <= self.window:
            return False
        before = self._lowest[-1 - self.window]
        return before - self.best <= self.tol * abs(before)   # <=: a loss of exactly 0 has converged


class Budget:
    """One image's (or frame's) stopping rule and time budget, handed out level by level.

    Every pyramid level stops at the same ``tol``. A coarse level's steps are cheap (a quarter
    of the pixels per halving) and its late ones still shape the large-scale style the finer
    levels keep: stopping it at a looser tol saved little time and cost style (measured at 320 px,
    3 levels: coarse tols of 2x and 4x per halving gave style 0.0297 and 0.0312 against 0.0268;
    docs/benchmarks.md, ## Stopping).
    """

    def __init__(self, tol: float, seconds: float | None, work: Sequence[float], *, window: int = WINDOW,
                 clock: Clock = time.perf_counter) -> None:
        if seconds is not None and not seconds > 0:
            raise ConfigError(f"the time budget must be a positive number of seconds, got {seconds}")
        self.tol, self.seconds, self.window, self.clock = tol, seconds, window, clock
        self.work = [float(w) for w in work]
        self.start = clock()

    @classmethod
    def for_levels(cls, tol: float, seconds: float | None, sizes: Sequence[tuple[int, int]], steps: int,
                   **kwargs) -> "Budget":
        """Work of a level = its pixels x its steps (per-step cost grows about with the pixels)."""
        return cls(tol, seconds, [h * w * max(steps, 1) for h, w in sizes], **kwargs)

    def deadline(self, level: int) -> float | None:
        """Deadline of ``level``: its share of the time left, by work, among the levels still to run."""
        if self.seconds is None:
            return None
        now = self.clock()
        left = max(0.0, self.start + self.seconds - now)
        rest = sum(self.work[level:])
        return now + (left * self.work[level] / rest if rest > 0 else left)

    def stopper(self, level: int, cap: int) -> Stopper:
        """Make this right before the level's first step: its deadline is fixed now."""
        return Stopper(cap, tol=self.tol, window=self.window, deadline=self.deadline(level),
                       clock=self.clock)
