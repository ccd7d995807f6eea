"""Every option and its default, written once.

:class:`StyleConfig` shapes how one frame is stylized; :class:`ClipConfig` holds what
only a sequence of frames has (budgets for first and later frames, warm start, frame
selection). A still image is a one-frame clip, so ``nst image`` fills both as well.
The CLI builds its options from these models (``cli/options.py``) and the Python API
passes keyword arguments with the same names, so a default or a check lives here only.
"""

from __future__ import annotations

import itertools
import typing
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import ConfigError, unknown_name_message

#: gatys/optimize.py makes them (its OPTIMIZERS table, which needs torch: the schema does not
#: import it, so the names are written here and tests/test_config.py keeps the two equal)
Optimizer = Literal["lbfgs", "adam", "adamax", "adadelta", "sgd"]
TargetsBy = Literal["torch", "onnx", "auto"]
WarmStart = Literal["prev-warped", "prev", "content"]
Precision = Literal["auto", "fp32", "bf16"]

#: a clip keeps its own frame size up to this long side when no --size is given
AUTO_SIZE_CAP = 512
#: a still's long side when no --size is given
STILL_SIZE = 512


def _cli(*flags: str, **extra: Any) -> dict:
    return {"json_schema_extra": {"cli": flags, **extra}}


class _Schema(BaseModel):
    # allow_inf_nan=False: a weight of nan or inf is refused when the options are read,
    # not discovered as a nan loss minutes later
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class StyleConfig(_Schema):
    """Everything that shapes how one frame is stylized."""

    styles: tuple[Path, ...] = Field(min_length=1, description="Style image; repeat for several styles.", **_cli("--style", "-s"))
    style_blend: tuple[float, ...] | None = Field(None, description="Blend weight per --style (repeat, same order).")
    size: int | None = Field(None, ge=16, le=8192, description=(
        f"Long side of the output in px (default: {STILL_SIZE} for a picture; a clip keeps its own size up to "
        f"{AUTO_SIZE_CAP}, and raw frames on stdout keep exactly the input's)."))
    method: str = Field("gatys", description="How frames are stylized (see `nst plugins list`): gatys (optimization) or fast (one forward pass).")
    method_options: tuple[str, ...] = Field((), description="Method option key=value.", **_cli("--method-option"))
    levels: int | None = Field(None, ge=1, le=6, description="Pyramid levels, coarse to fine (default: auto; 1 = off).")
    optimizer: Optimizer = Field("lbfgs", description="Optimizer.")
    lr: float | None = Field(None, gt=0, description="Learning rate (default depends on the optimizer).")
    lr_decay_every: int = Field(0, ge=0, description="Multiply the learning rate by --lr-decay every N steps (0: off).")
    lr_decay: float = Field(0.5, gt=0, le=1, description="Step-decay factor.")
    tol: float = Field(0.01, ge=0, description="Stop a level (or frame) when the loss improves by less than this, relatively, over the last 5 steps (0: every step up to the cap).")
    time_budget: float | None = Field(None, gt=0, description="Seconds per picture (per frame for a clip); the best image reached is kept.")
    content_weight: float | None = Field(None, ge=0, description="Weight of the content term (default 1).")
    style_weight: float | None = Field(None, ge=0, description="Weight of the style term (default 10).")
    tv_weight: float | None = Field(None, ge=0, description="Weight of total variation (default 1).")
    temporal_weight: float | None = Field(None, ge=0, description="Weight of the temporal loss pulling each later frame towards the flow-warped previous result (gatys; default 20; 0: off). The fast method blends instead: --method-option blend=W.")
    losses: tuple[str, ...] = Field((), description="Add or reweight a loss term: NAME or NAME:WEIGHT (weight 0 turns it off).", **_cli("--loss"))
    loss_options: tuple[str, ...] = Field((), description="Loss option NAME.key=value, e.g. style.layers=relu1_1,relu2_1.", **_cli("--loss-option"))
    seed: int | None = Field(None, description="Seed for identical output on rerun (same device).")
    backbone: str = Field("vgg19", description="Feature extractor (see `nst plugins list`).")
    backbone_options: tuple[str, ...] = Field((), description="Backbone option key=value.", **_cli("--backbone-option"))
    pooling: Literal["max", "avg"] | None = Field(None, description="Pooling in the backbone: max or avg.")
    weights: Path | None = Field(None, description="Local weights file (or folder) for the backbone or method.")
    device: str = Field("auto", description="auto, cpu, cuda or cuda:N.")
    precision: Precision = Field("auto", description=(
        "The backbone's arithmetic: bf16 (bfloat16 convolutions, losses and the image in fp32), fp32, or auto "
        "(bf16 where the device runs it fast: CUDA with bf16, a CPU with AVX512-BF16 or AMX; else fp32)."))
    original_colors: bool = Field(False, description="Keep the content's colors; transfer the style to luminance only.")
    style_scale: float = Field(1.0, gt=0, le=4, description="Style image size relative to the content.")
    targets: TargetsBy = Field("torch", description="Who computes the targets: torch, onnx (onnxruntime), or auto (the faster here, measured once).")
    onnx_model: Path | None = Field(None, description="Exported model for --targets onnx/auto (default: export once into the cache).")

    @field_validator("style_blend")
    @classmethod
    def _blend_positive(cls, v):
        if v is not None and (any(w < 0 for w in v) or sum(v) <= 0):
            raise ValueError("style blend weights must be >= 0 and not all zero")
        return v

    @field_validator("device")
    @classmethod
    def _known_device(cls, v: str) -> str:
        if v in ("auto", "cpu", "cuda") or (v.startswith("cuda:") and v[5:].isdigit()):
            return v
        raise ValueError(f"unknown device {v!r}; use auto, cpu, cuda or cuda:N")


