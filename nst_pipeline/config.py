"""Job options, validated once, frozen. The CLI and the Python API both build one."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .errors import ConfigError


class StyleConfig(BaseModel):
    """Everything that shapes how one frame is stylized."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    styles: tuple[Path, ...] = Field(min_length=1)
    style_blend: tuple[float, ...] | None = None
    size: int = Field(512, ge=16, le=8192, description="long side of the output, px")
    steps: int = Field(150, ge=0, description="optimizer steps per pyramid level")
    levels: int | None = Field(None, ge=1, le=6, description="pyramid levels (None: auto)")
    optimizer: str = "lbfgs"
    lr: float | None = None
    lr_decay_every: int = Field(0, ge=0)
    lr_decay: float = 0.5
    content_weight: float | None = Field(None, ge=0)
    style_weight: float | None = Field(None, ge=0)
    tv_weight: float | None = Field(None, ge=0)
    losses: tuple[str, ...] = ()              # "name[:weight]"
    loss_options: tuple[str, ...] = ()        # "name.key=value"
    init: str = "content"                     # content | noise | path to an image
    seed: int | None = None
    backbone: str = "vgg19"
    backbone_options: tuple[str, ...] = ()    # "key=value"
    pooling: Literal["max", "avg"] | None = None
    weights: Path | None = None
    device: str = "auto"
    original_colors: bool = False
    style_scale: float = Field(1.0, gt=0, le=4)
    #: who computes the (forward-only) targets: torch, an exported ONNX model, or auto
    targets: str = "torch"
    onnx_model: Path | None = None

    @field_validator("style_blend")
    @classmethod
    def _blend_positive(cls, v):
        if v is not None and (any(w < 0 for w in v) or sum(v) <= 0):
            raise ValueError("style blend weights must be >= 0 and not all zero")
        return v


def make_config(**kwargs) -> StyleConfig:
    """Build a :class:`StyleConfig`, turning pydantic's report into one readable line."""
    from pydantic import ValidationError

    try:
        return StyleConfig(**kwargs)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "options"
            problems.append(f"{where.replace('_', '-')}: {err['msg']}")
        raise ConfigError("invalid options: " + "; ".join(problems)) from None
