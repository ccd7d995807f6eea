"""Progress bars drawn from the core's reports (StepReport per step, FrameReport per frame)."""

from __future__ import annotations

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from .common import console, format_terms


def step_progress(quiet: bool) -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[losses]}"), TextColumn("{task.fields[rate]}"), TimeElapsedColumn(),
                    TextColumn("ETA"), TimeRemainingColumn(), console=console, disable=quiet, transient=False)


class StepBar:
    """One bar per pyramid level."""

    def __init__(self, progress: Progress, label: str = "") -> None:
        self.progress, self.label = progress, label
        self.task = self._level = None

    def __call__(self, r) -> None:
        key = (r.frame, r.level)
        if key != self._level:
            desc = f"{self.label}level {r.level + 1}/{r.levels} {r.size[1]}x{r.size[0]}"
            self.task = self.progress.add_task(desc, total=r.steps, losses="", rate="")
            self._level = key
        rate = r.step / r.seconds if r.seconds > 0 else 0.0
        self.progress.update(self.task, completed=r.step, losses=format_terms(r.terms), rate=f"{rate:.2f} steps/s")


class FrameProgress:
    """A frames bar (done/total, frames/s, ETA) over a bar for the steps of the current frame."""

    def __init__(self, quiet: bool, total: int | None = None) -> None:
        self.progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[info]}"), console=console, disable=quiet)
        self.total, self.computed, self.busy = total, 0, 0.0
        self.steps_task = self._level = self.frames_task = None

    def __enter__(self) -> "FrameProgress":
        self.progress.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.__exit__(*exc)

    def plan(self, plan) -> None:
        self.total = plan.frames
        self.frames_task = self.progress.add_task("frames", total=self.total, info="")

    def step(self, r) -> None:
        if (r.frame, r.level) != self._level:
            self._drop_steps()
            label = f"  frame {r.frame + 1} level {r.level + 1}/{r.levels} {r.size[1]}x{r.size[0]}"
            self.steps_task, self._level = self.progress.add_task(label, total=r.steps, info=""), (r.frame, r.level)
        self.progress.update(self.steps_task, completed=r.step, info=format_terms(r.terms))

    def frame(self, r) -> None:
        self._drop_steps()
        if not r.resumed:  # frames read back from the work folder say nothing about speed
            self.computed, self.busy = self.computed + 1, self.busy + r.seconds
        info = "resumed" if r.resumed else ""
        if self.computed:
            rate = self.computed / max(self.busy, 1e-9)
            info = f"{rate:.3g} frames/s" + (f" ({1 / rate:.3g} s/frame)" if rate < 1 else "")
            if self.total:
                info += f"  ETA {_clock((self.total - r.index - 1) / rate)}"
        if self.frames_task is not None:
            self.progress.update(self.frames_task, completed=r.index + 1, info=info)

    def _drop_steps(self) -> None:
        if self.steps_task is not None:
            self.progress.remove_task(self.steps_task)
            self.steps_task = self._level = None


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
