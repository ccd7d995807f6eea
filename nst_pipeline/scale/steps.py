"""The workers' step reports, back in the driver and said in frame order.

A one-worker run says every optimizer step as it happens (progress, ``--log-json``,
``--save-every``); so does a Ray run. Each worker puts ``(segment, StepReport)`` on a
Ray queue as it optimizes. Progress and logs read a run as frames one after another,
so the driver says the steps of one segment at a time: those of the *lead* (the
earliest segment still running) as they arrive, while the later segments' wait and
follow, at once, when their segment becomes the lead.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable


class StepRelay:
    """Collects step reports from the queue the workers share; says them through ``on_step``."""

    def __init__(self, on_step: Callable | None) -> None:
        self.on_step = on_step
        self.queue = None
        if on_step is not None:  # nobody listens: the workers send nothing
            from ray.util.queue import Queue

            # an actor of its own that takes no CPU: the workers have them all
            self.queue = Queue(actor_options={"num_cpus": 0})
        self._running: list[int] = []         # submitted and not finished, in segment order
        self._finished: set[int] = set()
        self._held: dict[int, list] = {}

    def submitted(self, segment: int) -> None:
        self._running.append(segment)

    def drain(self) -> None:
        """Say the lead's steps that came in; keep the others'."""
        if self.queue is None:
            return
        waiting = self.queue.qsize()
        for segment, report in self.queue.get_nowait_batch(waiting) if waiting else ():
            if self._running and segment == self._running[0]:
                self.on_step(report)
            else:
                self._held.setdefault(segment, []).append(report)

    def finished(self, segment: int) -> None:
        """``segment`` is back (all its steps are queued by then): the next running one leads."""
        self.drain()
        self._finished.add(segment)
        while self._running and self._running[0] in self._finished:
            self._running.pop(0)
            if self._running:
                for report in self._held.pop(self._running[0], []):
                    self.on_step(report)


def portable(report, step_images: int):
    """``report`` as it travels from a worker: the image (a live tensor) only on the steps
    that need it (``--save-every``), as a CPU copy."""
    if report.image is None or not step_images or report.step % step_images:
        return dataclasses.replace(report, image=None)
    return dataclasses.replace(report, image=report.image.detach().cpu().clone())
