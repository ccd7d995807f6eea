"""Built-in ONNX backbone, declared through the public ``nst_backbones`` hook.

``--backbone onnx:FILE`` is this spec with option ``model=FILE``.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ConfigError
from ..hookspecs import hookimpl
from ..specs import BackboneSpec, PluginOptions


class OnnxBackboneOptions(PluginOptions):
    model: Path | None = None


def _onnx_backbone(options: OnnxBackboneOptions):
    if options.model is None:
        raise ConfigError("backbone 'onnx' needs a model file: --backbone onnx:FILE (from `nst export onnx`)")
    from ..onnxrt.backbone import OnnxBackbone
    from ..onnxrt.runtime import OnnxFeatures

    return OnnxBackbone(OnnxFeatures(options.model))


@hookimpl
def nst_backbones():
    return [
        BackboneSpec("onnx", _onnx_backbone,
                     "an exported model (onnx:FILE) run forward-only by onnxruntime: targets and scoring, not optimization",
                     OnnxBackboneOptions),
    ]
