"""A video file written with PyAV (FFmpeg), each frame at its own time, the source's audio copied in.

Frames are encoded into a hidden temporary file next to the output; ``close()`` then
remuxes that video with the source's audio packets (stream copy, the interval the
frames cover) and renames the result into place. Each frame's presentation time comes
from a :class:`~nst_pipeline.video.timeline.FrameClock` (the input's own times, so a
variable frame rate and an offset between the streams survive); without one, frames
follow each other at ``fps``.
"""

from __future__ import annotations

import math
import os
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from ..errors import OutputError
from ..images import temp_beside
from ..video.timeline import FrameClock, SteadyRate
from .base import FrameSink
from .formats import ENCODERS, VIDEO_SUFFIXES  # noqa: F401  (VIDEO_SUFFIXES re-exported)
from .mux import audio_start, remux

DEFAULT_FPS = 25.0
#: MPEG's 90 kHz clock holds any frame time to 11 us; MPEG-4 Part 2 allows at most 65535 ticks a second
TICKS = {"mpeg4": Fraction(1, 60000)}
TICK = Fraction(1, 90000)
#: AVI has one frame rate for the whole file (a gap is written as empty frames): no own times
CONSTANT_RATE = {".avi"}


def pick_encoder(suffix: str) -> str:
    for name in ENCODERS.get(suffix.lower(), ()):
        if name in av.codecs_available:
            return name
    raise OutputError(f"no video encoder for {suffix!r} files in this FFmpeg build; try .mp4 or .avi")


def _temp_path(final: Path, tag: str) -> Path:
    return temp_beside(final, f"{tag}.")


class VideoFileSink(FrameSink):
    name = "video"

    def __init__(self, path: Path, fps: float | None, audio_from: Path | None = None,
                 clock: FrameClock | None = None) -> None:
        super().__init__()
        self.path = Path(path)
        self.fps = Fraction(fps or DEFAULT_FPS).limit_denominator(1001)
        self.audio_from = audio_from
        self.clock = clock if clock is not None else SteadyRate(float(self.fps))
        self.codec = pick_encoder(self.path.suffix)
        self.own_times = self.path.suffix.lower() not in CONSTANT_RATE
        self.tick = TICKS.get(self.codec, TICK) if self.own_times else 1 / self.fps
        self._origin = 0.0   # the source time that becomes 0 in the output
        self._last_pts = -1
        self._drift = 0.0    # how far a constant rate puts frames from their own times
        self._tmp: Path | None = None
        self._temps: list[Path] = []
        self._container = self._stream = None

    def _open(self, width: int, height: int) -> None:
        self._tmp = self._new_temp("video")
        try:
            self._container = av.open(str(self._tmp), mode="w")
            stream = self._container.add_stream(self.codec, rate=self.fps)
        except av.error.FFmpegError as exc:
            raise OutputError(f"cannot write {self.path}: {exc}") from None
        # 4:2:0 chroma needs even sides; the encoder rescales by at most one pixel
        stream.width, stream.height = width - width % 2 or 2, height - height % 2 or 2
        stream.pix_fmt = "yuv420p"
        stream.codec_context.time_base = stream.time_base = self.tick
        if self.codec == "libx264":
            stream.options = {"crf": "18", "preset": "medium"}
        elif self.codec == "mpeg4":
            stream.bit_rate = 4_000_000
        self._stream = stream
        self._origin = self._origin_for(self.clock.start(0))

    def _origin_for(self, first: float) -> float:
        """Output time 0: the first frame's time, or the audio's start when that is earlier and
        kept (a video stream that starts late keeps its delay against the sound)."""
        if self.audio_from is None or not self.clock.from_first():
            return first
        try:
            sound = audio_start(self.audio_from)
        except (av.error.FFmpegError, ValueError):
            return first  # said at close(), when the audio cannot be copied either
        return first if sound is None else min(first, sound)

    def _stamp(self, video_frame) -> None:
        n = self.frames
        start = self.clock.start(n)
        if self.own_times:
            pts = max(round((start - self._origin) / self.tick), self._last_pts + 1)  # strictly increasing
        else:  # one rate: frame n n ticks after the first (which keeps its offset to the audio)
            pts = n + round((self.clock.start(0) - self._origin) * self.fps)
            self._drift = max(self._drift, abs(start - self.clock.start(0) - n / self.fps))
        video_frame.pts, video_frame.time_base = pts, self.tick
        self._last_pts = pts

    def _video_end(self) -> float:
        """When the last frame stops showing, in output seconds (asked at the end: by then the
        source has corrected its times from the frames it decoded)."""
        after_last = float((self._last_pts + 1) * self.tick)
        if not self.own_times:
            return after_last
        return max(after_last, self.clock.stop(self.frames - 1) - self._origin)

    def _write(self, frame: np.ndarray) -> None:
        if self._container is None:
            self._open(frame.shape[1], frame.shape[0])
        video_frame = av.VideoFrame.from_ndarray(frame, format="rgb24")
        self._stamp(video_frame)
        try:
            self._container.mux(self._stream.encode(video_frame))
        except (av.error.FFmpegError, OSError) as exc:
            raise OutputError(f"cannot write {self.path}: {exc}") from None

    def close(self) -> None:
        if self._container is None:
            raise OutputError(f"no frames to write to {self.path}")
        try:
            self._container.mux(self._stream.encode(None))  # flush delayed frames
            self._container.close()
            self._container = None
            final = self._finished(self._tmp)
            if self._drift > 0.5 / float(self.fps):
                self.notes.append(f"{self.path.suffix} holds one constant frame rate: the input's own frame times "
                                  "are not kept (write .mp4, .mkv or .mov to keep them)")
            os.replace(final, self.path)
        except (av.error.FFmpegError, OSError) as exc:
            raise OutputError(f"cannot write {self.path}: {exc}") from None
        finally:
            self._cleanup()

    def _finished(self, video: Path) -> Path:
        """The encoded frames remuxed (see :mod:`.mux`) with the audio of their interval (all
        of it before and after them when they begin or end the input), on the video's clock."""
        muxed = self._new_temp("muxed")
        if self.audio_from is not None:
            end = math.inf if self.clock.to_last(self.frames) else self.clock.stop(self.frames - 1)
            try:
                if remux(video, self._video_end(), muxed, self.audio_from, self._origin, end, self._origin):
                    return muxed
                why = "it has no sound where the frames are"
            except (av.error.FFmpegError, ValueError) as exc:
                why = str(exc)
            self.notes.append(f"audio of {self.audio_from} not copied ({why}); the video has no sound")
        remux(video, self._video_end(), muxed)
        return muxed

    def abort(self) -> None:
        if self._container is not None:
            try:
                self._container.close()
            except Exception:  # already failing: the partial file is deleted below anyway
                pass
            self._container = None
        self._cleanup()

    def _new_temp(self, tag: str) -> Path:
        try:
            self._temps.append(_temp_path(self.path, tag))
        except OSError as exc:
            raise OutputError(f"cannot write {self.path}: {exc}") from None
        return self._temps[-1]

    def _cleanup(self) -> None:
        for path in self._temps:  # the renamed one is gone already
            path.unlink(missing_ok=True)
        self._temps = []
