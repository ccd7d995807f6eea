"""A video file read with OpenCV (cv2.VideoCapture); PyAV only probes for the codec and audio."""

from __future__ import annotations

import os
from pathlib import Path

# our InputError says what is wrong; FFmpeg's and OpenCV's own log lines would only
# clutter stderr (set the variable yourself to see them)
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

import cv2  # noqa: E402
import numpy as np  # noqa: E402

cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)

from ..decoding import check_pixels
from ..errors import InputError
from .base import FrameSource

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
                return "its video codec is unknown to this build of FFmpeg/OpenCV (unsupported codec)"
            return f"its {ctx.name} video track has no decodable frame (corrupt, truncated or zero-frame)"
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        return f"it is not a readable video container ({getattr(exc, 'strerror', None) or exc})"


class VideoFileSource(FrameSource):
    name = "video"

    def __init__(self, path: str) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise InputError(f"file not found: {self.path}")
        if not self.path.is_file():
            raise InputError(f"{self.path} is not a file")
        _check_y4m_header(self.path)  # before FFmpeg tries to allocate such a frame
        cap = cv2.VideoCapture(str(self.path))
        try:
            if cap.isOpened():  # refuse a huge frame size before decoding one (a tiny file can declare it)
                w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
                check_pixels(self.path, w, h, frames=True)
            ok, first = cap.read() if cap.isOpened() else (False, None)
            if not ok or first is None:
                raise InputError(f"cannot read video {self.path}: {_why_unreadable(self.path)}")
            fps = cap.get(cv2.CAP_PROP_FPS)
            count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        finally:
            cap.release()
        self.fps = fps if fps and fps > 0 and np.isfinite(fps) else None
        self.frame_count = count if count > 0 else None
        self.frame_size = (first.shape[1], first.shape[0])
        _, has_audio = probe_streams(self.path)
        self.audio_from = self.path if has_audio else None

    def __iter__(self):
        cap = cv2.VideoCapture(str(self.path))
        try:
            while True:
                ok, bgr = cap.read()
                if not ok:
                    return
                yield cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        finally:
            cap.release()


def probe_video(location: str) -> bool:
    path = Path(location)
    return path.suffix.lower() in VIDEO_SUFFIXES and path.is_file()
