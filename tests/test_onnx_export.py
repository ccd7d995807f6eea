"""Export: checker, metadata, parity with torch at two sizes, in-place ReLU, bad requests."""

from __future__ import annotations

import onnx
import pytest
import torch
from torch import nn

from nst_pipeline import __version__
from nst_pipeline.backbones.base import Backbone
from nst_pipeline.errors import ConfigError, OutputError
from nst_pipeline.onnxrt.export import FeatureGraph, export_backbone, model_info, relative_error
from nst_pipeline.onnxrt.metadata import INPUT_NAME, PREFIX, ModelInfo
from nst_pipeline.onnxrt.runtime import OnnxFeatures

from conftest import TinyBackbone

LAYERS = ["relu1_1", "conv2_1", "relu2_1", "relu3_1"]


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("onnx") / "tiny.onnx"
    info, check = export_backbone(TinyBackbone(), LAYERS, path, backbone_name="tiny")
    return path, info, check


def test_export_passes_full_checker_and_has_current_opset(tiny_model):
    path, _, _ = tiny_model
    onnx.checker.check_model(str(path), full_check=True)
    model = onnx.load(str(path))
    opsets = {o.domain: o.version for o in model.opset_import}
    assert opsets[""] >= 17


def test_graph_has_named_outputs_and_dynamic_input(tiny_model):
    model = onnx.load(str(tiny_model[0]))
    assert [i.name for i in model.graph.input] == [INPUT_NAME]
    assert [o.name for o in model.graph.output] == LAYERS
    dims = model.graph.input[0].type.tensor_type.shape.dim
    assert dims[1].dim_value == 3
    # batch, height and width are symbolic, not fixed numbers
    assert all(d.dim_param and not d.dim_value for d in (dims[0], dims[2], dims[3]))


def test_metadata_round_trip(tiny_model):
    path, info, _ = tiny_model
    model = onnx.load(str(path))
    props = {p.key: p.value for p in model.metadata_props}
    assert ModelInfo.from_props(props) == info
    assert props[PREFIX + "layers"] == ",".join(LAYERS)
    assert props[PREFIX + "preprocessing"] == TinyBackbone.preprocessing
    assert props[PREFIX + "weights_sha256"] == "tiny"
    assert props[PREFIX + "package_version"] == __version__
    assert info.downsampling == {"relu1_1": 0, "conv2_1": 1, "relu2_1": 1, "relu3_1": 2}
    # defaults keep only what was exported
    assert info.default_content_layers == ("relu2_1",)
    assert info.default_style_layers == ("relu1_1", "relu2_1", "relu3_1")


@pytest.mark.parametrize("shape", [(1, 3, 20, 28), (2, 3, 37, 17)])
def test_runtime_matches_torch_at_two_sizes(tiny_model, shape):
    features = OnnxFeatures(tiny_model[0])
    image = torch.rand(*shape, generator=torch.Generator().manual_seed(shape[2]))
    with torch.no_grad():
        expected = TinyBackbone()(image, LAYERS)
    got = features(image, LAYERS)
    assert list(got) == LAYERS
    for layer in LAYERS:
        assert got[layer].shape == expected[layer].shape
        assert relative_error(got[layer], expected[layer]) < 1e-4


def test_export_reports_its_own_verification(tiny_model):
    _, _, check = tiny_model
    assert len(check.sizes) == 2 and check.sizes[0][1:] != check.sizes[1][1:]
    assert 0 <= check.worst < 1e-4


def test_relative_error_formula():
    expected = torch.tensor([[1.0, -4.0], [2.0, 0.0]])
    got = expected + torch.tensor([[0.0, 0.0], [0.0, 0.02]])
    assert relative_error(got, expected) == pytest.approx(0.02 / 4.0)
    assert relative_error(got[:1], expected) == float("inf")


class InplaceTiny(Backbone):
    """conv -> in-place ReLU: tapping the conv must still give the conv's (negative) values."""

    preprocessing = "identity"

    def __init__(self):
        gen = torch.Generator().manual_seed(1)
        conv = nn.Conv2d(3, 4, 3, padding=1)
        with torch.no_grad():
            conv.weight.copy_(torch.randn(conv.weight.shape, generator=gen))
            conv.bias.fill_(-0.5)
        super().__init__(nn.Identity(), [("conv1_1", conv), ("relu1_1", nn.ReLU(inplace=True)), ("pool1", nn.MaxPool2d(2))])


