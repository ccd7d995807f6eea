"""The copy detector of `nst eval style` (nst_pipeline.measures.copying): a piece of the
painting pasted into a picture is flagged where it is, a clean picture is not: on raw pixel
patches, through the CLI with the tiny backbone and, with ../shared, through VGG-19's relu4_2
on a face of frida_kahlo.jpg pasted into jcjohnson's output (which itself must score "no copy")."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from conftest import TinyPlugin
from nst_pipeline import registry as registry_module
from nst_pipeline.cli.app import main
from nst_pipeline.measures.copying import THRESHOLD, coherent_labels, detect
from nst_pipeline.registry import Registry


def texture(seed: int, size=(96, 96)) -> np.ndarray:
    """Smooth random blobs with some grain: every neighbourhood is different."""
    rng = np.random.default_rng(seed)
    h, w = size
    coarse = (rng.random((h // 8, w // 8, 3)) * 255).astype(np.uint8)
    smooth = np.asarray(Image.fromarray(coarse).resize((w, h), Image.BICUBIC), dtype=np.float64) / 255
    return np.clip(smooth + rng.normal(0, 0.03, smooth.shape), 0, 1)


def pixel_patches(rgb: np.ndarray, cell: int = 4) -> np.ndarray:
    """Features without a network: 4x4 px blocks, each described by the 3x3 blocks around it."""
    h, w = (rgb.shape[0] // cell) * cell, (rgb.shape[1] // cell) * cell
    blocks = rgb[:h, :w].reshape(h // cell, cell, w // cell, cell, 3).mean(axis=(1, 3))
    padded = np.pad(blocks, ((1, 1), (1, 1), (0, 0)), mode="edge")
    gh, gw = blocks.shape[:2]
    patches = np.concatenate([padded[i:i + gh, j:j + gw] for i in range(3) for j in range(3)], axis=-1)
    return (patches - patches.mean(axis=-1, keepdims=True)).transpose(2, 0, 1)


def paste(picture, painting, src=(6, 10), dst=(22, 30), size=48):
    out = picture.copy()
    (sy, sx), (dy, dx) = src, dst
    out[dy:dy + size, dx:dx + size] = painting[sy:sy + size, sx:sx + size]
    return out


PAINTING, PHOTO = texture(1), texture(2, (80, 96))


def test_a_pasted_piece_is_one_coherent_region_where_it_was_pasted():
    pasted = paste(PHOTO, PAINTING)  # 48x48 of 80x96 px: 30% of the picture
    found = detect(pixel_patches(pasted), pixel_patches(PAINTING), pixel_patches(PHOTO), stride=4)
    assert found.copied and found.share > 0.2
    x0, y0, x1, y1 = found.box
    assert abs(x0 - 30) <= 8 and abs(y0 - 22) <= 8 and abs(x1 - 78) <= 8 and abs(y1 - 70) <= 8, found.box
    assert abs(found.offset[0] - (10 - 30)) <= 4 and abs(found.offset[1] - (6 - 22)) <= 4, found.offset


def test_a_clean_picture_is_not_flagged():
    restyled = np.clip(PHOTO * 0.8 + 0.1 + np.random.default_rng(4).normal(0, 0.02, PHOTO.shape), 0, 1)
    kept = detect(pixel_patches(restyled), pixel_patches(PAINTING), pixel_patches(PHOTO), stride=4)
    other = detect(pixel_patches(texture(3)), pixel_patches(PAINTING), None, stride=4)  # no photo to consult
    assert not kept.copied and kept.share < THRESHOLD / 2
    assert not other.copied and other.share < THRESHOLD, other


def test_the_photos_own_content_is_never_a_copy():
    # the painting's piece is in the photo too (a face photographed, then painted): not a copy
    pasted = paste(PHOTO, PAINTING)
    assert detect(pixel_patches(pasted), pixel_patches(PAINTING), pixel_patches(pasted), stride=4).share == 0


def test_coherent_labels_join_agreeing_offsets_and_not_one_repeated_match():
    h, w = 6, 8
    grid = np.stack(np.mgrid[0:h, 0:w], axis=-1)
    matched = (grid * 7 + 100) % 50  # scattered: no two neighbours agree
    matched[1:4, 2:6] = grid[1:4, 2:6] + [5, 9]  # a 3x4 block copied from (6, 11)
    labels = coherent_labels(matched)
    assert np.bincount(labels.ravel()).max() == 12 and len(set(labels[1:4, 2:6].ravel())) == 1
    matched[1:4, 2:6] = [20, 20]  # the same painting cell again and again (a flat area)
    assert np.bincount(coherent_labels(matched).ravel()).max() == 1
    matched[1:4, 2:6] = grid[1:4, 2:6] + [5, 9]
    keep = np.ones((h, w), bool)
    keep[2, 2:5] = False  # left out: the block's middle row but one cell, which still joins the rows
    assert np.bincount(coherent_labels(matched, keep).ravel()).max() == 9
    keep[2, 5] = False
    assert np.bincount(coherent_labels(matched, keep).ravel()).max() == 4


def save(array, path):
    Image.fromarray((array * 255 + 0.5).astype(np.uint8)).save(path)
    return str(path)


@pytest.fixture
def tiny_cli(monkeypatch):
    monkeypatch.setattr(registry_module, "_default", Registry(autoload=False, extra_plugins=[TinyPlugin()]))


def test_eval_style_reports_palette_and_copy(tiny_cli, tmp_path, capsys):
    photo, painting = save(PHOTO, tmp_path / "photo.png"), save(PAINTING, tmp_path / "painting.png")
    pasted = save(paste(PHOTO, PAINTING), tmp_path / "pasted.png")
    args = ["eval", "style", pasted, "-c", photo, "-s", painting, "--backbone", "tiny"]
    assert main([*args, "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["copy_features"] == "relu2_1"  # the tiny net's content layer
    assert record["copy"]["copied"] and record["copy"]["share"] > 0.2
    assert record["palette"] > 0 and record["palette_content"] > 0 and "style" in record
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "palette distance" in text and "copy share" in text and ": COPY at x" in text
    assert main(["eval", "style", photo, "-c", photo, "-s", painting, "--backbone", "tiny"]) == 0
    assert "no copy" in capsys.readouterr().out


def test_vgg_flags_a_pasted_face_and_not_jcjohnsons_output(shared_data):
    import torch

    from nst_pipeline import images
    from nst_pipeline.backbones.build import build_backbone
    from nst_pipeline.registry import get_registry
    from nst_pipeline.scoring import copy_check

    def load(path, hw):
        return images.resize(images.load_image(path), hw)

    vgg = build_backbone(get_registry(), "vgg19", ())
    reference = load(shared_data / "reference/tubingen_shipwreck.png", (192, 256))
    photo = load(shared_data / "images/content/tubingen.jpg", (192, 256))
    frida = images.load_image(shared_data / "images/style/frida_kahlo.jpg")
    frida = images.resize(frida, images.fit_long_side(tuple(frida.shape[-2:]), 256))
    shipwreck = images.load_image(shared_data / "images/style/shipwreck.jpg")
    shipwreck = images.resize(shipwreck, images.fit_long_side(tuple(shipwreck.shape[-2:]), 256))
    pasted = reference.clone()
    pasted[..., 100:170, 20:80] = frida[..., 45:115, 70:130]  # her face, 60x70 px, over the river
    with torch.no_grad():
        assert not copy_check(vgg, reference, photo, [shipwreck], "relu4_2").copied
        found = copy_check(vgg, pasted, photo, [frida], "relu4_2")
    assert found.copied, found
    x0, y0, x1, y1 = found.box  # the face: x 20..80, y 100..170 (cells of 8 px, and their reach)
    assert abs(x0 - 20) <= 16 and abs(y0 - 100) <= 16 and abs(x1 - 80) <= 16 and abs(y1 - 170) <= 16, found
