"""Small frozen records that plugins return from their hooks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict


class PluginOptions(BaseModel):
    """Base for per-plugin options: unknown keys are an error, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class NoOptions(PluginOptions):
    """For plugins that take no options."""


@dataclass(frozen=True)
class BackboneSpec:
    """A feature extractor. ``factory(options)`` returns a :class:`~nst_pipeline.backbones.base.Backbone`."""

    name: str
    factory: Callable[[Any], Any]
    summary: str
    options: type[PluginOptions] = NoOptions
    plugin: str = field(default="", compare=False)


@dataclass(frozen=True)
class LossTermSpec:
    """A loss term. ``factory(options)`` returns a :class:`~nst_pipeline.losses.base.LossTerm`.

    ``default_weight`` is used when the user selects the term without a weight;
    ``default`` terms are active unless the user picks terms explicitly.
    """

    name: str
    factory: Callable[[Any], Any]
    summary: str
    options: type[PluginOptions] = NoOptions
    default_weight: float = 1.0
    default: bool = False
    video_only: bool = False
    plugin: str = field(default="", compare=False)


@dataclass(frozen=True)
class FrameSourceSpec:
    """A reader of frames. ``probe(location)`` says whether it can read ``location``;
    ``factory(location, options)`` opens it and returns a
    :class:`~nst_pipeline.sources.base.FrameSource`. Higher ``priority`` is tried first."""

    name: str
    factory: Callable[[str, Any], Any]
    probe: Callable[[str], bool]
    summary: str
    options: type[PluginOptions] = NoOptions
    priority: int = 0
    plugin: str = field(default="", compare=False)


@dataclass(frozen=True)
class MethodSpec:
    """A way to stylize a frame. ``factory(context)`` gets a
    :class:`~nst_pipeline.methods.base.MethodContext` and returns a
    :class:`~nst_pipeline.methods.base.Method`."""

    name: str
    factory: Callable[[Any], Any]
    summary: str
    options: type[PluginOptions] = NoOptions
    plugin: str = field(default="", compare=False)
