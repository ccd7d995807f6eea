"""``--precision``: the backbone's convolutions and activations in bfloat16 where that is fast.

Only the feature extractor runs in low precision (``torch.autocast``); its features are cast
back to float32 before any loss term sees them, so Gram matrices, the content, style, TV and
temporal terms, plugin terms, the image being optimized and the optimizer's state stay in
float32. Targets are computed the same way as the optimized image's features, so both sides
of every distance carry the same rounding. bf16 keeps float32's exponent: no loss scaling.

``auto`` picks bf16 where the device runs it fast: a CUDA device with bf16 support, or a CPU
whose flags say AVX512-BF16 or AMX (oneDNN then has bf16 kernels). Elsewhere bf16 is emulated
and slower than fp32, so ``auto`` stays fp32 and an explicit ``bf16`` warns.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path

import torch

from ..errors import NSTWarning

#: CPU flags (``/proc/cpuinfo``) under which oneDNN runs bf16 convolutions natively
FAST_CPU_FLAGS = ("avx512_bf16", "amx_bf16")


@functools.lru_cache(maxsize=1)
def cpu_has_fast_bf16(cpuinfo: str = "/proc/cpuinfo") -> bool:
    try:
        text = Path(cpuinfo).read_text(encoding="utf-8", errors="replace")
    except OSError:   # not Linux: no way to tell cheaply, so no
        return False
    flags = set()
    for line in text.splitlines():
        if line.startswith("flags"):
            flags.update(line.partition(":")[2].split())
    return any(flag in flags for flag in FAST_CPU_FLAGS)


def fast_bf16(device: torch.device) -> bool:
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    return device.type == "cpu" and cpu_has_fast_bf16()


def resolve_precision(name: str, device: torch.device) -> str:
    """``fp32`` or ``bf16`` for ``--precision name`` on ``device``."""
    if name == "auto":
        return "bf16" if fast_bf16(device) else "fp32"
    if name == "bf16" and not fast_bf16(device):
        warnings.warn(f"--precision bf16: this {device.type.upper()} has no fast bfloat16 kernels; it runs, "
                      "but slower than fp32 (auto picks fp32 here)", NSTWarning, stacklevel=2)
    return name


class Features:
    """``backbone(image, layers)`` computed in ``precision``, returned in float32."""

    def __init__(self, backbone: Callable, precision: str, device: torch.device) -> None:
        self.backbone, self.precision, self.device_type = backbone, precision, device.type

    def __call__(self, image: torch.Tensor, layers: Iterable[str]) -> dict[str, torch.Tensor]:
        if self.precision == "fp32":
            return self.backbone(image, layers)
        with torch.autocast(self.device_type, dtype=torch.bfloat16):
            feats = self.backbone(image, layers)
        return {name: f.float() for name, f in feats.items()}


def configure_cuda(device: torch.device, deterministic: bool) -> None:
    """Process-wide CUDA settings for a run (set once when the job is built): TF32 for the
    fp32 matmuls and convolutions (10-bit mantissa inputs, fp32 accumulation: the gap to
    fp32 is far below what bf16 already allows), and cuDNN's autotuner, which times the
    convolution algorithms once per input shape (jcjohnson/neural-style's ``-cudnn_autotune``),
    unless ``--seed`` asks for repeatable pixels."""
    if device.type != "cuda":
        return
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    torch.backends.cudnn.benchmark = not deterministic
    torch.backends.cudnn.deterministic = deterministic
