"""--targets torch|onnx|auto: who computes the targets, and the export cache behind it."""

from __future__ import annotations

import json

import pytest
import torch

from nst_pipeline.config import make_config
from nst_pipeline.errors import ConfigError
from nst_pipeline.gatys.job import build_job
from nst_pipeline.onnxrt import targets as tg
from nst_pipeline.onnxrt.export import export_backbone
from nst_pipeline.onnxrt.runtime import OnnxFeatures
from nst_pipeline.gatys.stylize import Stylizer

from conftest import TinyBackbone


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NST_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def config(style, **kw):
    base = dict(styles=(style,), backbone="tiny", size=32, levels=1, seed=0, device="cpu")
    return make_config(**{**base, **kw})


def test_onnx_targets_export_once_into_the_cache(registry, make_image, cache):
    job = build_job(config(make_image("s.png"), targets="onnx"), registry)
    assert isinstance(job.encoder, OnnxFeatures)
    files = list((cache / "onnx").glob("tiny-*.onnx"))
    assert [job.encoder.path] == files
    assert set(job.encoder.layers) == set(job.objective.layers)
    mtime = files[0].stat().st_mtime_ns
    again = build_job(config(make_image("s.png"), targets="onnx"), registry)
    assert again.encoder.path == files[0] and files[0].stat().st_mtime_ns == mtime  # reused


def test_cache_key_follows_weights_architecture_and_layers(tiny_backbone):
    key = tg.cache_key(tiny_backbone, ["relu1_1", "relu2_1"])
    assert key == tg.cache_key(TinyBackbone(), ["relu1_1", "relu2_1"])
    assert key != tg.cache_key(tiny_backbone, ["relu1_1", "relu3_1"])
    other = TinyBackbone(seed=1)
    other.weights_sha256 = ""  # unknown file: the parameters themselves are hashed
    assert tg.cache_key(other, ["relu1_1", "relu2_1"]) != key
    avg = TinyBackbone()
    avg.body["pool1"] = torch.nn.MaxPool2d(2)
    assert tg.cache_key(avg, ["relu1_1", "relu2_1"]) != key


def test_damaged_cache_file_is_rebuilt(tiny_backbone, cache):
    path = tg.cache_path(tiny_backbone, "tiny", ["relu1_1"])
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a model")
    features = tg.cached_export(tiny_backbone, "tiny", ["relu1_1"], torch.device("cpu"))
    assert features.path == path and features.layers == ("relu1_1",)


def test_stylizing_with_onnx_targets_matches_torch_targets(registry, make_image):
    content = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    style = make_image("s.png", size=(32, 32))
    results = {}
    for choice in ("torch", "onnx"):   # ONNX targets are fp32 (a reference): compare with fp32 torch ones
        job = build_job(config(style, targets=choice, precision="fp32"), registry)
        results[choice] = Stylizer(job).stylize(content, steps=3)
    torch.testing.assert_close(results["onnx"], results["torch"], rtol=1e-3, atol=1e-4)


def test_given_model_must_cover_the_layers(registry, make_image, tmp_path):
    path = tmp_path / "few.onnx"
    export_backbone(TinyBackbone(), ["relu1_1"], path, backbone_name="tiny", check=False)
    with pytest.raises(ConfigError, match="lacks layers relu2_1, relu3_1"):
        build_job(config(make_image("s.png"), targets="onnx", onnx_model=path), registry)


def test_given_model_from_other_weights_is_refused(registry, make_image, tmp_path):
    other = TinyBackbone(seed=5)
    other.weights_sha256 = "0123456789abcdef"
    path = tmp_path / "other.onnx"
    export_backbone(other, ["relu1_1", "relu2_1", "relu3_1"], path, backbone_name="tiny", check=False)
    with pytest.raises(ConfigError, match="other weights"):
        build_job(config(make_image("s.png"), targets="onnx", onnx_model=path), registry)


