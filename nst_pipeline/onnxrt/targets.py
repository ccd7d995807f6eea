"""``--targets torch|onnx|auto``: who computes the forward-only target features.

``onnx`` uses ``--onnx-model FILE`` when given, else exports the layers the job
needs once into the cache (keyed by the weights' sha256, the architecture and the
layers). ``auto`` times both encoders on this machine, once, and keeps the faster.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import torch

from ..backbones.base import Backbone
from ..backbones.weights import cache_dir
from ..errors import ConfigError, NSTError, OutputError
from ..images import atomic_write
from .backbone import OnnxBackbone
from .export import architecture, export_backbone, pooling_of
from .metadata import FORMAT_VERSION, OPSET
from .runtime import OnnxFeatures

#: auto times both encoders on a square image of at most this side (targets are computed
#: at every pyramid level, so a mid-sized image is the representative case)
AUTO_PROBE_SIDE = 256


def resolve_target_encoder(config, backbone: Backbone, layers: Sequence[str], device: torch.device) -> Callable | None:
    """An encoder for targets, or ``None`` to let the torch backbone compute them
    (``config.targets`` is one of the schema's ``TargetsBy``)."""
    choice = config.targets
    if choice == "torch" or isinstance(backbone, OnnxBackbone) or not layers:
        return None
    layers = backbone.check_layers(layers)
    if config.onnx_model is not None:
        features = OnnxFeatures(config.onnx_model, device)
        check_compatible(features, backbone, layers, config.backbone)
    else:
        features = cached_export(backbone, config.backbone, layers, device)
    if choice == "onnx":
        return features
    side = max(backbone.min_side(layers), min(config.size, AUTO_PROBE_SIDE))
    return features if onnx_is_faster(features, backbone, layers, device, side) else None


def check_compatible(features: OnnxFeatures, backbone: Backbone, layers: Sequence[str], name: str) -> None:
    """A given model must compute the same features the torch backbone would: the same
    backbone, layers, weights, preprocessing and architecture (pooling included)."""
    info, where = features.info, f"--onnx-model {features.path}"
    if info.backbone != name:
        raise ConfigError(f"{where} was exported from backbone {info.backbone!r}, but this run uses {name!r}; "
                          f"export it again: nst export onnx --backbone {name}")
    missing = [l for l in layers if l not in info.layers]
    if missing:
        raise ConfigError(f"{where} lacks layers {', '.join(missing)} that the loss terms need; "
                          f"it has {', '.join(info.layers)}. Export them: nst export onnx --layers {','.join(layers)}")
    _check_architecture(info, where, backbone, layers)
    if backbone.weights_sha256 and info.weights_sha256 != backbone.weights_sha256:
        raise ConfigError(f"{where} was exported from other weights (sha256 {info.weights_sha256[:12]}...) "
                          f"than this backbone's ({backbone.weights_sha256[:12]}...)")
    if info.preprocessing != backbone.preprocessing:
        raise ConfigError(f"{where} bakes in preprocessing {info.preprocessing!r}, "
                          f"but the backbone uses {backbone.preprocessing!r}")


def _check_architecture(info, where: str, backbone: Backbone, layers: Sequence[str]) -> None:
    if not info.architecture:
        raise ConfigError(f"{where} does not record its architecture (an export by an older version), so its "
                          "pooling cannot be checked; export it again with nst export onnx")
    deepest = backbone.check_layers(layers)[-1]
    if info.architecture.get(deepest) == architecture(backbone, layers).get(deepest):
        return
    ours = pooling_of(backbone, info.layers) if all(l in backbone.layer_names for l in info.layers) else "?"
    if info.pooling and ours != info.pooling:
        raise ConfigError(f"{where} was exported with {info.pooling} pooling, but this run's backbone has {ours} "
                          f"pooling; pass --pooling {info.pooling}, or export it again with --pooling {ours}")
    raise ConfigError(f"{where} was exported from another architecture than this run's backbone "
                      "(other modules up to its layers); export it again with the run's --backbone options")


def cache_key(backbone: Backbone, layers: Sequence[str]) -> str:
    trunk = backbone.truncated(layers)
    recipe = {
        "format": FORMAT_VERSION, "opset": OPSET, "layers": list(layers),
        "weights": backbone.weights_sha256 or _parameter_hash(trunk),
        "preprocessing": backbone.preprocessing,
        # same weights, other architecture (e.g. avg instead of max pooling): another file
        "architecture": repr(trunk.body),
    }
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()


def _parameter_hash(module: torch.nn.Module) -> str:
    digest = hashlib.sha256()
    for name, tensor in [*module.named_parameters(), *module.named_buffers()]:
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def cache_path(backbone: Backbone, name: str, layers: Sequence[str]) -> Path:
    label = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:40] or "backbone"
    return cache_dir() / "onnx" / f"{label}-{cache_key(backbone, layers)[:32]}.onnx"


def cached_export(backbone: Backbone, name: str, layers: Sequence[str], device: torch.device) -> OnnxFeatures:
    path = cache_path(backbone, name, layers)
    if path.is_file():
        try:
            return OnnxFeatures(path, device)
        except NSTError:
            pass  # a damaged cache file is rebuilt, not reported
    path.parent.mkdir(parents=True, exist_ok=True)
    export_backbone(backbone, layers, path, backbone_name=name, check=True)
    return OnnxFeatures(path, device)


def onnx_is_faster(features: OnnxFeatures, backbone: Backbone, layers: Sequence[str],
                   device: torch.device, side: int) -> bool:
    """Time both encoders here (best of 3 after a warm-up); remember the verdict per setup."""
    key = "|".join([features.info.weights_sha256, ",".join(layers), features.info.preprocessing,
                    str(device), ",".join(features.providers), str(torch.get_num_threads()), str(side),
                    torch.__version__, _ort_version()])
    verdicts = _read_verdicts()
    if key not in verdicts:
        image = torch.rand(1, 3, side, side, device=device)
        verdicts[key] = {"torch_s": _best_time(lambda: backbone(image, layers), device),
                         "onnx_s": _best_time(lambda: features(image, layers), device)}
        _write_verdicts(verdicts)
    return verdicts[key]["onnx_s"] < verdicts[key]["torch_s"]


def _best_time(run: Callable[[], object], device: torch.device, repeats: int = 3) -> float:
    times = []
    with torch.no_grad():
        for i in range(repeats + 1):
            start = time.perf_counter()
            run()
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            if i:  # the first run pays for allocations and kernel selection
                times.append(time.perf_counter() - start)
    return min(times)


def _ort_version() -> str:
    import onnxruntime

    return onnxruntime.__version__


def _verdicts_path() -> Path:
    return cache_dir() / "onnx" / "auto-targets.json"


def _read_verdicts() -> dict:
    try:
        data = json.loads(_verdicts_path().read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_verdicts(verdicts: dict) -> None:
    path = _verdicts_path()
    text = json.dumps(verdicts, indent=1)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    except (OSError, OutputError):
        pass  # an unwritable cache only costs a re-measurement next time
