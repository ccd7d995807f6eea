"""Opening pictures safely: a size limit read from the header before any pixel is decoded.

No torch here: the video source checks frame sizes with it too.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from .errors import ConfigError, InputError, NSTError

#: EXIF orientations that swap width and height (exif_transpose applies them)
_TRANSPOSED = {5, 6, 7, 8}

#: more pixels than this are refused from the header, before any is decoded: a 57-byte PNG can
#: declare 50000x50000 px (7.5 GB of RGB). 100 megapixels is a 12000x8000 photo.
DEFAULT_MAX_PIXELS = 100_000_000
MAX_PIXELS_ENV = "NST_MAX_IMAGE_PIXELS"
_pil_limit_lock = threading.Lock()


def max_pixels() -> int:
    """The pixel limit per image or video frame (``$NST_MAX_IMAGE_PIXELS`` overrides it)."""
    text = os.environ.get(MAX_PIXELS_ENV, "").strip()
    if not text:
        return DEFAULT_MAX_PIXELS
    try:
        value = int(float(text))
    except (ValueError, OverflowError):
        value = 0
    if value <= 0:
        raise ConfigError(f"{MAX_PIXELS_ENV}={text!r}: give a positive number of pixels")
    return value


def check_pixels(where: str | os.PathLike, width: int, height: int, frames: bool = False) -> None:
    """Refuse a picture (or a clip's ``frames``) larger than :func:`max_pixels`, naming its size."""
    limit = max_pixels()
    if width * height > limit:
        size = f"its frames are {width}x{height} px" if frames else f"{width}x{height} px"
        raise InputError(
            f"{where} is too large: {size} ({width * height / 1e6:.0f} megapixels; the limit is "
            f"{limit / 1e6:g} megapixels, set {MAX_PIXELS_ENV} to raise it)")


def _open_without_pillow_limit(path: Path) -> Image.Image:
    # Pillow refuses more than 2x its MAX_IMAGE_PIXELS in Image.open (a traceback for the CLI);
    # open once more without it (opening decodes no pixels), so that our limit decides
    with _pil_limit_lock:
        saved, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
        try:
            return Image.open(path)
        finally:
            Image.MAX_IMAGE_PIXELS = saved


@contextmanager
def open_image(path: str | os.PathLike) -> Iterator[Image.Image]:
    """``PIL.Image.open`` whose declared size is checked against :func:`max_pixels` before
    anything is decoded (Pillow's own bomb check would be a traceback, its warning noise)."""
    path = Path(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(path)
    except Image.DecompressionBombError:
        img = _open_without_pillow_limit(path)
    with img:
        check_pixels(path, *img.size)
        yield img


def header_size(path: str | os.PathLike) -> tuple[int, int]:
    """(width, height) as displayed (EXIF rotation applied), read without decoding pixels."""
    try:
        with open_image(path) as img:
            w, h = img.size
            # Pillow's PNG getexif() decodes every pixel looking for a late eXIf chunk; an
            # early one is already in info (a late one shows as a size change when read)
            png_without_exif = img.format == "PNG" and "exif" not in img.info
            if not png_without_exif and img.getexif().get(0x0112) in _TRANSPOSED:
                w, h = h, w
            return w, h
    except NSTError:
        raise
    except Exception as exc:  # a malformed header can trip any error inside a Pillow plugin
        raise unreadable(path, exc) from None


def unreadable(path: str | os.PathLike, exc: BaseException, role: str | None = None) -> InputError:
    """One line saying why Pillow could not read ``path`` (the ``role``, e.g. "style image", first)."""
    if isinstance(exc, UnidentifiedImageError):
        return InputError(f"{role + ' ' if role else ''}{path} is not an image file (or its format is not supported)")
    what = role or "image"
    if isinstance(exc, MemoryError):
        return InputError(f"cannot read {what} {path}: not enough memory to decode it")
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return InputError(f"cannot read {what} {path}: {reason}")
