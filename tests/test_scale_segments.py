"""Segmentation: scene cuts (PySceneDetect), chunks with overlap, cross-fade, in-order stitching."""

from __future__ import annotations

import numpy as np
import pytest

from nst_pipeline.errors import ConfigError
from nst_pipeline.scale.crossfade import Stitcher, blend, ramp
from nst_pipeline.scale.segments import Segment, Segmenter, plan_segments

from shots import shot


def test_a_long_shot_becomes_overlapping_chunks():
    segs = plan_segments(25, [], segment_frames=10, overlap=3)
    assert [(s.start, s.stop, s.overlap) for s in segs] == [(0, 10, 0), (7, 17, 3), (14, 24, 3), (21, 25, 3)]
    assert all(len(s) <= 10 for s in segs)
    # a shot ending exactly where the overlap would begin makes no chunk of old frames
    assert [(s.start, s.stop) for s in plan_segments(17, [], 10, 3)] == [(0, 10), (7, 17)]


def test_chunks_restart_at_every_cut_with_no_overlap():
    segs = plan_segments(30, [12, 26], segment_frames=8, overlap=2)
    assert [(s.start, s.stop, s.overlap) for s in segs] == [
        (0, 8, 0), (6, 12, 2), (12, 20, 0), (18, 26, 2), (26, 30, 0)]
    assert [s.index for s in segs] == list(range(5))
    assert [s.shot_start for s in segs] == [True, False, True, False, True]
    assert [s.shot for s in segs] == [0, 0, 12, 12, 26]


def test_every_chunk_knows_its_shot_even_without_overlap():
    # the shot's first frame is each chunk's reference: with --overlap 0 a chunk that starts
    # mid-shot shares no frame, yet it belongs to the shot (it was taken for a shot start)
    frames = shot(13, seed=1) + shot(9, seed=2)
    split = Segmenter(segment_frames=5, overlap=0)
    got = [s for s, _ in split.split(frames)]
    assert got == plan_segments(22, [13], 5, 0)
    assert [(s.start, s.shot, s.shot_start) for s in got] == [
        (0, 0, True), (5, 0, False), (10, 0, False), (13, 13, True), (18, 13, False)]


@pytest.mark.parametrize("size,overlap", [(1, 0), (8, 8), (8, -1)])
def test_bad_chunking_is_a_user_error(size, overlap):
    from nst_pipeline.config import make_clip

    with pytest.raises(ConfigError, match="--segment-frames|--overlap"):
        make_clip(segment_frames=size, overlap=overlap)
    with pytest.raises(ValueError):   # and the API below the options refuses it too
        plan_segments(10, [], size, overlap)


def test_an_overlap_over_half_a_chunk_is_refused():
    # the stitcher cross-fades two neighbouring chunks; with overlap > segment_frames / 2 a frame
    # lies in three chunks, and the mix jumped where the first of them ended (issue 19.7)
    from nst_pipeline.config import make_clip

    with pytest.raises(ConfigError, match=r"^invalid options: --overlap \(6\) must be at most half of --segment-frames \(10\)"):
        make_clip(segment_frames=10, overlap=6)
    with pytest.raises(ValueError):
        plan_segments(30, [], 10, 6)
    assert make_clip(segment_frames=10, overlap=5).overlap == 5
    for size, overlap in ((10, 5), (9, 4), (2, 1), (7, 0)):   # every allowed chunking: two chunks at most
        segs = plan_segments(41, [17], size, overlap)
        assert max(sum(s.start <= t < s.stop for s in segs) for t in range(41)) <= (2 if overlap else 1)


def test_streaming_segmenter_matches_the_plan_and_hands_out_the_right_frames():
    frames = shot(13, seed=1) + shot(9, seed=2)
    split = Segmenter(segment_frames=6, overlap=2)
    got = list(split.split(frames))
    assert split.cuts == [13]
    assert [s for s, _ in got] == plan_segments(len(frames), [13], 6, 2)
    for seg, chunk in got:
        assert len(chunk) == len(seg)
        assert all(a is b for a, b in zip(chunk, frames[seg.start:seg.stop], strict=True))


