"""Progress display: whole-job step counts and ETAs, plain lines for logs, a bar that fits 80 columns."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from rich.console import Console

from nst_pipeline.cli.eta import Plan, Tally
from nst_pipeline.cli.progress import Reporter, bar_line, clock_text, rate_text, resolve_mode
from nst_pipeline.errors import NSTError
from nst_pipeline.reports import FrameReport, StepReport


def Step(frame, level, levels, step, steps, size, loss, terms=None, *, lr=1.0, seconds=0.0, stop=None,
         first=None) -> StepReport:
    """A real step report; ``first`` (the shot's first-frame treatment) is frame 0's by default."""
    return StepReport(frame, level, levels, step, steps, tuple(size), loss, dict(terms or {}), lr, seconds,
                      stop=stop, first=frame == 0 if first is None else first)


def Frame(index, seconds, steps=0, trusted=None, resumed=False, first=None) -> FrameReport:
    """A real frame report (frame 0 got the first-frame treatment unless told otherwise)."""
    return FrameReport(index, index, None, seconds, steps=steps, trusted=trusted, resumed=resumed,
                       first=index == 0 if first is None else first)


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


TERMS = {"content": 0.391, "style": 0.0343, "tv": 0.0158}


def run_level(feed, clock, frame, level, levels, hw, cap, sec_per_pixel_step, stop=None):
    """Feed one level's reports, advancing the clock by the level's per-pixel cost."""
    per_step = sec_per_pixel_step * hw[0] * hw[1]
    for s in range(1, (stop or cap) + 1):
        clock.t += per_step
        feed(Step(frame, level, levels, s, cap, hw, 1.0 / s, TERMS, seconds=s * per_step))


def console(width=200, terminal=False):
    buf = StringIO()
    return Console(file=buf, width=width, force_terminal=terminal, color_system=None), buf


# -- the numbers -----------------------------------------------------------------------

def test_image_eta_covers_all_levels_at_the_per_pixel_speed():
    plan = Plan(((50, 100, 10), (100, 200, 10)))          # second level has 4x the pixels
    tally = Tally(plan)
    speed = 1e-4                                          # s per pixel-step: 0.5 s/step, then 2 s/step
    for s in range(1, 5):
        tally.step(Step(0, 0, 2, s, 10, (50, 100), 1.0, seconds=s * 0.5))
    assert tally.total_steps == 20 and tally.done_steps == 4
    # 6 steps of level 1 at 0.5 s + 10 steps of level 2 at 2 s
    assert tally.eta() == pytest.approx(6 * 0.5 + 10 * 2.0)
    assert tally.seconds_per_work() == pytest.approx(speed)


def test_a_level_that_stops_early_shrinks_the_total_and_the_eta():
    plan = Plan(((50, 100, 10), (100, 200, 10)))
    tally = Tally(plan)
    for s in range(1, 4):                                  # level 1 stops after 3 of 10 steps
        tally.step(Step(0, 0, 2, s, 10, (50, 100), 1.0, seconds=s * 0.5))
    tally.step(Step(0, 1, 2, 1, 10, (100, 200), 1.0, seconds=2.0))
    assert tally.total_steps == 3 + 10
    assert tally.done_steps == 4
    assert tally.eta() == pytest.approx(9 * 2.0)


def test_video_eta_uses_the_measured_later_frame_cost_not_the_first_frame():
    plan = Plan(((50, 100, 20), (100, 200, 20)), later=((100, 200, 5),), frames=10)
    tally = Tally(plan)
    for level, hw in enumerate(((50, 100), (100, 200))):
        for s in range(1, 21):
            tally.step(Step(0, level, 2, s, 20, hw, 1.0, seconds=s * 1e-4 * hw[0] * hw[1]))
    assert tally.total_steps == 40 + 9 * 5
    tally.frame_done(Frame(0, seconds=50.0, steps=20))
    # before any later frame is measured: their steps at the first frame's pixel speed (2 s/step)
    assert tally.eta() == pytest.approx(9 * 5 * 2.0)
    tally.step(Step(1, 0, 1, 5, 5, (100, 200), 1.0, seconds=10.0))
    tally.frame_done(Frame(1, seconds=13.0, steps=5))     # flow etc.: 3 s the steps don't show
    assert tally.eta() == pytest.approx(8 * 13.0)
    assert tally.total_steps == 85 and tally.done_steps == 45


def test_a_scene_cut_gets_the_first_frame_budget_and_resumed_frames_cost_nothing():
    plan = Plan(((50, 100, 20), (100, 200, 20)), later=((100, 200, 5),), frames=4)
    tally = Tally(plan)
    tally.frame_done(Frame(0, seconds=0.1, resumed=True))
    tally.step(Step(1, 0, 2, 1, 20, (50, 100), 1.0, seconds=0.5, first=True))   # the core says: a cut
    assert tally.first
    assert tally.total_steps == 40 + 2 * 5
    assert tally.kinds[True].frame_seconds == []


def test_unknown_frame_count_gives_no_total_and_no_eta():
    tally = Tally(Plan(((10, 10, 5),), later=((10, 10, 2),), frames=None))
    tally.step(Step(0, 0, 1, 1, 5, (10, 10), 1.0, seconds=0.1))
    assert tally.total_steps is None and tally.eta() is None


def test_small_formatters():
    assert clock_text(3725.4) == "1:02:05" and clock_text(None) == "?"
    assert rate_text(2.5) == "2.5 steps/s" and rate_text(0.25) == "4 s/step"


def test_modes():
    plain, _ = console()
    tty, _ = console(terminal=True)
    assert resolve_mode("auto", plain) == "plain" and resolve_mode("auto", tty) == "bar"
    with pytest.raises(NSTError, match="--progress"):
        resolve_mode("fancy", plain)


# -- plain lines (logs, pipes) -------------------------------------------------------

def test_plain_lines_are_rare_and_say_where_the_whole_job_stands():
    clock = Clock()
    con, buf = console()
    plan = Plan(((26, 32, 20), (53, 64, 20)))
    with Reporter(plan, "plain", con, clock=clock, every=5.0) as rep:
        for level, hw in enumerate(((26, 32), (53, 64))):
            run_level(rep.step, clock, 0, level, 2, hw, 20, 0.25 / (53 * 64))
    lines = buf.getvalue().splitlines()
    steps = [int(m.group(1)) for line in lines if (m := re.search(r"step (\d+)/40\b", line))]
    assert len(steps) == len(lines) >= 3
    assert steps[0] == 1 and 20 in steps and steps[-1] == 40       # first step, each level's end
    assert all("content=" in line and "ETA " in line for line in lines)
    # 40 steps over ~6 s of clock: the first line, ~one per 5 s, two level ends
    assert len(lines) <= 5
    assert lines[-1].endswith("content=0.391 style=0.0343 tv=0.0158")


def test_plain_says_where_an_early_stopped_level_ended():
    clock = Clock()
    con, buf = console()
    plan = Plan(((26, 32, 20), (53, 64, 20)))
    with Reporter(plan, "plain", con, clock=clock, every=1e9) as rep:
        run_level(rep.step, clock, 0, 0, 2, (26, 32), 20, 1e-4, stop=7)
        run_level(rep.step, clock, 0, 1, 2, (53, 64), 20, 1e-4, stop=4)
    lines = buf.getvalue().splitlines()
    assert [re.search(r"step \d+/\d+", l).group() for l in lines] == ["step 1/40", "step 7/27", "step 11/11"]


def test_a_level_the_core_says_converged_ends_at_once():
    clock = Clock()
    con, buf = console()
    rep = Reporter(Plan(((26, 32, 20), (53, 64, 20))), "plain", con, clock=clock, every=1e9)
    rep.step(Step(0, 0, 2, 1, 20, (26, 32), 1.0, TERMS, seconds=0.1))
    rep.step(Step(0, 0, 2, 2, 20, (26, 32), 1.0, TERMS, seconds=0.2, stop="converged"))
    assert buf.getvalue().splitlines()[-1].startswith("level 1/2 32x26  step 2/22  ")
    assert rep.tally.total_steps == 22


def test_plain_video_has_frame_lines():
    clock = Clock()
    con, buf = console()
    plan = Plan(((20, 20, 4),), later=((20, 20, 2),), frames=3)
    with Reporter(plan, "plain", con, clock=clock) as rep:
        run_level(rep.step, clock, 0, 0, 1, (20, 20), 4, 1e-3)
        rep.frame(Frame(0, seconds=1.6, steps=4))
        run_level(rep.step, clock, 1, 0, 1, (20, 20), 2, 1e-3)
        rep.frame(Frame(1, seconds=1.0, steps=2, trusted=0.93))
    text = buf.getvalue()
    assert "frame 1/3 done in 1.6 s, 4 steps  step 4/8" in text
    assert "frame 2/3 done in 1 s, 2 steps, flow trusted on 93%  step 6/8  ETA 0:00:01" in text
    assert "frame 2/3 level 1/1 20x20  step 6/8" in text


def test_none_prints_nothing():
    clock = Clock()
    con, buf = console()
    with Reporter(Plan(((20, 20, 4),)), "none", con, clock=clock) as rep:
        run_level(rep.step, clock, 0, 0, 1, (20, 20), 4, 1e-3)
    assert buf.getvalue() == ""


# -- the bar at 80 columns ---------------------------------------------------------------

def render(renderable, width):
    con, buf = console(width=width)
    con.print(renderable)
    return buf.getvalue().splitlines()


@pytest.mark.parametrize("width", [40, 60, 80, 120])
def test_bar_keeps_step_speed_and_eta_and_gives_up_the_terms_first(width):
    essentials = "step 1234/4500  0.43 steps/s  ETA 1:02:03"
    terms = ["content=0.391 style=0.0343 tv=0.0158", "co=0.39 st=0.034 tv=0.016", "loss=0.44", ""]
    lines = render(bar_line("level 1/2", 1234, 4500, essentials, terms, width), width)
    assert len(lines) == 1 and len(lines[0]) <= width
    if width >= 60:
        assert essentials in lines[0]
    if width >= 120:
        assert "content=0.391 style=0.0343 tv=0.0158" in lines[0] and "━" in lines[0]
    if width == 80:
        assert "━" in lines[0]


def test_live_view_at_80_columns_for_a_video():
    clock = Clock()
    con, _ = console(width=80)
    plan = Plan(((72, 96, 150), (144, 192, 150)), later=((144, 192, 40),), frames=300)
    rep = Reporter(plan, "plain", con, clock=clock)
    run_level(rep.step, clock, 0, 0, 2, (72, 96), 150, 1e-4)
    run_level(rep.step, clock, 0, 1, 2, (144, 192), 150, 1e-4, stop=37)
    from nst_pipeline.cli.progress import _LiveView

    frames_line, steps_line = render(_LiveView(rep), 80)
    assert frames_line.startswith("frames 0/300") and "ETA " in frames_line
    assert re.search(r"frame 1 L2/2 .*step 187/12260  \d.* (steps/s|s/step)  ETA \d+:\d\d:\d\d", steps_line)
    assert len(steps_line) <= 80


def test_the_current_level_speed_predicts_the_rest_once_it_has_two_steps():
    plan = Plan(((50, 100, 10), (100, 200, 10), (200, 400, 10)))
    tally = Tally(plan)
    for s in range(1, 11):                                   # 1e-4 s per pixel-step
        tally.step(Step(0, 0, 3, s, 10, (50, 100), 1.0, seconds=s * 0.5))
    tally.step(Step(0, 1, 3, 1, 10, (100, 200), 1.0, seconds=1.0))
    assert tally.eta() == pytest.approx(9 * 2.0 + 10 * 8.0, rel=0.2)   # one step: all levels so far
    tally.step(Step(0, 1, 3, 2, 10, (100, 200), 1.0, seconds=2.0))   # 0.5e-4 s per pixel-step here
    assert tally.eta() == pytest.approx(8 * 1.0 + 10 * 4.0)
