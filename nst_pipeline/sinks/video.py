"""A video file written with PyAV (FFmpeg), with the source's audio track copied in.

Frames are encoded into a hidden temporary file next to the output; ``close()``
then remuxes that video with the source's audio packets (stream copy, trimmed to
the frames that were stylized) and renames the result into place.
"""

from __future__ import annotations

import heapq
import os
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from ..errors import OutputError
from ..images import temp_beside
from .base import FrameSink
from .formats import ENCODERS, VIDEO_SUFFIXES  # noqa: F401  (VIDEO_SUFFIXES re-exported)

DEFAULT_FPS = 25.0


def pick_encoder(suffix: str) -> str:
    for name in ENCODERS.get(suffix.lower(), ()):
        if name in av.codecs_available:
            return name
    raise OutputError(f"no video encoder for {suffix!r} files in this FFmpeg build; try .mp4 or .avi")


def _temp_path(final: Path, tag: str) -> Path:
    return temp_beside(final, f"{tag}.")


class VideoFileSink(FrameSink):
    name = "video"

    def __init__(self, path: Path, fps: float | None, audio_from: Path | None = None, audio_start: float = 0.0) -> None:
        super().__init__()
        self.path = Path(path)
        self.fps = Fraction(fps or DEFAULT_FPS).limit_denominator(1001)
        self.audio_from, self.audio_start = audio_from, audio_start
        self.codec = pick_encoder(self.path.suffix)
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
        if self.codec == "libx264":
            stream.options = {"crf": "18", "preset": "medium"}
        elif self.codec == "mpeg4":
            stream.bit_rate = 4_000_000
        self._stream = stream

    def _write(self, frame: np.ndarray) -> None:
        if self._container is None:
            self._open(frame.shape[1], frame.shape[0])
        video_frame = av.VideoFrame.from_ndarray(frame, format="rgb24")
        try:
            for packet in self._stream.encode(video_frame):
                self._container.mux(packet)
        except (av.error.FFmpegError, OSError) as exc:
            raise OutputError(f"cannot write {self.path}: {exc}") from None

    def close(self) -> None:
        if self._container is None:
            raise OutputError(f"no frames to write to {self.path}")
        try:
            for packet in self._stream.encode(None):  # flush delayed frames
                self._container.mux(packet)
            self._container.close()
            self._container = None
            final = self._tmp
            if self.audio_from is not None:
                final = self._with_audio(self._tmp)
            os.replace(final, self.path)
        except (av.error.FFmpegError, OSError) as exc:
            raise OutputError(f"cannot write {self.path}: {exc}") from None
        finally:
            self._cleanup()

    def _with_audio(self, video: Path) -> Path:
        muxed = self._new_temp("muxed")
        duration = self.frames / float(self.fps)
        try:
            mux_audio(video, self.audio_from, muxed, self.audio_start, self.audio_start + duration)
            return muxed
        except (av.error.FFmpegError, ValueError) as exc:
            muxed.unlink(missing_ok=True)
            self.notes.append(f"audio of {self.audio_from} not copied ({exc}); the video has no sound")
            return video

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


def _packets(container, stream, start: float = 0.0, end: float | None = None):
    """(seconds, packet) for ``stream``, shifted so that ``start`` becomes 0."""
    shift = int(round(start / stream.time_base))
    for packet in container.demux(stream):
        if packet.pts is None or packet.size == 0:
            continue
        t = float(packet.pts * stream.time_base)
        if t < start or (end is not None and t >= end):
            continue
        packet.pts -= shift
        if packet.dts is not None:
            packet.dts -= shift
        yield t - start, packet


def mux_audio(video: Path, audio_from: Path, out: Path, start: float, end: float) -> None:
    """Write ``video``'s stream plus ``audio_from``'s first audio track in [start, end) to ``out``."""
    with av.open(str(video)) as vin, av.open(str(audio_from)) as ain, av.open(str(out), mode="w") as dst:
        if not ain.streams.audio:
            raise ValueError("the source has no audio track")
        v_in, a_in = vin.streams.video[0], ain.streams.audio[0]
        v_out, a_out = dst.add_stream_from_template(v_in), dst.add_stream_from_template(a_in)
        tagged_v = ((t, 0, i, p, v_out) for i, (t, p) in enumerate(_packets(vin, v_in)))
        tagged_a = ((t, 1, i, p, a_out) for i, (t, p) in enumerate(_packets(ain, a_in, start, end)))
        # interleave by time so the muxer never has to buffer a whole stream
        for _, _, _, packet, stream in heapq.merge(tagged_v, tagged_a, key=lambda x: x[:3]):
            packet.stream = stream
            dst.mux(packet)
