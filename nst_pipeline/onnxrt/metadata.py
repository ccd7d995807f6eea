"""What an exported model says about itself (ONNX ``metadata_props``, all strings).

The runtime trusts a file only if it carries these keys: they name the layers
(one output each), the preprocessing baked into the graph, the weights it was
exported from and the package version that wrote it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..errors import ConfigError, unknown_name_message

#: the opset an export writes: what the dynamo exporter targets natively (here, not in
#: export.py, so that `nst export --help` shows it without importing torch and onnx)
OPSET = 18
#: the oldest opset an export accepts (the issue asks for 17+)
MIN_OPSET = 17
PREFIX = "nst."
#: bump when the meaning of a key changes; the runtime refuses formats it does not know
FORMAT_VERSION = "1"
INPUT_NAME = "image"
INPUT_DESCRIPTION = "RGB float32 in [0, 1], NCHW; dynamic batch, height and width"


@dataclass(frozen=True)
class ModelInfo:
    backbone: str
    layers: tuple[str, ...]
    #: how many times the input is halved before each layer: gives the smallest usable input
    downsampling: Mapping[str, int]
    preprocessing: str
    weights_sha256: str
    package_version: str
    default_content_layers: tuple[str, ...] = ()
    default_style_layers: tuple[str, ...] = ()
    #: per layer, a digest of the modules that compute it (export.architecture): same weights
    #: with other pooling give other features, so a run checks the layers it uses against it
    architecture: Mapping[str, str] = field(default_factory=dict)
    #: the pooling in the exported trunk ("max", "avg", "max+avg", "none"), for messages
    pooling: str = ""

    def to_props(self) -> dict[str, str]:
        values = {
            "format": FORMAT_VERSION,
            "backbone": self.backbone,
            "layers": ",".join(self.layers),
            "downsampling": json.dumps(dict(self.downsampling), sort_keys=True),
            "input": INPUT_DESCRIPTION,
            "preprocessing": self.preprocessing,
            "weights_sha256": self.weights_sha256,
            "package_version": self.package_version,
            "default_content_layers": ",".join(self.default_content_layers),
            "default_style_layers": ",".join(self.default_style_layers),
            "architecture": json.dumps(dict(self.architecture), sort_keys=True),
            "pooling": self.pooling,
        }
        return {PREFIX + k: v for k, v in values.items()}

    @classmethod
    def from_props(cls, props: Mapping[str, str]) -> "ModelInfo":
        """Raise ``KeyError``/``ValueError`` when ``props`` are not ours (the caller words it)."""
        get = lambda key: props[PREFIX + key]  # noqa: E731
        if get("format") != FORMAT_VERSION:
            raise ValueError(f"metadata format {get('format')!r}, this version reads {FORMAT_VERSION!r}")
        layers = _split(get("layers"))
        downsampling = {k: int(v) for k, v in json.loads(get("downsampling")).items()}
        if not layers or set(layers) - set(downsampling):
            raise ValueError("layer list and downsampling table disagree")
        return cls(
            backbone=get("backbone"), layers=layers, downsampling=downsampling,
            preprocessing=get("preprocessing"), weights_sha256=get("weights_sha256"),
            package_version=get("package_version"),
            default_content_layers=_split(props.get(PREFIX + "default_content_layers", "")),
            default_style_layers=_split(props.get(PREFIX + "default_style_layers", "")),
            # absent from files written before it was recorded: such a file cannot be checked
            architecture=json.loads(props.get(PREFIX + "architecture", "{}")),
            pooling=props.get(PREFIX + "pooling", ""),
        )

    def check_layers(self, layers: Iterable[str]) -> list[str]:
        """``layers`` in forward order, or a ConfigError naming the ones this file has."""
        layers = list(dict.fromkeys(layers))
        for name in layers:
            if name not in self.layers:
                raise ConfigError(unknown_name_message("layer", name, self.layers)
                                  + " (these are the layers the ONNX model was exported with)")
        return sorted(layers, key=self.layers.index)

    def min_side(self, layers: Iterable[str]) -> int:
        layers = self.check_layers(layers)
        return 2 ** self.downsampling[layers[-1]] if layers else 1


def _split(text: str) -> tuple[str, ...]:
    return tuple(t for t in (s.strip() for s in text.split(",")) if t)
