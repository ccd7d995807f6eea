"""Conformance of frame-source specs, and the small media they are checked on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..sources.base import FrameSource
from ..specs import FrameSourceSpec
from .common import options_for, require


def check_frame_source(spec: FrameSourceSpec, location: str | Path, options: Any = None, *,
                       max_frames: int = 100) -> list[str]:
    """A source accepts ``location``, declines a missing file without raising, and yields
    HxWx3 RGB frames (uint8, or float32 in [0, 1]) of one stable size."""
    require(isinstance(spec, FrameSourceSpec), f"expected a FrameSourceSpec, got {type(spec).__name__}")
    location = str(location)
    require(bool(spec.probe(location)), f"{spec.name}: probe declines {location}")
    require(not spec.probe(str(Path(location).with_name("does-not-exist" + Path(location).suffix))),
             f"{spec.name}: probe accepts a missing file")
    passed = ["probe accepts the sample and declines a missing file"]
    source = spec.factory(location, options_for(spec, options))
    require(isinstance(source, FrameSource), f"{spec.name}: factory returned {type(source).__name__}, not a FrameSource")
    shapes, count = set(), 0
    with source:
        for frame in source:
            _check_frame(spec.name, frame, count)
            shapes.add(frame.shape)
            count += 1
            if count >= max_frames:
                break
    require(count >= 1, f"{spec.name}: yielded no frames from {location}")
    require(len(shapes) == 1, f"{spec.name}: frame size changed within one source: {sorted(shapes)}")
    if source.frame_count is not None and count < max_frames:
        require(source.frame_count == count, f"{spec.name}: frame_count says {source.frame_count}, yielded {count}")
    require(source.fps is None or source.fps > 0, f"{spec.name}: fps must be None or positive, got {source.fps}")
    passed.append(f"{count} RGB frames of one size {shapes.pop()[:2]}")
    return passed


def _check_frame(name: str, frame: Any, index: int) -> None:
    require(isinstance(frame, np.ndarray) and frame.ndim == 3 and frame.shape[2] == 3,
             f"{name}: frame {index} is not an HxWx3 array ({getattr(frame, 'shape', type(frame))})")
    require(frame.dtype in (np.uint8, np.float32), f"{name}: frame {index} has dtype {frame.dtype}, want uint8 or float32")
    if frame.dtype == np.float32:
        require(bool(np.isfinite(frame).all()) and frame.min() >= 0 and frame.max() <= 1,
                 f"{name}: float frame {index} is outside [0, 1]")


def write_samples(folder: str | Path) -> list[Path]:
    """Small media a source can be checked on: a still PNG, an animated GIF and WebP
    (6 frames, a moving square), a folder of 3 PNG frames, and an MP4 clip when OpenCV
    can write one."""
    from PIL import Image

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    frames = [_square_frame(i) for i in range(6)]
    pil = [Image.fromarray(f) for f in frames]
    paths = [folder / "still.png", folder / "anim.gif", folder / "anim.webp"]
    pil[0].save(paths[0])
    pil[0].save(paths[1], save_all=True, append_images=pil[1:], duration=80, loop=0)
    pil[0].save(paths[2], save_all=True, append_images=pil[1:], duration=80, loop=0, lossless=True)
    (folder / "frames").mkdir(exist_ok=True)
    for i, image in enumerate(pil[:3]):
        image.save(folder / "frames" / f"frame{i + 1}.png")
    clip = _write_mp4(folder / "clip.mp4", frames)
    return paths + [folder / "frames"] + ([clip] if clip else [])


def _square_frame(i: int, size: tuple[int, int] = (40, 48)) -> np.ndarray:
    h, w = size
    frame = np.zeros((h, w, 3), np.uint8)
    frame[..., 2] = np.linspace(40, 200, w, dtype=np.uint8)[None, :]
    frame[8:20, 4 + 5 * i:16 + 5 * i] = (230, 60, 40)
    return frame


def _write_mp4(path: Path, frames: list[np.ndarray]) -> Path | None:
    try:
        import cv2

        h, w = frames[0].shape[:2]
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (w, h))
        if not writer.isOpened():
            return None
        for f in frames:
            writer.write(np.ascontiguousarray(f[..., ::-1]))
        writer.release()
        return path if path.is_file() and path.stat().st_size > 0 else None
    except Exception:  # the sample is a convenience; a source is still checked on the others
        return None
