"""A shot's reference frame and where its first frame starts, with one worker; what a
--resume must match besides the options (issue 19.3, 19.4, 19.7)."""

from __future__ import annotations

import numpy as np
import pytest
from test_run import Frames, Kill, method, run_local
from test_video_helpers import single_thread  # noqa: F401  (fixture)
from test_video_helpers import moving_frames

from nst_pipeline.config import make_clip, make_config
from nst_pipeline.errors import ConfigError
from nst_pipeline.methods.build import build_method
from nst_pipeline.sinks.image import MemorySink
from nst_pipeline.video.workdir import WorkDir

pytestmark = pytest.mark.usefixtures("single_thread")


@pytest.fixture
def style(make_image):
    return make_image("style.png", size=(40, 40), seed=3)


# --- one reference frame per shot: a resumed run is the run it continues -----------------------

def two_shots():
    """Two panning shots of different light: the cut is frame 4 (given as ``cuts``)."""
    dark = [(f * 0.5).astype(np.uint8) for f in moving_frames(4, size=(32, 24), seed=5)]
    return moving_frames(4, size=(32, 24)) + dark


SHOT_OPTIONS = {
    "original colors": {"original_colors": True},
    "fast strength": {"method": "fast", "method_options": ("strength=0.3",)},
}


def shot_method(registry, style, options):
    """gatys on the tiny backbone; the fast method (ONNX, cached models only) with none of gatys' options."""
    if options.get("method") != "fast":
        return method(registry, style, **options)
    pytest.importorskip("onnxruntime")
    from test_fast import _cached_models

    _cached_models()
    return build_method(make_config(styles=(style,), size=32, device="cpu", **options), registry, video=True)


@pytest.mark.parametrize("options", SHOT_OPTIONS.values(), ids=SHOT_OPTIONS)
@pytest.mark.parametrize("stopped_after", [2, 5])   # in the first shot; in the second
def test_resume_with_a_per_shot_reference_gives_the_same_frames(registry, style, tmp_path, options, stopped_after):
    # the style's luminance (--original-colors) and the content's own embedding (fast, strength
    # < 1) were taken from the first frame *this process* stylized: resumed frames differed
    frames, clip = two_shots(), make_clip(first_steps=3, steps=2)
    whole = MemorySink()
    run_local(Frames(frames), whole, shot_method(registry, style, options), clip, cuts={4})

    def stop(report):
        if report.index == stopped_after:
            raise Kill

    work = WorkDir.open(tmp_path / "w", {"job": "test"}, False)
    with pytest.raises(Kill):
        run_local(Frames(frames), MemorySink(), shot_method(registry, style, options), clip, cuts={4}, workdir=work,
                  on_frame=stop)
    resumed = MemorySink()
    run_local(Frames(frames), resumed, shot_method(registry, style, options), clip, cuts={4},
              workdir=WorkDir.open(tmp_path / "w", {"job": "test"}, True))
    assert len(resumed.kept) == len(frames)
    for i, (a, b) in enumerate(zip(whole.kept, resumed.kept, strict=True)):
        assert np.array_equal(a, b), f"frame {i}: off by {np.abs(a.astype(int) - b).max()}"


@pytest.mark.parametrize("first_init", ["noise", "image"])
def test_first_init_starts_the_clip_only_not_a_later_shot(registry, style, make_image, first_init):
    # --first-init is the clip's first frame's start; a cut (like a Ray chunk) starts from its content
    start = "noise" if first_init == "noise" else str(make_image("start.png", size=(32, 24), seed=9))
    frames = two_shots()
    sink = MemorySink()
    run_local(Frames(frames), sink, method(registry, style), make_clip(first_steps=0, steps=0, warm_start="content",
                                                                       first_init=start), cuts={4})
    assert np.abs(sink.kept[0].astype(int) - frames[0]).mean() > 20
    assert np.array_equal(sink.kept[4], frames[4])


# --- what a --resume must match besides the options (issue 19.7, 19.3-4) ---------------------

def test_resume_refuses_switching_between_one_worker_and_ray_segments(registry, style, tmp_path):
    # one worker makes a shot as one warm chain; Ray as cold chunks cross-faded: a resume that
    # switched was accepted and jumped where it picked up
    from types import SimpleNamespace

    from PIL import Image

    from nst_pipeline.clips import resume_settings, stylize_clip

    folder = tmp_path / "in"
    folder.mkdir()
    for i, frame in enumerate(moving_frames(3, size=(32, 24))):
        Image.fromarray(frame).save(folder / f"{i}.png")
    config = make_config(styles=(style,), size=32, backbone="tiny", device="cpu", seed=0)
    out = str(tmp_path / "out") + "/"
    stylize_clip(str(folder), out, config, make_clip(first_steps=1, steps=1), registry=registry, keep_work=True)
    with pytest.raises(ConfigError, match=r"other settings \(--workers: '1 \(in this process\)' -> '2 or more, "
                                          r"or --ray-address \(Ray segments\)'\)\. Rerun with the original options"):
        stylize_clip(str(folder), out, config, make_clip(first_steps=1, steps=1, workers=2), registry=registry,
                     resume=True)
    # any number of Ray workers cut the same segments and anchor them alike: that may change
    plain = SimpleNamespace(uses_reference=False)
    ray_runs = [resume_settings(config, make_clip(**c), plain, str(folder))
                for c in ({"workers": 2}, {"workers": 5}, {"ray_address": "auto"})]
    assert ray_runs[0] == ray_runs[1] == ray_runs[2] != resume_settings(config, make_clip(), plain, str(folder))


def test_the_work_folder_records_the_reference_when_the_method_uses_one(registry, style):
    from nst_pipeline.clips import resume_settings

    with method(registry, style) as plain, method(registry, style, original_colors=True) as colors:
        assert not plain.uses_reference and colors.uses_reference
        assert "reference" not in resume_settings(plain.job.config, make_clip(), plain, "in")
        said = resume_settings(colors.job.config, make_clip(), colors, "in")
    assert said["reference"] == "the first frame of each shot"
