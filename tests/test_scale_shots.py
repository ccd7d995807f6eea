"""Ray segments and shots: what a chunk starts from and what it is anchored to, whichever
worker runs it and after whatever (issue 19.3, 19.4, 19.7). A local cluster of two workers
serves the module, as in test_scale_ray."""

from __future__ import annotations

import sys

import numpy as np
import pytest

ray = pytest.importorskip("ray")

from nst_pipeline.pipeline import run as run_loop  # noqa: E402
from nst_pipeline.sinks.image import MemorySink  # noqa: E402

from shots import shot  # noqa: E402
from test_scale_ray import ListSource, configs, run, tiny_registry, workdir  # noqa: E402


@pytest.fixture(scope="module")
def local_ray():
    from ray import cloudpickle

    # the workers cannot import the tests folder: ship the test helpers by value
    for name in ("conftest", "test_scale_ray", __name__):
        cloudpickle.register_pickle_by_value(sys.modules[name])
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


@pytest.fixture
def style(make_image):
    return make_image("style.png", size=(32, 32), seed=7)


# --- what a chunk starts from and what it is anchored to (issue 19.3, 19.4, 19.7) -----------

def test_first_init_starts_the_clip_only_not_every_chunk(local_ray, style):
    # 0 steps: each frame is its start. Chunks (0,5) (3,8) (6,9): frames 3 and 6 start chunks cold
    frames = shot(9, seed=6, size=(24, 32))
    _, out, _, _ = run(frames, style, clip={"first_init": "noise", "first_steps": 0, "steps": 0,
                                            "warm_start": "content"})
    assert np.abs(out[0].astype(int) - frames[0]).mean() > 20    # the clip's first frame: noise
    for i in range(1, 9):
        assert np.array_equal(out[i], frames[i]), f"frame {i}"    # a chunk's cold start: its content


SHOT_OPTIONS = {
    "original colors": {"original_colors": True},
    "fast strength": {"method": "fast", "method_options": ("strength=0.3",), "backbone": "vgg19", "levels": None},
}


def segment_workers(config, clip, n: int = 2):
    """``n`` segment workers of the pool, each addressed on its own."""
    from nst_pipeline.scale.executor import SegmentWorker, _Setup, pack_files

    remote = ray.remote(num_cpus=1)(SegmentWorker)
    return [remote.remote(config, clip, _Setup(pack_files(config, clip), tiny_registry, 1)) for _ in range(n)]


@pytest.mark.parametrize("options", SHOT_OPTIONS.values(), ids=SHOT_OPTIONS)
def test_a_segments_pixels_do_not_depend_on_what_its_worker_ran_before(local_ray, style, options):
    # the reference (style luminance, the content's own embedding) was the first frame each
    # worker stylized, so a segment's pixels depended on which segment its worker ran first
    if options.get("method") == "fast":
        from test_fast import _cached_models

        _cached_models()
    from nst_pipeline.scale.segments import plan_segments

    config, clip = configs(style, options)
    frames = shot(12, seed=8, size=(24, 32))
    segs = plan_segments(12, [], 5, 2)                       # (0,5) (3,8) (6,11) (9,12): one shot
    a, b = segment_workers(config, clip)

    def on(worker, seg):
        return worker.run.remote(seg, frames[seg.start:seg.stop], frames[seg.shot])

    later_first = ray.get([on(a, segs[2]), on(a, segs[0])])     # worker a: the later chunk first
    in_order = ray.get([on(b, segs[0]), on(b, segs[2])])
    for (index, x, _), (_, y, _) in zip(later_first, reversed(in_order), strict=True):
        for i, (p, q) in enumerate(zip(x, y, strict=True)):
            assert np.array_equal(p, q), f"segment {index} frame {i}: off by {np.abs(p.astype(int) - q).max()}"


def test_resume_with_original_colors_on_ray_gives_the_same_frames(local_ray, style, tmp_path):
    frames = shot(12, seed=9, size=(24, 32))
    colors = {"original_colors": True}
    full = run(frames, style, clip={"overlap": 1}, options=colors)[1]
    work = workdir(tmp_path / "w")
    run(frames, style, work=work, clip={"overlap": 1}, options=colors)
    for i in range(6, 12):
        work.frame_path(i).unlink()      # stopped after 6 frames: the rest run on fresh workers
    _, out, reports, _ = run(frames, style, work=workdir(tmp_path / "w"), clip={"overlap": 1}, options=colors)
    assert [r.resumed for r in reports] == [True] * 6 + [False] * 6
    for i, (p, q) in enumerate(zip(full, out, strict=True)):
        assert np.array_equal(p, q), f"frame {i}: off by {np.abs(p.astype(int) - q).max()}"


def test_fast_without_blend_on_ray_is_the_one_worker_run(local_ray, style):
    # no flow blend: a frame is the painting of its content with its shot's embedding, so every
    # chunk (and every cross-fade of two equal frames) must give the one-worker frames; each
    # chunk took the content's own embedding on its own first frame
    from test_fast import _cached_models

    _cached_models()
    from nst_pipeline.methods.build import build_method
    from nst_pipeline.pipeline import LocalFrames

    options = {"method": "fast", "method_options": ("strength=0.3", "blend=0"), "backbone": "vgg19", "levels": None}
    frames = shot(9, seed=10, size=(24, 32)) + [(f * 0.5).astype(np.uint8) for f in shot(6, seed=11, size=(24, 32))]
    done, out, reports, _ = run(frames, style, options=options)
    config, clip = configs(style, options)
    one, sink = clip.model_copy(update={"workers": 1}), MemorySink()
    with build_method(config, tiny_registry(), video=True) as method:
        run_loop(ListSource(frames), sink, one, LocalFrames(method, one, cuts={9}))
    assert done == 15 and [r.index for r in reports if r.first] == [0, 9]   # the cut (chunk starts are cross-faded)
    assert any(r.seam is not None for r in reports)
    for i, (p, q) in enumerate(zip(out, sink.kept, strict=True)):
        assert np.array_equal(p, q), f"frame {i}: off by {np.abs(p.astype(int) - q).max()}"
