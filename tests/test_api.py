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


def test_stylize_tensor_returns_a_stylized_tensor_of_the_content_size(make_image, registry):
    from nst_pipeline import stylize_tensor

    content = load_image(make_image("c.png", (40, 32), seed=1))
    reports = []
    result = stylize_tensor(content, make_image("s.png", (32, 32), seed=2), backbone="tiny", registry=registry,
                            size=40, steps=4, levels=1, on_step=reports.append)
    assert result.shape == (1, 3, 32, 40) and result.dtype == torch.float32
    assert 0 <= result.min() and result.max() <= 1
    assert (result - content).abs().mean() > 5e-3          # it was optimized, not handed back
    assert [r.step for r in reports] == [1, 2, 3, 4] and reports[-1].loss < reports[0].loss


def test_stylize_video_writes_every_frame_and_returns_the_count(tmp_path, registry, make_image):
    import numpy as np
    from PIL import Image

    from nst_pipeline import stylize_video
    from test_video_helpers import moving_frames

    clip = tmp_path / "clip"
    clip.mkdir()
    frames = moving_frames(4, size=(32, 24))
    for i, frame in enumerate(frames):
        Image.fromarray(frame).save(clip / f"f{i}.png")
    finished = []
    out = tmp_path / "out"
    done = stylize_video(clip, make_image("s.png", (32, 32), seed=2), out, backbone="tiny", registry=registry,
                         size=32, first_steps=10, steps=2, max_frames=3, style_weight=1e3, on_frame=finished.append)
    written = sorted(out.glob("frame_*.png"))
    assert done == 3 and len(written) == 3 and [r.index for r in finished] == [0, 1, 2]
    for path, frame in zip(written, frames[:3], strict=True):
        got = np.asarray(Image.open(path))
        assert got.shape == frame.shape and np.abs(got.astype(int) - frame).mean() > 2
