"""Optical flow, warping and the forward-backward occlusion check."""

from __future__ import annotations

import numpy as np
from test_video_helpers import moving_frames

from nst_pipeline.video.flow import FlowEstimator, confidence, disocclusion, frame_pair, motion_boundary, warp


def test_warp_follows_a_hand_made_flow():
    img = np.arange(20 * 30, dtype=np.float32).reshape(20, 30)
    flow = np.zeros((20, 30, 2), np.float32)
    flow[..., 0], flow[..., 1] = 3, -2          # out[p] = img[p + (3, -2)]
    out = warp(img, flow)
    assert np.array_equal(out[2:, :-3], img[:-2, 3:])


def test_dis_flow_recovers_a_shift_and_warp_aligns_the_frames():
    prev, cur = moving_frames(2, size=(64, 48), step=3)   # the texture moves 3 px left
    pair = frame_pair(FlowEstimator(), prev, cur)
    inner = (slice(8, -8), slice(8, -8))
    assert abs(np.median(pair.forward[inner][..., 0]) + 3) < 0.3
    assert abs(np.median(pair.backward[inner][..., 0]) - 3) < 0.3
    assert abs(np.median(pair.forward[inner][..., 1])) < 0.3
    prev_f, cur_f = prev.astype(np.float32) / 255, cur.astype(np.float32) / 255
    aligned = pair.warp_previous(prev_f)
    before = np.mean((prev_f - cur_f)[inner] ** 2)
    after = np.mean((aligned - cur_f)[inner] ** 2)
    assert after < before / 20
    # a global translation occludes nothing inside the frame: only the strip that entered it
    assert pair.mask[inner].mean() > 0.95
    assert pair.mask[:, -2:].mean() < 0.5      # new content at the right edge has no past


def square_scene(h=40, w=60, x0=20, y0=12, side=14, dx=5):
    """Analytic flows of a square sliding right by dx over a static background."""
    forward = np.zeros((h, w, 2), np.float32)   # frame t-1 -> t
    backward = np.zeros((h, w, 2), np.float32)  # frame t -> t-1
    forward[y0:y0 + side, x0:x0 + side, 0] = dx
    backward[y0:y0 + side, x0 + dx:x0 + dx + side, 0] = -dx
    return forward, backward


def test_forward_backward_check_marks_the_uncovered_strip():
    forward, backward = square_scene()
    occluded = disocclusion(forward, backward)
    # behind the square (x in [20, 25)) the background reappears: it was hidden in t-1
    assert occluded[12:26, 20:25].all()
    assert not occluded[:8].any() and not occluded[:, :15].any()   # static background
    assert not occluded[14:24, 27:32].any()                        # inside the moving square
    # motion boundaries: the square's edges, not its inside, not the background
    edges = motion_boundary(backward)
    assert edges[12:26, 24:26].any() and edges[12:26, 38:40].any()
    assert not edges[16:22, 29:35].any() and not edges[:8].any()
    mask = confidence(forward, backward)
    assert mask.dtype == np.float32 and set(np.unique(mask)) <= {0.0, 1.0}
    assert mask[12:26, 20:25].max() == 0 and mask[:8].min() == 1


def test_check_thresholds_follow_ruder_et_al():
    # |w~ + w^|^2 > 0.01 (|w~|^2 + |w^|^2) + 0.5 on a uniform field with a 0.8 px mismatch
    forward = np.full((10, 10, 2), 0.0, np.float32)
    backward = np.zeros_like(forward)
    forward[..., 0], backward[..., 0] = 10.0, -9.2    # gap 0.64 <= 0.01*(100+84.64)+0.5 = 2.35
    assert not disocclusion(forward, backward)[3:7, 3:7].any()
    backward[..., 0] = -8.0                            # gap 4.0 > 0.01*(100+64)+0.5 = 2.14
    assert disocclusion(forward, backward)[3:7, 3:7].all()
