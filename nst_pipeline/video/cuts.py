"""Scene cuts as frames stream past (PySceneDetect's content detector).

:class:`CutDetector` scores each frame against the one before (HSV and edge change);
:class:`LiveCuts` watches the frames a one-worker run reads, and the Ray driver's
segmenter (:mod:`nst_pipeline.scale.segments`) cuts its segments with the same detector.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from ..frames import to_u8

#: PySceneDetect's default threshold for the content detector (mean HSV/edge change, 0-255)
CUT_THRESHOLD = 27.0
#: shorter shots than this are not split off (a flash or a fast pan is not a cut); at 24 fps, 1/3 s
MIN_SHOT_FRAMES = 8


class CutDetector:
    """Scene cuts on in-memory RGB frames, one frame at a time (PySceneDetect ``ContentDetector``)."""

    def __init__(self, threshold: float = CUT_THRESHOLD, min_shot: int = MIN_SHOT_FRAMES, fps: float = 24.0) -> None:
        import cv2
        from scenedetect import FrameTimecode
        from scenedetect.detectors import ContentDetector

        try:  # SUPPRESS reports a cut on the frame it happens; MERGE may report it frames later
            from scenedetect.detector import FlashFilter
        except ImportError:  # 0.6.x
            from scenedetect.scene_detector import FlashFilter
        self._cv2, self._timecode, self.fps = cv2, FrameTimecode, fps
        self._detector = ContentDetector(threshold=threshold, min_scene_len=min_shot,
                                         filter_mode=FlashFilter.Mode.SUPPRESS)
        self._next = 0

    def feed(self, frame: np.ndarray) -> bool:
        """True when ``frame`` (the next one, HxWx3 RGB, uint8 or float in [0, 1]) is the first frame
        of a new shot."""
        # PySceneDetect's scores are on the 8-bit scale: a float frame (image folders) gave a
        # brightness cut a sixth of its score, and the cut was missed
        bgr = self._cv2.cvtColor(np.ascontiguousarray(to_u8(frame)), self._cv2.COLOR_RGB2BGR)
        index, self._next = self._next, self._next + 1
        found = self._detector.process_frame(self._timecode(index, self.fps), bgr)
        return any(int(getattr(tc, "frame_num", tc)) == index for tc in found)


class LiveCuts:
    """The cuts of a clip found while its frames stream past, for the one-worker run.

    Wrap the source's frames with :meth:`watch`; ``index in cuts`` then answers for
    every selected frame already read, so :func:`nst_pipeline.pipeline.run` can give a
    shot's first frame the first-frame treatment without reading the clip twice.
    """

    def __init__(self, clip, detector: CutDetector | None = None) -> None:
        self.clip, self.detector, self.found = clip, detector or CutDetector(), set()
        self._selected = 0

    def watch(self, frames: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
        for number, frame in enumerate(frames):
            offset = number - self.clip.start
            if offset >= 0 and offset % self.clip.every == 0:   # a frame the run will stylize
                if self.detector.feed(frame) and self._selected > 0:
                    self.found.add(self._selected)
                self._selected += 1
            yield frame

    def __contains__(self, index: object) -> bool:
        return index in self.found

    def __iter__(self) -> Iterator[int]:
        return iter(sorted(self.found))

    def __len__(self) -> int:
        return len(self.found)


class WatchedSource:
    """A frame source whose frames pass a :class:`LiveCuts` on the way (other attributes pass through)."""

    def __init__(self, source, cuts: LiveCuts) -> None:
        self._source, self.cuts = source, cuts

    def __iter__(self) -> Iterator[np.ndarray]:
        return self.cuts.watch(iter(self._source))

    def __getattr__(self, name: str):
        return getattr(self._source, name)
