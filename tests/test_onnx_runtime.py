"""The onnxruntime encoder and the ONNX-backed backbone: same features as torch, forward only."""

from __future__ import annotations

import onnx
import pytest
import torch
from onnx import TensorProto, helper

from nst_pipeline.errors import ConfigError, InputError
from nst_pipeline.backbones.build import build_backbone
from nst_pipeline.onnxrt.backbone import OnnxBackbone
from nst_pipeline.onnxrt.export import export_backbone
from nst_pipeline.onnxrt import session as ort_session
from nst_pipeline.onnxrt.runtime import OnnxFeatures, providers_for, session_options

from conftest import TinyBackbone

LAYERS = ["relu1_1", "relu2_1", "relu3_1"]


@pytest.fixture(scope="module")
def tiny_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("rt") / "tiny.onnx"
    export_backbone(TinyBackbone(), LAYERS, path, backbone_name="tiny", check=False)
    return path


def foreign_model(path):
    """A valid ONNX file that `nst export onnx` did not write (no nst metadata)."""
    node = helper.make_node("Relu", ["x"], ["y"])
    graph = helper.make_graph([node], "foreign", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 8, 8])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 10  # one every onnxruntime of the last years reads
    onnx.save(model, str(path))
    return path


def test_onnx_backbone_outputs_equal_torch(tiny_path):
    torch_net, onnx_net = TinyBackbone(), OnnxBackbone(OnnxFeatures(tiny_path))
    image = torch.rand(2, 3, 33, 21, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected = torch_net(image, ["relu3_1", "relu1_1"])
        got = onnx_net(image, ["relu3_1", "relu1_1"])
    assert list(got) == ["relu1_1", "relu3_1"]
    for layer, value in expected.items():
        torch.testing.assert_close(got[layer], value, rtol=1e-5, atol=1e-6)


def test_onnx_backbone_describes_itself_like_the_torch_one(tiny_path):
    net = OnnxBackbone(OnnxFeatures(tiny_path))
    tiny = TinyBackbone()
    assert net.layer_names == tuple(LAYERS)
    assert net.default_content_layers == tiny.default_content_layers
    assert net.default_style_layers == tiny.default_style_layers
    assert net.preprocessing == tiny.preprocessing and net.weights_sha256 == "tiny"
    assert net.min_side(["relu3_1"]) == tiny.min_side(["relu3_1"]) == 4
    assert net.truncated(["relu1_1"]) is net
    assert list(net.parameters()) == []


def test_gradients_are_refused_with_a_clear_message(tiny_path):
    net = OnnxBackbone(OnnxFeatures(tiny_path))
    image = torch.rand(1, 3, 16, 16, requires_grad=True)
    with pytest.raises(ConfigError, match="forward-only.*gradients"):
        net(image, ["relu1_1"])
    with torch.no_grad():  # no gradient needed: fine even for a leaf that requires grad
        assert net(image, ["relu1_1"])["relu1_1"].shape == (1, 4, 16, 16)


def test_registered_as_builtin_plugin_with_kind_argument_name(registry, tiny_path):
    assert registry.backbone("onnx").plugin == "nst_pipeline.builtins.onnx"
    net = build_backbone(registry, f"onnx:{tiny_path}")
    assert isinstance(net, OnnxBackbone) and net.features.path == tiny_path
    with pytest.raises(ConfigError, match="onnx:FILE"):
        build_backbone(registry, "onnx")


def test_unknown_layer_names_the_exported_ones(tiny_path):
    with pytest.raises(ConfigError, match="relu4_1.*relu1_1, relu2_1, relu3_1"):
        OnnxFeatures(tiny_path)(torch.rand(1, 3, 16, 16), ["relu4_1"])


def test_input_too_small_for_deepest_layer(tiny_path):
    features = OnnxFeatures(tiny_path)
    with pytest.raises(InputError, match="too small for layer 'relu3_1'.*at least 4 px"):
        features(torch.rand(1, 3, 3, 16), ["relu3_1"])
    assert features(torch.rand(1, 3, 3, 16), ["relu1_1"])["relu1_1"].shape == (1, 4, 3, 16)


@pytest.mark.parametrize("content, message", [
    (b"", "not a usable ONNX model"),
    (b"\x08\x07garbage that is not protobuf" * 10, "not a usable ONNX model"),
])
def test_corrupt_file_is_an_input_error(tmp_path, content, message):
    path = tmp_path / "bad.onnx"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        OnnxFeatures(path)


def test_truncated_file_is_an_input_error(tmp_path, tiny_path):
    path = tmp_path / "cut.onnx"
    path.write_bytes(tiny_path.read_bytes()[:4000])
    with pytest.raises(InputError, match="not a usable ONNX model"):
        OnnxFeatures(path)


def test_foreign_model_is_refused(tmp_path):
    with pytest.raises(InputError, match="not a feature extractor written by `nst export onnx`"):
        OnnxFeatures(foreign_model(tmp_path / "foreign.onnx"))


def test_unsupported_ir_version_message_is_short(tmp_path):
    path = foreign_model(tmp_path / "future.onnx")
    model = onnx.load(str(path))
    model.ir_version = 99
    onnx.save(model, str(path))
    with pytest.raises(InputError) as info:
        OnnxFeatures(path)
    assert "IR version" in str(info.value) and ".cc:" not in str(info.value)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(InputError, match="not found"):
        OnnxFeatures(tmp_path / "nope.onnx")
    with pytest.raises(InputError, match="folder"):
        OnnxFeatures(tmp_path)


def test_threads_follow_torch_and_cpu_without_gpu(monkeypatch):
    monkeypatch.setattr(torch, "get_num_threads", lambda: 3)
    options = session_options()
    assert options.intra_op_num_threads == 3 and options.inter_op_num_threads == 1
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert providers_for(None) == [CPU] and providers_for(torch.device("cuda")) == [CPU]


CUDA, CPU = ort_session.CUDA, ort_session.CPU


def test_providers_for_a_device_name():
    assert ort_session.providers_for("cpu", [CUDA, CPU]) == [CPU]
    assert ort_session.providers_for("auto", [CPU]) == [CPU]
    assert ort_session.providers_for("cuda:1", [CUDA, CPU]) == [(CUDA, {"device_id": 1}), CPU]
    with pytest.raises(ConfigError, match="no CUDA provider"):
        ort_session.providers_for("cuda", [CPU])
    assert ort_session.providers_for("cuda", [CPU], fallback=True) == [CPU]


def test_targets_beside_a_gpu_run_use_its_gpu_or_else_the_cpu(monkeypatch):
    import onnxruntime as ort

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(ort, "get_available_providers", lambda: [CUDA, CPU])
    assert providers_for(torch.device("cuda:1")) == [(CUDA, {"device_id": 1}), CPU]
    assert providers_for(torch.device("cpu")) == [CPU]
    monkeypatch.setattr(ort, "get_available_providers", lambda: [CPU])   # a CPU-only onnxruntime
    assert providers_for(torch.device("cuda")) == [CPU]


def test_conformance_kit_accepts_the_forward_only_backbone(registry, tiny_path):
    from nst_pipeline import testing

    spec = registry.backbone("onnx")
    passed = testing.check_backbone(spec, spec.options(model=tiny_path))
    assert "deterministic" in passed
    assert not any("gradient" in line for line in passed)  # forward only: nothing to differentiate
    with pytest.raises(testing.NotExercised, match="needs a model file"):
        testing.check_backbone(spec)
