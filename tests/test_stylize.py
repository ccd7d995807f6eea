"""The optimization stylizer (nst_pipeline.stylize): pyramid, explicit starts, reproducibility."""

from __future__ import annotations

import pytest
import torch

from nst_pipeline.config import make_config
from nst_pipeline.errors import InputError
from nst_pipeline.gatys.job import build_job
from nst_pipeline.gatys.stylize import Stylizer, noise_start, pyramid_sizes, upsampled


def test_pyramid_halves_the_long_side_while_it_stays_at_least_80_px():
    assert pyramid_sizes((384, 512), None) == [(96, 128), (192, 256), (384, 512)]
    assert pyramid_sizes((120, 160), None) == [(60, 80), (120, 160)]        # 40 px would be too small
    assert pyramid_sizes((90, 120), None) == [(90, 120)]                    # 60 px would be under 80
    assert pyramid_sizes((240, 320), None) == [(60, 80), (120, 160), (240, 320)]
    assert pyramid_sizes((1536, 2048), None)[0] == (384, 512)                # at most 3 levels
    assert pyramid_sizes((48, 64), 2) == [(24, 32), (48, 64)]               # --levels wins


def stylizer(registry, style, **options):
    config = make_config(styles=(style,), size=32, backbone="tiny", device="cpu", seed=0, levels=1, **options)
    return Stylizer(build_job(config, registry))


@pytest.fixture
def content():
    return torch.rand(1, 3, 24, 32, generator=torch.Generator().manual_seed(5))


def test_zero_steps_return_the_start_image(registry, make_image, content):
    s = stylizer(registry, make_image("s.png"))
    assert torch.allclose(s.stylize(content, steps=0, start="content"), content, atol=1e-6)
    noise = s.stylize(content, steps=0, start="noise", frame=3)
    assert torch.equal(noise, noise_start((24, 32), 0, 3))        # reproducible per (seed, frame)
    assert not torch.equal(noise, noise_start((24, 32), 0, 4))
    given = torch.rand(1, 3, 12, 16)
    assert s.stylize(content, steps=0, start=given).shape == (1, 3, 24, 32)   # resized to the level


def test_each_call_starts_where_it_is_told_whatever_came_before(registry, make_image, content):
    s = stylizer(registry, make_image("s.png"))
    s.stylize(content, steps=0, start="noise")
    assert torch.allclose(s.stylize(content, steps=0, start="content"), content, atol=1e-6)
    with pytest.raises(ValueError, match="start must be"):
        s.stylize(content, steps=0, start="nosie")


def test_steps_lower_the_loss_and_reports_come_once_per_step(registry, make_image, content):
    s = stylizer(registry, make_image("s.png"))
    reports = []
    s.stylize(content, steps=6, on_step=reports.append)
    assert [r.step for r in reports] == [1, 2, 3, 4, 5, 6]
    assert reports[-1].loss < reports[0].loss


def test_same_seed_same_pixels(registry, make_image, content):
    style = make_image("s.png")
    a = stylizer(registry, style).stylize(content, steps=4, start="noise")
    b = stylizer(registry, style).stylize(content, steps=4, start="noise")
    assert torch.equal(a, b)


def test_too_small_for_the_layers_is_a_clear_error(registry, make_image):
    s = stylizer(registry, make_image("s.png"))
    with pytest.raises(InputError, match="image is too small"):
        s.stylize(torch.rand(1, 3, 2, 32), steps=1)


def test_upsampled_fills_the_finer_band_with_the_content_detail():
    torch.manual_seed(0)
    content = torch.rand(1, 3, 32, 48)
    coarse = torch.nn.functional.interpolate(content, size=(16, 24), mode="bicubic", antialias=True).clamp(0, 1)
    # a coarse result that *is* the content's coarse version comes back as the content itself
    torch.testing.assert_close(upsampled(coarse, content, (32, 48), detail=True), content, atol=1e-5, rtol=0)
    plain = upsampled(coarse, content, (32, 48), detail=False)
    assert (plain - content).abs().mean() > 0.05  # a plain upsampling loses that band
    # what the coarse level changed is kept: a brighter coarse result stays brighter by as much
    brighter = upsampled((coarse + 0.1).clamp(0, 1), content, (32, 48), detail=True)
    inside = (content > 0.15) & (content < 0.85)
    assert abs(float((brighter - content)[inside].mean()) - 0.1) < 0.02
    assert upsampled(coarse, content, (16, 24), detail=True) is coarse  # same size: untouched
