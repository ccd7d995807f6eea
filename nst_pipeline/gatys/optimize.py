"""Optimize an image against an objective, reporting each step through a callback."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from ..errors import ConfigError
from .stopping import Stopper


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


def run(
    image: torch.Tensor,
    objective: Callable[[torch.Tensor], tuple[torch.Tensor, dict]],
    steps: int,
    schedule: Schedule,
    on_step: Callable[[int, float, dict[str, float], float, torch.Tensor], None] | None = None,
    stopper: Stopper | None = None,
) -> torch.Tensor:
    """Minimize ``objective`` over the pixels of ``image``; return the result clamped to [0, 1].

    Runs ``steps`` steps, or until ``stopper`` says stop (converged, time budget; its
    ``reason`` is set before ``on_step`` sees the level's last step). A stopper that may
    stop early makes the result the best iterate reached: the final one while the loss
    was still at its lowest on the last evaluation (the last update continued a descent),
    else the lowest-loss image evaluated. Without one the final iterate is returned.

    First-order optimizers take projected steps (clamp after each). L-BFGS is left
    unclamped until the end: a clamp moves the image somewhere its curvature history
    does not describe, and with strong style weights the early large steps then
    degenerate into colour noise. (Measured in scripts/bench_image.py.)
    """
    stopper = stopper if stopper is not None else Stopper(steps)
    x = image.detach().clone(memory_format=torch.contiguous_format).requires_grad_(True)
    opt = make_optimizer([x], schedule)
    sched = None
    if schedule.decay_every:
        sched = torch.optim.lr_scheduler.StepLR(opt, schedule.decay_every, schedule.decay)
    last: dict = {}
    best = _Best(stopper.active)

    def closure():
        opt.zero_grad(set_to_none=True)
        loss, parts = objective(x)
        loss.backward()
        last["loss"], last["parts"] = loss.detach(), parts
        best.offer(float(last["loss"]), x)   # ``x`` is the point this loss belongs to (before the update)
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
    return best.result(x).clamp(0.0, 1.0)


class _Best:
    """The lowest-loss iterate evaluated so far (a copy; only kept when asked to)."""

    def __init__(self, keep: bool) -> None:
        self.keep, self.loss, self.image, self.last_is_best = keep, math.inf, None, True

    def offer(self, loss: float, x: torch.Tensor) -> None:
        if not self.keep:
            return
        self.last_is_best = loss < self.loss
        if self.last_is_best:
            self.loss, self.image = loss, x.detach().clone()

    def result(self, x: torch.Tensor) -> torch.Tensor:
        if not self.keep or self.last_is_best or self.image is None:
            return x.detach()
        return self.image
