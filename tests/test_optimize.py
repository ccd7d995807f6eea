"""optimize.run: converges on a known objective with a stopper, optimizes in range (the picture
judged is the picture written), the time budget holds on a fake clock, the best iterate comes back."""

from __future__ import annotations

import pytest
import torch

from nst_pipeline.gatys import optimize
from nst_pipeline.errors import ConfigError
from nst_pipeline.gatys.optimize import OPTIMIZERS, Schedule
from nst_pipeline.gatys.stopping import BUDGET, CAP, CONVERGED, Stopper


@pytest.fixture(autouse=True)
def one_thread():
    """Tensors of a few hundred numbers: two threads only add hand-offs (10x slower when loaded)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# a learning rate per optimizer that makes the quadratic below converge in tens of steps
QUAD_LR = {"lbfgs": 0.5, "adam": 0.01, "adamax": 0.02, "adadelta": 20.0, "sgd": 0.02}


def quadratic(floor: float = 0.5):
    """f(x) = sum((x - t)^2) + floor: minimum ``floor`` at t, inside [0, 1] (no clamp bites)."""
    target = torch.linspace(0.2, 0.8, 3 * 8 * 8).reshape(1, 3, 8, 8)

    def objective(x):
        d = ((x - target) ** 2).sum()
        return d + floor, {"distance": d.detach()}

    return objective, target


def recorded(objective, log):
    def wrapped(x):
        loss, parts = objective(x)
        log.append((float(loss.detach()), x.detach().clone()))
        return loss, parts
    return wrapped


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_every_optimizer_stops_where_the_relative_improvement_falls_below_tol(name):
    objective, target = quadratic()
    reports = []
    stopper = Stopper(400, tol=1e-3, window=5)
    x = torch.zeros(1, 3, 8, 8)
    out = optimize.run(x, objective, 400, Schedule(name, QUAD_LR[name], 0, 0.5),
                       lambda *r: reports.append((r[0], r[1], stopper.reason)), stopper)
    losses = [loss for _, loss, _ in reports]
    steps = len(losses)
    assert stopper.reason == CONVERGED and steps < 400, (name, steps, losses[-3:])
    lowest = [min(losses[: k + 1]) for k in range(steps)]
    assert lowest[-6] - lowest[-1] <= 1e-3 * lowest[-6]            # satisfied at the last step
    assert lowest[-7] - lowest[-2] > 1e-3 * lowest[-7]             # and not one step earlier
    assert [r for _, _, r in reports] == [None] * (steps - 1) + [CONVERGED]   # reason on the last report only
    start = float(objective(x)[0])
    assert float(objective(out.image)[0]) - 0.5 < 0.01 * (start - 0.5)    # 99% of the way to the floor


def _conv_objective():
    gen = torch.Generator().manual_seed(3)
    w = torch.randn(6, 3, 3, 3, generator=gen)
    goal = torch.rand(1, 6, 12, 12, generator=gen)

    def objective(x):   # not convex, not monotone for the first-order optimizers
        f = torch.tanh(torch.nn.functional.conv2d(x, w, padding=1))
        return ((f - goal) ** 2).mean() + 0.01 * x.diff(dim=-1).abs().mean(), {"fit": ((f - goal) ** 2).mean()}

    return objective


@pytest.mark.parametrize("name,lr,decay_every", [("lbfgs", None, 0), ("adam", None, 0), ("sgd", 0.5, 3)])
def test_the_written_picture_is_the_one_judged_and_the_best_of_those_evaluated(name, lr, decay_every):
    start = torch.rand(1, 3, 12, 12, generator=torch.Generator().manual_seed(0))
    objective, log = _conv_objective(), []
    stopper = Stopper(12, tol=0.0)
    out = optimize.run(start, recorded(objective, log), 12, Schedule(name, lr, decay_every, 0.5), stopper=stopper)
    assert stopper.reason == CAP and stopper.steps == 12 and len(log) == 13   # 12 steps + the final point
    assert all(float(x.min()) >= 0 and float(x.max()) <= 1 for _, x in log)   # every evaluation in range
    loss, parts = objective(out.image)
    assert out.loss == pytest.approx(float(loss), rel=1e-6) == min(l for l, _ in log)
    assert out.terms["fit"] == pytest.approx(float(parts["fit"]), rel=1e-6)


def test_in_range_gradient_pulls_pixels_at_the_bounds_inward_only():
    x = torch.tensor([-0.5, 0.0, 0.0, 0.5, 1.0, 1.0, 1.5], requires_grad=True)
    push = torch.tensor([-1.0, -1.0, 1.0, 1.0, -1.0, 1.0, 1.0])   # d loss / d pixel
    (optimize.in_range(x) * push).sum().backward()
    # descent moves a pixel by -grad: at/below 0 only an increase passes, at/above 1 only a decrease
    assert x.grad.tolist() == [-1.0, -1.0, 0.0, 1.0, 0.0, 1.0, 1.0]
    assert torch.equal(optimize.in_range(x.detach()), x.detach().clamp(0, 1))
    inside = torch.rand(5, dtype=torch.float64).mul(0.8).add(0.1).requires_grad_(True)
    assert torch.autograd.gradcheck(optimize.in_range, (inside,))


def test_lbfgs_moves_pixels_that_start_black_or_white():
    # a plain clamp in the objective would freeze them (no gradient at the bound)
    objective, target = quadratic()
    start = torch.zeros(1, 3, 8, 8)
    start[..., ::2] = 1.0
    out = optimize.run(start, objective, 40, Schedule("lbfgs", 0.5, 0, 0.5))
    assert (out.image - target).abs().max() < 0.05


class StepClock:
    """A fake clock the objective advances: each evaluation 'takes' ``cost`` seconds."""

    def __init__(self, cost: float) -> None:
        self.now, self.cost = 0.0, cost

    def __call__(self) -> float:
        return self.now


def test_time_budget_is_respected_within_one_step():
    objective, _ = quadratic(floor=0.0)
    clock = StepClock(0.3)

    def slow(x):
        clock.now += clock.cost
        return objective(x)

    stopper = Stopper(1000, deadline=2.0, clock=clock)
    optimize.run(torch.zeros(1, 3, 8, 8), slow, 1000, Schedule("adam", 0.01, 0, 0.5), stopper=stopper)
    assert stopper.reason == BUDGET
    assert clock.now <= 2.0 < clock.now + clock.cost       # one more step (or the final look) would overrun
    assert stopper.steps == 6


def test_best_iterate_is_returned_when_the_loss_climbs_at_the_end():
    objective, _ = quadratic(floor=0.0)
    log = []
    # plain SGD (momentum 0.9) with a far too large rate: the loss falls, then oscillates up
    stopper = Stopper(12, deadline=float("inf"))
    out = optimize.run(torch.full((1, 3, 8, 8), 0.5), recorded(objective, log), 12,
                       Schedule("sgd", 0.3, 0, 0.5), stopper=stopper)
    losses = [loss for loss, _ in log]
    best = min(range(len(losses)), key=losses.__getitem__)
    assert best < len(losses) - 1, losses                  # the test objective does climb at the end
    assert torch.equal(out.image, log[best][1]) and out.loss == losses[best]
    assert stopper.best == min(losses[:-1])                # the stopper saw the steps, not the final look


def test_final_iterate_is_kept_while_the_loss_still_falls():
    objective, _ = quadratic()
    log = []
    stopper = Stopper(8, deadline=float("inf"))
    out = optimize.run(torch.zeros(1, 3, 8, 8), recorded(objective, log), 8, Schedule("adam", 0.01, 0, 0.5),
                       stopper=stopper)
    losses = [loss for loss, _ in log]
    assert losses == sorted(losses, reverse=True) and len(losses) == 9   # 8 steps + the point they reached
    assert torch.equal(out.image, log[-1][1]) and out.loss == losses[-1]


def test_non_finite_loss_is_reported_then_refused():
    seen = []

    def exploding(x):
        return (x * float("nan")).sum(), {}

    with pytest.raises(ConfigError, match="lower the learning rate"):
        optimize.run(torch.zeros(1, 3, 4, 4), exploding, 5, Schedule("adam", None, 0, 0.5),
                     lambda *r: seen.append(r[1]), Stopper(5, tol=1e-3))
    assert len(seen) == 1


def test_schedule_from_config_and_the_optimizer_table():
    from nst_pipeline.config import make_config

    config = make_config(styles=("s.png",), optimizer="sgd", lr_decay_every=3)
    schedule = Schedule.from_config(config)
    assert schedule == Schedule("sgd", None, 3, config.lr_decay) and schedule.learning_rate == 1e-3
    assert Schedule.from_config(make_config(styles=("s.png",), lr=0.5)).learning_rate == 0.5
    # the settings every image so far was made with (a change here changes pixels)
    lbfgs = optimize.make_optimizer([torch.zeros(1, requires_grad=True)], Schedule("lbfgs", None, 0, 0.5))
    assert isinstance(lbfgs, torch.optim.LBFGS)
    assert {k: lbfgs.defaults[k] for k in ("lr", "max_iter", "history_size", "tolerance_grad", "tolerance_change")} == \
        {"lr": 1.0, "max_iter": 1, "history_size": 50, "tolerance_grad": -1, "tolerance_change": -1}
    sgd = optimize.make_optimizer([torch.zeros(1, requires_grad=True)], schedule)
    assert isinstance(sgd, torch.optim.SGD) and sgd.defaults["momentum"] == 0.9
    assert {n: k.lr for n, k in OPTIMIZERS.items()} == {"lbfgs": 1.0, "adam": 0.02, "adamax": 0.04, "adadelta": 1.0,
                                                        "sgd": 1e-3}