def test_ramp_weights():
    assert np.allclose(ramp(3), [0.25, 0.5, 0.75])
    assert np.allclose(ramp(1), [0.5])
    assert ramp(0).size == 0
    w = ramp(8)
    assert np.all(np.diff(w) > 0) and 0 < w[0] and w[-1] < 1 and np.allclose(w + w[::-1], 1)


def test_blend_is_the_weighted_mean_rounded():
    a = np.full((2, 2, 3), 10, np.uint8)
    b = np.full((2, 2, 3), 20, np.uint8)
    assert (blend(a, b, 0.25) == 13).all()   # 12.5 rounds up
    assert (blend(a, b, 0.0) == a).all() and (blend(a, b, 1.0) == b).all()
    f = blend(a.astype(np.float32) / 255, b.astype(np.float32) / 255, 0.5)
    assert f.dtype == np.float32 and np.allclose(f, 15 / 255)
    with pytest.raises(ValueError):
        blend(a, b[:1], 0.5)


def _const(value, n, h=2):
    return [np.full((h, h, 3), value, np.uint8) for _ in range(n)]


def test_stitcher_crossfades_overlaps_in_order_and_never_across_a_cut():
    segs = plan_segments(12, [8], segment_frames=5, overlap=2)   # (0,5) (3,8) | (8,12)
    st = Stitcher(overlap=2)
    for s in segs:
        st.plan(s)
    st.end()
    values = {0: 0, 1: 90, 2: 200}
    # results come back out of order: nothing is final until segment 0 is back
    for i in (2, 1):
        st.add(i, _const(values[i], len(segs[i])), [{"i": i}] * len(segs[i]))
    assert list(st.ready()) == []
    st.add(0, _const(0, 5), [{"i": 0}] * 5)
    out = list(st.ready())
    assert [o.index for o in out] == list(range(12))
    got = [int(o.frame[0, 0, 0]) for o in out]
    assert got == [0, 0, 0, 30, 60, 90, 90, 90, 200, 200, 200, 200]   # ramp 1/3, 2/3 over frames 3, 4
    assert [o.seam for o in out][3:5] == pytest.approx([1 / 3, 2 / 3])
    assert [o.segment for o in out] == [0] * 5 + [1] * 3 + [2] * 4
    assert all(o.seam is None for o in out[5:])   # nothing blended at the cut (frame 8)
    assert st.pending() == 0


def test_stitcher_waits_for_the_next_chunk_before_finishing_a_tail():
    st = Stitcher(overlap=2)
    first = Segment(0, 0, 5)
    st.plan(first)
    st.add(0, _const(0, 5), [{}] * 5)
    assert [o.index for o in st.ready()] == [0, 1, 2]   # 3 and 4 may be shared
    st.plan(Segment(1, 3, 7, overlap=2))
    assert list(st.ready()) == []
    st.add(1, _const(30, 4), [{}] * 4)
    st.end()
    assert [int(o.frame[0, 0, 0]) for o in st.ready()] == [10, 20, 30, 30]


def test_stitcher_resumes_from_a_frame():
    st = Stitcher(overlap=2, first_frame=6)
    for s in plan_segments(10, [], 5, 2):   # (0,5) (3,8) (6,10)
        st.plan(s)
    st.end()
    st.add(1, _const(10, 5), [{}] * 5)
    st.add(2, _const(40, 4), [{}] * 4)
    assert [(o.index, int(o.frame[0, 0, 0])) for o in st.ready()] == [(6, 20), (7, 30), (8, 40), (9, 40)]


def test_clip_options_choose_ray_and_the_one_worker_path_imports_no_ray():
    import subprocess
    import sys

    from nst_pipeline.config import ClipConfig, make_clip

    assert not ClipConfig(workers=1).on_ray and ClipConfig(workers=2).on_ray
    assert ClipConfig(workers=1, ray_address="auto").on_ray
    with pytest.raises(ConfigError, match="--workers"):
        make_clip(workers=0)
    code = ("import sys, nst_pipeline.clips, nst_pipeline.scale.driver, nst_pipeline.scale.segments; "
            "print('ray' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"
