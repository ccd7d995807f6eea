"""Mean-and-covariance style loss for nst_pipeline.

Each style layer's features are summarized by a Gaussian: the mean vector and the
covariance matrix of the channel activations over all positions. The loss is the
squared 2-Wasserstein distance between the Gaussian of the image and that of the
style (the closed form for Gaussians, Dowson & Landau 1982; Givens & Shortt 1984):

    W2^2 = |mu - mu_s|^2 + tr(S) + tr(S_s) - 2 tr( (S_s^1/2 S S_s^1/2)^1/2 )

divided by the style's second moment ``|mu_s|^2 + tr(S_s)`` so that, like the
built-in terms, the default weight behaves alike for any layer, backbone and size.
The idea of using it for style transfer comes from crowsonkb/style-transfer-pytorch;
this is a reimplementation from the formula, not a copy.

Several style images blend as a mixture: the target Gaussian has the mean and
covariance of the pooled features of all styles (weighted by ``--style-blend``).
"""

from __future__ import annotations

from nst_pipeline.plugin import LossTermSpec, PluginOptions, hookimpl

__version__ = "0.1.0"

#: default weight: the relative W2 has about the size of the relative Gram error at the
#: start of a run (measured on the sample pairs, see README), so it matches `style`
DEFAULT_WEIGHT = 10.0

# The torch code lives in .loss and is imported when a run builds the term: declaring the
# spec stays cheap, so `nst plugins list`, `nst --help` and completion don't load torch.
_IN_LOSS = ("feature_moments", "sym_sqrt", "capped_sqrt", "wasserstein2_sq", "MeanCovStyleLoss")


def __getattr__(name: str):
    if name in _IN_LOSS:
        from . import loss

        return getattr(loss, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class MeanCovOptions(PluginOptions):
    layers: list[str] | None = None
    layer_weights: list[float] | None = None
    #: eigenvalues below eps * (mean style variance) are treated as zero (keeps sqrt's gradient finite)
    eps: float = 1e-6


def _build(o: MeanCovOptions):
    from .loss import MeanCovStyleLoss

    return MeanCovStyleLoss(o.layers, o.layer_weights, o.eps)


@hookimpl
def nst_loss_terms():
    return [
        LossTermSpec(
            "meancov",
            _build,
            "mean-and-covariance style loss: Wasserstein-2 between Gaussian fits of the features",
            MeanCovOptions,
            default_weight=DEFAULT_WEIGHT,
        ),
    ]
