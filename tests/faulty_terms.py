"""Loss terms written from docs/plugins.md, each with one mistake a plugin author could make.

Shared by the kit's fault tests and the bad-input suite; ``FaultyPlugin`` declares them
through the public hook, as an installed plugin named ``faulty`` would.
"""

from __future__ import annotations

import torch

from nst_pipeline.plugin import LossTerm, LossTermSpec, hookimpl


def channel_means(features: torch.Tensor) -> torch.Tensor:
    return features.flatten(2).mean(2)  # N x C


class StyleMeans(LossTerm):
    default_layers_from = "style"

    def prepare(self, targets):
        style = targets.style_features(self.layers)[0]
        self.targets = {l: channel_means(style[l]) for l in self.layers}


class PerChannel(StyleMeans):
    """Forgot to sum: one number per channel instead of one scalar."""

    def forward(self, feats, image):
        layer = self.layers[0]
        return (channel_means(feats[layer]) - self.targets[layer]).pow(2)


class Frozen(StyleMeans):
    """Detaches the features "to save memory": the value no longer depends on the image."""

    def forward(self, feats, image):
        total = image.new_zeros(())
        for layer in self.layers:
            total = total + (channel_means(feats[layer].detach()) - self.targets[layer]).pow(2).sum()
        return total


class Root(LossTerm):
    """Euclidean distance instead of its square: sqrt has no finite slope at zero, the content image."""

    default_layers_from = "content"

    def prepare(self, targets):
        self.targets = targets.content_features(self.layers)

    def forward(self, feats, image):
        return sum((feats[l] - self.targets[l]).pow(2).sum().sqrt() for l in self.layers)


class Crisp(LossTerm):
    """Layer-free smoothness term with its sign flipped: it rewards neighbour differences."""

    def bind(self, backbone):
        self.layers = ()

    def forward(self, feats, image):
        dy = (image[..., 1:, :] - image[..., :-1, :]).pow(2).mean()
        dx = (image[..., :, 1:] - image[..., :, :-1]).pow(2).mean()
        return -(dx + dy)


class Vivid(Crisp):
    """Layer-free 'keep colours near mid-grey' with its sign flipped: it saturates."""

    def forward(self, feats, image):
        return -(image - 0.5).pow(2).mean()


class Crashes(StyleMeans):
    """A bug in forward: indexes a layer it never asked for."""

    def forward(self, feats, image):
        return feats["relu9_9"].mean()


FAULTS = {
    "perchannel": PerChannel, "frozen": Frozen, "root": Root, "crisp": Crisp, "vivid": Vivid, "crashes": Crashes,
}


class FaultyPlugin:
    """Declares every faulty term through the public hook, as plugin ``faulty``."""

    __name__ = "faulty"

    @hookimpl
    def nst_loss_terms(self):
        return [LossTermSpec(name, lambda o, cls=cls: cls(), (cls.__doc__ or name).splitlines()[0])
                for name, cls in FAULTS.items()]


def spec(name: str) -> LossTermSpec:
    return next(s for s in FaultyPlugin().nst_loss_terms() if s.name == name)
