"""The one run path (nst_pipeline.pipeline): budgets, warm starts, cuts, resume."""

from __future__ import annotations

import numpy as np
import pytest
from test_video_helpers import single_thread  # noqa: F401  (fixture)
from test_video_helpers import moving_frames

from nst_pipeline.methods.build import build_method
from nst_pipeline.config import make_clip, make_config
from nst_pipeline.errors import ConfigError, InputError
from nst_pipeline.pipeline import LocalFrames, run, stylize_frames
from nst_pipeline.sinks.image import MemorySink
from nst_pipeline.sources.base import FrameSource
from nst_pipeline.video.flow import FlowEstimator, frame_pair
from nst_pipeline.video.workdir import WorkDir

pytestmark = pytest.mark.usefixtures("single_thread")


class Frames(FrameSource):
    def __init__(self, frames):
        self.frames, self.frame_count = frames, len(frames)

    def __iter__(self):
        return iter(self.frames)



def run_local(source, sink, method, clip, *, cuts=frozenset(), on_step=None, **kwargs) -> int:
    """The run loop with the in-process producer (what ``nst video`` with one worker does)."""
    return run(source, sink, clip, LocalFrames(method, clip, cuts, on_step), **kwargs)

def method(registry, style, **options):
    config = make_config(styles=(style,), size=32, backbone="tiny", device="cpu", seed=0, **options)
    return build_method(config, registry, video=True)


@pytest.fixture
def style(make_image):
    return make_image("style.png", size=(40, 40), seed=3)


def test_first_frame_gets_the_full_budget_later_frames_their_own(registry, style):
    frames = moving_frames(4, size=(32, 24))
    steps, reports, sink = {}, [], MemorySink()
    done = run_local(Frames(frames), sink, method(registry, style, temporal_weight=1e3), make_clip(first_steps=5, steps=2),
               on_step=lambda r: steps.__setitem__(r.frame, r.step), on_frame=reports.append)
    assert done == 4 and steps == {0: 5, 1: 2, 2: 2, 3: 2}
    assert [r.index for r in reports] == [0, 1, 2, 3] and reports[0].trusted is None and reports[0].first
    assert all(0.5 < r.trusted <= 1 for r in reports[1:])   # a pan: most pixels have a past
    assert all("temporal" in r.terms for r in reports)
    assert [f.shape for f in sink.kept] == [(24, 32, 3)] * 4


def test_warm_start_modes_with_zero_steps_show_where_each_frame_starts(registry, style):
    frames = moving_frames(3, size=(32, 24), step=3)
    outs = {}
    for mode in ("prev", "prev-warped", "content"):
        sink = MemorySink()
        run_local(Frames(frames), sink, method(registry, style), make_clip(first_steps=3, steps=0, warm_start=mode))
        outs[mode] = sink.kept
    first = outs["prev"][0]
    assert all(np.array_equal(outs[k][0], first) for k in outs)    # one shared first frame
    assert np.array_equal(outs["prev"][1], first)                  # prev: the last result as is
    assert np.array_equal(outs["content"][1], frames[1])           # content: the frame itself
    pair = frame_pair(FlowEstimator(), frames[0], frames[1])
    warped = pair.warp_previous(first.astype(np.float32) / 255)
    # pixels with no predecessor (the strip that entered the frame) start from the frame itself (issue 14)
    warped = np.where(pair.fresh[..., None] > 0, frames[1].astype(np.float32) / 255, warped)
    assert pair.fresh[:, -3:].mean() > 0.9 and pair.fresh[:, :16].max() == 0
    assert np.abs(outs["prev-warped"][1] / 255 - warped).max() <= 1 / 255 + 1e-6