class ClipConfig(_Schema):
    """What only a sequence of frames has. A still is a clip of one frame."""

    first_steps: int = Field(150, ge=0, description="Optimizer steps per pyramid level for the first frame (and each frame after a scene cut).")
    steps: int = Field(40, ge=0, description="Optimizer steps for each later frame (warm-started from the previous one).")
    warm_start: WarmStart = Field("prev-warped", description="Start of later frames: prev-warped (previous result warped by optical flow), prev or content.")
    first_init: str = Field("content", description="Start of the first frame: content, noise, or an image path.")
    start: int = Field(0, ge=0, description="Skip this many input frames first.")
    every: int = Field(1, ge=1, description="Take every N-th input frame (output fps drops N-fold).")
    max_frames: int | None = Field(None, ge=1, description="Stylize at most this many frames.")
    workers: int = Field(1, ge=1, description=(
        "Stylize segments of the clip (split at scene cuts, then into overlapping chunks) on N Ray workers "
        "(1: in this process, no Ray). For clips long enough to outgrow one machine; see the README."))
    ray_address: str | None = Field(None, description="Join this Ray cluster (ADDRESS or auto) instead of starting a local one.")
    segment_frames: int = Field(100, ge=2, description="With --workers: longest chunk of a shot that one worker stylizes in order.")
    overlap: int = Field(8, ge=0, description="With --workers: frames shared by neighbouring chunks, cross-faded so the seam does not jump.")

    @field_validator("first_init")
    @classmethod
    def _start_exists(cls, v: str) -> str:
        if v in ("content", "noise") or Path(v).is_file():
            return v
        raise ValueError(f"{v!r} is neither content, noise nor an existing image file")

    @model_validator(mode="after")
    def _overlap_fits(self) -> "ClipConfig":
        # the stitcher cross-fades neighbouring chunks only: past half, a frame would lie in
        # three chunks (refused rather than blended three ways: it would also cost over 2x the work)
        if 2 * self.overlap > self.segment_frames:
            raise ValueError(f"--overlap ({self.overlap}) must be at most half of --segment-frames "
                             f"({self.segment_frames}), so that only neighbouring chunks share frames")
        return self

    @property
    def on_ray(self) -> bool:
        """More than one worker or a cluster address: segments on Ray. One worker and no
        address is the plain in-process run (Ray is not imported)."""
        return self.workers > 1 or bool(self.ray_address)

    def select(self, frames: Iterable[Any]) -> Iterator[Any]:
        stop = None if self.max_frames is None else self.start + self.max_frames * self.every
        return itertools.islice(frames, self.start, stop, self.every)

    def source_index(self, index: int) -> int:
        return self.start + index * self.every

    def total(self, frame_count: int | None) -> int | None:
        if frame_count is None:
            return self.max_frames
        n = len(range(self.start, frame_count, self.every))
        return n if self.max_frames is None else min(n, self.max_frames)

    def resume_key(self) -> dict:
        """What must not change between a job and its --resume (--max-frames may grow)."""
        return self.model_dump(mode="json", exclude={"max_frames", "workers", "ray_address"})


