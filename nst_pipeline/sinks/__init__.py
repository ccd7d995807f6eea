"""Frame sinks: a video file (with the source's audio), a folder of PNGs, raw RGB24 on stdout."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import OutputError
from ..images import check_output_path
from .base import FrameSink
from .folder import FolderSink
from .stream import RawStreamSink
from .formats import VIDEO_SUFFIXES

__all__ = ["FrameSink", "FolderSink", "RawStreamSink", "open_sink", "sink_kind"]


def sink_kind(output: str) -> str:
    """``-`` -> stdout; a trailing slash or an existing folder -> folder (``out.v1/`` too: a
    dot in a folder's name is no file type); a video suffix -> video; no suffix -> folder."""
    if output == "-":
        return "stdout"
    path = Path(output)
    if output.endswith(("/", os.sep)) or path.is_dir():
        return "folder"
    if path.suffix.lower() in VIDEO_SUFFIXES:
        return "video"
    if path.suffix:
        raise OutputError(f"cannot write frames to {output}: use a video file ({', '.join(sorted(VIDEO_SUFFIXES))}), "
                          f"a folder for numbered PNGs (end it with '/': {output}/) or '-' (raw RGB24 on stdout)")
    return "folder"


def check_sink(output: str, inputs: list[str]) -> str:
    """Refuse an output that is an input or can't be written, before any work; return its kind."""
    kind = sink_kind(output)
    if kind == "video":
        check_output_path(output, inputs, suffixes=None)
    elif kind == "folder":
        folder = Path(output)
        for src in inputs:
            if src != "-" and Path(src).resolve() == folder.resolve():
                raise OutputError(f"output folder {folder} is the input {src}; refusing to overwrite an input")
        parent = folder if folder.is_dir() else folder.parent
        while not parent.exists() and parent != parent.parent:
            parent = parent.parent
        if not parent.is_dir():
            raise OutputError(f"cannot write frames into {folder}: {parent} is not a folder")
        if not os.access(parent, os.W_OK):
            raise OutputError(f"cannot write frames into {folder}: {parent} is not writable")
    return kind


def open_sink(output: str, *, fps: float | None, audio_from: Path | None = None, clock=None) -> FrameSink:
    """``clock`` (a :class:`~nst_pipeline.video.timeline.FrameClock`) gives a video file each frame's
    own time; the other sinks have no times to keep."""
    kind = sink_kind(output)
    if kind == "stdout":
        return RawStreamSink()
    if kind == "video":
        from .video import VideoFileSink  # PyAV (FFmpeg) only when a video file is written

        return VideoFileSink(Path(output), fps, audio_from, clock)
    return FolderSink(Path(output))
