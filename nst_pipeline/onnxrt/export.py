"""Export a frozen backbone, truncated after its deepest requested layer, to ONNX.

The graph takes what every backbone takes (RGB float in [0, 1], NCHW, any batch,
height and width) with the backbone's preprocessing baked in, and has one output
per requested layer, named after it. The file is checked with ``onnx.checker``
(full check), compared with torch at two sizes, and only then renamed into place.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import io
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import onnx
import torch
from torch import nn

from ..version import __version__
from ..backbones.base import Backbone
from ..errors import ConfigError, OutputError
from ..images import atomic_write
from .metadata import INPUT_DESCRIPTION, INPUT_NAME, MIN_OPSET, OPSET, ModelInfo

#: largest relative error (max |onnx - torch| / max |torch|, per layer) an export may show
TOLERANCE = 1e-4


class FeatureGraph(nn.Module):
    """The truncated backbone as a plain module: image -> one tensor per layer, forward order."""

    def __init__(self, backbone: Backbone, layers: Sequence[str]) -> None:
        super().__init__()
        self.layers = tuple(backbone.check_layers(layers))
        trunk = backbone.truncated(self.layers)
        self.preprocess = trunk.preprocess
        # An in-place activation right after a tapped conv would overwrite the tapped
        # tensor (the output would silently equal the ReLU's); export copies without it.
        self.body = nn.ModuleDict({n: _out_of_place(m) for n, m in trunk.body.items()})

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, ...]:
        taps: dict[str, torch.Tensor] = {}
        x = self.preprocess(image)
        for name, module in self.body.items():
            x = module(x)
            if name in self.layers:
                taps[name] = x
        return tuple(taps[n] for n in self.layers)


def _on_cpu(backbone: Backbone) -> Backbone:
    # export and verification run on the CPU; never move the caller's (maybe CUDA) backbone
    tensors = [*backbone.parameters(), *backbone.buffers()]
    if all(t.device.type == "cpu" for t in tensors):
        return backbone
    return copy.deepcopy(backbone).cpu()


def _out_of_place(module: nn.Module) -> nn.Module:
    if not any(getattr(m, "inplace", False) for m in module.modules()):
        return module
    module = copy.deepcopy(module)
    for m in module.modules():
        if getattr(m, "inplace", False):
            m.inplace = False
    return module


@dataclass(frozen=True)
class Verification:
    sizes: tuple[tuple[int, int, int], ...]   # (batch, height, width) checked
    worst: float                               # largest relative error over layers and sizes
    worst_layer: str


def model_info(backbone: Backbone, layers: Sequence[str], backbone_name: str) -> ModelInfo:
    layers = backbone.check_layers(layers)
    return ModelInfo(
        backbone=backbone_name, layers=tuple(layers),
        downsampling={l: backbone.downsampling(l) for l in layers},
        preprocessing=backbone.preprocessing, weights_sha256=backbone.weights_sha256,
        package_version=__version__,
        default_content_layers=tuple(l for l in backbone.default_content_layers if l in layers),
        default_style_layers=tuple(l for l in backbone.default_style_layers if l in layers),
        architecture=architecture(backbone, layers), pooling=pooling_of(backbone, layers),
    )


def architecture(backbone: Backbone, layers: Sequence[str]) -> dict[str, str]:
    """For each of ``layers``, a digest of every module up to it, in order: two backbones
    compute a layer alike (given the same weights) when its digests agree, however deep
    each was truncated."""
    layers = backbone.check_layers(layers)
    digest, out = hashlib.sha256(), {}
    for name, module in backbone.truncated(layers).body.items():
        digest.update(f"{name}={module!r};".encode())
        if name in layers:
            out[name] = digest.hexdigest()[:16]
    return out


def pooling_of(backbone: Backbone, layers: Sequence[str]) -> str:
    """The kinds of pooling up to the deepest of ``layers``: "max", "avg", "max+avg" or "none"."""
    kinds = {type(m).__name__.split("Pool")[0].lower() or "pool"
             for m in backbone.truncated(backbone.check_layers(layers)).body.values() if "Pool" in type(m).__name__}
    return "+".join(sorted(kinds)) or "none"


def example_sizes(min_side: int) -> tuple[tuple[int, int, int], ...]:
    """Two unlike, odd, non-square sizes (one with batch 2) that the deepest layer accepts."""
    b = max(min_side, 8)
    return (1, 2 * b + 3, 3 * b + 1), (2, 4 * b + 5, 2 * b + 7)


def to_onnx(graph: FeatureGraph, min_side: int, opset: int = OPSET) -> onnx.ModelProto:
    """Trace ``graph`` with dynamic batch/height/width; dynamo first, TorchScript if that fails."""
    batch, height, width = example_sizes(min_side)[1]
    example = torch.rand(batch, 3, height, width)
    names = dict(input_names=[INPUT_NAME], output_names=list(graph.layers))
    low = max(2, min_side)
    dims = {0: torch.export.Dim("batch", min=1), 2: torch.export.Dim("height", min=low),
            3: torch.export.Dim("width", min=low)}
    try:
        with _quiet_exporter():
            program = torch.onnx.export(graph, (example,), dynamo=True, opset_version=opset, verbose=False,
                                        dynamic_shapes={"image": dims}, external_data=False, **names)
        return program.model_proto
    except Exception as first:  # the exporter's own failures vary by version; keep the reason
        buffer = io.BytesIO()
        try:
            torch.onnx.export(graph, (example,), buffer, dynamo=False, opset_version=opset, **names,
                              dynamic_axes={n: {0: "batch", 2: "height", 3: "width"}
                                            for n in [INPUT_NAME, *graph.layers]})
        except Exception as second:
            raise RuntimeError(f"ONNX export failed: dynamo: {first}; torchscript: {second}") from second
        return onnx.load_from_string(buffer.getvalue())


@contextlib.contextmanager
def _quiet_exporter():
    """The exporter logs chatty warnings (e.g. converting opset 18 down to 17); the core never prints."""
    loggers = [logging.getLogger(n) for n in ("torch.onnx", "onnxscript")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


def annotate(model: onnx.ModelProto, info: ModelInfo) -> onnx.ModelProto:
    model.producer_name = "nst_pipeline"
    model.producer_version = __version__
    model.doc_string = (f"{info.backbone} features {', '.join(info.layers)}; input {INPUT_DESCRIPTION}; "
                        f"preprocessing: {info.preprocessing}")
    del model.metadata_props[:]
    onnx.helper.set_model_props(model, info.to_props())
    return model


def verify(path: Path, graph: FeatureGraph, min_side: int, tolerance: float = TOLERANCE) -> Verification:
    """Run the file through onnxruntime (CPU) and torch at two sizes; raise if they disagree."""
    from .runtime import OnnxFeatures

    features = OnnxFeatures(path, device=torch.device("cpu"))
    gen = torch.Generator().manual_seed(0)
    worst, worst_layer = 0.0, ""
    sizes = example_sizes(min_side)
    for n, h, w in sizes:
        image = torch.rand(n, 3, h, w, generator=gen)
        with torch.no_grad():
            expected = dict(zip(graph.layers, graph(image)))
        got = features(image, graph.layers)
        for layer in graph.layers:
            err = relative_error(got[layer], expected[layer])
            if err > worst:
                worst, worst_layer = err, layer
            if not err <= tolerance:  # also catches NaN
                raise OutputError(f"the exported model disagrees with torch at layer {layer!r} "
                                  f"({n}x3x{h}x{w}): relative error {err:.3g} > {tolerance:g}; nothing was written")
    return Verification(sizes, worst, worst_layer)


def relative_error(got: torch.Tensor, expected: torch.Tensor) -> float:
    if got.shape != expected.shape:
        return float("inf")
    scale = expected.abs().max().clamp_min(1e-12)
    return float((got - expected).abs().max() / scale)


def export_backbone(backbone: Backbone, layers: Sequence[str], path: str | os.PathLike, *,
                    backbone_name: str, check: bool = True, opset: int = OPSET) -> tuple[ModelInfo, Verification | None]:
    """Write ``path`` atomically; with ``check`` it must pass the full checker and the torch comparison."""
    if opset < MIN_OPSET:
        raise ConfigError(f"opset {opset} is too old; use {MIN_OPSET} or newer")
    if not list(layers):
        raise ConfigError("no layers to export")
    info = model_info(backbone, layers, backbone_name)
    graph = FeatureGraph(_on_cpu(backbone), info.layers).eval()
    min_side = info.min_side(info.layers)
    model = annotate(to_onnx(graph, min_side, opset), info)
    def write(tmp: str):
        onnx.save_model(model, tmp)
        # full check: also runs strict shape inference over the whole graph
        onnx.checker.check_model(tmp, full_check=True)
        return verify(Path(tmp), graph, min_side) if check else None

    verification = atomic_write(Path(path), write)
    return info, verification
