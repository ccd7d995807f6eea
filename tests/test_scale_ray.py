"""A local Ray cluster with two workers on tiny clips: order, workers seen, resume, a killed worker.

One cluster serves the whole module (Ray takes seconds to start); the driver reuses a
cluster that is already running and leaves it running.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import numpy as np
import pytest

ray = pytest.importorskip("ray")

from nst_pipeline.config import ClipConfig, StyleConfig  # noqa: E402
from nst_pipeline.pipeline import run as run_loop  # noqa: E402
from nst_pipeline.scale.driver import RayFrames  # noqa: E402
from nst_pipeline.sinks.image import MemorySink  # noqa: E402
from nst_pipeline.video.workdir import WorkDir  # noqa: E402

from conftest import TinyPlugin  # noqa: E402
from nst_pipeline.registry import Registry  # noqa: E402
from shots import shot  # noqa: E402


def tiny_registry():
    """Built again inside each Ray worker (this function and the tiny plugin travel by value)."""
    return Registry(autoload=False, extra_plugins=[TinyPlugin()])


@pytest.fixture(scope="module")
def local_ray():
    from ray import cloudpickle

    # the workers cannot import the tests folder: ship the test helpers by value
    for name in ("conftest", __name__):
        cloudpickle.register_pickle_by_value(sys.modules[name])
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


class ListSource:
    def __init__(self, frames, fps=12.0):
        self.frames, self.fps, self.frame_count = frames, fps, len(frames)

    def __iter__(self):
        return iter(self.frames)


@pytest.fixture
def style(make_image):
    return make_image("style.png", size=(32, 32), seed=7)


def configs(style: Path, options=None, **clip):
    config = StyleConfig(**{"styles": (style,), "size": 32, "levels": 1, "backbone": "tiny", "device": "cpu",
                            "seed": 0, **(options or {})})
    return config, ClipConfig(**{"first_steps": 3, "steps": 2, "workers": 2, "segment_frames": 5, "overlap": 2, **clip})


def run(frames, style, work=None, clip=None, on_step=None, step_images=0, on_segment=None, options=None):
    """The one run loop with the Ray producer, as ``nst video --workers 2`` runs it."""
    config, clip = configs(style, options, **(clip or {}))
    sink, reports, segments = MemorySink(), [], []

    def said(segment, state):
        segments.append((segment.index, state))
        if on_segment is not None:
            on_segment(segment, state)

    produce = RayFrames(config, clip, fps=12.0, registry_factory=tiny_registry, on_step=on_step,
                        step_images=step_images, on_segment=said)
    done = run_loop(ListSource(frames), sink, clip, produce, workdir=work, on_frame=reports.append)
    return done, sink.kept, reports, segments


def workdir(path: Path) -> WorkDir:
    return WorkDir.open(path, {"test": 1}, resume=True)


def test_two_workers_make_every_frame_in_order(local_ray, style):
    frames = shot(9, seed=1, size=(24, 32)) + shot(7, seed=2, size=(24, 32))   # cut at 9
    done, out, reports, _ = run(frames, style)
    assert done == len(out) == 16
    assert [r.index for r in reports] == list(range(16))
    assert all(o.shape == (24, 32, 3) and o.dtype == np.uint8 for o in out)
    segs = {r.segment for r in reports}
    assert len(segs) >= 4 and len({r.worker for r in reports}) == 2
    # the frame after the cut starts a segment and a shot: full budget, nothing blended
    assert reports[9].first and reports[9].seam is None and reports[8].segment != reports[9].segment
    # shot 1 = chunks (0,5) (3,8) (6,9): frames 3-4 and 6-7 are cross-faded; shot 2 (9,14) (12,16)
    assert [r.index for r in reports if r.seam is not None] == [3, 4, 6, 7, 12, 13]


def test_resume_reruns_only_unfinished_segments(local_ray, style, tmp_path):
    frames = shot(12, seed=3, size=(24, 32))                 # segments (0,5) (3,8) (6,11) (9,12)
    work = workdir(tmp_path / "w")
    first, full, _, _ = run(frames, style, work=work)
    # a job stopped after 5 written frames (segment 0 done), with segment 2 back early and kept
    for i in range(5, 12):
        work.frame_path(i).unlink()
    kept = sorted(p.name for p in (tmp_path / "w" / "segments").glob("*.npz"))
    assert kept == []   # everything written: nothing is kept twice
    # put segment 2 back as if it had finished before the stop
    from nst_pipeline.scale.segments import plan_segments
    from nst_pipeline.scale.store import SegmentStore

    plan = plan_segments(12, [], 5, 2)
    SegmentStore(work.path).save(plan[2], [np.full((24, 32, 3), 7, np.uint8)] * 5, [{"worker": "old"}] * 5)
    done, out, reports, segments = run(frames, style, work=workdir(tmp_path / "w"))
    assert done == 12 and [r.resumed for r in reports] == [True] * 5 + [False] * 3 + [True] * 3 + [False]
    assert sorted(i for i, state in segments if state == "submitted") == [1, 3]
    assert all((out[i] == full[i]).all() for i in range(6))   # the reruns reproduce the first run exactly
    assert (out[8] == 7).all() and (out[7] != full[7]).any()  # the kept segment 2 is used, not rerun
    assert not list((tmp_path / "w" / "segments").glob("*.npz"))


def busy_worker(timeout=60.0) -> int:
    """The pid of a Ray worker process running a segment (Ray titles it ray::SegmentWorker.run)."""
    import psutil

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for proc in psutil.process_iter(["pid", "cmdline"]):
            if "ray::SegmentWorker" in " ".join(proc.info["cmdline"] or []):
                return proc.info["pid"]
        time.sleep(0.1)
    raise AssertionError("no Ray worker process found")


def test_a_killed_worker_is_restarted_and_its_segment_retried(local_ray, style):
    frames = shot(10, seed=4, size=(24, 32))
    killed = []

    def kill_once(segment, state):
        if state == "submitted" and not killed:
            pid = busy_worker()
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    done, out, _, _ = run(frames, style, clip={"segment_frames": 4, "overlap": 1}, on_segment=kill_once)
    assert killed and done == 10 and len(out) == 10


def test_every_step_of_every_segment_is_said_in_frame_order(local_ray, style):
    frames = shot(12, seed=5, size=(24, 32))                 # segments (0,5) (3,8) (6,11) (9,12)
    steps = []
    done, _, reports, _ = run(frames, style, on_step=steps.append, step_images=2)
    assert done == 12
    by_segment = [(r.frame, r.step) for r in steps]
    # each segment's frames, in order, each with its cap: 3 steps on a chunk's first frame, 2 after
    expected, firsts = [], []
    for start, stop in ((0, 5), (3, 8), (6, 11), (9, 12)):
        for frame in range(start, stop):
            expected += [(frame, s) for s in range(1, (3 if frame == start else 2) + 1)]
            firsts.append(frame == start)
    assert by_segment == expected
    assert [r.first for r in steps if r.step == 1] == firsts
    # the image travels only where it is asked for (--save-every 2): a CPU tensor of the frame's size
    assert all((r.image is not None) == (r.step % 2 == 0) for r in steps)
    assert all(tuple(r.image.shape[-2:]) == (24, 32) for r in steps if r.image is not None)
    assert [r.steps for r in reports] == [3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]
