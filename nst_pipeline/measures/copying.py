"""Copy detector: does a stylized picture paste pieces of the painting (a face, an animal)?

As in copy-move forgery detection and PatchMatch: every output position is matched to its most
similar painting position (cosine similarity of feature vectors; ``nst eval style`` uses the
content layer, VGG-19's relu4_2: 8 px cells that each see about 100 px, so a painted face is
matched by what it shows, not by its brush strokes, and since the content loss holds that layer
to the photo, a pasted object shows there as the photo replaced). The offset of a match is the
painting position minus the output position. Texture made in the painting's manner matches
scattered painting positions, so neighbouring offsets disagree; a pasted piece matches one
painting region cell for cell, so its offsets agree over the whole piece. Only positions that
look more like their painting match than like the photo at the same place count (a face that is
the photo's own face is not a copy). The measure is the largest 8-connected set of such
positions whose neighbouring offsets differ by at most one cell on each axis (and whose matches
are distinct: a flat area matched to one painting cell over and over is not a copy), as a share
of the output's positions; above :data:`THRESHOLD` the picture is flagged as a copy.
Calibration (pasted crops and the optimizer's own copies against jcjohnson's references, our
clean outputs and the photos): docs/benchmarks.md, "Eval measures (issue 22)".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

#: a share of the output above this is flagged as a copy. Calibrated at 256 px on relu4_2
#: (docs/benchmarks.md): faces of frida_kahlo and picasso_selfport1907 pasted by the optimizer
#: into tubingen and hoovertowernight score 5.1-11%, crops pasted by hand 8-9%; jcjohnson's four
#: references 1.6-3.6%, our clean outputs 1-4.0%
THRESHOLD = 0.045
#: neighbouring offsets this close (in feature cells, per axis) are one coherent piece
TOLERANCE = 1
#: the long side (px) at which the detector looks: a 512 px output is halved first, so the
#: cells, and the threshold, mean the same at every output size
WORK_SIDE = 256
#: the 8-neighbourhood, each pair once: right, down-left, down, down-right
_STEPS = ((0, 1), (1, -1), (1, 0), (1, 1))


@dataclass(frozen=True)
class Copying:
    share: float                          # largest coherent region / output positions
    copied: bool                          # share > threshold
    threshold: float
    box: tuple[int, int, int, int]        # that region in the output's pixels: x0, y0, x1, y1
    offset: tuple[int, int]               # its median painting-minus-output offset, px (dx, dy)

    def as_dict(self) -> dict:
        return asdict(self)


def unit_rows(features: np.ndarray) -> np.ndarray:
    """CxHxW -> (H*W)xC, each row scaled to length 1 (a zero row stays zero)."""
    rows = np.asarray(features, dtype=np.float32).reshape(features.shape[0], -1).T
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-8)


def nearest(output: np.ndarray, painting: np.ndarray, chunk: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """For each position of a CxHxW output map, the (y, x) of the most similar painting
    position (HxWx2 int; ties go to the first in reading order) and that similarity (HxW)."""
    a, b = unit_rows(output), unit_rows(painting)
    best, sim = [], []
    for i in range(0, len(a), chunk):
        block = a[i:i + chunk] @ b.T
        best.append(np.argmax(block, axis=1))
        sim.append(block[np.arange(len(block)), best[-1]])
    ys, xs = np.divmod(np.concatenate(best), painting.shape[2])
    h, w = output.shape[1:]
    return np.stack([ys, xs], axis=-1).reshape(h, w, 2), np.concatenate(sim).reshape(h, w)


def _root(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def coherent_labels(matched: np.ndarray, keep: np.ndarray | None = None, tolerance: int = TOLERANCE) -> np.ndarray:
    """HxW region labels of an HxWx2 nearest-match map: 8-neighbours in ``keep`` (all when None)
    are joined when their offsets agree within ``tolerance`` and their matches differ. A label is
    the flat index of one member; a position joined to none is its own region."""
    h, w, _ = matched.shape
    keep = np.ones((h, w), bool) if keep is None else np.asarray(keep, bool)
    offsets = matched - np.stack(np.mgrid[0:h, 0:w], axis=-1)
    index = np.arange(h * w).reshape(h, w)
    edges = []
    for dy, dx in _STEPS:
        a = np.s_[0:h - dy, max(0, -dx):w - max(0, dx)]
        b = np.s_[dy:h, max(0, dx):w - max(0, -dx)]
        joined = (np.abs(offsets[a] - offsets[b]).max(axis=-1) <= tolerance) & (matched[a] != matched[b]).any(axis=-1)
        joined &= keep[a] & keep[b]
        edges.append(np.stack([index[a][joined], index[b][joined]], axis=1))
    parent = list(range(h * w))
    for i, j in np.concatenate(edges).tolist():
        ri, rj = _root(parent, i), _root(parent, j)
        if ri != rj:
            parent[ri] = rj
    return np.array([_root(parent, i) for i in range(h * w)]).reshape(h, w)


def detect(output: np.ndarray, painting: np.ndarray, content: np.ndarray | None = None, stride: float = 1.0,
           threshold: float = THRESHOLD, tolerance: int = TOLERANCE) -> Copying:
    """The largest coherent region of CxHxW ``output`` features matched into ``painting``'s,
    counting only positions more like their painting match than like ``content``'s features
    at the same place (the photo, of ``output``'s size; None: every position). ``stride`` is
    a feature cell's size in output pixels (for the box and the offset)."""
    if output.shape[1] * output.shape[2] == 0 or painting.shape[1] * painting.shape[2] == 0:
        return Copying(0.0, False, threshold, (0, 0, 0, 0), (0, 0))
    matched, similarity = nearest(output, painting)
    keep = None
    if content is not None:
        like_photo = np.sum(unit_rows(output) * unit_rows(content), axis=1).reshape(similarity.shape)
        keep = similarity > like_photo + 1e-3  # a tie (the photo holds the painting's piece too) is no copy
    labels = coherent_labels(matched, keep, tolerance)
    sizes = np.bincount(labels.ravel())
    biggest = int(np.argmax(sizes))
    ys, xs = np.nonzero(labels == biggest)
    if sizes[biggest] < 2:  # a lone cell is no region
        return Copying(0.0, False, threshold, (0, 0, 0, 0), (0, 0))
    share = float(sizes[biggest]) / labels.size
    dy, dx = np.median(matched[ys, xs] - np.stack([ys, xs], axis=-1), axis=0)
    box = (int(xs.min() * stride), int(ys.min() * stride), int((xs.max() + 1) * stride), int((ys.max() + 1) * stride))
    return Copying(share, share > threshold, threshold, box, (int(round(dx * stride)), int(round(dy * stride))))