def test_inplace_relu_does_not_clobber_tapped_conv(tmp_path):
    net = InplaceTiny()
    path = tmp_path / "inplace.onnx"
    export_backbone(net, ["conv1_1", "relu1_1"], path, backbone_name="inplace")
    image = torch.rand(1, 3, 16, 16, generator=torch.Generator().manual_seed(3))
    got = OnnxFeatures(path)(image, ["conv1_1", "relu1_1"])
    conv = torch.nn.functional.conv2d(image, net.body["conv1_1"].weight, net.body["conv1_1"].bias, padding=1)
    assert (got["conv1_1"] < 0).any()
    torch.testing.assert_close(got["conv1_1"], conv, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(got["relu1_1"], conv.clamp_min(0), rtol=1e-4, atol=1e-5)
    assert net.body["relu1_1"].inplace  # the caller's backbone is left as it was


def test_unknown_layer_lists_valid_ones(tmp_path):
    with pytest.raises(ConfigError) as info:
        export_backbone(TinyBackbone(), ["relu1_1", "relu7_7"], tmp_path / "x.onnx", backbone_name="tiny")
    assert "relu7_7" in str(info.value) and "conv1_1" in str(info.value) and "pool3" in str(info.value)
    assert not list(tmp_path.iterdir())


def test_disagreement_with_torch_writes_nothing(tmp_path, monkeypatch):
    import nst_pipeline.onnxrt.export as export

    monkeypatch.setattr(export, "TOLERANCE", 0.0)
    monkeypatch.setattr(export, "relative_error", lambda got, exp: 1.0)
    with pytest.raises(OutputError, match="disagrees with torch"):
        export.export_backbone(TinyBackbone(), ["relu1_1"], tmp_path / "x.onnx", backbone_name="tiny")
    assert not list(tmp_path.iterdir())  # no partial file, no temp file


def test_model_info_matches_backbone(tiny_backbone):
    info = model_info(tiny_backbone, ["relu3_1", "relu1_1"], "tiny")
    assert info.layers == ("relu1_1", "relu3_1")  # forward order
    assert info.min_side(info.layers) == 4 == tiny_backbone.min_side(["relu3_1"])


def test_feature_graph_equals_backbone_forward(tiny_backbone):
    graph = FeatureGraph(tiny_backbone, LAYERS)
    image = torch.rand(1, 3, 24, 24)
    with torch.no_grad():
        ref = tiny_backbone(image, LAYERS)
        outs = dict(zip(graph.layers, graph(image)))
    for layer in LAYERS:
        assert torch.equal(outs[layer], ref[layer])


def test_opset_17_is_converted_quietly(tmp_path, capfd):
    path = tmp_path / "o17.onnx"
    export_backbone(TinyBackbone(), ["relu1_1", "relu2_1"], path, backbone_name="tiny", opset=17)
    assert {o.domain: o.version for o in onnx.load(str(path)).opset_import}[""] == 17
    onnx.checker.check_model(str(path), full_check=True)
    assert capfd.readouterr().err == ""  # the core never prints, nor lets the exporter chat
    with pytest.raises(ConfigError, match="opset 16 is too old"):
        export_backbone(TinyBackbone(), ["relu1_1"], tmp_path / "o16.onnx", backbone_name="tiny", opset=16)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the legacy exporter says it is legacy
def test_falls_back_to_torchscript_exporter_when_dynamo_fails(tmp_path, monkeypatch):
    real = torch.onnx.export

    def dynamo_broken(*args, dynamo=True, **kwargs):
        if dynamo:
            raise RuntimeError("pretend the dynamo exporter cannot handle this graph")
        return real(*args, dynamo=False, **kwargs)

    monkeypatch.setattr(torch.onnx, "export", dynamo_broken)
    path = tmp_path / "ts.onnx"
    _, check = export_backbone(TinyBackbone(), ["relu1_1", "relu3_1"], path, backbone_name="tiny")
    assert check.worst < 1e-4
    assert [o.name for o in onnx.load(str(path)).graph.output] == ["relu1_1", "relu3_1"]