def test_auto_measures_once_and_keeps_the_faster(registry, make_image, cache, monkeypatch):
    calls = []
    real = tg._best_time

    def timed(run, device, repeats=3):
        calls.append(1)
        return real(run, device, repeats=1)

    monkeypatch.setattr(tg, "_best_time", timed)
    job = build_job(config(make_image("s.png"), targets="auto"), registry)
    verdicts = json.loads((cache / "onnx" / "auto-targets.json").read_text())
    (verdict,) = verdicts.values()
    onnx_wins = verdict["onnx_s"] < verdict["torch_s"]
    assert isinstance(job.encoder, OnnxFeatures) == onnx_wins
    assert (job.encoder is job.backbone) == (not onnx_wins)
    build_job(config(make_image("s.png"), targets="auto"), registry)
    assert len(calls) == 2  # torch + onnx, timed once; the second job read the verdict


def test_auto_follows_the_recorded_verdict(tiny_backbone, tmp_path, monkeypatch):
    path = tmp_path / "m.onnx"
    export_backbone(tiny_backbone, ["relu1_1"], path, backbone_name="tiny", check=False)
    features = OnnxFeatures(path)
    for torch_s, onnx_s, expected in [(2.0, 1.0, True), (1.0, 2.0, False)]:
        monkeypatch.setattr(tg, "_best_time", lambda run, device, t=iter([torch_s, onnx_s]): next(t))
        monkeypatch.setattr(tg, "_read_verdicts", lambda: {})
        assert tg.onnx_is_faster(features, tiny_backbone, ["relu1_1"], torch.device("cpu"), 16) is expected


def _max_pooled() -> TinyBackbone:
    net = TinyBackbone()  # the same weights; every pooling max instead of avg
    for name in ("pool1", "pool2", "pool3"):
        net.body[name] = torch.nn.MaxPool2d(2)
    return net


def test_given_model_with_other_pooling_is_refused(registry, make_image, tmp_path):
    path = tmp_path / "max.onnx"
    export_backbone(_max_pooled(), ["relu1_1", "relu2_1", "relu3_1"], path, backbone_name="tiny", check=False)
    assert OnnxFeatures(path).info.pooling == "max"
    with pytest.raises(ConfigError, match=r"exported with max pooling, but this run's backbone has avg pooling; "
                                          r"pass --pooling max"):
        build_job(config(make_image("s.png"), targets="onnx", onnx_model=path), registry)


def test_the_architecture_is_checked_up_to_the_layers_a_run_uses(tmp_path):
    path = tmp_path / "deep.onnx"
    export_backbone(TinyBackbone(), ["relu1_1", "relu2_1", "relu3_1"], path, backbone_name="tiny", check=False)
    features = OnnxFeatures(path)
    tg.check_compatible(features, TinyBackbone(), ["relu1_1"], "tiny")   # a shallower run: same modules up to it
    changed = TinyBackbone()
    changed.body["pool2"] = torch.nn.MaxPool2d(2)   # after relu2_1: a run up to relu2_1 computes the same
    tg.check_compatible(features, changed, ["relu1_1", "relu2_1"], "tiny")
    with pytest.raises(ConfigError, match="avg pooling, but this run's backbone has avg\\+max pooling"):
        tg.check_compatible(features, changed, ["relu3_1"], "tiny")
    with pytest.raises(ConfigError, match="exported from backbone 'tiny', but this run uses 'vgg19'"):
        tg.check_compatible(features, TinyBackbone(), ["relu1_1"], "vgg19")


def test_a_model_that_records_no_architecture_is_refused(tmp_path):
    import onnx

    path = tmp_path / "old.onnx"
    export_backbone(TinyBackbone(), ["relu1_1"], path, backbone_name="tiny", check=False)
    model = onnx.load(str(path))
    kept = [p for p in model.metadata_props if p.key not in ("nst.architecture", "nst.pooling")]
    del model.metadata_props[:]
    model.metadata_props.extend(kept)
    onnx.save(model, str(path))
    with pytest.raises(ConfigError, match="does not record its architecture"):
        tg.check_compatible(OnnxFeatures(path), TinyBackbone(), ["relu1_1"], "tiny")
