"""The Python API the CLI calls."""

from __future__ import annotations

import pytest
import torch

from nst_pipeline import stylize_image
from nst_pipeline.errors import ConfigError, OutputError
from nst_pipeline.images import load_image


def test_stylize_image_returns_tensor_writes_file_and_reports_steps(make_image, tmp_path, registry):
    content, style = make_image("c.png", (40, 32), seed=1), make_image("s.png", (32, 32), seed=2)
    reports = []
    out = tmp_path / "o.png"
    result = stylize_image(content, style, out, backbone="tiny", registry=registry, size=40, steps=3, levels=2,
                           on_step=reports.append)
    assert result.shape == (1, 3, 32, 40) and 0 <= result.min() and result.max() <= 1
    assert torch.allclose(load_image(out), result, atol=1 / 255 + 1e-6)
    assert [(r.level, r.step) for r in reports] == [(0, 1), (0, 2), (0, 3), (1, 1), (1, 2), (1, 3)]
    assert reports[0].size == (16, 20) and reports[-1].size == (32, 40)
    assert set(reports[-1].terms) == {"content", "style", "tv"}


def test_api_validates_before_any_work(make_image, tmp_path, registry):
    content, style = make_image("c.png"), make_image("s.png", seed=3)
    with pytest.raises(OutputError):
        stylize_image(content, style, content, backbone="tiny", registry=registry)
    with pytest.raises(ConfigError, match="invalid options: --steps"):
        stylize_image(content, style, backbone="tiny", registry=registry, steps=-1)
    with pytest.raises(ConfigError, match="every loss weight is zero"):
        stylize_image(content, style, backbone="tiny", registry=registry, content_weight=0, style_weight=0, tv_weight=0)
