"""Sessions of the fast method: planned for one shape, made on a thread, kept optimized on disk."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from nst_pipeline.fast import engine as eng
from nst_pipeline.fast import sessions

from test_fast import _cached_models

ort = pytest.importorskip("onnxruntime")


@pytest.fixture
def files():
    return _cached_models()


@pytest.fixture
def compiled(tmp_path, monkeypatch):
    folder = tmp_path / "compiled"
    monkeypatch.setattr(eng, "compiled_dir", lambda: folder)
    return folder


def _paint(engine, hw=(132, 152)):
    embedding = engine.embed(np.full((64, 64, 3), 90, np.uint8))
    return engine.paint(np.linspace(0, 1, hw[0] * hw[1] * 3, dtype=np.float32).reshape(*hw, 3), embedding)


def test_compiled_session_is_kept_and_paints_the_same(files, compiled):
    fresh = _paint(eng.Engine(files, device="cpu", threads=1, compiled=False))
    assert not compiled.exists()
    first = _paint(eng.Engine(files, device="cpu", threads=1))
    kept = sorted(compiled.glob("*.ort"))
    assert len(kept) == 2  # the prediction network at 256 px, the transfer network at 132x152
    stamps = {p: p.stat().st_mtime_ns for p in kept}
    time.sleep(0.01)
    again = _paint(eng.Engine(files, device="cpu", threads=1))
    assert sorted(compiled.glob("*.ort")) == kept          # loaded, not made again
    assert all(p.stat().st_mtime_ns > stamps[p] for p in kept)  # marked as recently used
    np.testing.assert_allclose(first, fresh, atol=1e-5)
    np.testing.assert_allclose(again, fresh, atol=1e-5)
    assert sorted(compiled.iterdir()) == kept              # no temp file left
    umask = os.umask(0)
    os.umask(umask)
    # a cache meant to be shared: readable by others, as any new file (mkstemp's 0600 was not)
    assert all(p.stat().st_mode & 0o777 == 0o666 & ~umask for p in kept)


def test_a_damaged_compiled_file_is_made_again(files, compiled):
    reference = _paint(eng.Engine(files, device="cpu", threads=1))
    for path in compiled.glob("*.ort"):
        path.write_bytes(b"not a model")
    np.testing.assert_allclose(_paint(eng.Engine(files, device="cpu", threads=1)), reference, atol=1e-5)
    assert all(p.stat().st_size > 1000 for p in compiled.glob("*.ort"))


def test_an_unwritable_cache_still_runs(files, compiled):
    compiled.parent.mkdir(exist_ok=True)
    compiled.write_text("a file where the folder should be")
    assert _paint(eng.Engine(files, device="cpu", threads=1)).shape == (132, 152, 3)


def test_prune_keeps_the_most_recently_used(tmp_path):
    for k in range(5):
        path = tmp_path / f"{k}.ort"
        path.write_bytes(b"x")
        os.utime(path, (1000 + k, 1000 + k))
    (tmp_path / "other.txt").write_text("not ours")
    (tmp_path / ".5.tmp.ort").write_bytes(b"x")   # another process is still writing it
    os.utime(tmp_path / ".5.tmp.ort", (0, 0))
    sessions.prune(tmp_path, keep=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".5.tmp.ort", "3.ort", "4.ort", "other.txt"]


def test_only_cpu_sessions_are_cached(tmp_path):
    maker = sessions.SessionMaker(ort, ort.SessionOptions(), ["CUDAExecutionProvider", "CPUExecutionProvider"], tmp_path)
    assert maker.cache is None
    assert sessions.SessionMaker(ort, ort.SessionOptions(), ["CPUExecutionProvider"], tmp_path).cache == tmp_path


def test_pending_hands_over_the_session_or_its_error():
    assert sessions.Pending(lambda raw: raw * 2, b"ab").result() == b"abab"

    def fail(raw):
        raise ValueError("bad model")

    with pytest.raises(ValueError, match="bad model"):
        sessions.Pending(fail, b"").result()
