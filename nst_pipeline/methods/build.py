"""Building a run's method from the options, and what the run will do (its plan).

Shared by the in-process run (:mod:`nst_pipeline.clips`) and the Ray workers
(:mod:`nst_pipeline.scale.executor`), which build the same method from the same options.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

from ..config import (AUTO_SIZE_CAP, IMAGE_NAMES, STILL_SIZE, VIDEO_NAMES, VIDEO_ONLY_FIELDS, ClipConfig,
                      StyleConfig, option_flag)
from ..errors import NSTWarning
from ..options import build_options, split_pairs
from ..registry import Registry
from ..sources.base import FrameSource
from .base import Method, MethodContext


@dataclass(frozen=True)
class Plan:
    """What a run will do, said before the first frame (progress bars, ETAs, size notes)."""

    frames: int | None             # selected frames, when the input says how many it has
    input_size: tuple[int, int] | None    # (width, height)
    output_size: tuple[int, int] | None   # (width, height)
    level_sizes: list[tuple[int, int]] = field(default_factory=list)   # (h, w) per level of a first frame
    first_steps: int = 0
    steps: int = 0
    method: str = ""
    precision: str | None = None   # what the method computes in (e.g. bf16), when it says


def build_method(config: StyleConfig, registry: Registry, video: bool,
                 frame_hw: tuple[int, int] | None = None, clip: ClipConfig | None = None) -> Method:
    """The method ``config`` names; given the run's ``clip`` (the driver, not each Ray
    worker), options the method does not use are warned about once."""
    spec = registry.method(config.method)
    options = build_options(spec.options, split_pairs(config.method_options, "--method-option"), f"method {spec.name!r}")
    method = spec.factory(MethodContext(config, options, registry, video, frame_hw))
    ignored = ignored_options(method, config, clip, video) if clip is not None else []
    if ignored:
        warnings.warn(f"--method {config.method} does not use {', '.join(ignored)}: "
                      "they change nothing in this run", NSTWarning, stacklevel=2)
    return method


def ignored_options(method: Method, config: StyleConfig, clip: ClipConfig, video: bool) -> list[str]:
    """The options set to other than their default that ``method`` does not honour (see
    :attr:`Method.honours`), spelled as the command spells them (``nst image --steps``)."""
    honours = type(method).honours
    if honours is None:
        return []
    names = VIDEO_NAMES if video else IMAGE_NAMES
    found = []
    for model in (config, clip):
        for name, info in type(model).model_fields.items():
            if name in honours or (not video and name in VIDEO_ONLY_FIELDS) or getattr(model, name) == info.default:
                continue
            found.append("--" + names[name].replace("_", "-") if name in names else option_flag(type(model), name))
    return found


def input_size(source: FrameSource) -> tuple[int, int] | None:
    """(width, height) of the source's frames when it knows it before reading. Read with a
    default: a third-party source may duck-type :class:`FrameSource` without declaring it."""
    size = getattr(source, "frame_size", None)
    return tuple(size) if size else None


def resolve_size(config: StyleConfig, size: tuple[int, int] | None, *, still: bool, exact: bool) -> StyleConfig:
    """No --size: a still becomes 512 px; a clip keeps its size up to 512 px; raw frames on
    stdout keep exactly the input's (the next program reads them at the size it was told)."""
    if config.size is not None:
        return config
    if still or size is None:
        long_side = STILL_SIZE if still else AUTO_SIZE_CAP
    else:
        long_side = max(size) if exact else min(AUTO_SIZE_CAP, max(size))
    return config.model_copy(update={"size": long_side})


def make_plan(method: Method, config: StyleConfig, clip: ClipConfig, size, frames: int | None) -> Plan:
    if size is None:
        return Plan(frames, None, None, [], clip.first_steps, clip.steps, config.method, method.precision)
    h, w = method.output_size((size[1], size[0]))
    return Plan(frames, size, (w, h), method.level_sizes((size[1], size[0])), clip.first_steps, clip.steps,
                config.method, method.precision)
