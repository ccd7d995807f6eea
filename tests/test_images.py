"""Reading odd images: grey, alpha, 16-bit, EXIF-rotated, corrupt; atomic writes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst_pipeline import images
from nst_pipeline.errors import InputError, OutputError


def test_grayscale_becomes_three_equal_channels(make_image):
    arr = images.load_array(make_image("g.png", mode="L"))
    assert arr.shape == (40, 48, 3)
    assert np.array_equal(arr[..., 0], arr[..., 2])


def test_rgba_is_composited_on_white(tmp_path):
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., 0] = 255  # red
    rgba[:2, :, 3] = 255  # top half opaque, bottom transparent
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    arr = images.load_array(tmp_path / "a.png")
    assert arr[0, 0].tolist() == [1.0, 0.0, 0.0]
    assert arr[3, 0].tolist() == [1.0, 1.0, 1.0]


def test_16_bit_grey_keeps_its_range(tmp_path):
    data = np.array([[0, 32768, 65535, 16384]], dtype=np.uint16)
    Image.fromarray(data).save(tmp_path / "d.png")
    arr = images.load_array(tmp_path / "d.png")
    assert arr[0, :, 0] == pytest.approx([0.0, 0.5, 1.0, 0.25], abs=1e-4)


def test_exif_orientation_is_applied(tmp_path):
    img = Image.new("RGB", (30, 10), (255, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    img.save(tmp_path / "r.jpg", exif=exif)
    assert images.load_array(tmp_path / "r.jpg").shape == (30, 10, 3)


def test_missing_corrupt_and_non_image_files(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        images.load_array(tmp_path / "nope.png")
    (tmp_path / "text.png").write_text("hello")
    with pytest.raises(InputError, match="not an image"):
        images.load_array(tmp_path / "text.png")
    good = tmp_path / "good.png"
    Image.new("RGB", (64, 64), (10, 20, 30)).save(good)
    (tmp_path / "cut.png").write_bytes(good.read_bytes()[:60])
    with pytest.raises(InputError, match="cut.png"):
        images.load_array(tmp_path / "cut.png")
    with pytest.raises(InputError, match="folder"):
        images.load_array(tmp_path)


def test_output_checks(tmp_path, make_image):
    src = make_image("in.png")
    with pytest.raises(OutputError, match="same file as input"):
        images.check_output_path(src, [src])
    with pytest.raises(OutputError, match="does not exist"):
        images.check_output_path(tmp_path / "no" / "out.png", [src])
    with pytest.raises(OutputError, match="unknown image type"):
        images.check_output_path(tmp_path / "out.xyz", [src])


def test_save_is_atomic_and_round_trips(tmp_path):
    import torch

    x = torch.rand(1, 3, 9, 7)
    images.save_image(x, tmp_path / "o.png")
    back = images.load_image(tmp_path / "o.png")
    assert torch.allclose(back, x, atol=1 / 255 + 1e-6)
    assert [p.name for p in tmp_path.iterdir()] == ["o.png"]  # no temp file left


def test_fit_long_side():
    assert images.fit_long_side((300, 400), 200) == (150, 200)
    assert images.fit_long_side((400, 300), 200) == (200, 150)


def test_written_files_get_ordinary_permissions(tmp_path):
    import os

    import torch

    umask = os.umask(0)
    os.umask(umask)
    images.save_image(torch.rand(1, 3, 4, 4), tmp_path / "p.png")
    assert (tmp_path / "p.png").stat().st_mode & 0o777 == 0o666 & ~umask


def test_atomic_write_leaves_nothing_half_written(tmp_path):
    import os

    target = tmp_path / "data.bin"

    def fail_midway(tmp):
        Path(tmp).write_bytes(b"half")
        raise RuntimeError("writer died")

    with pytest.raises(RuntimeError):
        images.atomic_write(target, fail_midway)
    assert list(tmp_path.iterdir()) == []          # neither the final name nor a temp file
    assert images.atomic_write(target, lambda tmp: Path(tmp).write_bytes(b"whole")) == 5
    assert target.read_bytes() == b"whole" and list(tmp_path.iterdir()) == [target]
    # mkstemp alone would make it 0600: a file in a shared cache must stay readable by others
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


def test_frame_u8_and_float_round_trip():
    from nst_pipeline import frames

    u8 = np.array([[[0, 128, 255]]], np.uint8)
    f = frames.to_float(u8)
    assert f.dtype == np.float32
    np.testing.assert_allclose(f, [[[0, 128 / 255, 1]]])
    np.testing.assert_array_equal(frames.to_u8(f), u8)
    np.testing.assert_array_equal(frames.to_u8(np.array([[[-1.0, 2.0, 0.5]]], np.float32)), [[[0, 255, 128]]])
