"""The frame loop: step budgets, warm starts, and resuming a killed job."""

from __future__ import annotations

import numpy as np
import pytest
from test_video_helpers import single_thread  # noqa: F401  (fixture)
from test_video_helpers import moving_frames

from nst_pipeline.config import make_config
from nst_pipeline.errors import ConfigError
from nst_pipeline.job import build_job
from nst_pipeline.sinks.base import FrameSink
from nst_pipeline.stylize import Stylizer
from nst_pipeline.video.flow import FlowEstimator, frame_pair
from nst_pipeline.video.pipeline import FrameLoop, VideoSettings
from nst_pipeline.video.workdir import WorkDir

pytestmark = pytest.mark.usefixtures("single_thread")


class ListSink(FrameSink):
    def __init__(self):
        super().__init__()
        self.kept = []

    def _write(self, frame):
        self.kept.append(frame.copy())


def make_loop(registry, style_path, settings, workdir=None, temporal=None):
    config = make_config(styles=(style_path,), size=32, steps=settings.first_steps, backbone="tiny", device="cpu", seed=0)
    job = build_job(config, registry, extra_terms=[("temporal", settings.temporal_weight if temporal is None else temporal)])
    return FrameLoop(Stylizer(job), settings, workdir)


@pytest.fixture
def style(make_image):
    return make_image("style.png", size=(40, 40), seed=3)


def test_first_frame_gets_the_full_budget_later_frames_their_own(registry, style):
    frames = moving_frames(4, size=(32, 24))
    loop = make_loop(registry, style, VideoSettings(first_steps=5, steps=2, temporal_weight=1e3))
    steps, reports = {}, []
    sink = ListSink()
    assert loop.run(frames, sink, 4, on_step=lambda r: steps.__setitem__(r.frame, r.step), on_frame=reports.append) == 4
    assert steps == {0: 5, 1: 2, 2: 2, 3: 2}
    assert [r.index for r in reports] == [0, 1, 2, 3] and reports[0].trusted is None
    assert all(0.5 < r.trusted <= 1 for r in reports[1:])   # a pan: most pixels have a past
    assert all("temporal" in r.terms for r in reports)
    assert [f.shape for f in sink.kept] == [(24, 32, 3)] * 4


def test_init_modes_with_zero_steps_show_where_each_frame_starts(registry, style):
    frames = moving_frames(3, size=(32, 24), step=3)
    outs = {}
    for init in ("prev", "prev-warped", "content"):
        sink = ListSink()
        make_loop(registry, style, VideoSettings(first_steps=3, steps=0, init=init)).run(frames, sink)
        outs[init] = sink.kept
    first = outs["prev"][0]
    assert all(np.array_equal(outs[k][0], first) for k in outs)    # one shared first frame
    assert np.array_equal(outs["prev"][1], first)                  # prev: the last result as is
    assert np.array_equal(outs["content"][1], frames[1])           # content: the frame itself
    pair = frame_pair(FlowEstimator(), frames[0], frames[1])
    warped = pair.warp_previous(first.astype(np.float32) / 255)
    assert np.abs(outs["prev-warped"][1] / 255 - warped).max() <= 1 / 255 + 1e-6


def test_selection_start_every_max_frames():
    s = VideoSettings(start=2, every=3, max_frames=3)
    assert list(s.select(range(20))) == [2, 5, 8]
    assert s.total(20) == 3 and VideoSettings(start=2, every=3).total(10) == 3
    assert VideoSettings().total(None) is None
    with pytest.raises(ConfigError, match="--init"):
        VideoSettings(init="warped").check()
    with pytest.raises(ConfigError, match="--every"):
        VideoSettings(every=0).check()


class Kill(Exception):
    pass


def test_resume_after_a_kill_gives_the_same_frames(registry, style, tmp_path):
    frames = moving_frames(5, size=(32, 24))
    settings = VideoSettings(first_steps=4, steps=3, temporal_weight=1e3)
    job_settings = {"job": "test", **settings.resume_key()}

    whole = ListSink()
    make_loop(registry, style, settings, WorkDir.open(tmp_path / "a", job_settings, False)).run(frames, whole)

    work = WorkDir.open(tmp_path / "b", job_settings, False)
    killed = make_loop(registry, style, settings, work)

    def kill_in_frame_3(report):
        if report.frame == 3:
            raise Kill  # like Ctrl-C in the middle of the fourth frame

    with pytest.raises(Kill):
        killed.run(frames, ListSink(), on_step=kill_in_frame_3)
    assert work.done() == 3 and not list(work.frames_dir.glob(".*"))   # the frame in flight left no file

    with pytest.raises(ConfigError, match="--resume"):
        WorkDir.open(tmp_path / "b", job_settings, resume=False)
    with pytest.raises(ConfigError, match="other settings.*steps: 3 -> 4"):
        WorkDir.open(tmp_path / "b", {**job_settings, "steps": 4}, resume=True)

    resumed, reports = ListSink(), []
    work = WorkDir.open(tmp_path / "b", job_settings, resume=True)
    make_loop(registry, style, settings, work).run(frames, resumed, on_frame=reports.append)
    assert [r.resumed for r in reports] == [True, True, True, False, False]
    assert len(resumed.kept) == 5
    for a, b in zip(whole.kept, resumed.kept):
        assert np.array_equal(a, b)
    assert [r["frame"] for r in work.records] == [0, 1, 2, 3, 4]
