"""Running the two networks: onnxruntime sessions, and the numpy pre- and post-processing.

Layouts are the TFLite ones the files were converted from: NHWC float32 RGB in [0, 1] in,
the same out (the transfer network ends in a sigmoid). The prediction network was trained
on 256x256 crops of paintings; the transfer network is fully convolutional, halves the
size twice and doubles it back, so frames are reflect-padded to a multiple of 4 and cropped.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from .. import frames, images
from ..errors import ConfigError, InputError
from ..onnxrt.session import CPU, CUDA, providers_for, session_options, thread_count
from .models import ModelFiles, set_spatial_dims
from .sessions import Pending, SessionMaker, compiled_dir

#: the networks' frozen input sides in the ONNX files (freed on load)
PREDICT_SIDE, TRANSFORM_SIDE = 256, 384
#: the transfer network downsamples by this factor
MULTIPLE = 4
#: below this the reflect padding inside the network has nothing to mirror
MIN_SIDE = 16


def load_rgb(path: Path) -> np.ndarray:
    """A painting as HxWx3 float32 RGB in [0, 1], read as gatys reads it (EXIF rotation,
    16-bit and grey, transparency on white; size checked before decoding)."""
    return images.load_array(path, role="style image")


def as_float(frame: np.ndarray) -> np.ndarray:
    """HxWx3 float32 in [0, 1] (the frames helper, under the name fast/method.py calls)."""
    return frames.to_float(frame)


def as_u8(frame: np.ndarray) -> np.ndarray:
    """HxWx3 uint8 (the frames helper, under the name scripts/bench_fast.py calls)."""
    return frames.to_u8(frame)


def resize(frame: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    """Lanczos resize to (height, width); float32 [0, 1] out. Pillow, not torch: this path
    runs without torch (gatys resizes tensors with :func:`images.resize`)."""
    if frame.shape[:2] == tuple(hw):
        return frames.to_float(frame)
    img = Image.fromarray(frames.to_u8(frame)).resize((hw[1], hw[0]), Image.LANCZOS)
    return frames.to_float(np.asarray(img))


def fit_long_side(hw: tuple[int, int], long_side: int | None) -> tuple[int, int]:
    """(h, w) scaled so the long side is ``long_side`` (None: unchanged)."""
    return images.fit_long_side(hw, long_side) if long_side else tuple(hw)


def square_crop(image: np.ndarray) -> np.ndarray:
    """The central square, as the prediction network saw paintings in training."""
    h, w = image.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    return image[top:top + side, left:left + side]


def style_input(image: np.ndarray, side: int) -> np.ndarray:
    """1 x side x side x 3 float32: central square resized."""
    return resize(square_crop(image), (side, side))[None]


def pad_to_multiple(image: np.ndarray, multiple: int = MULTIPLE) -> np.ndarray:
    """Reflect-pad HxWxC at the bottom and right up to a multiple of ``multiple``."""
    h, w = image.shape[:2]
    ph, pw = -h % multiple, -w % multiple
    if not (ph or pw):
        return image
    return np.pad(image, ((0, ph), (0, pw), (0, 0)), mode="reflect")


class Engine:
    """Both networks, loaded once; ``embed`` a painting, ``paint`` a photo with an embedding.

    Sessions are made per input shape, on first use (see :mod:`.sessions`): a session planned
    for one shape starts faster than a free-shape one, and a run uses one style side and (per
    clip) one frame size. ``compiled=False`` leaves the on-disk session cache alone.
    """

    def __init__(self, files: ModelFiles, device: str = "auto", threads: int | None = None,
                 style_side: int = PREDICT_SIDE, frame_hw: tuple[int, int] | None = None,
                 compiled: bool = True) -> None:
        import onnxruntime as ort

        providers = providers_for(device, ort.get_available_providers())
        if providers[0] != CPU and hasattr(ort, "preload_dlls"):
            # CUDA/cuDNN from the pip nvidia-* wheels; torch would load them, but this path runs without torch
            ort.preload_dlls()
        # alone in the process (no torch): onnxruntime's spinning workers cost no one a core
        options = session_options(threads or thread_count(), spinning=True)
        self._make = SessionMaker(ort, options, providers, compiled_dir() if compiled else None)
        self._raw = {PREDICT_SIDE: Path(files.predict).read_bytes(), TRANSFORM_SIDE: Path(files.transform).read_bytes()}
        self._sessions: dict[tuple, Pending] = {}
        # the session embed will use first; it also tells which provider onnxruntime took
        self.provider = self._session(PREDICT_SIDE, (style_side, style_side)).get_providers()[0]
        if device not in ("auto", "cpu") and self.provider != CUDA:
            raise ConfigError(f"--device {device}: onnxruntime could not start CUDA (it fell back to "
                              f"{self.provider}); check the CUDA install or use --device cpu")
        if frame_hw is not None:
            # made while this thread embeds the painting; not beside the session above, as two
            # sessions planned at once took longer together than one after the other (2 cores)
            self.prepare(frame_hw)

    def prepare(self, hw: tuple[int, int]) -> None:
        """Start making the transfer session for ``paint`` of (height, width) ``hw`` frames."""
        self._start(TRANSFORM_SIDE, tuple(-(-n // MULTIPLE) * MULTIPLE for n in hw))

    def _start(self, side: int, hw: tuple[int, int]) -> Pending:
        key = (side, tuple(hw))
        if key not in self._sessions:
            self._sessions[key] = Pending(self._make, set_spatial_dims(self._raw[side], side, key[1]))
        return self._sessions[key]

    def _session(self, side: int, hw: tuple[int, int]):
        """The network whose frozen input side is ``side``, planned for ``hw`` inputs."""
        return self._start(side, hw).result()

    def embed(self, image: np.ndarray, side: int = PREDICT_SIDE) -> np.ndarray:
        """The 100-number style embedding of ``image`` (HxWx3, uint8 or float) at ``side`` px."""
        x = np.ascontiguousarray(style_input(image, side), dtype=np.float32)
        session = self._session(PREDICT_SIDE, (side, side))
        return session.run(None, {session.get_inputs()[0].name: x})[0].reshape(-1)

    def paint(self, content: np.ndarray, embedding: np.ndarray) -> np.ndarray:
        """``content`` (HxWx3 float32 in [0, 1], at the output size) painted with ``embedding``."""
        h, w = content.shape[:2]
        if min(h, w) < MIN_SIDE:
            raise InputError(f"image is too small for the fast method: {w}x{h} px (the short side "
                             f"needs at least {MIN_SIDE} px); use a larger --size")
        x = np.ascontiguousarray(pad_to_multiple(frames.to_float(content))[None])
        e = np.ascontiguousarray(embedding, dtype=np.float32).reshape(1, 1, 1, -1)
        session = self._session(TRANSFORM_SIDE, x.shape[1:3])
        content_in, style_in = (i.name for i in session.get_inputs())
        out = session.run(None, {content_in: x, style_in: e})[0][0]
        return np.clip(out[:h, :w], 0.0, 1.0)