def _validated(model: type[_Schema], kwargs: dict, flags: dict[str, str] | None = None):
    """Build ``model``, turning pydantic's report into one line that names the option."""
    try:
        return model(**kwargs)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else ""
            name = (flags or {}).get(field) or option_flag(model, field) if field else ""
            # a check across fields (a model validator) names its options itself
            message = (f"{name}: " if name else "") + err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                message = f"{name}: unknown option"
            elif err["type"] == "literal_error":  # a typo gets a suggestion, like unknown plugin names
                valid = [str(v) for v in typing.get_args(_literal(model, field))]
                message = unknown_name_message(f"{name} value", str(err["input"]), valid)
            problems.append(message)
        raise ConfigError("invalid options: " + "; ".join(problems)) from None


def _literal(model: type[_Schema], field: str):
    annotation = model.model_fields[field].annotation
    if typing.get_origin(annotation) is Literal:
        return annotation
    return next(a for a in typing.get_args(annotation) if typing.get_origin(a) is Literal)


def option_flag(model: type[_Schema], field: str) -> str:
    """The command-line spelling of a field (``style_weight`` -> ``--style-weight``)."""
    info = model.model_fields.get(field)
    extra = (info.json_schema_extra or {}) if info is not None else {}
    flags = extra.get("cli") if isinstance(extra, dict) else None
    return flags[0] if flags else "--" + field.replace("_", "-")


def make_config(flags: dict[str, str] | None = None, **kwargs) -> StyleConfig:
    """A :class:`StyleConfig`; a bad value becomes one :class:`ConfigError` line."""
    return _validated(StyleConfig, kwargs, flags)


def make_clip(flags: dict[str, str] | None = None, **kwargs) -> ClipConfig:
    """A :class:`ClipConfig`; ``flags`` renames fields in messages (``nst image`` calls first_steps --steps)."""
    return _validated(ClipConfig, kwargs, flags)


#: how each command spells fields that differ from the field name (CLI flags and API keywords alike):
#: ``nst image --steps`` is the first (only) frame's budget, ``nst video --init`` the warm start
IMAGE_NAMES = {"first_steps": "steps", "first_init": "init"}
VIDEO_NAMES = {"warm_start": "init"}
#: fields a still has no use for
VIDEO_ONLY_FIELDS = ("temporal_weight", "steps", "warm_start", "start", "every", "max_frames", "workers",
                     "ray_address", "segment_frames", "overlap")


def command_fields(command: Literal["image", "video"]) -> dict[str, str]:
    """field -> how ``command`` spells it, for every field the command takes."""
    names = IMAGE_NAMES if command == "image" else VIDEO_NAMES
    fields = [*StyleConfig.model_fields, *ClipConfig.model_fields]
    if command == "image":
        fields = [f for f in fields if f not in VIDEO_ONLY_FIELDS]
    return {f: names.get(f, f) for f in fields}


def split_options(options: dict[str, Any], command: Literal["image", "video"]) -> tuple[StyleConfig, ClipConfig]:
    """Keyword options (the API's, or the CLI's parameters) -> both configs.

    Names are the command's spellings (see :func:`command_fields`). ``None`` means "the
    schema's default"; a name the command doesn't know is an error naming it."""
    names = command_fields(command)
    fields = {spelling: f for f, spelling in names.items()}
    valid = set(fields)
    given = {fields.get(k, k): v for k, v in options.items() if v is not None}
    unknown = sorted(k for k in options if k not in valid)
    if unknown:
        raise ConfigError(f"unknown option(s) {', '.join(unknown)}; valid: {', '.join(sorted(valid))}")
    flags = {f: "--" + spelling.replace("_", "-") for f, spelling in names.items() if spelling != f}
    style = {k: tuple(v) if isinstance(v, list) else v for k, v in given.items() if k in StyleConfig.model_fields}
    clip = {k: v for k, v in given.items() if k in ClipConfig.model_fields}
    return make_config(flags, **style), make_clip(flags, **clip)
