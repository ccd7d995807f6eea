"""The pixel limit: read from the header, before a pixel is decoded, for every way in."""

from __future__ import annotations

import warnings

import pytest
from PIL import Image

from bad_files import png_header_only
from nst_pipeline import decoding, images
from nst_pipeline.errors import ConfigError, InputError


def test_a_57_byte_png_declaring_50000_squared_is_refused_naming_its_size(tmp_path):
    bomb = png_header_only(tmp_path / "bomb.png", 50000, 50000)
    assert bomb.stat().st_size == 57
    for read in (images.load_array, decoding.header_size):
        with pytest.raises(InputError, match=r"bomb\.png is too large: 50000x50000 px \(2500 megapixels; the limit is 100"):
            read(bomb)


def test_between_pillows_warning_and_ours_is_refused_without_a_warning(tmp_path):
    mid = png_header_only(tmp_path / "mid.png", 12000, 9000)  # 108 MP: Pillow would only warn
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(InputError, match="12000x9000 px"):
            images.load_array(mid)


def test_the_limit_can_be_raised_and_lowered(tmp_path, monkeypatch, make_image):
    small = make_image("small.png", size=(48, 40))
    monkeypatch.setenv(decoding.MAX_PIXELS_ENV, "1000")
    with pytest.raises(InputError, match="48x40 px .* the limit is 0.001 megapixels"):
        images.load_array(small)
    monkeypatch.setenv(decoding.MAX_PIXELS_ENV, "3e9")  # above Pillow's own refusal (2 x 89 MP)
    assert decoding.header_size(png_header_only(tmp_path / "big.png", 50000, 50000)) == (50000, 50000)
    assert Image.MAX_IMAGE_PIXELS == 89478485  # Pillow's global setting is left as it was
    monkeypatch.setenv(decoding.MAX_PIXELS_ENV, "lots")
    with pytest.raises(ConfigError, match="NST_MAX_IMAGE_PIXELS='lots'"):
        images.load_array(small)


def test_header_size_of_a_png_decodes_no_pixels(tmp_path, monkeypatch, make_image):
    path = make_image("frame.png", size=(48, 40))
    monkeypatch.setattr(Image.Image, "load", lambda self: pytest.fail("header_size decoded pixels"))
    assert decoding.header_size(path) == (48, 40)


def test_video_frames_over_the_limit_are_refused_before_decoding(tmp_path, monkeypatch):
    from test_video_helpers import moving_frames, write_clip

    from nst_pipeline.sources.video import VideoFileSource

    clip = write_clip(tmp_path / "clip.mp4", moving_frames(2, size=(48, 32)))
    monkeypatch.setenv(decoding.MAX_PIXELS_ENV, "1000")
    with pytest.raises(InputError, match=r"clip\.mp4 is too large: its frames are 48x32 px"):
        VideoFileSource(str(clip))