@pytest.mark.parametrize("first_init", ["noise", "image"])
def test_first_frame_start_never_leaks_into_later_frames(registry, style, make_image, first_init):
    # the bug of issue 8: --first-init noise|PATH --init content started every later frame from it
    start = "noise" if first_init == "noise" else str(make_image("start.png", size=(32, 24), seed=9))
    frames = moving_frames(3, size=(32, 24))
    sink = MemorySink()
    run_local(Frames(frames), sink, method(registry, style), make_clip(first_steps=0, steps=0, warm_start="content",
                                                               first_init=start))
    assert np.abs(sink.kept[0].astype(int) - frames[0]).mean() > 20     # frame 1 starts from noise / the image
    for out, frame in zip(sink.kept[1:], frames[1:], strict=True):
        assert np.array_equal(out, frame)                              # later frames from their content


def test_a_cut_gets_the_first_frame_treatment(registry, style):
    frames = moving_frames(4, size=(32, 24))
    steps, reports = {}, []
    run_local(Frames(frames), MemorySink(), method(registry, style), make_clip(first_steps=4, steps=1), cuts={2},
        on_step=lambda r: steps.__setitem__((r.frame, r.level), r.step), on_frame=reports.append)
    assert [r.first for r in reports] == [True, False, True, False]
    assert steps[(2, 0)] == 4 and steps[(1, 0)] == 1
    assert reports[2].trusted is None


def test_stylize_frames_continues_a_clip_from_given_previous(registry, style):
    frames = moving_frames(4, size=(32, 24))
    m, clip = method(registry, style), make_clip(first_steps=3, steps=2)
    whole = [r for r, _ in stylize_frames(m, frames, clip)]
    tail = [r for r, _ in stylize_frames(method(registry, style), frames[2:], clip, first_index=2,
                                         previous=(frames[1], whole[1]))]
    assert len(tail) == 2
    for a, b in zip(whole[2:], tail, strict=True):
        assert np.array_equal(a, b)


def test_selection_start_every_max_frames():
    clip = make_clip(start=2, every=3, max_frames=3)
    assert list(clip.select(range(20))) == [2, 5, 8] and clip.source_index(2) == 8
    assert clip.total(20) == 3 and make_clip(start=2, every=3).total(10) == 3
    assert make_clip().total(None) is None


def test_start_past_the_end_names_start_and_the_clip_length(registry, style):
    with pytest.raises(InputError, match=r"--start 50 .* 4 frames"):
        run_local(Frames(moving_frames(4, size=(32, 24))), MemorySink(), method(registry, style), make_clip(start=50))


class Kill(Exception):
    pass


def test_resume_after_a_kill_gives_the_same_frames(registry, style, tmp_path):
    frames = moving_frames(5, size=(32, 24))
    clip = make_clip(first_steps=4, steps=3)
    settings = {"job": "test", **clip.resume_key()}

    whole = MemorySink()
    run_local(Frames(frames), whole, method(registry, style, temporal_weight=1e3), clip,
        workdir=WorkDir.open(tmp_path / "a", settings, False))

    work = WorkDir.open(tmp_path / "b", settings, False)

    def kill_in_frame_3(report):
        if report.frame == 3:
            raise Kill  # like a kill -9 in the middle of the fourth frame

    with pytest.raises(Kill):
        run_local(Frames(frames), MemorySink(), method(registry, style, temporal_weight=1e3), clip, workdir=work,
            on_step=kill_in_frame_3)
    assert work.done() == 3 and not list(work.frames_dir.glob(".*"))   # the frame in flight left no file

    with pytest.raises(ConfigError, match="--resume"):
        WorkDir.open(tmp_path / "b", settings, resume=False)
    with pytest.raises(ConfigError, match="other settings.*steps: 3 -> 4"):
        WorkDir.open(tmp_path / "b", {**settings, "steps": 4}, resume=True)

    resumed, reports = MemorySink(), []
    work = WorkDir.open(tmp_path / "b", settings, resume=True)
    run_local(Frames(frames), resumed, method(registry, style, temporal_weight=1e3), clip, workdir=work,
        on_frame=reports.append)
    assert [r.resumed for r in reports] == [True, True, True, False, False]
    for a, b in zip(whole.kept, resumed.kept, strict=True):
        assert np.array_equal(a, b)
    assert [r["frame"] for r in work.records] == [0, 1, 2, 3, 4]
