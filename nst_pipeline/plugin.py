"""The public API for plugin authors: import everything from here, nothing else.

A plugin is a module (or object) with functions marked :data:`hookimpl`, made
known through the ``nst_pipeline`` entry-point group of its distribution::

    [project.entry-points.nst_pipeline]
    mine = "nst_mine"

Its hooks *declare* things and return small frozen spec records; they never do
work. The built-in backbones, loss terms and frame sources register through the
same four hooks, so a plugin is a peer of the built-ins. ``nst`` imports the module
only when a run needs one of its names (or lists plugins, or probes an input for
frame sources), and then every such run pays for that import: keep torch and model
code out of the module's top and import them inside the factories. The names below are
the stable surface; everything else in ``nst_pipeline`` may change between
releases without notice.

Hooks (each returns a list, or is a generator, of spec records):

``nst_backbones() -> Iterable[BackboneSpec]``
    Feature extractors. ``BackboneSpec.factory(options)`` returns a :class:`Backbone`.
``nst_loss_terms() -> Iterable[LossTermSpec]``
    Loss terms. ``LossTermSpec.factory(options)`` returns a :class:`LossTerm`.
``nst_frame_sources() -> Iterable[FrameSourceSpec]``
    Frame readers. ``FrameSourceSpec.probe(location)`` says whether the source reads
    ``location``; ``factory(location, options)`` returns an open :class:`FrameSource`.
``nst_methods() -> Iterable[MethodSpec]``
    How a frame gets stylized. ``MethodSpec.factory(context)`` gets a :class:`MethodContext`
    and returns a :class:`Method`, whose ``stylize(task, on_step)`` turns a :class:`FrameTask`
    (content, first-of-shot flag, step cap, start, optional :class:`Guide`) into a frame.

Records and base classes:

:class:`BackboneSpec`, :class:`LossTermSpec`, :class:`FrameSourceSpec`
    Frozen dataclasses: ``name`` (letters, digits, ``-``, ``_``; it is what users type),
    ``factory``, one-line ``summary``, ``options`` (a :class:`PluginOptions` subclass).
    Loss terms add ``default_weight``, ``default`` (active without ``--loss``) and
    ``video_only``; frame sources add ``probe`` and ``priority`` (higher is asked first).
:class:`PluginOptions`
    Pydantic base model for options: unknown keys are an error naming the valid ones,
    values are frozen. ``--loss-option NAME.key=value`` / ``--backbone-option key=value``
    fill it; list fields take ``a,b,c``. :class:`NoOptions` takes none.
:class:`Backbone`
    ``torch.nn.Module`` built from a preprocessing module and named layers in forward
    order; input is RGB float in [0, 1], NCHW. Its ``forward(image, layers)`` returns
    exactly the requested layers and stops after the deepest; parameters are frozen.
    Set ``default_content_layers`` / ``default_style_layers`` and ``preprocessing``.
:class:`LossTerm`
    ``torch.nn.Module``: ``bind(backbone)`` fills default layers (``default_layers_from``
    = ``"content"`` or ``"style"``), ``prepare(targets)`` caches targets once (no grad),
    ``forward(feats, image)`` returns one scalar from the named features.
:class:`Targets`
    What terms compare against: ``content_features(layers)``, ``style_features(layers)``
    (one dict per style), ``blend_weights()``, ``previous_warped`` and ``previous_confidence`` (video).
:class:`FrameSource`
    Iterates HxWx3 RGB numpy frames (uint8, or float32 in [0, 1]) of one size; sets
    ``fps``, ``frame_count`` when known; ``close()`` releases the file.
Errors
    Raise :class:`InputError`, :class:`ConfigError`, :class:`WeightsError` (subclasses of
    :class:`NSTError`) for problems a user can fix: the CLI prints the message, no traceback.
:func:`cache_dir`
    Where weights may be cached (``$NST_CACHE_DIR`` overrides it).
:func:`sha256_of`
    The sha256 hex digest of a file, for pinning downloaded or converted weights.
:func:`open_image`, :func:`check_pixels`
    ``PIL.Image.open`` with the pipeline's pixel limit checked from the header, before any
    pixel is decoded (a tiny file can declare 50000x50000 px); the same check for a size.

The conformance kit for a plugin's own tests is :mod:`nst_pipeline.testing`.
"""

from __future__ import annotations

from .errors import ConfigError, InputError, NSTError, OutputError, PluginError, WeightsError
from .hookspecs import ENTRY_POINT_GROUP, hookimpl, hookspec
from .sources.base import FrameSource
from .methods.base import FrameFacts, FrameTask, Guide, Method, MethodContext
from .specs import BackboneSpec, FrameSourceSpec, LossTermSpec, MethodSpec, NoOptions, PluginOptions

#: names that need torch, imported when a plugin first asks for them: a plugin module that
#: only declares specs keeps `nst plugins list`, `--help` and completion light
_NEEDS_TORCH = {"Backbone": ".backbones.base", "cache_dir": ".cache", "sha256_of": ".cache",
                "LossTerm": ".losses.base", "Targets": ".losses.base",
                "open_image": ".decoding", "check_pixels": ".decoding"}  # Pillow, not torch: still lazy


def __getattr__(name: str):
    if name in _NEEDS_TORCH:
        import importlib

        return getattr(importlib.import_module(_NEEDS_TORCH[name], __package__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: the hooks a plugin may implement, in the order the registry calls them
HOOKS = ("nst_backbones", "nst_loss_terms", "nst_frame_sources", "nst_methods")

__all__ = [
    "ENTRY_POINT_GROUP", "HOOKS", "hookimpl", "hookspec",
    "BackboneSpec", "LossTermSpec", "FrameSourceSpec", "MethodSpec", "PluginOptions", "NoOptions",
    "Method", "MethodContext", "FrameTask", "Guide", "FrameFacts",
    "Backbone", "LossTerm", "Targets", "FrameSource", "cache_dir", "sha256_of", "open_image", "check_pixels",
    "NSTError", "InputError", "OutputError", "ConfigError", "WeightsError", "PluginError",
]
