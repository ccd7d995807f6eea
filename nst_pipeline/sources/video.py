"""A video file (also an animated GIF or PNG) decoded with PyAV (FFmpeg), frame times included.

PyAV, not OpenCV: each decoded frame comes with its own presentation time, which a
variable-frame-rate clip needs (OpenCV has neither the times nor a true frame count for
one: it estimates duration x fps). Pixels are converted the way OpenCV's FFmpeg backend
converts them (swscale to BGR24 with bicubic chroma, then RGB), and rotation metadata is
applied as OpenCV applies it, so a clip stylizes exactly as it did with OpenCV: checked
identical on 8- and 10-bit, limited- and full-range, 4:2:0 and 4:4:4 and rotated clips.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import numpy as np

from ..decoding import check_pixels
from ..errors import InputError
from ..video.timeline import Timeline
from .base import FrameSource
from .still import ANIMATED_SUFFIXES, is_animated

VIDEO_SUFFIXES = {".mp4", ".m4v", ".mov", ".mkv", ".avi", ".webm", ".mpg", ".mpeg", ".wmv", ".flv", ".ts", ".y4m", ".ogv"}


def probe_streams(path: Path) -> tuple[str | None, bool]:
    """(video codec name or None, has an audio track) as the container declares them."""
    import av

    try:
        with av.open(str(path)) as container:
            video = container.streams.video
            codec = video[0].codec_context.name if video and video[0].codec_context else None
            return codec, bool(container.streams.audio)
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError):
        return None, False


def _check_y4m_header(path: Path) -> None:
    # FFmpeg will not even open a YUV4MPEG2 stream with an absurd size; its header says the size
    with open(path, "rb") as f:
        head = f.read(256).split(b"\n", 1)[0].decode("ascii", "replace")
    if head.startswith("YUV4MPEG2"):
        fields = {t[0]: t[1:] for t in head.split()[1:] if t}
        if fields.get("W", "").isdigit() and fields.get("H", "").isdigit():
            check_pixels(path, int(fields["W"]), int(fields["H"]), frames=True)


def _why_unreadable(path: Path) -> str:
    if path.stat().st_size == 0:
        return "the file is empty"
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                return "it has no video track"
            ctx = container.streams.video[0].codec_context
            if ctx is not None and ctx.width and ctx.height:  # FFmpeg refuses absurd sizes itself
                check_pixels(path, ctx.width, ctx.height, frames=True)
            if ctx is None or not ctx.name or ctx.name == "none":  # PyAV finds no decoder for it
                return "its video codec is unknown to this build of FFmpeg (unsupported codec)"
            if path.suffix.lower() == ".webp":  # FFmpeg decodes still WebP only
                return ("FFmpeg cannot decode animated WebP; the nst-gif plugin (plugins/nst-gif) reads it "
                        "with Pillow, or convert it to .gif or .mp4")
            return f"its {ctx.name} video track has no decodable frame (corrupt, truncated or zero-frame)"
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        return f"it is not a readable video container ({getattr(exc, 'strerror', None) or exc})"


def _seconds(ticks, time_base) -> float | None:
    return None if ticks is None or time_base is None else float(ticks * time_base)


def _decoded(container, stream) -> Iterator:
    """The stream's frames in display order. A packet that fails to decode is skipped and a
    container that breaks off ends the clip, as OpenCV's reader does: the frames that
    decode are still worth stylizing."""
    import av

    try:
        for packet in container.demux(stream):
            try:
                frames = packet.decode()
            except av.error.FFmpegError:
                continue
            yield from frames
    except av.error.FFmpegError:
        return


def to_rgb(frame) -> np.ndarray:
    """HxWx3 uint8 RGB, the pixels OpenCV would give; transparency shown on white."""
    fmt = frame.format
    if fmt.has_palette or any(c.is_alpha for c in fmt.components):  # GIF, APNG
        rgba = frame.to_ndarray(format="rgba").astype(np.uint16)
        alpha = rgba[..., 3:]
        rgb = ((rgba[..., :3] * alpha + 255 * (255 - alpha) + 127) // 255).astype(np.uint8)
    else:
        rgb = frame.to_ndarray(format="bgr24", interpolation="BICUBIC")[..., ::-1]
    turns = round((frame.rotation or 0) / 90) % 4  # the display matrix, as OpenCV applies it
    return np.ascontiguousarray(np.rot90(rgb, turns) if turns else rgb)


def scan_timeline(path: Path, fps: float | None) -> Timeline:
    """Every frame's time from the packets alone (no decoding: cheap); packets marked for
    discard (before an edit list's start) hold no frame that is shown."""
    import av

    times, reordered, last = [], False, None
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for packet in container.demux(stream):
            ticks = packet.pts if packet.pts is not None else packet.dts
            if ticks is None or packet.size == 0 or packet.is_discard:
                continue
            t = _seconds(ticks, packet.time_base)
            reordered = reordered or bool(times and t < times[-1])
            times.append(t)
            last = (t, _seconds(packet.duration, packet.time_base))
        declared = _declared_end(stream)
    times.sort()
    if declared is None and last is not None and last[1] and not reordered:
        declared = last[0] + last[1]  # without B-frames a packet's duration is its frame's
    return Timeline(times, _end(times, declared, fps))


def _declared_end(stream) -> float | None:
    """When the stream ends, as the container says: MP4/MOV/GIF a duration, Matroska (as
    FFmpeg writes it) a DURATION tag. Packet durations say less: with B-frames they follow
    decoding order, not display order."""
    if stream.duration and stream.time_base is not None:
        return float(((stream.start_time or 0) + stream.duration) * stream.time_base)
    tag = stream.metadata.get("DURATION", "")
    try:
        h, m, sec = tag.split(":")
        return int(h) * 3600 + int(m) * 60 + float(sec)
    except ValueError:
        return None


def _end(times: list[float], declared: float | None, fps: float | None) -> float:
    if not times:
        return 0.0
    if declared is not None and declared > times[-1]:
        return declared
    if len(times) > 1:  # the last frame shows as long as the one before it
        return times[-1] + (times[-1] - times[-2])
    return times[-1] + 1.0 / (fps or 25.0)


class VideoFileSource(FrameSource):
    name = "video"

    def __init__(self, path: str) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise InputError(f"file not found: {self.path}")
        if not self.path.is_file():
            raise InputError(f"{self.path} is not a file")
        _check_y4m_header(self.path)  # before FFmpeg tries to allocate such a frame
        with self._opened() as (container, stream):
            ctx = stream.codec_context  # None: no decoder for the codec
            if ctx is not None and ctx.width and ctx.height:  # refuse a huge frame before decoding one
                check_pixels(self.path, ctx.width, ctx.height, frames=True)
            first = None
            if ctx is not None:
                with closing(_decoded(container, stream)) as frames:
                    first = next(frames, None)
            if first is None:
                raise InputError(f"cannot read video {self.path}: {_why_unreadable(self.path)}")
            rate = stream.average_rate or stream.guessed_rate
            self.fps = float(rate) if rate and rate > 0 else None
            self.frame_size = to_rgb(first).shape[1::-1]
            self.audio_from = self.path if container.streams.audio else None
        self.timeline = scan_timeline(self.path, self.fps)
        self.frame_count = len(self.timeline) or None  # the packets, not duration x fps

    @contextmanager
    def _opened(self):
        import av

        try:
            container = av.open(str(self.path))
        except (av.error.FFmpegError, UnicodeDecodeError, ValueError):
            raise InputError(f"cannot read video {self.path}: {_why_unreadable(self.path)}") from None
        try:
            if not container.streams.video:
                raise InputError(f"cannot read video {self.path}: it has no video track")
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"  # frame threads: same pixels, same order, faster
            yield container, stream
        finally:
            container.close()

    def __iter__(self) -> Iterator[np.ndarray]:
        with self._opened() as (container, stream):
            count = 0
            for frame in _decoded(container, stream):
                self.timeline.decoded(count, _seconds(frame.pts, frame.time_base))
                count += 1
                yield to_rgb(frame)
            self.timeline.finished(count)


def probe_video(location: str) -> bool:
    path = Path(location)
    if not path.is_file():
        return False
    suffix = path.suffix.lower()
    # an animated GIF/PNG is a clip: the still-image source declines it (see sources/still.py)
    return suffix in VIDEO_SUFFIXES or (suffix in ANIMATED_SUFFIXES and is_animated(path))
