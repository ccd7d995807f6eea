"""nst-gif: frames, timing and compositing of animated images, and the conformance kit."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import nst_gif
from nst_pipeline.plugin import InputError
from nst_pipeline.testing import check_frame_source, write_samples


def square_frames(n=5, size=(24, 32)):
    h, w = size
    frames = []
    for i in range(n):
        f = np.full((h, w, 3), 30, np.uint8)
        f[4:12, 2 + 4 * i:10 + 4 * i] = (250, 20, 20)
        frames.append(f)
    return frames


def save_animation(path, frames, **kwargs):
    pil = [Image.fromarray(f) for f in frames]
    pil[0].save(path, save_all=True, append_images=pil[1:], loop=0, **kwargs)
    return path


@pytest.mark.parametrize("suffix,extra", [(".gif", {}), (".webp", {"lossless": True}), (".png", {})])
def test_reads_every_frame_exactly(tmp_path, suffix, extra):
    frames = square_frames()
    path = save_animation(tmp_path / f"a{suffix}", frames, duration=50, **extra)
    with nst_gif.AnimatedImageSource(str(path)) as source:
        got = list(source)
        assert source.frame_count == 5 and source.fps == pytest.approx(20.0)
    assert len(got) == 5
    for want, have in zip(frames, got, strict=True):
        assert have.dtype == np.uint8 and have.shape == want.shape
        assert np.abs(have.astype(int) - want).max() <= 3  # GIF palettes round a little


def test_partial_gif_frames_are_composited_onto_the_previous_one(tmp_path):
    # Pillow writes only the changed box of later GIF frames; the reader must rebuild whole frames
    frames = square_frames(3)
    path = save_animation(tmp_path / "a.gif", frames, duration=100, optimize=False)
    got = list(nst_gif.AnimatedImageSource(str(path)))
    assert len(got) == 3 and all(np.abs(g.astype(int) - f).max() <= 3 for g, f in zip(got, frames, strict=True))


@pytest.mark.parametrize("suffix", [".gif", ".png"])
def test_transparent_pixels_show_white(tmp_path, suffix):
    rgba = [np.zeros((8, 8, 4), np.uint8) for _ in range(2)]
    for i, f in enumerate(rgba):
        f[:, : 4 + i] = (0, 0, 255, 255)
    pil = [Image.fromarray(f, "RGBA") for f in rgba]
    path = tmp_path / f"t{suffix}"
    pil[0].save(path, save_all=True, append_images=pil[1:], duration=100)
    first, second = nst_gif.AnimatedImageSource(str(path))
    assert tuple(first[0, 3]) == (0, 0, 255) and tuple(first[0, 4]) == (255, 255, 255)
    assert tuple(second[0, 4]) == (0, 0, 255) and tuple(second[0, 5]) == (255, 255, 255)


def test_probe_takes_only_animations(tmp_path):
    anim = save_animation(tmp_path / "a.gif", square_frames(2), duration=100)
    still = tmp_path / "s.gif"
    Image.fromarray(square_frames(1)[0]).save(still)
    junk = tmp_path / "j.gif"
    junk.write_bytes(b"GIF89a not really")
    assert nst_gif.probe_animated(str(anim))
    assert not nst_gif.probe_animated(str(still))  # a still GIF stays with the built-in image source
    assert not nst_gif.probe_animated(str(junk))
    assert not nst_gif.probe_animated(str(tmp_path / "missing.gif"))


def test_options_limit_frames_and_override_fps(tmp_path):
    path = save_animation(tmp_path / "a.gif", square_frames(5), duration=0)  # 0 ms plays as 100 ms
    source = nst_gif.AnimatedImageSource(str(path), nst_gif.AnimatedOptions(max_frames=2))
    assert source.fps == pytest.approx(10.0) and len(list(source)) == 2 == source.frame_count
    assert nst_gif.AnimatedImageSource(str(path), nst_gif.AnimatedOptions(fps=24)).fps == 24


def test_corrupt_file_is_an_input_error(tmp_path):
    bad = tmp_path / "bad.gif"
    bad.write_bytes(b"nope")
    with pytest.raises(InputError, match="bad.gif"):
        nst_gif.AnimatedImageSource(str(bad))


def test_conformance_kit(tmp_path):
    (spec,) = nst_gif.nst_frame_sources()
    samples = write_samples(tmp_path)
    accepted = [p for p in samples if spec.probe(str(p))]
    assert {p.name for p in accepted} == {"anim.gif", "anim.webp"}
    for path in accepted:
        check_frame_source(spec, path)


def test_a_gif_declaring_a_huge_screen_is_refused_from_its_header(tmp_path):
    path = save_animation(tmp_path / "bomb.gif", square_frames(3))
    data = bytearray(path.read_bytes())
    data[6:10] = (50000).to_bytes(2, "little") * 2  # logical screen width and height: 50000x50000
    path.write_bytes(bytes(data))
    assert not nst_gif.probe_animated(str(path))  # a probe declines, never raises
    with pytest.raises(InputError, match="too large: 50000x50000 px"):
        nst_gif.AnimatedImageSource(str(path))
