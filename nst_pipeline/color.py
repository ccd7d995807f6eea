"""Original colors: transfer style to luminance only and keep the content's chroma.

Gatys et al. 2016 ("Preserving color in neural artistic style transfer"): match the
style's luminance statistics to the content's, stylize luminance, recombine with
the content's colour channels (YIQ).
"""

from __future__ import annotations

import torch

from .frames import RGB_TO_YIQ

_RGB_TO_YIQ = torch.tensor(RGB_TO_YIQ)


def rgb_to_yiq(image: torch.Tensor) -> torch.Tensor:
    return torch.einsum("ij,njhw->nihw", _RGB_TO_YIQ.to(image), image)


def yiq_to_rgb(image: torch.Tensor) -> torch.Tensor:
    return torch.einsum("ij,njhw->nihw", torch.linalg.inv(_RGB_TO_YIQ).to(image), image)


def luminance(image: torch.Tensor) -> torch.Tensor:
    return rgb_to_yiq(image)[:, :1]


def match_luminance(style: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """Grey version of ``style`` whose luminance mean/std equal the content's."""
    ys, yc = luminance(style), luminance(content)
    y = (ys - ys.mean()) / (ys.std() + 1e-6) * yc.std() + yc.mean()
    return y.clamp(0, 1).expand(-1, 3, -1, -1).contiguous()


def keep_colors(stylized: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """Luminance of ``stylized`` with the chroma (I, Q) of ``content``."""
    out = rgb_to_yiq(content).clone()
    out[:, :1] = luminance(stylized)
    return yiq_to_rgb(out).clamp(0, 1)
