"""The stopping rule on hand-made loss sequences, and the time budget on a fake clock."""

from __future__ import annotations

import math

import pytest

from nst_pipeline.errors import ConfigError
from nst_pipeline.gatys.stopping import BUDGET, CAP, CONVERGED, Budget, Stopper


class FakeClock:
    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def feed(stopper: Stopper, losses, clock: FakeClock | None = None, durations=None) -> int:
    """Feed losses until the stopper says stop; return the step it stopped at."""
    for step, loss in enumerate(losses, start=1):
        if clock is not None:
            clock.now += durations[step - 1] if durations else 1.0
        if stopper.update(step, loss):
            return step
    raise AssertionError("never stopped")


def predicted_stop(c: float, a: float, q: float, window: int, tol: float) -> int:
    """First step k (1-based) whose loss L_k = c + a q^(k-1) improved on L_(k-window) by less
    than tol relative: a q^(k-1-w) (1 - q^w) < tol (c + a q^(k-1-w)), solved for k."""
    # a q^m (1 - q^w - tol) < tol c  with m = k - 1 - w
    m = math.log(tol * c / (a * (1 - q ** window - tol))) / math.log(q)
    return max(window + 1, math.floor(m) + 1 + window + 1)


@pytest.mark.parametrize("window,tol", [(5, 1e-2), (10, 1e-3), (3, 5e-2)])
def test_converges_where_a_geometric_loss_with_a_floor_flattens(window, tol):
    c, a, q = 2.0, 50.0, 0.8   # L_k = c + a q^(k-1): known relative improvement at every step
    losses = [c + a * q ** (k - 1) for k in range(1, 500)]
    stopper = Stopper(1000, tol=tol, window=window)
    step = feed(stopper, losses)
    assert stopper.reason == CONVERGED
    assert step == predicted_stop(c, a, q, window, tol)
    before, now = losses[step - 1 - window], losses[step - 1]
    assert (before - now) / before < tol
    before, now = losses[step - 2 - window], losses[step - 2]   # the step before did not satisfy it
    assert (before - now) / before > tol


def test_running_minimum_ignores_a_single_bad_step():
    # 30% better every step, one spike at step 6, then flat: on the raw loss step 6 would
    # look like no progress at all (stop), on the running minimum it is 30% over 2 steps
    losses = [100 * 0.7 ** k for k in range(10)]
    losses[5] = 500.0
    stopper = Stopper(100, tol=0.2, window=2)
    assert feed(stopper, losses + [losses[-1]] * 5) == 12   # two flat steps after step 10
    assert stopper.best == losses[9]


def test_tol_zero_runs_to_the_cap_even_when_flat():
    stopper = Stopper(7, tol=0.0, window=2)
    assert feed(stopper, [1.0] * 10) == 7
    assert stopper.reason == CAP and stopper.steps == 7 and not stopper.active


def test_zero_loss_converges_and_a_tol_one_window_needs_window_plus_one_steps():
    assert feed(Stopper(50, tol=1e-3, window=3), [0.0] * 10) == 4
    assert feed(Stopper(50, tol=1.0, window=4), [5, 4, 3, 2, 1, 0.5]) == 5


def test_budget_stops_before_a_step_would_end_past_the_deadline():
    clock = FakeClock(0.0)
    stopper = Stopper(1000, deadline=5.5, clock=clock)
    assert feed(stopper, [1.0] * 100, clock) == 5   # 6th step would end at 6.0 > 5.5
    assert stopper.reason == BUDGET and clock.now <= 5.5 and stopper.active


def test_budget_overshoot_is_at_most_the_change_in_step_time():
    clock = FakeClock(0.0)
    durations = [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5]   # steps get slower
    stopper = Stopper(1000, deadline=7.0, clock=clock)
    step = feed(stopper, [1.0] * 7, clock, durations)
    assert stopper.reason == BUDGET
    assert clock.now <= 7.0 + (durations[step - 1] - durations[step - 2])


def test_first_step_is_always_taken_and_cap_wins_over_budget():
    clock = FakeClock(0.0)
    assert feed(Stopper(10, deadline=0.1, clock=clock), [1.0] * 3, clock) == 1
    clock = FakeClock(0.0)
    stopper = Stopper(3, deadline=3.0, clock=clock)
    assert feed(stopper, [1.0] * 5, clock) == 3 and stopper.reason == CAP


def test_budget_splits_time_by_work_and_passes_unused_time_on():
    clock = FakeClock(0.0)
    budget = Budget.for_levels(0.0, 10.0, [(10, 10), (20, 20)], steps=50, clock=clock)  # work 1 : 4
    assert budget.deadline(0) == pytest.approx(2.0)
    clock.now = 1.0                                   # level 0 converged early: 9 s left
    assert budget.deadline(1) == pytest.approx(10.0)
    clock.now = 12.0                                  # overran: the last level still gets a step
    assert budget.deadline(1) == pytest.approx(12.0)
    assert Budget(0.0, None, [1, 1]).deadline(0) is None


