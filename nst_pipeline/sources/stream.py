"""Raw RGB24 frames on stdin (``-``), e.g. from ``ffmpeg -f rawvideo -pix_fmt rgb24 -``."""

from __future__ import annotations

import re
import sys
from typing import BinaryIO

import numpy as np

from ..decoding import check_pixels
from ..errors import ConfigError, InputError
from ..specs import PluginOptions
from .base import FrameSource


class StreamOptions(PluginOptions):
    frame_size: str | None = None   # "WxH"
    fps: float | None = None


def parse_frame_size(text: str | None) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text or "")
    if not match or 0 in (int(match[1]), int(match[2])):
        if text is None:
            raise ConfigError("reading raw frames from stdin needs --frame-size WIDTHxHEIGHT (e.g. 176x144)")
        raise ConfigError(f"--frame-size {text!r}: write it as WIDTHxHEIGHT, e.g. 176x144")
    return int(match[1]), int(match[2])


def read_exact(stream: BinaryIO, n: int) -> bytes:
    """Up to ``n`` bytes; fewer only at the end of the stream (pipes return short reads)."""
    chunks, got = [], 0
    while got < n:
        chunk = stream.read(n - got)
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


class RawStreamSource(FrameSource):
    name = "stdin"

    def __init__(self, options: StreamOptions, stream: BinaryIO | None = None) -> None:
        self.frame_size = parse_frame_size(options.frame_size)
        check_pixels("--frame-size", *self.frame_size, frames=True)  # each frame is read whole into memory
        if options.fps is not None and not options.fps > 0:
            raise ConfigError(f"--fps must be positive, got {options.fps}")
        self.fps = options.fps
        self.stream = stream if stream is not None else sys.stdin.buffer
        if stream is None and sys.stdin.isatty():
            raise InputError("input '-' reads raw RGB24 frames from stdin, but stdin is a terminal; pipe frames in")

    def __iter__(self):
        w, h = self.frame_size
        frame_bytes = w * h * 3
        index = 0
        while True:
            data = read_exact(self.stream, frame_bytes)
            if not data:
                if index == 0:
                    raise InputError("stdin carried no frames (0 bytes)")
                return
            if len(data) < frame_bytes:
                raise InputError(
                    f"stdin ended inside frame {index + 1}: got {len(data)} of {frame_bytes} bytes "
                    f"({w}x{h} RGB24); the stream does not match --frame-size {w}x{h}")
            index += 1
            yield np.frombuffer(data, dtype=np.uint8).reshape(h, w, 3)


def probe_stream(location: str) -> bool:
    return location == "-"
