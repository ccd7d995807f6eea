"""The conformance kit's method check: what the run loop relies on, tried on good and bad methods."""

from __future__ import annotations

import numpy as np
import pytest

from nst_pipeline.methods.base import Method
from nst_pipeline.specs import MethodSpec
from nst_pipeline.testing import ConformanceError, check_method, check_spec


class Grey(Method):
    """Returns the content's mean, at the output size: a method a plugin author might write."""

    def __init__(self, ctx, dtype=np.float32, shrink=0):
        self.size, self.dtype, self.shrink = ctx.config.size, dtype, shrink

    def output_size(self, hw):
        scale = self.size / max(hw)
        return round(hw[0] * scale), round(hw[1] * scale)

    def stylize(self, task, on_step=None):
        h, w = self.output_size(task.content.shape[:2])
        value = task.content.mean() / 255.0
        return np.full((h - self.shrink, w, 3), value, dtype=self.dtype)


def test_gatys_passes_the_kit(registry):
    passed = check_spec("method", registry.method("gatys"))
    assert "a later frame with a guide" in passed


def test_a_plain_method_passes():
    assert "a later frame" in check_method(MethodSpec("grey", Grey, "mean colour"))


@pytest.mark.parametrize("factory, message", [
    (lambda ctx: Grey(ctx, dtype=np.uint8), "must return float32, got uint8"),
    (lambda ctx: Grey(ctx, shrink=1), "must return an HxWx3 array of output_size"),
])
def test_broken_methods_are_named(factory, message):
    with pytest.raises(ConformanceError, match=message):
        check_method(MethodSpec("bad", factory, "broken"))


def test_a_method_that_raises_is_reported_with_its_stage():
    class Crash(Grey):
        def stylize(self, task, on_step=None):
            raise RuntimeError("boom")

    with pytest.raises(ConformanceError, match=r"crash: stylize \(first frame\) raised RuntimeError: boom"):
        check_method(MethodSpec("crash", Crash, "raises"))
