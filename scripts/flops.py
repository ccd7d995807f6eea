"""FLOP counts for one style-transfer step through the VGG-19 prefix, and a matmul peak.

Counting convention (one multiply-add = 2 FLOPs):

* forward: every 3x3 convolution from conv1_1 to conv5_1 (the prefix that ends at
  relu5_1, the deepest default layer), ``2 * Cin * Cout * 9 * H * W`` each, H x W being
  the conv's output size (padding 1 keeps the input size; each pool floors it by 2);
* backward: the network is frozen, so autograd computes the *input* gradient only (no
  weight gradients). For a convolution that is a transposed convolution with the same
  multiply-add count as the forward: backward = 1x forward;
* so one step (one objective evaluation + its gradient) = 2x forward conv FLOPs.
  ReLU, pooling, bias, loss and optimizer work are left out (memory-bound, a few %);
  the Gram matrices are reported separately (``2 * C^2 * H * W`` forward per style
  layer, 2x that backward) and are not in the headline figure.
"""

from __future__ import annotations

import statistics
import time

import torch

VGG19_BLOCKS = (2, 2, 4, 4, 4)
VGG_WIDTHS = (64, 128, 256, 512, 512)
STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")


def vgg19_convs(h: int, w: int, last: str = "conv5_1") -> list[tuple[str, int, int, int, int]]:
    """``(name, cin, cout, out_h, out_w)`` for every conv up to and including ``last``."""
    convs, cin = [], 3
    for block, (n, width) in enumerate(zip(VGG19_BLOCKS, VGG_WIDTHS), start=1):
        for i in range(1, n + 1):
            name = f"conv{block}_{i}"
            convs.append((name, cin, width, h, w))
            cin = width
            if name == last:
                return convs
        h, w = h // 2, w // 2
    return convs


def conv_forward_flops(h: int, w: int, last: str = "conv5_1") -> int:
    return sum(2 * cin * cout * 9 * oh * ow for _, cin, cout, oh, ow in vgg19_convs(h, w, last))


def gram_forward_flops(h: int, w: int) -> int:
    """Gram matrices of the default style layers (the first conv of each block)."""
    total = 0
    for name, _, cout, oh, ow in vgg19_convs(h, w):
        if f"relu{name[4:]}" in STYLE_LAYERS:
            total += 2 * cout * cout * oh * ow
    return total


def step_flops(h: int, w: int) -> int:
    """Headline FLOPs of one step: conv forward + input-gradient backward (= 2x forward)."""
    return 2 * conv_forward_flops(h, w)


def matmul_peak(n: int = 2048, repeats: int = 7) -> float:
    """Median fp32 GFLOP/s of ``torch.mm`` on n x n matrices (what this CPU sustains right now)."""
    a = torch.randn(n, n)
    b = torch.randn(n, n)
    out = torch.empty(n, n)
    torch.mm(a, b, out=out)  # warm-up: thread pool, page faults
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        torch.mm(a, b, out=out)
        rates.append(2 * n ** 3 / (time.perf_counter() - start) / 1e9)
    return statistics.median(rates)


if __name__ == "__main__":
    for side in ((192, 256), (384, 512)):
        f = conv_forward_flops(*side)
        print(f"{side[1]}x{side[0]}: conv forward {f / 1e9:.1f} GFLOP, step {step_flops(*side) / 1e9:.1f} GFLOP, "
              f"gram forward {gram_forward_flops(*side) / 1e9:.2f} GFLOP")
    print(f"matmul peak: {matmul_peak():.1f} GFLOP/s with {torch.get_num_threads()} threads")
