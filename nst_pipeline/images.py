"""Reading and writing still images as RGB float tensors in [0, 1], NCHW.

torch is imported inside the functions that use tensors: the file helpers (loading
arrays, output checks, atomic writes) also serve the torch-free fast path.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from . import frames
from .decoding import open_image, unreadable
from .errors import InputError, NSTError, OutputError

WRITABLE_SUFFIXES = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".bmp": "BMP", ".tif": "TIFF", ".tiff": "TIFF"}


def pil_to_array(img: Image.Image) -> np.ndarray:
    """Any PIL image -> HxWx3 float32 RGB in [0, 1] (16-bit, grey, alpha and palettes handled)."""
    img = ImageOps.exif_transpose(img)  # phones store rotation in EXIF, not in pixels
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(img, dtype=np.float64)
        scale = 65535.0 if img.mode.startswith("I;16") or arr.max() > 255 else 255.0
        arr = np.clip(arr / scale, 0, 1)
        return np.repeat(arr[..., None], 3, axis=2).astype(np.float32)
    if img.mode == "F":
        arr = np.clip(np.asarray(img, dtype=np.float32), 0, 1)
        return np.repeat(arr[..., None], 3, axis=2)
    return np.asarray(on_white(img), dtype=np.float32) / 255.0


def on_white(img: Image.Image) -> Image.Image:
    """``img`` as RGB, transparent pixels white: the way a viewer shows them."""
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        img = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
    return img.convert("RGB")


def load_array(path: str | os.PathLike, role: str | None = None) -> np.ndarray:
    """HxWx3 float32 RGB in [0, 1]; ``role`` ("style image", "init image") names the file in errors."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{role or 'file'} not found: {path}")
    if path.is_dir():
        raise InputError(f"{role + ' ' if role else ''}{path} is a folder, not an image")
    try:
        with open_image(path) as img:
            img.load()
            return pil_to_array(img)
    except NSTError:
        raise
    except Exception as exc:  # a malformed file can trip any error inside a Pillow decoder
        raise unreadable(path, exc, role) from None


def to_tensor(arr: np.ndarray) -> torch.Tensor:
    import torch

    return torch.from_numpy(np.ascontiguousarray(arr)).permute(2, 0, 1).unsqueeze(0).float()


def to_array(image: torch.Tensor) -> np.ndarray:
    """1x3xHxW float -> HxWx3 uint8."""
    arr = image.detach().clamp(0, 1).squeeze(0).permute(1, 2, 0).cpu().numpy()
    return (arr * 255.0 + 0.5).astype(np.uint8)


def load_image(path: str | os.PathLike, role: str | None = None) -> torch.Tensor:
    return to_tensor(load_array(path, role))


def fit_long_side(hw: tuple[int, int], long_side: int) -> tuple[int, int]:
    h, w = hw
    scale = long_side / max(h, w)
    return max(1, round(h * scale)), max(1, round(w * scale))


def resize(image: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    import torch.nn.functional as F

    if tuple(image.shape[-2:]) == tuple(size):
        return image
    return F.interpolate(image, size=size, mode="bicubic", align_corners=False, antialias=True).clamp(0, 1)


def check_output_path(output: str | os.PathLike, inputs: list[str | os.PathLike], suffixes=WRITABLE_SUFFIXES) -> Path:
    """Refuse outputs that would overwrite an input or cannot be written, before any work."""
    out = Path(output)
    for src in inputs:
        try:
            if Path(src).exists() and out.exists() and os.path.samefile(src, out):
                raise OutputError(f"output {out} is the same file as input {src}; refusing to overwrite an input")
        except OSError:
            pass
        if Path(src).resolve() == out.resolve():
            raise OutputError(f"output {out} is the same file as input {src}; refusing to overwrite an input")
    if suffixes is not None and out.suffix.lower() not in suffixes:
        raise OutputError(f"cannot write {out}: unknown image type {out.suffix!r}; use one of {', '.join(sorted(suffixes))}")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"cannot write {out}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise OutputError(f"cannot write {out}: folder {parent} is not writable")
    if out.is_dir():
        raise OutputError(f"cannot write {out}: it is a folder")
    return out


def temp_beside(path: Path, tag: str = "") -> Path:
    """An empty temp file next to ``path`` (same filesystem, so a rename is atomic),
    with the permissions an ordinary new file gets (mkstemp's 0600 would make results private)."""
    path = Path(path)
    fd, name = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.stem}.{tag}", suffix=path.suffix)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(name, 0o666 & ~umask)
    return Path(name)


def atomic_write(path: Path, write):
    """Call ``write(tmp_path)`` then rename into place: readers never see a partial file.
    Returns what ``write`` returns."""
    path = Path(path)
    try:
        tmp = temp_beside(path)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc}") from None
    try:
        result = write(str(tmp))
        os.replace(tmp, path)
        return result
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc}") from None
    finally:
        if tmp.exists():
            tmp.unlink()


def save_image(image: torch.Tensor, path: str | os.PathLike) -> None:
    path = Path(path)
    fmt = WRITABLE_SUFFIXES.get(path.suffix.lower(), "PNG")
    pil = Image.fromarray(to_array(image))
    kwargs = {"quality": 95} if fmt in ("JPEG", "WEBP") else {}
    atomic_write(path, lambda tmp: pil.save(tmp, format=fmt, **kwargs))


# -- frames: HxWx3 numpy (what sources yield and sinks take) <-> 1x3xHxW tensors ----------
# The only conversions in the package. Frames stay float until they reach flow, the work
# folder or a sink, so a 16-bit still is not quantized before the optimizer sees it.

def frame_to_tensor(frame: np.ndarray) -> torch.Tensor:
    """HxWx3 RGB frame (uint8, or float in [0, 1]) -> contiguous 1x3xHxW float32."""
    import torch

    if frame.ndim != 3 or frame.shape[2] != 3:
        raise InputError(f"a frame must be HxWx3 RGB, got shape {frame.shape}")
    arr = frames.to_float(frame)
    # contiguous: L-BFGS views the gradient flat, and the optimizer clones this layout
    return torch.from_numpy(np.ascontiguousarray(arr)).permute(2, 0, 1).unsqueeze(0).contiguous()


def tensor_to_frame(image: torch.Tensor) -> np.ndarray:
    """1x3xHxW tensor -> HxWx3 float32 frame in [0, 1]."""
    return np.ascontiguousarray(image.detach().clamp(0, 1).squeeze(0).permute(1, 2, 0).cpu().numpy())


