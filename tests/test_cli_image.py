"""`nst image` end to end with the real VGG-19 at tiny sizes, and every bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from nst_pipeline.cli.app import main

FAST = ["--size", "48", "--steps", "3", "--levels", "1", "-q"]


@pytest.fixture
def pair(make_image):
    return make_image("content.png", (48, 40), seed=1), make_image("style.jpg", (40, 40), seed=2)


def run(args, capsys=None):
    rc = main([str(a) for a in args])
    err = capsys.readouterr().err if capsys else ""
    return rc, err


def test_end_to_end_writes_image_log_and_snapshots(pair, tmp_path, capsys):
    content, style = pair
    out, log = tmp_path / "out.png", tmp_path / "log.jsonl"
    rc, err = run(["image", content, "-s", style, "-o", out, *FAST, "--log-json", log, "--save-every", "2"], capsys)
    assert rc == 0, err
    assert Image.open(out).size == (48, 40)
    plan, *records = [json.loads(line) for line in log.read_text().splitlines()]
    # the log opens with the run's plan: the method and the arithmetic it runs in
    assert plan["event"] == "plan" and plan["method"] == "gatys" and plan["precision"] in ("fp32", "bf16")
    assert [r["step"] for r in records] == [1, 2, 3]
    assert set(records[0]["terms"]) == {"content", "style", "tv"}
    assert records[-1]["terms"]["style"] < records[0]["terms"]["style"]
    assert (tmp_path / "out-L1-step0002.png").exists()


def test_pyramid_runs_coarse_to_fine(pair, tmp_path, capsys):
    content, style = pair
    log = tmp_path / "log.jsonl"
    rc, err = run(["image", content, "-s", style, "-o", tmp_path / "o.png", "--size", "64", "--steps", "2",
                   "--levels", "2", "-q", "--log-json", log], capsys)
    assert rc == 0, err
    sizes = [tuple(json.loads(l)["size"]) for l in log.read_text().splitlines() if '"event"' not in l]
    assert sizes == [(26, 32), (26, 32), (53, 64), (53, 64)]


def test_seed_gives_identical_output(pair, tmp_path, capsys):
    content, style = pair
    outs = []
    for i in range(2):
        out = tmp_path / f"o{i}.png"
        rc, err = run(["image", content, "-s", style, "-o", out, *FAST, "--seed", "7", "--init", "noise"], capsys)
        assert rc == 0, err
        outs.append(np.asarray(Image.open(out)))
    assert np.array_equal(*outs)


def test_multiple_styles_original_colors_and_odd_formats(make_image, tmp_path, capsys):
    from nst_pipeline import frames, images

    content = make_image("c.png", (40, 48), mode="RGBA", seed=3)
    s1 = make_image("s1.png", (32, 32), mode="L", seed=4)
    s2 = make_image("s2.tif", (36, 30), seed=5)
    out = tmp_path / "o.jpg"
    rc, err = run(["image", content, "-s", s1, "-s", s2, "--style-blend", "1", "--style-blend", "3",
                   "--original-colors", "-o", out, *FAST, "--optimizer", "adam"], capsys)
    assert rc == 0, err
    assert Image.open(out).size == (40, 48)
    # the style went into the luminance only: the content's chroma (I, Q) stays. The mean, as
    # JPEG's chroma subsampling moves single pixels (here, without the flag, the mean moves 0.007)
    yiq_out = frames.rgb_to_yiq(images.load_array(out))
    yiq_content = frames.rgb_to_yiq(images.tensor_to_frame(images.resize(images.load_image(content), (48, 40))))
    assert np.abs(yiq_out[..., 1:].mean((0, 1)) - yiq_content[..., 1:].mean((0, 1))).max() < 0.002
    assert np.abs(yiq_out[..., 0] - yiq_content[..., 0]).mean() > 0.01      # while the luminance changed


@pytest.mark.parametrize("optimizer", ["adamax", "adadelta", "sgd"])
def test_every_optimizer_runs(pair, tmp_path, capsys, optimizer):
    from nst_pipeline.gatys.optimize import OPTIMIZERS

    content, style = pair
    outs, log = [], tmp_path / "log.jsonl"
    for steps in ("0", "4"):
        outs.append(tmp_path / f"o{steps}.png")
        rc, err = run(["image", content, "-s", style, "-o", outs[-1], "--size", "32", "--steps", steps, "--levels", "1",
                       "-q", "--optimizer", optimizer, "--lr-decay-every", "1", "--log-json", log], capsys)
        assert rc == 0, err
    records = [json.loads(line) for line in log.read_text().splitlines() if '"event"' not in line]
    # this optimizer's default rate, halved after every step; and it made the loss fall
    assert [r["lr"] for r in records] == pytest.approx([OPTIMIZERS[optimizer].lr * 0.5 ** k for k in range(4)])
    assert records[-1]["loss"] < records[0]["loss"]
    assert not np.array_equal(np.asarray(Image.open(outs[1])), np.asarray(Image.open(outs[0])))  # not the start


def _bad(args, capsys, match, code=2):
    rc, err = run(args, capsys)
    assert rc == code
    assert match in err
    assert "Traceback" not in err
    return err


def test_bad_inputs_give_one_clear_message(pair, make_image, tmp_path, capsys):
    content, style = pair
    out = tmp_path / "out.png"
    base = ["image", content, "-s", style, "-o", out, *FAST]
    _bad(["image", tmp_path / "missing.png", "-s", style, "-o", out, *FAST], capsys, "content image not found")
    (tmp_path / "notes.txt").write_text("not an image")
    _bad(["image", tmp_path / "notes.txt", "-s", style, "-o", out, *FAST], capsys, "not an image")
    _bad(["image", content, "-s", tmp_path / "nostyle.jpg", "-o", out, *FAST], capsys, "style image not found")
    (tmp_path / "bad.png").write_text("not an image")
    _bad([*base, "--init", tmp_path / "bad.png"], capsys, "init image")
    _bad([*base, "--backbone", "vgg91"], capsys, "Did you mean 'vgg19'?")
    _bad([*base, "--optimizer", "lbgfs"], capsys, "Did you mean 'lbfgs'?")
    _bad([*base, "--loss", "stlye"], capsys, "Did you mean 'style'?")
    _bad([*base, "--loss-option", "style.colour=1"], capsys, "valid options: layers, layer_weights")
    _bad([*base, "--loss-option", "style.layers=relu9_9"], capsys, "unknown layer 'relu9_9'")
    _bad([*base, "--device", "tpu"], capsys, "unknown device")
    _bad([*base, "--style-blend", "1", "--style-blend", "2"], capsys, "2 blend weights for 1 style")
    strip = make_image("strip.png", (200, 8))  # extreme aspect: 48x2 px at --size 48
    _bad(["image", strip, "-s", style, "-o", tmp_path / "o.png", *FAST], capsys, "too small")
    _bad([*base, "--size", "8"], capsys, "size: Input should be greater than or equal to 16")
    _bad(["image", content, "-s", style, "-o", tmp_path / "nodir" / "o.png", *FAST], capsys, "does not exist")
    _bad(["image", content, "-s", style, "-o", tmp_path / "o.gifx", *FAST], capsys, "unknown image type")
    assert not out.exists() and not (tmp_path / "o.png").exists()


def test_output_equal_to_input_leaves_input_untouched(pair, capsys):
    content, style = pair
    before = content.read_bytes()
    _bad(["image", content, "-s", style, "-o", content, *FAST], capsys, "refusing to overwrite an input")
    assert content.read_bytes() == before


def test_unavailable_torchvision_weights_say_what_to_do(pair, tmp_path, monkeypatch, capsys):
    from nst_pipeline.backbones import zoo

    monkeypatch.setenv("NST_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setitem(zoo.TORCHVISION_URLS, "vgg16", "http://127.0.0.1:9/vgg16-397923af.pth")
    content, style = pair
    _bad(["image", content, "-s", style, "-o", tmp_path / "o.png", *FAST, "--backbone", "vgg16-tv"], capsys,
         "--weights PATH")


def test_usage_errors_exit_2_without_traceback(pair, tmp_path):
    content, _ = pair
    proc = subprocess.run([sys.executable, "-m", "nst_pipeline", "image", str(content), "-o", str(tmp_path / "o.png"),
                           "--steps", "many"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "--steps" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "o.png").exists()
