"""Optimize an image against an objective, reporting each step through a callback."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from ..errors import ConfigError
from .stopping import BUDGET, Stopper


@dataclass(frozen=True)
class OptimizerKind:
    make: type[torch.optim.Optimizer]
    lr: float                      # the default learning rate, for an image in [0, 1]
    settings: dict                 # everything else, fixed


#: every optimizer by its --optimizer name (the schema's ``config.Optimizer`` lists the same
#: names, torch-free; tests/test_config.py keeps the two equal)
OPTIMIZERS = {
    # one objective evaluation per step() call, its history kept across calls; unit steps
    # along the quasi-Newton direction
    "lbfgs": OptimizerKind(torch.optim.LBFGS, 1.0, {"max_iter": 1, "history_size": 50,
                                                    "tolerance_grad": -1, "tolerance_change": -1}),
    "adam": OptimizerKind(torch.optim.Adam, 0.02, {}),
    "adamax": OptimizerKind(torch.optim.Adamax, 0.04, {}),
    "adadelta": OptimizerKind(torch.optim.Adadelta, 1.0, {}),
    "sgd": OptimizerKind(torch.optim.SGD, 1e-3, {"momentum": 0.9}),
}


@dataclass(frozen=True)
class Schedule:
    optimizer: str
    lr: float | None           # None: the optimizer's default (OPTIMIZERS)
    decay_every: int           # multiply lr by ``decay`` every N steps (0: constant)
    decay: float

    @classmethod
    def from_config(cls, config) -> "Schedule":
        """The optimizer settings of a :class:`~nst_pipeline.config.StyleConfig` (which has
        checked every value)."""
        return cls(config.optimizer, config.lr, config.lr_decay_every, config.lr_decay)

    @property
    def learning_rate(self) -> float:
        return self.lr if self.lr is not None else OPTIMIZERS[self.optimizer].lr


def make_optimizer(params, schedule: Schedule) -> torch.optim.Optimizer:
    kind = OPTIMIZERS[schedule.optimizer]
    return kind.make(params, lr=schedule.learning_rate, **kind.settings)


class _InRange(torch.autograd.Function):
    """``clamp(x, 0, 1)`` whose gradient still pulls a pixel at or past a bound back inside.

    Plain clamp has no gradient at or past its bounds, so a pixel that starts at 0 or 1 (black
    or white in an 8-bit photo) would never move. Here the gradient passes wherever a descent
    step would move the pixel inward, and is zero where it would push it further out.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x)
        return x.clamp(0.0, 1.0)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        (x,) = ctx.saved_tensors
        inward = ((x > 0) | (grad < 0)) & ((x < 1) | (grad > 0))
        return grad * inward


def in_range(x: torch.Tensor) -> torch.Tensor:
    """The picture ``x`` would be written as, differentiably (see :class:`_InRange`)."""
    return _InRange.apply(x)


@dataclass(frozen=True)
class Optimized:
    """The picture an optimization ends with, and the loss it was judged by."""

    image: torch.Tensor        # in [0, 1]: exactly what gets written
    loss: float
    terms: dict[str, float]


def run(
    image: torch.Tensor,
    objective: Callable[[torch.Tensor], tuple[torch.Tensor, dict]],
    steps: int,
    schedule: Schedule,
    on_step: Callable[[int, float, dict[str, float], float, torch.Tensor], None] | None = None,
    stopper: Stopper | None = None,
) -> Optimized:
    """Minimize ``objective`` over the pixels of ``image`` in range: every evaluation sees the
    picture clamped to [0, 1], which is the picture that would be written.

    Runs ``steps`` steps, or until ``stopper`` says stop (converged, time budget; its
    ``reason`` is set before ``on_step`` sees the level's last step). The result is the
    lowest-loss picture evaluated, the one after the last update included (evaluated once
    more at the end, forward only, unless the time budget is spent), so the stopping rule,
    the best-iterate choice and the written pixels all agree.

    First-order optimizers take projected steps (clamp after each). L-BFGS keeps its own
    iterate unclamped: a clamp of the iterate moves it somewhere its curvature history does
    not describe (with strong style weights the early large steps then degenerate into
    colour noise, scripts/bench_image.py); it optimizes ``f(clamp(x))``, a function its
    history does describe, and out-of-range pixels simply stop pulling.
    """
    stopper = stopper if stopper is not None else Stopper(steps)
    x = image.detach().clone(memory_format=torch.contiguous_format).requires_grad_(True)
    opt = make_optimizer([x], schedule)
    sched = None
    if schedule.decay_every:
        sched = torch.optim.lr_scheduler.StepLR(opt, schedule.decay_every, schedule.decay)
    last: dict = {}
    best = _Best()

    def closure():
        opt.zero_grad(set_to_none=True)
        loss, parts = objective(in_range(x))
        loss.backward()
        last["loss"], last["parts"] = loss.detach(), parts
        best.offer(float(last["loss"]), parts, x)   # ``x`` is the point this loss belongs to (before the update)
        return loss

    project = schedule.optimizer != "lbfgs"
    for step in range(1, steps + 1):
        opt.step(closure)
        if project:
            with torch.no_grad():
                x.clamp_(0.0, 1.0)
        lr = opt.param_groups[0]["lr"]
        if sched is not None:
            sched.step()
        loss = float(last["loss"])
        finite = math.isfinite(loss)
        stop = stopper.update(step, loss) if finite else None
        if on_step is not None:  # the log shows a non-finite step too
            on_step(step, loss, {k: float(v) for k, v in last["parts"].items()}, lr, x.detach())
        if not finite:
            raise ConfigError(f"the loss became {loss} at step {step}; lower the learning rate (--lr)")
        if stop:
            break
    if steps > 0 and stopper.reason != BUDGET:
        with torch.no_grad():   # the point the last update reached has not been judged yet (forward only)
            loss, parts = objective(x.clamp(0.0, 1.0))
        if math.isfinite(float(loss)):
            best.offer(float(loss), parts, x)
    return best.result(x, objective)


class _Best:
    """The lowest-loss point evaluated so far (a copy)."""

    def __init__(self) -> None:
        self.loss, self.terms, self.image = math.inf, {}, None

    def offer(self, loss: float, parts: dict, x: torch.Tensor) -> None:
        if loss < self.loss:
            self.loss, self.image = loss, x.detach().clone()
            self.terms = {k: float(v.detach()) if isinstance(v, torch.Tensor) else float(v) for k, v in parts.items()}

    def result(self, x: torch.Tensor, objective) -> Optimized:
        if self.image is None:   # no step taken: the start, judged as it will be written
            with torch.no_grad():
                loss, parts = objective(x.detach().clamp(0.0, 1.0))
            self.offer(float(loss), parts, x)
        image = self.image if self.image is not None else x.detach()
        return Optimized(image.clamp(0.0, 1.0), self.loss, self.terms)