def test_budget_hands_out_stoppers_with_its_rule():
    clock = FakeClock(0.0)
    budget = Budget(1e-3, 8.0, [1, 3], window=4, clock=clock)
    s = budget.stopper(0, cap=20)
    assert (s.cap, s.tol, s.window, s.deadline) == (20, 1e-3, 4, pytest.approx(2.0))


def test_every_level_stops_at_the_same_tol():
    budget = Budget.for_levels(0.01, None, [(40, 80), (80, 160), (160, 320)], steps=10)
    assert [budget.stopper(k, 10).tol for k in range(3)] == [0.01, 0.01, 0.01]
    assert Budget.for_levels(0.0, None, [(8, 8), (16, 16)], steps=3).stopper(0, 3).tol == 0.0


@pytest.mark.parametrize("kwargs", [dict(cap=-1), dict(cap=5, window=0), dict(cap=5, tol=-1.0),
                                    dict(cap=5, tol=float("nan"))])
def test_bad_settings_are_config_errors(kwargs):
    cap = kwargs.pop("cap")
    with pytest.raises(ConfigError):
        Stopper(cap, **kwargs)


def test_bad_budget_is_a_config_error():
    with pytest.raises(ConfigError, match="time budget"):
        Budget(0.0, 0.0, [1])


def _stylizer(registry, style, **options):
    from nst_pipeline.config import make_config
    from nst_pipeline.gatys.job import build_job
    from nst_pipeline.gatys.stylize import Stylizer

    config = make_config(styles=(style,), size=48, backbone="tiny", device="cpu", seed=0, levels=2, **options)
    return Stylizer(build_job(config, registry))


def _content():
    import torch

    return torch.rand(1, 3, 36, 48, generator=torch.Generator().manual_seed(5))


def test_each_pyramid_level_stops_on_its_own_and_says_why_on_its_last_report(registry, make_image):
    reports = []
    _stylizer(registry, make_image("s.png"), tol=0.02).stylize(_content(), steps=300, on_step=reports.append)
    for level in (0, 1):
        mine = [r for r in reports if r.level == level]
        assert [r.stop for r in mine] == [None] * (len(mine) - 1) + [CONVERGED]
        assert 5 < len(mine) < 300
    # each level stopped at the same tol: its last 5 steps improved its lowest loss by <= 2%,
    # and the 5 before the stop by more (else it would have stopped a step earlier)
    for level in (0, 1):
        losses = [r.loss for r in reports if r.level == level]
        lowest = [min(losses[:k]) for k in range(1, len(losses) + 1)]
        assert lowest[-6] - lowest[-1] <= 0.02 * lowest[-6]
        assert lowest[-7] - lowest[-2] > 0.02 * lowest[-7]


def test_a_spent_time_budget_leaves_one_step_per_level_and_says_budget(registry, make_image):
    reports = []
    out = _stylizer(registry, make_image("s.png"), time_budget=1e-6).stylize(_content(), steps=50,
                                                                             on_step=reports.append)
    assert [(r.level, r.step, r.stop) for r in reports] == [(0, 1, BUDGET), (1, 1, BUDGET)]
    assert out.shape == (1, 3, 36, 48)


def test_tol_zero_runs_every_level_to_its_cap(registry, make_image):
    reports = []
    _stylizer(registry, make_image("s.png"), tol=0).stylize(_content(), steps=4, on_step=reports.append)
    assert [(r.level, r.step, r.stop) for r in reports if r.stop] == [(0, 4, CAP), (1, 4, CAP)]


def test_cli_tol_and_time_budget_reach_the_log(make_image, tmp_path, capsys):
    import json

    from nst_pipeline.cli.app import main

    content, style = make_image("c.png", (48, 40), seed=1), make_image("s.jpg", (40, 40), seed=2)
    base = ["image", str(content), "-s", str(style), "--size", "48", "--levels", "1", "-q", "--steps", "60"]
    for flags, reason in ((["--tol", "0.5"], CONVERGED), (["--time-budget", "1e-6"], BUDGET)):
        log = tmp_path / "log.jsonl"
        assert main([*base, "-o", str(tmp_path / "o.png"), "--log-json", str(log), *flags]) == 0, capsys.readouterr().err
        steps = [json.loads(line) for line in log.read_text().splitlines() if '"event"' not in line]
        assert steps[-1]["stop"] == reason and all("stop" not in r for r in steps[:-1])
        assert len(steps) < 60
    assert main([*base, "-o", str(tmp_path / "o.png"), "--tol", "-1"]) != 0
