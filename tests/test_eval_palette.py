"""The Lab palette distance of `nst eval style` (nst_pipeline.measures.palette): hand-computed
values on tiny pictures, symmetric, deterministic, and it sees a photo kept where a painting
was asked for (jcjohnson's tubingen x shipwreck against the photo, with ../shared)."""

from __future__ import annotations

import numpy as np
import pytest

from nst_pipeline.measures.palette import directions, lab_pixels, palette_distance, rgb_to_lab, sliced_wasserstein


def flat(rgb, size=(4, 6)) -> np.ndarray:
    return np.broadcast_to(np.asarray(rgb, dtype=np.float64), (*size, 3)).copy()


def test_lab_of_known_colours():
    lab = rgb_to_lab(np.array([[1.0, 1, 1], [0, 0, 0], [0.5, 0.5, 0.5], [1, 0, 0]]))
    assert lab[0] == pytest.approx([100, 0, 0], abs=1e-9)  # D65 white
    assert lab[1] == pytest.approx([0, 0, 0], abs=1e-9)
    assert lab[2] == pytest.approx([53.389, 0, 0], abs=1e-3)  # sRGB 128 grey
    assert lab[3] == pytest.approx([53.241, 80.092, 67.203], abs=1e-3)  # sRGB red (published value)


def test_the_directions_come_in_orthonormal_triples():
    d = directions()
    assert d.shape == (96, 3) and np.allclose(np.linalg.norm(d, axis=1), 1)
    assert np.allclose(d.T @ d / len(d), np.eye(3) / 3)  # what makes a shift by v read |v|
    assert np.array_equal(d, directions())


def test_identical_pictures_are_at_zero():
    rng = np.random.default_rng(1)
    image = rng.random((20, 30, 3))
    assert palette_distance(image, [image]) == 0.0


def test_one_colour_against_another_is_their_cie76_difference():
    # white (100, 0, 0) against black (0, 0, 0): 100; grey 128 against white: 100 - 53.389
    assert palette_distance(flat([1, 1, 1]), [flat([0, 0, 0])]) == pytest.approx(100.0, abs=1e-9)
    assert palette_distance(flat([0.5, 0.5, 0.5]), [flat([1, 1, 1], (3, 3))]) == pytest.approx(46.611, abs=1e-3)
    red, white = rgb_to_lab(np.array([1.0, 0, 0])), np.array([100.0, 0, 0])
    assert palette_distance(flat([1, 0, 0]), [flat([1, 1, 1])]) == pytest.approx(np.linalg.norm(red - white), rel=1e-9)


def test_half_the_pixels_moved_reads_sqrt_half_of_the_move():
    half = flat([1, 1, 1], (4, 4))
    half[:2] = 0.0  # half black, half white, against all white: W2^2 = 0.5 * 100^2 on every slice
    assert palette_distance(half, [flat([1, 1, 1], (4, 4))]) == pytest.approx(100 / np.sqrt(2), abs=1e-9)


def test_a_uniform_lab_shift_reads_its_length():
    rng = np.random.default_rng(2)
    cloud = rng.normal(0, 20, (500, 3)) + [50, 0, 0]
    shift = np.array([3.0, -4.0, 12.0])  # |shift| = 13
    assert sliced_wasserstein(cloud, cloud + shift) == pytest.approx(13.0, rel=1e-9)


def test_symmetric_and_deterministic():
    rng = np.random.default_rng(3)
    a, b = rng.random((300, 250, 3)), rng.random((90, 120, 3)) ** 2  # a has more pixels than are drawn
    d = palette_distance(a, [b])
    assert d == palette_distance(b, [a])
    assert d == palette_distance(a.copy(), [b.copy()])
    assert d > 1
    assert np.array_equal(lab_pixels(a, 1000), lab_pixels(a, 1000))


def test_blend_mixes_the_paintings_palettes():
    white, black = flat([1, 1, 1]), flat([0, 0, 0])
    grey_half = flat([1, 1, 1], (4, 4))
    grey_half[:2] = 0.0
    assert palette_distance(grey_half, [white, black], [1, 1]) == pytest.approx(0.0, abs=1e-9)
    assert palette_distance(white, [white, black], [1, 0]) == 0.0
    with pytest.raises(ValueError):
        palette_distance(white, [white], [0])


def test_it_sees_the_photo_kept_where_the_painting_was_asked_for(shared_data):
    from PIL import Image

    def load(path, side=128):
        img = Image.open(path).convert("RGB")
        img.thumbnail((side, side), Image.BICUBIC)
        return np.asarray(img) / 255.0

    painting = load(shared_data / "images/style/shipwreck.jpg")
    photo = load(shared_data / "images/content/tubingen.jpg")
    repainted = load(shared_data / "reference/tubingen_shipwreck.png")  # jcjohnson: the painting's palette
    kept, taken = palette_distance(photo, [painting]), palette_distance(repainted, [painting])
    assert kept > 20 and taken < 10, (kept, taken)
