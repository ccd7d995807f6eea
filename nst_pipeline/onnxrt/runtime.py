"""An exported feature extractor served forward-only by onnxruntime.

:class:`OnnxFeatures` is an encoder: ``features(image, layers) -> {layer: torch tensor}``,
the same call a torch backbone answers, so targets and scoring can use either.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

import torch

from ..errors import ConfigError, InputError
from . import session as ort_session
from .metadata import INPUT_NAME, ModelInfo


def session_options(threads: int | None = None, spinning: bool = False):
    # torch and onnxruntime each size their own thread pool to the machine; in one
    # process that doubles the runnable threads and both slow down. They take turns
    # here (targets, then optimization), so ORT gets torch's intra-op count and idle
    # workers sleep instead of spinning on torch's cores.
    return ort_session.session_options(threads or torch.get_num_threads(), spinning)


def providers_for(device: torch.device | None) -> list:
    """CUDA when onnxruntime has it and torch sees the GPU (and it is wanted), else the CPU."""
    import onnxruntime as ort

    if not torch.cuda.is_available() or (device is not None and device.type != "cuda"):
        return [ort_session.CPU]
    name = "cuda" if device is None or device.index is None else f"cuda:{device.index}"
    return ort_session.providers_for(name, ort.get_available_providers(), fallback=True)


class OnnxFeatures:
    """A model written by ``nst export onnx``, opened in an onnxruntime session."""

    def __init__(self, path: str | os.PathLike, device: torch.device | None = None, threads: int | None = None) -> None:
        self.path = Path(path)
        self.session = _open_session(self.path, device, threads)
        self.info = _read_info(self.path, self.session)
        self.providers = tuple(self.session.get_providers())

    @property
    def layers(self) -> tuple[str, ...]:
        return self.info.layers

    def check_size(self, image: torch.Tensor, layers: list[str]) -> None:
        need = self.info.min_side(layers)
        if image.dim() != 4 or image.shape[1] != 3:
            raise InputError(f"expected an N x 3 x H x W RGB image, got shape {tuple(image.shape)}")
        if min(image.shape[-2:]) < need:
            raise InputError(
                f"image of {image.shape[-1]}x{image.shape[-2]} px is too small for layer "
                f"{layers[-1]!r}: each side must be at least {need} px"
            )

    def __call__(self, image: torch.Tensor, layers: Iterable[str]) -> dict[str, torch.Tensor]:
        if torch.is_grad_enabled() and image.requires_grad:
            raise ConfigError(f"the ONNX model {self.path} runs forward-only (onnxruntime has no autograd) "
                              "and cannot give the gradients that optimization needs")
        wanted = self.info.check_layers(layers)
        if not wanted:
            return {}
        self.check_size(image, wanted)
        array = image.detach().to("cpu", torch.float32).contiguous().numpy()
        outputs = self.session.run(wanted, {INPUT_NAME: array})
        return {name: torch.from_numpy(out).to(image.device) for name, out in zip(wanted, outputs)}

    def __repr__(self) -> str:
        return f"OnnxFeatures({str(self.path)!r}, layers={','.join(self.layers)}, providers={list(self.providers)})"


def _open_session(path: Path, device: torch.device | None, threads: int | None):
    import onnxruntime as ort

    if not path.exists():
        raise InputError(f"ONNX model not found: {path}")
    if path.is_dir():
        raise InputError(f"{path} is a folder, not an ONNX model")
    try:
        return ort.InferenceSession(str(path), sess_options=session_options(threads), providers=providers_for(device))
    except Exception as exc:  # onnxruntime raises its own (pybind) types for every kind of bad file
        raise InputError(f"{path} is not a usable ONNX model: {_reason(exc)}") from None


def _reason(exc: Exception) -> str:
    """onnxruntime's message without its code, file name and C++ source location."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    text = re.sub(r"^\[ONNXRuntimeError\] : \d+ : \w+ : ", "", text)
    text = re.sub(r"^Load model from .*? failed:", "", text)
    if re.search(r"\.(cc|h):\d+ ", text) and ") " in text:
        text = text.rsplit(") ", 1)[1]  # drop "/src/x.cc:256 Class::Method(args...)"
    return text.strip()[:300]


def _read_info(path: Path, session) -> ModelInfo:
    props = session.get_modelmeta().custom_metadata_map
    try:
        info = ModelInfo.from_props(props)
    except (KeyError, ValueError) as exc:
        detail = f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
        raise InputError(f"{path} is an ONNX model, but not a feature extractor written by "
                         f"`nst export onnx` ({detail}); export one with `nst export onnx -o FILE`") from None
    inputs = [i.name for i in session.get_inputs()]
    outputs = {o.name for o in session.get_outputs()}
    if inputs != [INPUT_NAME] or not set(info.layers) <= outputs:
        raise InputError(f"{path}: its inputs/outputs ({', '.join(inputs)} -> {', '.join(sorted(outputs))}) "
                         f"do not match its own metadata (layers {', '.join(info.layers)})")
    return info
