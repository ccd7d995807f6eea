"""The progress display: a live bar on a terminal, plain lines in logs and pipes, or nothing.

Fed by the core's callbacks (StepReport per step, FrameReport per video frame); the
whole-job numbers (step N/TOTAL, ETA) come from :class:`~nst_pipeline.cli.eta.Tally`.
On a narrow terminal the step count, speed and ETA stay; the loss terms shorten, then go.
"""

from __future__ import annotations

import time
import typing
from collections.abc import Callable
from .common import ProgressModes, console
from .eta import Plan, Tally, rate

MODES = typing.get_args(ProgressModes)
#: plain mode: at most one line per this many seconds (plus one at every level and frame end)
PLAIN_EVERY = 10.0
BAR_MIN, BAR_MAX = 10, 40


def resolve_mode(mode: str, console) -> str:
    """``auto``: a bar on a terminal, plain lines anywhere else (logs, pipes, CI)."""
    if mode not in MODES:
        from ..errors import ConfigError

        raise ConfigError(f"--progress {mode!r}: use one of {', '.join(MODES)}")
    if mode == "auto":
        return "bar" if console.is_terminal and not console.is_dumb_terminal else "plain"
    return mode


def clock_text(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    s = int(round(max(0.0, seconds)))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


def rate_text(steps_per_second: float | None) -> str:
    if not steps_per_second:
        return "? steps/s"
    if steps_per_second >= 1:
        return f"{steps_per_second:.3g} steps/s"
    return f"{1 / steps_per_second:.3g} s/step"  # slow runs read better this way round


def terms_variants(terms: dict[str, float], loss: float | None) -> list[str]:
    """The loss terms from most to least detailed, for whatever room is left."""
    full = " ".join(f"{k}={v:.3g}" for k, v in terms.items())
    short = " ".join(f"{k[:2]}={v:.2g}" for k, v in terms.items())
    total = f"loss={loss:.3g}" if loss is not None else ""
    return [v for v in (full, short, total) if v] + [""]


def plan_of(run_plan, video: bool) -> Plan:
    """The tally's plan from the run's (:class:`nst_pipeline.methods.build.Plan`): a first frame goes
    through ``level_sizes`` at ``first_steps`` each, a later one through its output size at ``steps``."""
    first = tuple((h, w, run_plan.first_steps) for h, w in run_plan.level_sizes)
    later = ()
    if video and run_plan.output_size:
        w, h = run_plan.output_size
        later = ((h, w, run_plan.steps),)
    return Plan(first, later, run_plan.frames if video else 1)


class Reporter:
    """Draws a job's progress; call :meth:`plan` once the run knows it, then :meth:`step` and
    :meth:`frame` from the core's callbacks."""

    def __init__(self, plan: Plan | None = None, mode: str = "auto", console=None, *, video: bool | None = None,
                 clock: Callable[[], float] = time.monotonic, every: float = PLAIN_EVERY) -> None:
        if console is None:
            from rich.console import Console

            console = Console(stderr=True)
        self.console, self.clock, self.every = console, clock, every
        self.mode = resolve_mode(mode, console)
        plan = plan or Plan((), (), None if video else 1)
        self.tally = Tally(plan)
        self.video = video if video is not None else (bool(plan.later) or plan.frames != 1)
        self._said = None        # the StepReport the last plain line described
        self._last_line = None   # clock time of the last plain line
        self.precision: str | None = None   # from the run's plan: said on the first line
        self._at = clock()       # clock time of the latest report
        self._live = None

    def plan(self, run_plan) -> None:
        """The run's plan (clips.Plan), said before the first frame."""
        self.tally = Tally(plan_of(run_plan, self.video))
        self.precision = run_plan.precision

    # -- context ----------------------------------------------------------------
    def __enter__(self) -> "Reporter":
        if self.mode == "bar":
            from rich.live import Live

            rich_console = getattr(self.console, "rich", self.console)  # common.StderrConsole or rich's own
            self._live = Live(_LiveView(self), console=rich_console, refresh_per_second=4, transient=True)
            self._live.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._end_level()
        if self._live is not None:
            self._live.__exit__(None, None, None)
            self._live = None

    # -- feeding ----------------------------------------------------------------
    def step(self, r) -> None:
        if self.tally.level is not None and (r.frame, r.level) != self.tally.level:
            self._end_level()
        self.tally.step(r)
        self._at = self.clock()
        if r.stop is not None or r.step >= r.steps:
            self._end_level()  # the core says the level is over (converged, budget or cap)
        elif self.mode == "plain" and (self._last_line is None or self._at - self._last_line >= self.every):
            self._say(self.line(r), r)

    def frame(self, fr) -> None:
        self._end_level()
        self.tally.frame_done(fr)
        self._at = self.clock()
        if self.mode in ("plain", "bar") and self.video:
            self._print(self.frame_line(fr))
            self._last_line = self._at

    # -- lines ------------------------------------------------------------------
    def eta(self) -> float | None:
        if self.tally.done_steps < 2 and not self.tally.frames_done:
            return None  # the first step carries one-off costs (allocation, warm-up): no ETA from it
        eta = self.tally.eta()
        return None if eta is None else max(0.0, eta - (self.clock() - self._at))

    def step_text(self) -> str:
        total = self.tally.total_steps
        return f"step {self.tally.done_steps}/{total if total is not None else '?'}"

    def label(self, r) -> str:
        where = f"level {r.level + 1}/{r.levels} {r.size[1]}x{r.size[0]}"
        return f"{self.frame_text(r.frame)} {where}" if self.video else where

    def frame_text(self, index: int) -> str:
        frames = self.tally.plan.frames
        return f"frame {index + 1}/{frames if frames is not None else '?'}"

    def essentials(self, r) -> str:
        return f"{self.step_text()}  {rate_text(rate(r))}  ETA {clock_text(self.eta())}"

    def line(self, r, width: int | None = None) -> str:
        """One plain line about step report ``r``; fitted to ``width`` by shortening the loss terms."""
        head = f"{self.label(r)}  {self.essentials(r)}"
        if self._last_line is None and self.precision:   # the first line says what the run computes in
            head += f"  {self.precision}"
        for terms in terms_variants(r.terms, r.loss):
            text = f"{head}  {terms}" if terms else head
            if width is None or len(text) <= width:
                return text
        return text

    def frame_line(self, fr) -> str:
        what = "resumed" if fr.resumed else f"done in {fr.seconds:.3g} s" + (f", {fr.steps} step{'s' if fr.steps != 1 else ''}" if fr.steps else "")
        trusted = f", flow trusted on {fr.trusted:.0%}" if fr.trusted is not None else ""
        steps = f"  {self.step_text()}" if self.tally.done_steps else ""  # a one-pass method takes no steps
        return f"{self.frame_text(fr.index)} {what}{trusted}{steps}  ETA {clock_text(self.eta())}"

    # -- output -----------------------------------------------------------------
    def _end_level(self) -> None:
        """A level is over (it may have stopped before its cap): say where it ended, once."""
        r = self.tally.report
        self.tally.end_level()  # first, so that the total drops the steps it did not use
        if r is None or r is self._said or self.mode == "none":
            return
        if self.mode == "plain":
            self._say(self.line(r), r)
        else:  # a lasting line per level above the live bar
            self._print(self.line(r, self.console.width))
            self._said = r

    def _say(self, text: str, r) -> None:
        self._print(text)
        self._said, self._last_line = r, self._at

    def _print(self, text: str) -> None:
        # soft_wrap: a log line is never broken into several
        self.console.print(text, markup=False, highlight=False, soft_wrap=True)


class _LiveView:
    """What the live display shows, fitted to the terminal's width at every refresh."""

    def __init__(self, reporter: Reporter) -> None:
        self.reporter = reporter

    def __rich_console__(self, console, options):
        rep, r = self.reporter, self.reporter.tally.report
        width = options.max_width
        if rep.video:
            frames, done = rep.tally.plan.frames, rep.tally.frames_done
            yield bar_line(f"frames {done}/{frames if frames is not None else '?'}", done, frames,
                           f"ETA {clock_text(rep.eta())}", [""], width)
        if r is not None:
            label = f"level {r.level + 1}/{r.levels}" if not rep.video else f"frame {r.frame + 1} L{r.level + 1}/{r.levels}"
            label += f" {rep.precision}" if rep.precision else ""
            yield bar_line(label, rep.tally.done_steps, rep.tally.total_steps, rep.essentials(r),
                           terms_variants(r.terms, r.loss), width)


def bar_line(label: str, done: int, total: int | None, essentials: str, variants: list[str], width: int):
    """``label ━━━━╸━━ essentials terms`` in ``width`` columns: the bar and the terms give way first."""
    from rich.text import Text

    for terms in variants:
        fixed = len(label) + len(essentials) + (len(terms) + 1 if terms else 0) + 2
        room = width - fixed
        if room >= BAR_MIN or terms == "":
            break
    line = Text()
    line.append(label, style="bold")
    room = min(BAR_MAX, room)
    if room >= BAR_MIN and total:
        filled = round(room * min(1.0, done / total))
        line.append(" " + "━" * filled, style="bar.complete")
        line.append("━" * (room - filled), style="bar.back")
    line.append(" " + essentials)
    if terms:
        line.append(" " + terms, style="dim")
    line.truncate(width, overflow="ellipsis")
    return line


def reporter(mode: str, quiet: bool, video: bool) -> Reporter:
    """The progress display for a command's --progress and --quiet."""
    return Reporter(mode="none" if quiet else mode, console=console, video=video)
