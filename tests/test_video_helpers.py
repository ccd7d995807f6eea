"""Synthetic clips for the video tests: a smooth texture sliding a few px per frame."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch


def texture(h: int, w: int, seed: int = 0) -> np.ndarray:
    """A smooth RGB pattern (uint8) with enough detail for optical flow to lock onto."""
    rng = np.random.default_rng(seed)
    noise = rng.uniform(0, 255, (h // 8 + 3, w // 8 + 3, 3)).astype(np.float32)
    big = cv2.resize(noise, (w + 8, h + 8), interpolation=cv2.INTER_CUBIC)
    return np.clip(big[4:4 + h, 4:4 + w], 0, 255).astype(np.uint8)


def moving_frames(n: int = 6, size: tuple[int, int] = (48, 32), step: int = 2, seed: int = 0) -> list[np.ndarray]:
    """``n`` frames (HxWx3 RGB uint8) of a wide texture panning left by ``step`` px per frame."""
    w, h = size
    wide = texture(h, w + step * n, seed)
    return [np.ascontiguousarray(wide[:, i * step:i * step + w]) for i in range(n)]


def write_clip(path: Path, frames: list[np.ndarray], fps: float = 10.0) -> Path:
    """Write with OpenCV (mp4v for .mp4, MJPG for .avi)."""
    fourcc = "MJPG" if path.suffix == ".avi" else "mp4v"
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, (w, h))
    assert writer.isOpened()
    for f in frames:
        writer.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def write_clip_with_tone(path: Path, frames: list[np.ndarray], fps: int = 10, tone_hz: float = 440.0,
                         rate: int = 16000) -> Path:
    """An MP4 with the frames and a sine tone as AAC audio, written with PyAV."""
    import av

    seconds = len(frames) / fps
    with av.open(str(path), mode="w") as out:
        v = out.add_stream("mpeg4", rate=Fraction(fps))
        v.width, v.height, v.pix_fmt = frames[0].shape[1], frames[0].shape[0], "yuv420p"
        a = out.add_stream("aac", rate=rate)
        a.layout = "mono"
        for f in frames:
            for p in v.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                out.mux(p)
        for p in v.encode(None):
            out.mux(p)
        t = np.arange(int(seconds * rate)) / rate
        samples = (0.5 * np.sin(2 * np.pi * tone_hz * t)).astype(np.float32)
        chunk = 1024
        for i in range(0, len(samples), chunk):
            frame = av.AudioFrame.from_ndarray(samples[None, i:i + chunk], format="flt", layout="mono")
            frame.sample_rate = rate
            frame.pts = i
            for p in a.encode(frame):
                out.mux(p)
        for p in a.encode(None):
            out.mux(p)
    return path


def dominant_frequency(path: Path) -> tuple[float, float]:
    """(strongest frequency in Hz, seconds of audio) of the first audio track."""
    import av

    with av.open(str(path)) as c:
        stream = c.streams.audio[0]
        chunks = [f.to_ndarray().reshape(-1, f.samples).mean(axis=0) if f.format.is_planar else
                  f.to_ndarray().reshape(f.samples, -1).mean(axis=1) for f in c.decode(stream)]
        rate = stream.rate
    samples = np.concatenate(chunks)
    spectrum = np.abs(np.fft.rfft(samples))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[spectrum.argmax()]), len(samples) / rate


@pytest.fixture
def single_thread():
    """One torch thread for these many tiny ops: on a busy 2-core box, two OpenMP threads
    spin against other processes and run the tiny backbone ~20x slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
