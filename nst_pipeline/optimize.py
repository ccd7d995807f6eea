"""Optimize an image against an objective, reporting each step through a callback."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from .errors import ConfigError
from .errors import unknown_name_message

OPTIMIZERS = ("lbfgs", "adam", "adamax", "adadelta", "sgd")
# learning rates for an image in [0, 1]; L-BFGS takes unit steps along its quasi-Newton direction
DEFAULT_LR = {"lbfgs": 1.0, "adam": 0.02, "adamax": 0.04, "adadelta": 1.0, "sgd": 1e-3}


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


@dataclass(frozen=True)
class Schedule:
    optimizer: str = "lbfgs"
    lr: float | None = None
    decay_every: int = 0       # multiply lr by ``decay`` every N steps (0: constant)
    decay: float = 0.5

    def check(self) -> "Schedule":
        if self.optimizer not in OPTIMIZERS:
            raise ConfigError(unknown_name_message("optimizer", self.optimizer, OPTIMIZERS))
        if self.lr is not None and not (self.lr > 0 and math.isfinite(self.lr)):
            raise ConfigError(f"learning rate must be a positive number, got {self.lr}")
        if self.decay_every < 0 or not (0 < self.decay <= 1):
            raise ConfigError("lr decay needs --lr-decay-every >= 0 and 0 < --lr-decay <= 1")
        return self

    @property
    def learning_rate(self) -> float:
        return self.lr if self.lr is not None else DEFAULT_LR[self.optimizer]


def make_optimizer(params, schedule: Schedule) -> torch.optim.Optimizer:
    lr = schedule.learning_rate
    name = schedule.optimizer
    if name == "lbfgs":
        # one objective evaluation per step() call; state (history) persists across calls
        return torch.optim.LBFGS(params, lr=lr, max_iter=1, history_size=50, tolerance_grad=-1, tolerance_change=-1)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr)
    if name == "adamax":
        return torch.optim.Adamax(params, lr=lr)
    if name == "adadelta":
        return torch.optim.Adadelta(params, lr=lr)
    return torch.optim.SGD(params, lr=lr, momentum=0.9)


def run(
    image: torch.Tensor,
    objective: Callable[[torch.Tensor], tuple[torch.Tensor, dict]],
    steps: int,
    schedule: Schedule,
    on_step: Callable[[int, float, dict[str, float], float, torch.Tensor], None] | None = None,
) -> torch.Tensor:
    """Minimize ``objective`` over the pixels of ``image``; return the result clamped to [0, 1].

    First-order optimizers take projected steps (clamp after each). L-BFGS is left
    unclamped until the end: a clamp moves the image somewhere its curvature history
    does not describe, and with strong style weights the early large steps then
    degenerate into colour noise. (Measured in scripts/bench_image.py.)
    """
    x = image.detach().clone(memory_format=torch.contiguous_format).requires_grad_(True)
    opt = make_optimizer([x], schedule)
    sched = None
    if schedule.decay_every:
        sched = torch.optim.lr_scheduler.StepLR(opt, schedule.decay_every, schedule.decay)
    last: dict = {}

    def closure():
        opt.zero_grad(set_to_none=True)
        loss, parts = objective(x)
        loss.backward()
        last["loss"], last["parts"] = loss.detach(), parts
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
        if on_step is not None:
            parts = {k: float(v) for k, v in last["parts"].items()}
            on_step(step, float(last["loss"]), parts, lr, x.detach())
        if not torch.isfinite(last["loss"]):
            raise ConfigError(f"the loss became {float(last['loss'])} at step {step}; lower the learning rate (--lr)")
    return x.detach().clamp(0.0, 1.0)
