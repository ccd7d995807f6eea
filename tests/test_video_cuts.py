"""Scene cuts (PySceneDetect's content detector) as frames stream past: video/cuts.py."""

from __future__ import annotations

import numpy as np

from nst_pipeline.config import ClipConfig
from nst_pipeline.video.cuts import CutDetector, LiveCuts, WatchedSource

from shots import shot


def find_cuts(frames, **options) -> list[int]:
    detector = CutDetector(**options)
    return [i for i, frame in enumerate(frames) if detector.feed(frame)]


def test_a_hard_cut_is_found_and_a_pan_is_not():
    frames = shot(10, seed=1) + shot(10, seed=2)
    assert find_cuts(frames) == [10]
    assert find_cuts(shot(20, seed=3)) == []


def test_flashes_shorter_than_the_minimum_shot_are_not_cuts():
    a, b = shot(12, seed=1), shot(3, seed=2)
    assert find_cuts(a + b + a, min_shot=8) == [12]


def test_detector_takes_frames_one_at_a_time():
    det = CutDetector()
    flags = [det.feed(f) for f in shot(9, seed=4) + shot(9, seed=5)]
    assert flags.index(True) == 9 and sum(flags) == 1


def test_live_cuts_follow_the_selected_frames():
    class Source:
        fps = 12.0

        def __iter__(self):
            return iter(shot(20, seed=1) + shot(20, seed=2))   # cut at input frame 20

    cuts = LiveCuts(ClipConfig(start=2, every=2))
    watched = WatchedSource(Source(), cuts)
    assert watched.fps == 12.0
    seen = []
    for frame in ClipConfig(start=2, every=2).select(watched):
        seen.append(frame)
        assert (9 in cuts) == (len(seen) > 9)   # known as soon as its frame was read
    assert list(cuts) == [9] and len(cuts) == 1   # input frame 20 = selected frame (20 - 2) / 2


def brightness_cut(n: int = 20, at: int = 10) -> list:
    """One panning shot whose light drops to 40% at frame ``at`` (a cut a video file shows too)."""
    frames = shot(n, seed=1)
    return frames[:at] + [(f.astype(np.float32) * 0.4).astype(np.uint8) for f in frames[at:]]


def test_a_brightness_cut_is_found_in_an_image_folder(tmp_path):
    # folder frames are float in [0, 1]: fed as they were, PySceneDetect (which expects 8-bit)
    # scored this cut 5.7 instead of 31 and missed it, and Ray's segments are cut where it says
    from PIL import Image

    from nst_pipeline.scale.segments import Segmenter
    from nst_pipeline.sources.folder import ImageFolderSource

    frames = brightness_cut()
    for i, frame in enumerate(frames):
        Image.fromarray(frame).save(tmp_path / f"f{i:03d}.png")
    from_folder = list(ImageFolderSource(str(tmp_path)))
    assert from_folder[0].dtype != np.uint8   # the case of the bug: the source gives floats
    assert find_cuts(frames) == find_cuts(from_folder) == [10]
    split = Segmenter(segment_frames=50, overlap=0)
    assert len(list(split.split(from_folder))) == 2 and split.cuts == [10]
