"""Built-in loss terms, declared through the public ``nst_loss_terms`` hook."""

from __future__ import annotations

from ..hookspecs import hookimpl
from ..specs import LossTermSpec, NoOptions, PluginOptions
from . import lazy

ContentLoss = lazy(".losses.terms", "ContentLoss")
GramStyleLoss = lazy(".losses.terms", "GramStyleLoss")
TotalVariationLoss = lazy(".losses.terms", "TotalVariationLoss")


class LayerOptions(PluginOptions):
    layers: list[str] | None = None
    layer_weights: list[float] | None = None


@hookimpl
def nst_loss_terms():
    return [
        LossTermSpec("content", lambda o: ContentLoss(o.layers, o.layer_weights),
                     "feature distance to the content image (default relu4_2)", LayerOptions,
                     default_weight=1.0, default=True),
        LossTermSpec("style", lambda o: GramStyleLoss(o.layers, o.layer_weights),
                     "Gram-matrix distance to the style image(s) (default relu1_1..relu5_1)", LayerOptions,
                     default_weight=10.0, default=True),
        LossTermSpec("tv", lambda o: TotalVariationLoss(),
                     "total variation: smooths high-frequency noise", NoOptions,
                     default_weight=1.0, default=True),
    ]
