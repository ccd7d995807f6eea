"""The example plugins under plugins/, installed (scripts/install_plugins.sh), through the real CLI.

Each runs in a subprocess with autoloading on, the way a user runs ``nst``.
"""

from __future__ import annotations

import importlib.metadata as md
import json

import numpy as np
import pytest
from PIL import Image

from nst_pipeline.registry import Registry
from test_plugins_dists import run_nst as run_with_blocklist

EXAMPLES = {"nst-meancov": ("loss", "meancov"), "nst-hed": ("backbone", "hed-vgg16"), "nst-gif": ("source", "animated")}


def installed(dist: str) -> bool:
    try:
        md.distribution(dist)
        return True
    except md.PackageNotFoundError:
        return False


def needs(dist: str):
    return pytest.mark.skipif(not installed(dist), reason=f"{dist} is not installed (run scripts/install_plugins.sh)")


@pytest.fixture(autouse=True)
def own_plugin_index(tmp_path, monkeypatch):
    # which plugin declares which names: written by the runs below, kept out of the user's ~/.cache
    monkeypatch.setenv("NST_PLUGIN_INDEX", str(tmp_path / "plugin-index.json"))


def run_nst(args, **env):
    return run_with_blocklist(args, NST_BLOCK_PLUGINS="", **env)


def test_all_examples_are_installed():
    # the test command installs them; a silent skip of everything below would hide that it didn't
    missing = [d for d in EXAMPLES if not installed(d)]
    assert not missing, f"run scripts/install_plugins.sh: {missing} not installed"


@pytest.mark.parametrize("dist", sorted(EXAMPLES))
def test_registry_loads_each_example(dist):
    if not installed(dist):
        pytest.skip(f"{dist} not installed")
    reg = Registry(autoload=True)
    kind, name = EXAMPLES[dist]
    spec = reg.get(kind, name)
    info = reg.info(spec)
    assert (info.distribution, info.version, info.builtin) == (dist, md.version(dist), False)
    assert not reg.broken


@needs("nst-meancov")
@needs("nst-gif")
def test_list_and_check_through_the_cli():
    listed = run_nst(["plugins", "list"])
    assert listed.returncode == 0, listed.stderr
    rows = [line.split() for line in listed.stdout.splitlines()]
    assert ["loss", "term", "meancov", "meancov", "nst-meancov", "0.1.0"] in [r[:6] for r in rows]
    assert ["frame", "source", "animated", "gif", "nst-gif", "0.1.0"] in [r[:6] for r in rows]
    assert ["backbone", "hed-vgg16", "hed", "nst-hed", "0.1.0"] in [r[:5] for r in rows]
    checked = run_nst(["plugins", "check", "meancov", "nst-gif"])
    assert checked.returncode == 0, checked.stderr
    assert "ok   loss term meancov (nst-meancov)" in checked.stdout
    assert "ok   frame source animated (nst-gif)" in checked.stdout


@needs("nst-meancov")
def test_meancov_instead_of_gram_through_nst_image(make_image, tmp_path):
    content, style = make_image("c.png", (40, 32), seed=1), make_image("s.png", (40, 32), seed=2)
    out, log = tmp_path / "out.png", tmp_path / "log.jsonl"
    done = run_nst(["image", str(content), "-s", str(style), "-o", str(out), "--size", "32", "--steps", "2",
                    "--loss", "meancov", "--loss", "style:0", "--loss-option", "meancov.layers=relu1_1,relu2_1",
                    "--log-json", str(log), "-q"])
    assert done.returncode == 0, done.stderr
    assert Image.open(out).size == (32, 26)
    terms = json.loads(log.read_text().splitlines()[-1])["terms"]
    assert "meancov" in terms and "style" not in terms


@needs("nst-meancov")
def test_meancov_bad_option_names_the_valid_ones(make_image, tmp_path):
    content = make_image("c.png", (40, 32))
    done = run_nst(["image", str(content), "-s", str(content), "-o", str(tmp_path / "o.png"), "--size", "32",
                    "--loss", "meancov", "--loss-option", "meancov.epsilon=1"])
    assert done.returncode == 2
    assert done.stderr.strip() == ("error: unknown option 'epsilon' for loss 'meancov'; "
                                   "valid options: layers, layer_weights, eps")
    assert not (tmp_path / "o.png").exists()


@needs("nst-hed")
def test_hed_backbone_through_nst_image(make_image, tmp_path):
    content, style = make_image("c.png", (40, 32), seed=1), make_image("s.png", (40, 32), seed=2)
    out = tmp_path / "out.png"
    done = run_nst(["image", str(content), "-s", str(style), "-o", str(out), "--size", "32", "--steps", "1",
                    "--backbone", "hed-vgg16", "-q"])
    if done.returncode != 0 and "could not download" in done.stderr:
        pytest.skip(f"HED weights unavailable: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    assert Image.open(out).size == (32, 26)


@needs("nst-gif")
def test_animated_gif_through_nst_video(tmp_path):
    frames = [np.full((24, 32, 3), 40 * i, np.uint8) for i in range(3)]
    for i, f in enumerate(frames):
        f[4:12, 2 + 6 * i:10 + 6 * i] = (240, 30, 30)
    gif = tmp_path / "anim.gif"
    Image.fromarray(frames[0]).save(gif, save_all=True, append_images=[Image.fromarray(f) for f in frames[1:]],
                                    duration=100, loop=0)
    style = tmp_path / "s.png"
    Image.fromarray(frames[2]).save(style)
    out = tmp_path / "out"
    done = run_nst(["video", str(gif), "-s", str(style), "-o", str(out), "--size", "32",
                    "--first-steps", "1", "--steps", "1", "-q"])
    assert done.returncode == 0, done.stderr
    assert len(sorted(out.glob("*.png"))) == 3  # every frame of the animation, not just the first
