"""Conformance checks for methods (the ``nst_methods`` hook): what the run loop relies on."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import NSTError
from ..frames import to_u8
from ..hookspecs import hookimpl
from ..methods.base import FrameFacts, FrameTask, Guide, Method, MethodContext
from ..specs import BackboneSpec, MethodSpec
from .common import NotExercised, call, kit_backbone, options_for, require, smooth_image

#: content frames: 40x48 px uint8 (as video sources give them), output capped at 32 px
FRAME_HW, SIZE = (40, 48), 32


class _KitPlugin:
    """Gives methods that optimize against a backbone the kit's tiny one, named ``kit``."""

    __name__ = "nst_pipeline.testing.kit"

    @hookimpl
    def nst_backbones(self):
        return [BackboneSpec("kit", lambda options: kit_backbone(), "the conformance kit's tiny VGG-shaped backbone")]


def _frame(seed: int) -> np.ndarray:
    image = smooth_image(*FRAME_HW, seed)[0].permute(1, 2, 0).numpy()
    return to_u8(image)


def _build(spec: MethodSpec, options: Any, folder: Path) -> Method:
    from PIL import Image

    from ..config import make_config
    from ..registry import Registry

    style = folder / "style.png"
    Image.fromarray(_frame(7)).save(style)
    config = make_config(styles=(style,), size=SIZE, device="cpu", seed=0, backbone="kit")
    registry = Registry(autoload=False, extra_plugins=[_KitPlugin()])
    try:
        return spec.factory(MethodContext(config, options_for(spec, options), registry, video=True))
    except NSTError as exc:
        if options is not None:
            raise
        raise NotExercised(f"cannot be built with default options here: {exc}") from None


def _check_frame(spec: MethodSpec, method: Method, task: FrameTask, what: str) -> np.ndarray:
    out = call(spec.name, f"stylize ({what})", method.stylize, task, None)
    want = tuple(method.output_size(FRAME_HW))
    require(isinstance(out, np.ndarray) and out.shape == (*want, 3),
            f"{spec.name}: stylize ({what}) must return an HxWx3 array of output_size {want}, got "
            f"{getattr(out, 'shape', type(out).__name__)}")
    require(out.dtype == np.float32, f"{spec.name}: stylize ({what}) must return float32, got {out.dtype}")
    require(bool(np.isfinite(out).all()) and out.min() >= 0 and out.max() <= 1,
            f"{spec.name}: stylize ({what}) must return finite values in [0, 1]")
    facts = method.last_record()
    require(isinstance(facts, FrameFacts), f"{spec.name}: last_record() must return a FrameFacts, "
            f"got {type(facts).__name__}")
    return out


def check_method(spec: MethodSpec, options: Any = None) -> list[str]:
    """Build the method as a run would, stylize a first frame and a guided later one."""
    with tempfile.TemporaryDirectory(prefix="nst-kit-") as tmp:
        method = _build(spec, options, Path(tmp))
        try:
            hw = method.output_size(FRAME_HW)
            require(max(hw) <= SIZE and min(hw) > 0, f"{spec.name}: output_size{FRAME_HW} = {hw} must fit --size {SIZE}")
            first = _check_frame(spec, method, FrameTask(0, _frame(1), True, 2, "content"), "first frame")
            passed = [f"output_size fits --size ({hw[1]}x{hw[0]})", "a first frame: HxWx3 float32 in [0, 1]"]
            _check_frame(spec, method, FrameTask(0, _frame(1), True, 2, "noise"), "first frame from noise")
            guide = Guide(first, first, np.ones(hw, np.float32)) if method.wants_guide else None
            _check_frame(spec, method, FrameTask(1, _frame(2), False, 1, first, guide), "later frame")
            passed.append("a later frame" + (" with a guide" if guide is not None else ""))
        finally:
            call(spec.name, "close", method.close)
    return passed
