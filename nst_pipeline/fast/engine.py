"""Running the two networks: onnxruntime sessions, and the numpy pre- and post-processing.

Layouts are the TFLite ones the files were converted from: NHWC float32 RGB in [0, 1] in,
the same out (the transfer network ends in a sigmoid). The prediction network was trained
on 256x256 crops of paintings; the transfer network is fully convolutional, halves the
size twice and doubles it back, so frames are reflect-padded to a multiple of 4 and cropped.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from ..decoding import open_image, unreadable
from ..errors import ConfigError, InputError, NSTError
from .models import ModelFiles, free_spatial_dims

#: the networks' frozen input sides in the ONNX files (freed on load)
PREDICT_SIDE, TRANSFORM_SIDE = 256, 384
#: the transfer network downsamples by this factor
MULTIPLE = 4
#: below this the reflect padding inside the network has nothing to mirror
MIN_SIDE = 16
CUDA, CPU = "CUDAExecutionProvider", "CPUExecutionProvider"


def load_rgb(path: Path) -> np.ndarray:
    """A picture as HxWx3 uint8 RGB, EXIF rotation applied, size checked before decoding."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"style image not found: {path}")
    try:
        with open_image(path) as img:
            img = ImageOps.exif_transpose(img)
            if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
                rgba = img.convert("RGBA")  # transparent shows as white, as a viewer shows it
                img = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
            return np.asarray(img.convert("RGB"))
    except NSTError:
        raise
    except Exception as exc:  # a malformed file can trip any error inside a Pillow decoder
        raise unreadable(path, exc) from None


def as_u8(frame: np.ndarray) -> np.ndarray:
    """HxWx3 uint8 from uint8 or float32 in [0, 1]."""
    if frame.dtype == np.uint8:
        return frame
    return (np.clip(frame, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def as_float(frame: np.ndarray) -> np.ndarray:
    """HxWx3 float32 in [0, 1] from uint8 or float."""
    if frame.dtype == np.uint8:
        return frame.astype(np.float32) / 255.0
    return np.clip(frame, 0.0, 1.0).astype(np.float32, copy=False)


def resize(frame: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    """Lanczos resize to (height, width); float32 [0, 1] out."""
    if frame.shape[:2] == tuple(hw):
        return as_float(frame)
    img = Image.fromarray(as_u8(frame)).resize((hw[1], hw[0]), Image.LANCZOS)
    return np.asarray(img, dtype=np.float32) / 255.0


def fit_long_side(hw: tuple[int, int], long_side: int | None) -> tuple[int, int]:
    """(h, w) scaled so the long side is ``long_side`` (None: unchanged)."""
    if not long_side:
        return tuple(hw)
    h, w = hw
    scale = long_side / max(h, w)
    return max(1, round(h * scale)), max(1, round(w * scale))


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


def thread_count() -> int:
    """Cores this process may use: onnxruntime's default counts the machine's, not the cgroup's
    or affinity mask's, and oversubscribes a shared box."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def has_cuda_driver() -> bool:
    """Whether a CUDA driver is installed: onnxruntime-gpu lists its CUDA provider on any machine
    and, without a GPU, prints two error paragraphs before falling back to the CPU."""
    import ctypes

    for name in ("libcuda.so.1", "nvcuda.dll"):
        try:
            ctypes.CDLL(name)
            return True
        except OSError:
            continue
    return False


def providers_for(device: str, available: list[str]) -> list:
    """onnxruntime providers for ``--device`` (auto: CUDA when present, else CPU)."""
    if device == "cpu":
        return [CPU]
    if device == "auto":
        return [CUDA, CPU] if CUDA in available and has_cuda_driver() else [CPU]
    index = int(device.partition(":")[2] or 0)
    if CUDA not in available:
        raise ConfigError(f"--device {device}: this onnxruntime has no CUDA provider "
                          f"(it has {', '.join(available)}); use --device cpu")
    return [(CUDA, {"device_id": index}), CPU]


class Engine:
    """Both networks, loaded once; ``embed`` a painting, ``paint`` a photo with an embedding."""

    def __init__(self, files: ModelFiles, device: str = "auto", threads: int | None = None) -> None:
        import onnxruntime as ort

        providers = providers_for(device, ort.get_available_providers())
        if providers[0] != CPU and hasattr(ort, "preload_dlls"):
            # CUDA/cuDNN from the pip nvidia-* wheels; torch would load them, but this path runs without torch
            ort.preload_dlls()
        options = ort.SessionOptions()
        options.log_severity_level = 3
        options.intra_op_num_threads = threads or thread_count()
        options.inter_op_num_threads = 1  # one chain of convolutions: nothing to run side by side
        self.predict = self._session(ort, files.predict, PREDICT_SIDE, options, providers)
        self.transform = self._session(ort, files.transform, TRANSFORM_SIDE, options, providers)
        self.provider = self.transform.get_providers()[0]
        if device not in ("auto", "cpu") and self.provider != CUDA:
            raise ConfigError(f"--device {device}: onnxruntime could not start CUDA (it fell back to "
                              f"{self.provider}); check the CUDA install or use --device cpu")
        self._predict_in = self.predict.get_inputs()[0].name
        self._content_in, self._style_in = (i.name for i in self.transform.get_inputs())

    @staticmethod
    def _session(ort, path: Path, side: int, options, providers):
        raw = free_spatial_dims(Path(path).read_bytes(), side)
        return ort.InferenceSession(raw, options, providers=providers)

    def embed(self, image: np.ndarray, side: int = PREDICT_SIDE) -> np.ndarray:
        """The 100-number style embedding of ``image`` (HxWx3, uint8 or float) at ``side`` px."""
        x = np.ascontiguousarray(style_input(image, side), dtype=np.float32)
        return self.predict.run(None, {self._predict_in: x})[0].reshape(-1)

    def paint(self, content: np.ndarray, embedding: np.ndarray) -> np.ndarray:
        """``content`` (HxWx3 float32 in [0, 1], at the output size) painted with ``embedding``."""
        h, w = content.shape[:2]
        if min(h, w) < MIN_SIDE:
            raise InputError(f"image is too small for the fast method: {w}x{h} px (the short side "
                             f"needs at least {MIN_SIDE} px); use a larger --size")
        x = np.ascontiguousarray(pad_to_multiple(as_float(content))[None])
        e = np.ascontiguousarray(embedding, dtype=np.float32).reshape(1, 1, 1, -1)
        out = self.transform.run(None, {self._content_in: x, self._style_in: e})[0][0]
        return np.clip(out[:h, :w], 0.0, 1.0)
