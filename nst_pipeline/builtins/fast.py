"""The built-in ``fast`` method, declared through the public ``nst_methods`` hook.

Importing this module is cheap: onnxruntime and the model files load when a run builds it.
"""

from __future__ import annotations

from pydantic import Field

from ..hookspecs import hookimpl
from ..specs import MethodSpec, PluginOptions


class FastOptions(PluginOptions):
    style_size: int = Field(256, ge=32, le=2048, description=(
        "Side of the square the painting is scaled to for the style-prediction network (trained at 256)."))
    strength: float = Field(1.0, ge=0.0, le=1.0, allow_inf_nan=False, description=(
        "0..1: interpolate from the content's own style embedding (0) to the painting's (1)."))
    #: 2: the previous frame counts twice the new pass, alpha = 2/3 where the flow is trusted
    #: (see fast.mixing.temporal_alpha; chosen on carphone, docs/benchmarks.md "Fast method")
    blend: float = Field(2.0, ge=0.0, allow_inf_nan=False, description=(
        "Video: weight of the previous result, warped by optical flow, against the new pass where the flow "
        "is trusted (0: every frame on its own)."))


def _fast(ctx):
    from ..fast.method import FastMethod  # onnxruntime only when a run builds it

    return FastMethod(ctx)


@hookimpl
def nst_methods():
    return [
        MethodSpec("fast", _fast, "one forward pass of a pretrained arbitrary-style network (Ghiasi et al. "
                   "2017, Magenta): under a second per frame on a CPU, less faithful than gatys", FastOptions),
    ]
